"""Packaging for cors_gate: an admin-managed CORS gate, explainer and auditor for Open edX."""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version() -> str:
    """The version lives in cors_gate/__init__.py; read it without importing Django."""
    text = (HERE / "cors_gate" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, flags=re.MULTILINE)
    if match is None:
        raise RuntimeError("cors_gate/__init__.py: __version__ not found")
    return match.group(1)


setup(
    name="cors_gate",
    version=read_version(),
    description=(
        "Database-managed CORS enforcement (Cloud Gate workflow), CORS explanations "
        "and CORS/SAML audits for Django and Open edX."
    ),
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0",
    license_files=["LICENSE"],
    packages=find_packages(include=["cors_gate", "cors_gate.*"]),
    include_package_data=True,
    package_data={"cors_gate": ["py.typed"]},
    python_requires=">=3.11",
    # The one list of run-time dependencies: requirements/test.in installs this package.
    install_requires=[
        "Django>=4.2,<6.0",
        "django-cors-headers>=4.3",
        "djangorestframework>=3.14",
        "social-auth-app-django>=5.4",
        "social-auth-core[saml]>=4.8",
        "python3-saml>=1.16",
        "defusedxml>=0.7",
        "idna>=3.4",
        "publicsuffixlist>=1.0",
        "cryptography>=42",
        "requests>=2.31",
    ],
    entry_points={
        # Open edX discovers plugin apps through these groups.
        "lms.djangoapp": ["cors_gate = cors_gate.apps:CorsGateConfig"],
        "cms.djangoapp": ["cors_gate = cors_gate.apps:CorsGateConfig"],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Typing :: Typed",
    ],
)
