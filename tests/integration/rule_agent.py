"""Changes rules through the ORM in a process of its own, as the admin or a command would.

Used by the multi-process tests when no REST API is mounted. Reads one command a line on
stdin and answers one line each:
  add PATTERN     -> "ok <epoch seconds after commit>"
  remove PATTERN  -> "ok <epoch seconds after commit>"
  list            -> the stored patterns, space-separated
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integration.settings_stack")

import django

django.setup()

from django.db import close_old_connections  # noqa: E402 - after django.setup()

from cors_gate.models import AllowedOrigin  # noqa: E402


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        # As Django does around each request: drop a connection the database closed (outage).
        close_old_connections()
        try:
            if command == "add":
                AllowedOrigin.objects.create(pattern=arg)
                print(f"ok {time.time():.6f}", flush=True)
            elif command == "remove":
                for row in AllowedOrigin.objects.filter(pattern=arg):
                    row.delete()  # one by one, so the post_delete signal bumps the revision
                print(f"ok {time.time():.6f}", flush=True)
            elif command == "list":
                print(" ".join(AllowedOrigin.objects.values_list("pattern", flat=True)), flush=True)
            else:
                print(f"error unknown command {command!r}", flush=True)
        except Exception as exc:  # report, keep serving: the test decides what an error means
            print(
                f"error {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                flush=True,
            )


if __name__ == "__main__":
    main()
