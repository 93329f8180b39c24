"""The admin, tried as an attacker would: any text in any form field is saved whole or
refused on its field with nothing written, and no stored value breaks a page afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_gate.models import AllowedOrigin, CorsPolicy
from cors_gate.services import Actor, update_policy
from tests.hostile.conftest import hostile_text, no_tracebacks, one_line, state

pytestmark = pytest.mark.django_db

ADMIN = "/admin/cors_gate"
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What a browser can submit: form values are text, and never carry lone surrogates or NUL
# (Django's test client encodes as UTF-8; NUL is refused by Django's own form fields).
form_text = hostile_text.map(
    lambda t: "".join(ch for ch in t if not 0xD800 <= ord(ch) <= 0xDFFF and ch != "\x00")
)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user(superuser=True))
    return client


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def pages_render(admin: Client) -> None:
    for url in (
        f"{ADMIN}/allowedorigin/",
        f"{ADMIN}/changerecord/",
        f"{ADMIN}/corspolicy/1/change/",
    ):
        assert admin.get(url).status_code == 200, url


@HYPOTHESIS
@given(
    pattern=form_text,
    note=form_text,
    paths=form_text,
    csrf=st.booleans(),
)
def test_any_rule_form_is_saved_whole_or_refused_on_its_field(
    admin: Client, pattern: str, note: str, paths: str, csrf: bool
) -> None:
    data = {"pattern": pattern, "enabled": "on", "note": note, "paths": paths}
    data.update({"expires_at_0": "", "expires_at_1": ""})
    if csrf:
        data["csrf_trusted"] = "on"
    before = state()
    with no_tracebacks():
        response = admin.post(f"{ADMIN}/allowedorigin/add/", data)
    if response.status_code == 302:
        pages_render(admin)
        AllowedOrigin.objects.all().delete()
        return
    assert response.status_code == 200
    assert state() == before
    errors = errors_of(response)
    assert errors
    assert all(one_line(m) for messages in errors.values() for m in messages)


@HYPOTHESIS
@given(
    field=st.sampled_from(
        ["mode", "max_age", "exposed_headers", "allowed_methods", "allowed_headers", "urls_regex"]
    ),
    value=st.one_of(form_text, st.sampled_from(["9" * 5000, "-1", "1e9", "X " * 3000])),
)
def test_any_policy_form_is_saved_whole_or_refused_on_its_field(
    admin: Client, field: str, value: str
) -> None:
    data = {
        "mode": "enforce",
        "allow_credentials": "on",
        "exposed_headers": "",
        "allowed_methods": "",
        "allowed_headers": "",
        "max_age": "0",
        "urls_regex": "^.*$",
        field: value,
    }
    before = state()
    with no_tracebacks():
        response = admin.post(f"{ADMIN}/corspolicy/1/change/", data)
    if response.status_code == 302:
        pages_render(admin)
        return
    assert response.status_code == 200
    assert state() == before
    assert all(one_line(m) for messages in errors_of(response).values() for m in messages)


@pytest.mark.parametrize(
    "pattern", ["https://*.com", "https://*.*", "*://*.*:*", "https://*.*.*", "https://*.co.uk"]
)
def test_broad_wildcards_are_refused_on_the_pattern_field(admin: Client, pattern: str) -> None:
    before = state()
    data = {"pattern": pattern, "enabled": "on", "note": "", "paths": ""}
    data.update({"expires_at_0": "", "expires_at_1": ""})
    response = admin.post(f"{ADMIN}/allowedorigin/add/", data)
    assert response.status_code == 200
    assert "the policy sends credentials" in errors_of(response)["pattern"][0]
    assert state() == before


def test_credentials_cannot_be_turned_on_over_a_broad_rule(admin: Client) -> None:
    update_policy({"allow_credentials": False}, actor=Actor("command"))
    AllowedOrigin.objects.create(pattern="https://*.github.io")
    before = state()
    data = {
        "mode": "enforce",
        "allow_credentials": "on",
        "exposed_headers": "",
        "allowed_methods": "",
        "allowed_headers": "",
        "max_age": "0",
        "urls_regex": "^.*$",
    }
    response = admin.post(f"{ADMIN}/corspolicy/1/change/", data, follow=True)
    assert state() == before
    assert CorsPolicy.load().allow_credentials is False
    shown = response.content.decode()
    assert "https://*.github.io" in shown and "github.io" in shown
    # And the rule cannot be enabled again once credentials are on, by the bulk action either.
    AllowedOrigin.objects.all().update(enabled=False)
    update_policy({"allow_credentials": True}, actor=Actor("command"))
    before = state()
    rule = AllowedOrigin.objects.get()
    admin.post(
        f"{ADMIN}/allowedorigin/",
        {"action": "enable_selected", "_selected_action": [rule.pk]},
    )
    assert state() == before
