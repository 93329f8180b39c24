"""What every hostile-writes test checks after a refusal: nothing changed, nothing crashed.

`state()` is the allow-list (every stored field), the policy and the number of change records;
`no_tracebacks()` captures every log record while a write runs and fails on any record that
carries an exception or a traceback (Django logs a 500's traceback on django.request).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from hypothesis import strategies as st

from cors_gate.models import AllowedOrigin, ChangeRecord
from cors_gate.services import ORIGIN_FIELDS, policy_as_dict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_periodic_policy_check(settings: Any) -> None:
    """Writes bump the revision, and the writing process rebuilds in its own thread; the
    periodic check runs in a helper thread. The test database is shared-cache in-memory
    SQLite, where that helper's read during a test's write transaction fails at once with
    "table is locked" (a server database would wait), and the logged refresh error would
    read as the write path's. These tests are about writes: no periodic check during them."""
    settings.CORS_GATE_REFRESH_SECONDS = 3600


# Characters an attacker reaches for: lone surrogates (a JSON "\ud800" escape, or a command
# argument that was not UTF-8), NUL and other controls, separators, wildcards, non-ASCII.
HOSTILE_CHARS = [
    "\ud800",
    "\udcff",
    "\x00",
    "\n",
    "\r",
    "\x7f",
    "\x85",
    "\u2028",
    "*",
    ".",
    ":",
    "/",
    ",",
    " ",
    "é",
    "\U0001f600",
    "%",
    "'",
    '"',
    "<",
]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(HOSTILE_CHARS + list("abcAZ09-_")), max_size=40),
    st.sampled_from(["https://*.com", "https://*.*", "*://*.*:*", "https://*.co.uk", "/\ud800"]),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def state() -> tuple[Any, ...]:
    """Everything a write could change: the rules, the policy, the change records."""
    rules = list(AllowedOrigin.objects.order_by("pattern").values_list(*ORIGIN_FIELDS))
    return (rules, policy_as_dict(), ChangeRecord.objects.count())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_tracebacks() -> Iterator[None]:
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    for record in handler.records:
        assert record.exc_info is None, f"logged with a traceback: {record.getMessage()}"
        assert "Traceback" not in record.getMessage()
        assert record.levelno < logging.ERROR, f"logged an error: {record.getMessage()}"


def one_line(text: str) -> bool:
    return "\n" not in text.strip() and "Traceback" not in text


def grant(user: User, perms: Iterable[str]) -> User:
    for name in perms:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = iter(range(1, 100_000))

    def make(*perms: str, superuser: bool = False) -> User:
        user = User.objects.create_user(
            f"hostile{next(counter)}", password=None, is_staff=True, is_superuser=superuser
        )
        return grant(user, perms)

    return make


def raw_json(body: Any) -> str:
    """JSON as a hostile client writes it: ASCII with \\uXXXX escapes, lone surrogates too."""
    return json.dumps(body, ensure_ascii=True)


def manage(
    db_path: Path, *args: str | bytes, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real manage.py in a child process (argv may carry bytes that are not UTF-8)."""
    env = {**os.environ, "CORS_GATE_DB": str(db_path), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
        input=stdin,
    )
