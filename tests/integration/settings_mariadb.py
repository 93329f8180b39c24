"""The test project on the MariaDB server the integration suite started (see servers.py).

PyMySQL stands in for mysqlclient (no C toolchain needed); it must be installed as MySQLdb
before Django's MySQL backend is imported, which settings modules are.
"""

from __future__ import annotations

import os

import pymysql

from test_settings import *  # noqa: F403

pymysql.install_as_MySQLdb()

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "127.0.0.1",
        "PORT": os.environ["CORS_GATE_IT_DB_PORT"],
        "NAME": os.environ["CORS_GATE_IT_DB_NAME"],
        "USER": os.environ["CORS_GATE_IT_DB_USER"],
        "PASSWORD": os.environ["CORS_GATE_IT_DB_PASSWORD"],
        "OPTIONS": {"charset": "utf8mb4", "connect_timeout": 3, "read_timeout": 10},
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }
}
