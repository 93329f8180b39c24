"""The admin through Django's test client, signed in as a superuser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cors_gate import policy as policy_module
from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy, ObservedOrigin
from cors_gate.services import Actor, update_policy, upsert_origins

pytestmark = pytest.mark.django_db

ADD_URL = "admin:cors_gate_allowedorigin_add"
LIST_URL = "admin:cors_gate_allowedorigin_changelist"


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> None:
    policy_module.reset_for_tests()


@pytest.fixture
def admin_user() -> Any:
    return get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")


@pytest.fixture
def client_in(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _rule_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "pattern": "https://apps.example.com",
        "enabled": "on",
        "note": "",
        "paths": "",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _errors(response: Any, field: str) -> list[str]:
    form = response.context["adminform"].form
    return list(form.errors.get(field, []))


def test_add_stores_the_normalised_pattern_and_records_the_user(
    client_in: Client, admin_user: Any
) -> None:
    response = client_in.post(
        reverse(ADD_URL),
        _rule_form(pattern="HTTPS://Apps.Example.com:443/", paths="/api/, /oauth2/", note="MFE"),
        follow=True,
    )
    assert response.status_code == 200
    rule = AllowedOrigin.objects.get()
    assert rule.pattern == "https://apps.example.com"
    assert rule.paths == ["/api/", "/oauth2/"]
    assert rule.created_by == admin_user and rule.updated_by == admin_user
    assert any("normalised form 'https://apps.example.com'" in m for m in _messages(response))
    record = ChangeRecord.objects.get()
    assert (record.user, record.channel, record.action) == (admin_user, "admin", "add")
    # The snapshot serves it: the change reached the middleware's view of the world.
    assert policy_module.current_snapshot().decide("https://apps.example.com", "/api/x").allowed


def test_bad_pattern_shows_the_engine_message_on_the_field(client_in: Client) -> None:
    response = client_in.post(reverse(ADD_URL), _rule_form(pattern="https://www.*racle.com"))
    assert response.status_code == 200
    errors = _errors(response, "pattern")
    assert errors == ["host: partial-label wildcard '*racle': a '*' must stand for a whole label"]
    assert not AllowedOrigin.objects.exists()


def test_wildcard_any_with_credentials_is_refused(client_in: Client) -> None:
    response = client_in.post(reverse(ADD_URL), _rule_form(pattern="https://*"))
    assert response.status_code == 200
    assert "allows every origin" in " ".join(_errors(response, "pattern"))
    assert not AllowedOrigin.objects.exists()


def test_same_origin_in_another_spelling_is_a_duplicate(client_in: Client) -> None:
    upsert_origins(["https://apps.example.com"], actor=Actor("shell"))
    response = client_in.post(reverse(ADD_URL), _rule_form(pattern="HTTPS://APPS.example.com/"))
    assert response.status_code == 200
    assert "already exists" in " ".join(_errors(response, "pattern"))
    assert AllowedOrigin.objects.count() == 1


def test_bad_paths_and_past_expiry_are_refused_on_their_fields(client_in: Client) -> None:
    response = client_in.post(reverse(ADD_URL), _rule_form(paths="api/"))
    assert "must be a URL path starting with '/'" in " ".join(_errors(response, "paths"))
    response = client_in.post(
        reverse(ADD_URL), _rule_form(expires_at_0="2001-01-01", expires_at_1="00:00:00")
    )
    assert "is in the past" in " ".join(_errors(response, "expires_at"))
    response = client_in.post(reverse(ADD_URL), _rule_form(note="a\x01b"))
    assert response.status_code == 200  # a form error, never a 500
    assert _errors(response, "note") == [
        "must be one line without control characters (found U+0001)"
    ]
    assert not AllowedOrigin.objects.exists()


def test_edit_and_delete_go_through_services(client_in: Client) -> None:
    rule = upsert_origins(["https://a.example.com"], actor=Actor("shell"))[0].origin
    assert rule is not None
    url = reverse("admin:cors_gate_allowedorigin_change", args=[rule.pk])
    page = client_in.get(url)
    assert page.status_code == 200
    response = client_in.post(url, _rule_form(pattern="https://b.example.com", note="renamed"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.pattern, rule.note) == ("https://b.example.com", "renamed")
    change = ChangeRecord.objects.get(channel="admin", action="change")
    assert change.detail["pattern"] == ["https://a.example.com", "https://b.example.com"]
    response = client_in.post(
        reverse("admin:cors_gate_allowedorigin_delete", args=[rule.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not AllowedOrigin.objects.exists()
    assert ChangeRecord.objects.filter(channel="admin", action="delete").count() == 1


def test_bulk_disable_and_enable_bump_the_revision(client_in: Client, admin_user: Any) -> None:
    upsert_origins(["https://a.example.com", "https://b.example.com"], actor=Actor("shell"))
    ids = list(AllowedOrigin.objects.values_list("pk", flat=True))
    assert policy_module.current_snapshot().decide("https://a.example.com", "/").allowed
    revision = CorsPolicy.load().revision
    response = client_in.post(
        reverse(LIST_URL),
        {"action": "disable_selected", "_selected_action": ids},
        follow=True,
    )
    assert "2 rule(s) disabled." in _messages(response)
    assert not AllowedOrigin.objects.filter(enabled=True).exists()
    assert CorsPolicy.load().revision != revision
    assert policy_module.current_snapshot().decide("https://a.example.com", "/").reason == (
        "disabled"
    )
    records = ChangeRecord.objects.filter(action="disable", channel="admin", user=admin_user)
    assert records.count() == 2
    response = client_in.post(
        reverse(LIST_URL), {"action": "enable_selected", "_selected_action": ids[:1]}, follow=True
    )
    assert "1 rule(s) enabled." in _messages(response)
    assert AllowedOrigin.objects.filter(enabled=True).count() == 1


def test_enabling_a_wildcard_any_rule_with_credentials_changes_nothing(client_in: Client) -> None:
    update_policy({"allow_credentials": False}, actor=Actor("shell"))
    upsert_origins(["*"], enabled=False, actor=Actor("shell"))
    upsert_origins(["https://a.example.com"], enabled=False, actor=Actor("shell"))
    update_policy({"allow_credentials": True}, actor=Actor("shell"))
    ids = list(AllowedOrigin.objects.values_list("pk", flat=True))
    response = client_in.post(
        reverse(LIST_URL), {"action": "enable_selected", "_selected_action": ids}, follow=True
    )
    assert any(m.startswith("Nothing changed: pattern:") for m in _messages(response))
    assert not AllowedOrigin.objects.filter(enabled=True).exists()


def test_change_list_filters_and_search(client_in: Client) -> None:
    actor = Actor("shell")
    upsert_origins(["https://*.partner.example"], actor=actor)
    upsert_origins(["https://apps.example.com"], note="learner MFE", actor=actor)
    upsert_origins(["https://old.example.com"], enabled=False, actor=actor)
    soon = timezone.now() + timedelta(seconds=30)
    upsert_origins(["https://soon.example.com"], expires_at=soon, actor=actor)
    AllowedOrigin.objects.filter(pattern="https://soon.example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    def shown(query: str) -> set[str]:
        response = client_in.get(reverse(LIST_URL) + query)
        assert response.status_code == 200
        return {o.pattern for o in response.context["cl"].result_list}

    assert shown("?kind=wildcard") == {"https://*.partner.example"}
    assert "https://*.partner.example" not in shown("?kind=exact")
    assert shown("?enabled__exact=0") == {"https://old.example.com"}
    assert shown("?expiry=expired") == {"https://soon.example.com"}
    assert shown("?q=learner") == {"https://apps.example.com"}
    page = client_in.get(reverse(LIST_URL)).content.decode()
    assert "expired " in page


@override_settings(CORS_GATE_ALLOWED_ORIGINS=["https://Pinned.example.com", "ftp://bad"])
def test_pinned_settings_entries_are_listed_read_only(client_in: Client) -> None:
    page = client_in.get(reverse(LIST_URL)).content.decode()
    assert "CORS_GATE_ALLOWED_ORIGINS" in page
    assert "https://pinned.example.com" in page
    assert "invalid, ignored: protocol: &#x27;ftp&#x27; is not one of *, http, https" in page
    assert not AllowedOrigin.objects.exists()  # no fake rows


def test_policy_page_is_a_singleton(client_in: Client) -> None:
    response = client_in.get(reverse("admin:cors_gate_corspolicy_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cors_gate_corspolicy_change", args=[1])
    assert CorsPolicy.objects.count() == 1
    page = client_in.get(response["Location"])
    assert page.status_code == 200
    assert page.context["has_delete_permission"] is False
    assert page.context["has_add_permission"] is False
    assert client_in.get(reverse("admin:cors_gate_corspolicy_add")).status_code == 403
    deleted = client_in.post(
        reverse("admin:cors_gate_corspolicy_delete", args=[1]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert CorsPolicy.objects.count() == 1
    odd = client_in.get(reverse("admin:cors_gate_corspolicy_change", args=["x<y"]))
    assert odd.status_code == 302  # Django's "does not exist" redirect, not a 500


def _policy_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "mode": "enforce",
        "allow_credentials": "on",
        "exposed_headers": "",
        "allowed_methods": "",
        "allowed_headers": "",
        "max_age": "0",
        "urls_regex": "^.*$",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_policy_edit_warns_above_7200_and_records(client_in: Client, admin_user: Any) -> None:
    url = reverse("admin:cors_gate_corspolicy_change", args=[CorsPolicy.load().pk])
    response = client_in.post(
        url,
        _policy_form(max_age="86400", exposed_headers="X-Request-Id, x-request-id"),
        follow=True,
    )
    assert response.status_code == 200
    policy = CorsPolicy.load()
    assert policy.max_age == 86400 and policy.exposed_headers == ["X-Request-Id"]
    assert any("Chromium caps preflight caching at 7200" in m for m in _messages(response))
    record = ChangeRecord.objects.get(target="policy")
    assert record.user == admin_user
    assert record.detail["max_age"] == [0, 86400]
    # The warning stays visible while the value is above the cap.
    again = client_in.get(url)
    assert any("Chromium caps preflight caching at 7200" in m for m in _messages(again))


def test_policy_form_errors_name_the_field(client_in: Client) -> None:
    upsert_origins(["https://a.example.com"], actor=Actor("shell"))
    url = reverse("admin:cors_gate_corspolicy_change", args=[CorsPolicy.load().pk])
    response = client_in.post(url, _policy_form(allowed_methods="GET, P UT", urls_regex="("))
    assert "'P UT' is not a valid method" in " ".join(_errors(response, "allowed_methods"))
    assert "not a valid regular expression" in " ".join(_errors(response, "urls_regex"))
    assert CorsPolicy.load().allowed_methods == []


def test_policy_form_refuses_a_urls_regex_that_backtracks_without_end(client_in: Client) -> None:
    url = reverse("admin:cors_gate_corspolicy_change", args=[CorsPolicy.load().pk])
    response = client_in.post(url, _policy_form(urls_regex=r"^/api/(\w+/)*$"))
    assert "can take exponential time" in " ".join(_errors(response, "urls_regex"))
    assert CorsPolicy.load().urls_regex == r"^.*$"


def test_observed_origins_allow_action_skips_hostile_values(
    client_in: Client, admin_user: Any
) -> None:
    values = [
        "https://partner.example.org",
        "https://OLD.example.org",  # not what a browser sends
        "https://*.example.org",  # a wildcard must never come from observed traffic
        "null",
        "https://evil.example<script>",
        "https://partner.example.org:443",
    ]
    for value in values:
        ObservedOrigin.objects.create(origin=value, count=3)
    ids = list(ObservedOrigin.objects.values_list("pk", flat=True))
    detail = client_in.get(reverse("admin:cors_gate_observedorigin_change", args=[ids[0]]))
    assert detail.status_code == 200 and not detail.context["has_change_permission"]
    listing = client_in.get(reverse("admin:cors_gate_observedorigin_changelist") + "?blocked=yes")
    assert listing.status_code == 200
    assert len(listing.context["cl"].result_list) == len(values)
    response = client_in.post(
        reverse("admin:cors_gate_observedorigin_changelist"),
        {"action": "allow_selected", "_selected_action": ids},
        follow=True,
    )
    assert list(AllowedOrigin.objects.values_list("pattern", flat=True)) == [
        "https://partner.example.org"
    ]
    shown = _messages(response)
    skipped = [m for m in shown if m.startswith("Skipped")]
    assert len(skipped) == 5
    assert any("'null'" in m and "allow-null-origin" in m for m in skipped)
    assert any("<script>" in m and "host:" in m for m in skipped)
    assert any("'https://*.example.org'" in m and "canonical" in m for m in skipped)
    assert "1 rule(s) created." in shown
    assert "&lt;script&gt;" in response.content.decode()  # shown escaped, never as HTML
    record = ChangeRecord.objects.get()
    assert (record.user, record.channel, record.action) == (admin_user, "admin", "add")


def test_change_records_are_read_only(client_in: Client) -> None:
    upsert_origins(["https://a.example.com"], actor=Actor("command"))
    record = ChangeRecord.objects.get()
    listing = client_in.get(reverse("admin:cors_gate_changerecord_changelist"))
    assert listing.status_code == 200
    assert "https://a.example.com" in listing.content.decode()
    url = reverse("admin:cors_gate_changerecord_change", args=[record.pk])
    assert client_in.post(url, {"channel": "admin"}).status_code == 403
    assert client_in.get(reverse("admin:cors_gate_changerecord_add")).status_code == 403
    assert ChangeRecord.objects.get().channel == "command"


def test_change_list_links_to_the_explain_page(client_in: Client) -> None:
    page = client_in.get(reverse(LIST_URL)).content.decode()
    url = reverse("admin:cors_gate_explain")
    assert f'href="{url}"' in page and "Explain a request" in page
    assert client_in.get(url).status_code == 200


@pytest.mark.urls("tests.admin_race_urls")
def test_a_refusal_during_save_is_a_message_not_a_500(client_in: Client) -> None:
    update_policy({"allow_credentials": False}, actor=Actor("shell"))
    response = client_in.post(
        "/race/cors_gate/allowedorigin/add/", _rule_form(pattern="https://*"), follow=True
    )
    assert response.status_code == 200
    assert any(m.startswith("Nothing was saved: pattern:") for m in _messages(response))
    assert not AllowedOrigin.objects.filter(pattern="https://*").exists()
