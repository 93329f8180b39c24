"""cors_gate.services: the one place every channel changes rules and the policy through."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from cors_gate import policy as policy_module
from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy
from cors_gate.services import (
    Actor,
    InvalidInput,
    allow_observed,
    change_origin,
    observed_origin_refusal,
    remove_origins,
    set_enabled,
    update_policy,
    upsert_origins,
)

pytestmark = pytest.mark.django_db

COMMAND = Actor("command")


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> None:
    policy_module.reset_for_tests()


def _patterns() -> list[str]:
    return list(AllowedOrigin.objects.order_by("pattern").values_list("pattern", flat=True))


def test_upsert_normalises_and_treats_spellings_as_one_rule() -> None:
    first = upsert_origins(["HTTPS://Apps.Example.com:443/"], note="MFE", actor=COMMAND)
    again = upsert_origins(["https://apps.example.com"], actor=COMMAND)
    assert [o.action for o in first] == ["add"]
    assert [o.action for o in again] == ["unchanged"]
    assert _patterns() == ["https://apps.example.com"]
    rule = AllowedOrigin.objects.get()
    assert rule.note == "MFE" and rule.enabled


def test_upsert_updates_only_the_fields_given_and_records_the_difference() -> None:
    upsert_origins(["https://a.example.com"], note="one", paths="/api/", actor=COMMAND)
    outcomes = upsert_origins(["https://a.example.com"], note="two", actor=COMMAND)
    assert [o.action for o in outcomes] == ["change"]
    rule = AllowedOrigin.objects.get()
    assert rule.note == "two" and rule.paths == ["/api/"]
    record = ChangeRecord.objects.filter(action="change").get()
    assert record.channel == "command" and record.detail == {"note": ["one", "two"]}


def test_one_bad_pattern_changes_nothing() -> None:
    upsert_origins(["https://keep.example.com"], actor=COMMAND)
    before = ChangeRecord.objects.count()
    with pytest.raises(InvalidInput) as caught:
        upsert_origins(
            ["https://new.example.com", "https://www.*racle.com"], note="x", actor=COMMAND
        )
    assert caught.value.field == "pattern"
    assert "partial-label wildcard" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert _patterns() == ["https://keep.example.com"]
    assert ChangeRecord.objects.count() == before


def test_any_origin_with_credentials_is_refused_but_allowed_without() -> None:
    with pytest.raises(InvalidInput, match="allows every origin"):
        upsert_origins(["https://*"], actor=COMMAND)
    update_policy({"allow_credentials": False}, actor=COMMAND)
    upsert_origins(["*"], actor=COMMAND)
    with pytest.raises(InvalidInput) as caught:
        update_policy({"allow_credentials": True}, actor=COMMAND)
    assert caught.value.field == "allow_credentials"
    assert CorsPolicy.load().allow_credentials is False


def test_bad_fields_are_named() -> None:
    cases = [
        ({"paths": "api/"}, "paths"),
        ({"expires_at": "next tuesday"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"note": "a\nb"}, "note"),
    ]
    for kwargs, name in cases:
        with pytest.raises(InvalidInput) as caught:
            upsert_origins(["https://a.example.com"], actor=COMMAND, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == name, kwargs
        assert str(caught.value).startswith(f"{name}: ")
    assert _patterns() == []


def test_set_enabled_bumps_the_revision_and_the_snapshot_follows() -> None:
    upsert_origins(["https://a.example.com"], actor=COMMAND)
    snapshot = policy_module.current_snapshot()
    assert snapshot.decide("https://a.example.com", "/api/").allowed
    revision = CorsPolicy.load().revision
    outcomes = set_enabled(["https://a.example.com"], False, actor=COMMAND)
    assert [o.action for o in outcomes] == ["disable"]
    assert CorsPolicy.load().revision != revision
    decision = policy_module.current_snapshot().decide("https://a.example.com", "/api/")
    assert not decision.allowed and decision.reason == "disabled"
    # Idempotent: a second disable changes and records nothing.
    count = ChangeRecord.objects.count()
    assert [o.action for o in set_enabled("https://a.example.com", False, actor=COMMAND)] == [
        "unchanged"
    ]
    assert ChangeRecord.objects.count() == count


def test_set_enabled_on_a_missing_rule_changes_nothing() -> None:
    upsert_origins(["https://a.example.com"], enabled=False, actor=COMMAND)
    with pytest.raises(InvalidInput, match=re.escape("'https://b.example.com' is not a rule")):
        set_enabled(["https://a.example.com", "https://b.example.com"], True, actor=COMMAND)
    assert AllowedOrigin.objects.get().enabled is False


def test_remove_is_idempotent_and_recorded_with_the_user() -> None:
    user = get_user_model().objects.create_user("ops", password="x")
    user.user_permissions.add(Permission.objects.get(codename="delete_allowedorigin"))
    user = get_user_model().objects.get(pk=user.pk)  # no stale permission cache
    upsert_origins(["https://a.example.com"], actor=COMMAND)
    outcomes = remove_origins(
        ["https://A.example.com", "https://gone.example.com"], actor=Actor("admin", user)
    )
    assert [(o.pattern, o.action) for o in outcomes] == [
        ("https://a.example.com", "delete"),
        ("https://gone.example.com", "absent"),
    ]
    record = ChangeRecord.objects.get(action="delete")
    assert record.user == user and record.channel == "admin"
    with pytest.raises(InvalidInput):
        remove_origins(["https://gone.example.com"], actor=COMMAND, missing_ok=False)


def test_change_origin_renames_and_refuses_a_taken_pattern() -> None:
    upsert_origins(["https://a.example.com", "https://b.example.com"], actor=COMMAND)
    outcome = change_origin(
        "https://a.example.com", {"pattern": "HTTPS://C.example.com"}, actor=COMMAND
    )
    assert outcome.pattern == "https://c.example.com"
    with pytest.raises(InvalidInput, match="already has a rule"):
        change_origin("https://c.example.com", {"pattern": "https://b.example.com"}, actor=COMMAND)
    assert _patterns() == ["https://b.example.com", "https://c.example.com"]


def test_expiry_is_stored_and_stops_matching() -> None:
    soon = timezone.now() + timedelta(hours=1)
    upsert_origins(["https://a.example.com"], expires_at=soon.isoformat(), actor=COMMAND)
    assert AllowedOrigin.objects.get().expires_at == soon
    snapshot = policy_module.current_snapshot()
    later = (soon + timedelta(seconds=1)).timestamp()
    assert snapshot.decide("https://a.example.com", "/", now=later).reason == "expired"


def test_a_bare_date_is_midnight_in_the_site_time_zone() -> None:
    upsert_origins(["https://a.example.com"], expires_at="2999-01-31", actor=COMMAND)
    assert AllowedOrigin.objects.get().expires_at.isoformat() == "2999-01-31T00:00:00+00:00"


def test_update_policy_all_or_nothing_and_warnings() -> None:
    result = update_policy(
        {"max_age": 86400, "exposed_headers": "X-A, x-a, X-B", "mode": "report-only"},
        actor=COMMAND,
    )
    assert result.policy.exposed_headers == ["X-A", "X-B"]
    assert result.warnings and "7200" in result.warnings[0]
    assert set(result.changed) == {"max_age", "exposed_headers", "mode"}
    for changes, name in [
        ({"mode": "strict", "max_age": 5}, "mode"),
        ({"max_age": -1}, "max_age"),
        ({"max_age": "60"}, "max_age"),
        ({"urls_regex": "(", "max_age": 5}, "urls_regex"),
        ({"allowed_methods": "GET,P UT"}, "allowed_methods"),
        ({"colour": "blue"}, "colour"),
        ({"allow_null_origin": "yes"}, "allow_null_origin"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            update_policy(changes, actor=COMMAND)
        assert caught.value.field == name, changes
    policy = CorsPolicy.load()
    assert policy.max_age == 86400 and policy.mode == "report-only"
    assert update_policy({"max_age": 86400}, actor=COMMAND).changed == {}


def test_a_direct_save_is_checked_and_recorded_as_the_shell_channel() -> None:
    """Model.save() outside the services (the Django shell, another app) is no second,
    unrecorded write path: the same checks, and one ChangeRecord per change."""
    rule = AllowedOrigin(pattern="HTTPS://Apps.Example.com/")
    rule.save()
    assert AllowedOrigin.objects.get().pattern == "https://apps.example.com"
    added = ChangeRecord.objects.get()
    assert (added.channel, added.action, added.user) == ("shell", "add", None)
    rule.note = "the learning MFE"
    rule.save()
    rule.save()  # nothing changed: nothing to record
    changes = ChangeRecord.objects.filter(action="change")
    assert [record.detail for record in changes] == [{"note": ["", "the learning MFE"]}]
    with pytest.raises(ValidationError, match="allows every origin"):
        AllowedOrigin(pattern="https://*").save()
    with pytest.raises(ValidationError, match="must be a URL path"):
        AllowedOrigin(pattern="https://b.example.com", paths=["api"]).save()
    assert AllowedOrigin.objects.count() == 1 and ChangeRecord.objects.count() == 2


def test_a_direct_policy_save_is_recorded_but_creating_the_row_is_not() -> None:
    policy = CorsPolicy.load()  # the row with its defaults: no one changed anything
    assert not ChangeRecord.objects.exists()
    policy.max_age = 600
    policy.save()
    record = ChangeRecord.objects.get()
    assert (record.channel, record.target, record.detail) == (
        "shell",
        "policy",
        {"max_age": [0, 600]},
    )


def test_observed_origins_become_rules_only_as_a_browser_sends_them() -> None:
    assert observed_origin_refusal("https://apps.example.com") is None
    assert "punycode" in (observed_origin_refusal("https://xn--a.example.org") or "")
    assert "canonical" in (observed_origin_refusal("HTTPS://APPS.EXAMPLE.COM") or "")
    assert "allow-null-origin" in (observed_origin_refusal("null") or "")
    with pytest.raises(InvalidInput, match="cannot become a rule") as refused:
        allow_observed(
            ["https://apps.example.com", "https://*.example.com"], note="", actor=COMMAND
        )
    assert refused.value.field == "origin"
    assert not AllowedOrigin.objects.exists()


def test_a_stored_row_with_bad_paths_still_cannot_come_back_on_too_broad() -> None:
    """Rows written before today's checks (here without save()) still meet every rule."""
    AllowedOrigin.objects.bulk_create(
        [AllowedOrigin(pattern="https://*.com", enabled=False, paths=["no-slash"])]
    )
    with pytest.raises(InvalidInput, match="public suffix") as refused:
        set_enabled(["https://*.com"], True, actor=COMMAND)
    assert refused.value.field == "pattern"
    assert not AllowedOrigin.objects.get().enabled
