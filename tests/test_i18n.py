"""The admin speaks the site's language: every string cors_gate shows there goes through
gettext. The proof is the convention Open edX uses for it: a dummy translation ("eo") made
from the committed English catalog, every message marked, compiled at test time; then the
admin pages render the marked text, and audit/explain ids stay English."""

from __future__ import annotations

import ast
import re
import struct
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
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
from cors_gate.services import Actor, update_policy, upsert_origins

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


# Elements without an end tag: they never enclose text.
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "wbr", "col", "source"}


class _Texts(HTMLParser):
    """The visible text of a page: each text node with the tags it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []  # (tag, id)
        self.nodes: list[tuple[tuple[tuple[str, str], ...], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            self.stack.append((tag, dict(attrs).get("id") or ""))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if any(c.isalpha() for c in text):
            self.nodes.append((tuple(self.stack), text))


def texts(html: str, inside: str, tags: set[str] | None = None) -> list[str]:
    """Text nodes inside the element with id `inside`, optionally only those whose own
    element is one of `tags`."""
    parser = _Texts()
    parser.feed(html)
    return [
        text
        for stack, text in parser.nodes
        if any(element_id == inside for _, element_id in stack)
        and (tags is None or stack[-1][0] in tags)
    ]


def unmarked(found: list[str]) -> list[str]:
    return [text for text in found if not text.startswith(MARK)]


# How messages the cors_gate admin pages write themselves begin: in the dummy language each
# may only appear translated (right after the mark).
ENGLISH = [
    "Explain a request",
    "Front-end doctor",
    "Pinned in settings",
    "normalised pattern",
    "invalid, ignored:",
    "enabled, every path, never expires",
    "Predicts what a browser does with a cross-origin request",
    "Policy only (no HTTP)",
    "The page's origin, e.g.",
    "Request headers the page sets",
    "include (cookies)",
    "Verdict",
    "Blocked:",
    "cors_gate's decision",
    "Not allowed",
    "Hops",
    "As text",
    "As JSON",
    "Will every front end of this site work?",
    "Problems and fixes",
    "Extra front ends",
]


def english_left(html: str) -> list[str]:
    """The ENGLISH sentences the page shows untranslated (its text and JSON reports, in
    <pre>, stay English by design)."""
    parser = _Texts()
    parser.feed(html)
    return [
        sentence
        for stack, text in parser.nodes
        if not any(tag == "pre" for tag, _ in stack)
        for sentence in ENGLISH
        for at in (m.start() for m in re.finditer(re.escape(sentence), text))
        if text[max(0, at - len(MARK)) : at] != MARK
    ]


@pytest.fixture
def explain_site(settings: Any) -> None:
    """An LMS-like site with one front end allowed and one header: the explain and doctor
    pages then have verdicts, hops and a grid to show."""
    settings.CORS_GATE_SITE_URL = "https://lms.example.com"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "lms.example.com"]
    settings.LEARNING_MICROFRONTEND_URL = "https://apps.example.com/learning"
    policy_module.reset_for_tests()
    upsert_origins(["https://apps.example.com"], actor=Actor("shell"))
    update_policy({"allowed_headers": ["Content-Type"]}, actor=Actor("shell"))


@override_settings(CORS_GATE_ALLOWED_ORIGINS=["https://Pinned.example.com", "ftp://bad"])
def test_the_list_tools_and_pinned_entries_are_translated(
    dummy_language: None, client_in: Client
) -> None:
    html = page(client_in, "admin:cors_gate_allowedorigin_changelist")
    assert MARK + "Explain a request</a>" in html
    assert MARK + "Front-end doctor</a>" in html
    pinned = texts(html, "cors-gate-pinned")
    assert pinned[0].startswith(MARK + "Pinned in settings (CORS_GATE_ALLOWED_ORIGINS)")
    assert pinned[1:4] == [MARK + "entry", MARK + "normalised pattern", MARK + "status"]
    assert MARK + "enabled, every path, never expires" in pinned
    invalid = [t for t in pinned if "ftp" in t and "protocol" in t]
    assert invalid == [MARK + "invalid, ignored: protocol: 'ftp' is not one of *, http, https"]
    assert "https://pinned.example.com" in pinned  # data stays as it is
    assert english_left(html) == []


def test_the_explain_form_is_translated(dummy_language: None, client_in: Client) -> None:
    html = page(client_in, "admin:cors_gate_explain")
    assert unmarked(texts(html, "content-main")) == []  # intro, labels, help, choices
    assert f'value="{MARK}Explain"' in html
    assert f"<title>{MARK}Explain a request |" in html
    assert english_left(html) == []


def test_the_explain_verdicts_are_translated(
    dummy_language: None, client_in: Client, explain_site: None
) -> None:
    url = reverse("admin:cors_gate_explain")
    form = {
        "origin": "https://apps.example.com",
        "method": "POST",
        "headers": "X-CSRFToken: abc\nContent-Type: text/plain",
        "credentials": "include",
        "mode": "policy",
        "path": "/api/hello/",
    }
    blocked = client_in.post(url, form).content.decode()
    assert MARK + "Blocked: HeaderDisallowedByPreflightResponse" in blocked
    assert f"<strong>{MARK}Fix:</strong> Add x-csrftoken" in unescape(blocked)
    result = "cors-gate-explain-result"
    headings = texts(blocked, result, {"h2", "summary", "th"})
    assert MARK + "cors_gate's decision" in headings
    assert MARK + "received" in headings
    assert unmarked(headings) == []
    assert any(t.startswith(MARK + "POST /api/hello/ from") for t in texts(blocked, result))
    assert english_left(blocked) == []

    allowed = client_in.post(url, form | {"method": "GET", "headers": ""}).content.decode()
    assert f"<strong>{MARK}OK.</strong>" in allowed
    assert any(t.startswith(MARK + "Allowed") for t in texts(allowed, result, {"p"}))
    assert english_left(allowed) == []


def test_the_doctor_is_translated(
    dummy_language: None, client_in: Client, explain_site: None
) -> None:
    response = client_in.get(
        reverse("admin:cors_gate_doctor"),
        {"origins": "https://stranger.example.net\n", "mode": "policy"},
    )
    html = response.content.decode()
    form = texts(html, "cors-gate-doctor-form", {"label", "div", "option"})
    assert MARK + "Extra front ends:" in form
    assert unmarked(form) == []  # labels, help, choices
    assert re.search(MARK + r"\d+ of \d+ requests work — \d+ blocked, 0 warnings", html)
    assert f"<h2>{MARK}Problems and fixes</h2>" in html
    result = "cors-gate-doctor-result"
    assert unmarked(texts(html, result, {"h2", "summary"})) == []
    assert f">{MARK}OK</a>" in html  # a green grid cell
    assert f"<strong>{MARK}Fix:</strong>" in html  # a problem's fix
    assert re.search(f'title="[^"]*{MARK}Fix: ', html)  # and a cell's tooltip
    assert english_left(html) == []
