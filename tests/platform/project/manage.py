#!/usr/bin/env python
"""Like openedx-platform's manage.py: ``manage.py lms|cms [--settings NAME] COMMAND ...``.

``--settings NAME`` selects ``<lms|cms>.envs.NAME``; without it DJANGO_SETTINGS_MODULE is
used when set (as Tutor sets it), else ``devstack``.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser

if __name__ == "__main__":
    parser = ArgumentParser(add_help=False)
    parser.add_argument("service", choices=["lms", "cms"])
    parser.add_argument("--settings")
    args, rest = parser.parse_known_args()
    if args.settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = f"{args.service}.envs.{args.settings}"
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{args.service}.envs.devstack")
    os.environ.setdefault("SERVICE_VARIANT", args.service)

    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *rest])
