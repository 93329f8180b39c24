"""A separate process that serves requests through the middleware or changes rules.

Reads commands on stdin, one a line, and answers one line each:
  get ORIGIN      -> the Access-Control-Allow-Origin it sent, or "-"
  add PATTERN     -> "ok"
  remove PATTERN  -> "ok"
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.propagation_settings")

import django

django.setup()

from django.test import Client  # noqa: E402 - after django.setup()

from cors_gate.models import AllowedOrigin  # noqa: E402


def main() -> None:
    client = Client()
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "get":
            response = client.get("/api/plain/", HTTP_ORIGIN=arg)
            print(response.get("Access-Control-Allow-Origin", "-"), flush=True)
        elif command == "add":
            AllowedOrigin.objects.create(pattern=arg)
            print("ok", flush=True)
        elif command == "remove":
            AllowedOrigin.objects.filter(pattern=arg).delete()
            print("ok", flush=True)
        else:
            print(f"unknown command {command!r}", flush=True)


if __name__ == "__main__":
    main()
