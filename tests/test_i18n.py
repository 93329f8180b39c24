"""The admin speaks the site's language: every string cors_gate shows there goes through
gettext. The proof is the convention Open edX uses for it: a dummy translation ("eo") made
from the committed English catalog, every message marked, compiled at test time; then the
admin pages render the marked text, and audit/explain ids stay English."""

from __future__ import annotations

import ast
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from cors_gate import policy as policy_module
from cors_gate.models import AllowedOrigin, CorsPolicy
from cors_gate.services import Actor, upsert_origins

pytestmark = pytest.mark.django_db

CATALOG = Path(__file__).resolve().parents[1] / "cors_gate/conf/locale/en/LC_MESSAGES/django.po"
MARK = "ÊØ "  # what the dummy language puts before every message


def read_po(path: Path) -> list[str]:
    """The msgids of a .po file (no plurals or contexts: cors_gate uses neither)."""
    ids: list[str] = []
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[6:])]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif line.startswith("msgstr") and current is not None:
            ids.append("".join(current))
            current = None
    return ids


def write_mo(path: Path, catalog: dict[str, str]) -> None:
    """A GNU .mo file (the format gettext and Django read), so the test needs no msgfmt."""
    keys = sorted(catalog)
    ids = [k.encode() for k in keys]
    strs = [catalog[k].encode() for k in keys]
    header = 7 * 4
    ids_table = header
    strs_table = ids_table + len(keys) * 8
    data_start = strs_table + len(keys) * 8
    offsets: list[int] = []
    blob = b""
    for item in ids + strs:
        offsets += [len(item), data_start + len(blob)]
        blob += item + b"\0"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        struct.pack("<7I", 0x950412DE, 0, len(keys), ids_table, strs_table, 0, 0)
        + struct.pack(f"<{len(offsets)}I", *offsets)
        + blob
    )


@pytest.fixture
def dummy_language(tmp_path: Path) -> Iterator[None]:
    msgids = read_po(CATALOG)
    catalog = {m: MARK + m for m in msgids if m}
    catalog[""] = "Content-Type: text/plain; charset=UTF-8\n"
    write_mo(tmp_path / "eo" / "LC_MESSAGES" / "django.mo", catalog)
    # LOCALE_PATHS and LANGUAGE_CODE changes reset Django's translation caches.
    with (
        override_settings(LOCALE_PATHS=[str(tmp_path)], LANGUAGE_CODE="eo", USE_I18N=True),
        translation.override("eo"),
    ):
        yield


@pytest.fixture
def client_in() -> Client:
    policy_module.reset_for_tests()
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, name: str, *args: Any) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_committed_catalog_holds_the_admin_strings() -> None:
    msgids = set(read_po(CATALOG))
    assert {"allowed origin", "CORS policy", "Enable selected allowed origins"} <= msgids
    assert "Nothing was saved: %(error)s" in msgids


def test_admin_pages_render_the_translation(dummy_language: None, client_in: Client) -> None:
    upsert_origins(["https://apps.example.com"], actor=Actor("shell"))  # actions need a row
    changelist = page(client_in, "admin:cors_gate_allowedorigin_changelist")
    assert MARK + "Enable selected allowed origins" in changelist  # an action
    assert MARK + "expiry" in changelist  # a filter title
    assert MARK + "allowed origins" in changelist  # the model's name

    add = page(client_in, "admin:cors_gate_allowedorigin_add")
    assert MARK + "PROTOCOL://HOST[:PORT]" in add  # a model field's help text
    assert MARK + "Comma-separated URL path prefixes" in add  # a form field's help text
    assert MARK + "csrf trusted" in add  # a field's verbose name, as its label

    policy = CorsPolicy.load()
    change = page(client_in, "admin:cors_gate_corspolicy_change", policy.pk)
    assert MARK + "Responses to allowed origins" in change  # a fieldset
    assert MARK + "allow credentials" in change
    assert MARK + "Above 7200 is accepted" in change
    assert MARK + "report-only (decide and record, change nothing)" in change  # a choice


def test_admin_messages_are_translated(dummy_language: None, client_in: Client) -> None:
    upsert_origins(["https://apps.example.com"], enabled=False, actor=Actor("shell"))
    rule = AllowedOrigin.objects.get()
    response = client_in.post(
        reverse("admin:cors_gate_allowedorigin_changelist"),
        {"action": "enable_selected", "_selected_action": [rule.pk]},
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [MARK + "1 rule(s) enabled."]


def test_without_a_translation_the_admin_is_english(client_in: Client) -> None:
    upsert_origins(["https://apps.example.com"], actor=Actor("shell"))
    changelist = page(client_in, "admin:cors_gate_allowedorigin_changelist")
    assert "Enable selected allowed origins" in changelist
    assert MARK not in changelist
