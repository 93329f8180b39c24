"""observed/: what report-only recorded, and allowing the legitimate origins from it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cors_gate import observe
from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy, ObservedOrigin
from tests.api.conftest import API

pytestmark = pytest.mark.django_db

URL = f"{API}/observed/"
MFE = "https://apps.example.com"
PARTNER = "https://partner.example.org"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def set_mode(mode: str) -> None:
    policy = CorsPolicy.load()
    policy.mode = mode
    policy.save()


@pytest.fixture
def observed(quiet_recorder: observe.Recorder) -> dict[str, int]:
    """Real traffic in report-only mode, flushed the way the middleware's thread does."""
    AllowedOrigin.objects.create(pattern=MFE)
    set_mode("report-only")
    browser = Client()
    for origin in (MFE, PARTNER, PARTNER, "HTTPS://PARTNER.EXAMPLE.ORG", "https://a.example/x"):
        browser.get("/api/hello/", HTTP_ORIGIN=origin)
    assert quiet_recorder.flush().written == 4
    return dict(ObservedOrigin.objects.values_list("origin", "pk"))


def test_list_with_usable_flag_and_filters(admin_api: APIClient, observed: dict[str, int]) -> None:
    rows = {r["origin"]: r for r in admin_api.get(URL).json()["results"]}
    assert set(rows) == set(observed)
    assert (rows[PARTNER]["count"], rows[PARTNER]["would_allow"], rows[PARTNER]["usable"]) == (
        2,
        False,
        True,
    )
    assert rows["HTTPS://PARTNER.EXAMPLE.ORG"]["usable"] is False
    assert rows["https://a.example/x"]["usable"] is False
    assert rows[MFE]["would_allow"] is True
    blocked = admin_api.get(URL + "?would_allow=false").json()["results"]
    assert MFE not in {r["origin"] for r in blocked} and len(blocked) == 3
    assert [r["origin"] for r in admin_api.get(URL + "?search=partner.example").json()["results"]]


def test_allow_creates_rules_that_then_take_effect(
    admin_api: APIClient, observed: dict[str, int]
) -> None:
    response = admin_api.post(URL + "allow/", {"ids": [observed[PARTNER]]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"results": [{"pattern": PARTNER, "action": "add"}]}
    rule = AllowedOrigin.objects.get(pattern=PARTNER)
    assert (rule.enabled, rule.note) == (True, "allowed from observed origins")
    record = ChangeRecord.objects.get(object_repr=PARTNER)
    assert (record.channel, record.action) == ("api", "add") and record.user is not None
    set_mode("enforce")
    assert Client().get("/api/hello/", HTTP_ORIGIN=PARTNER)[ALLOW_ORIGIN] == PARTNER


def test_allow_enables_an_existing_disabled_rule_and_keeps_its_note(
    admin_api: APIClient, observed: dict[str, int]
) -> None:
    AllowedOrigin.objects.create(pattern=PARTNER, enabled=False, note="paused in March")
    response = admin_api.post(URL + "allow/", {"ids": [observed[PARTNER]]}, format="json")
    assert response.json() == {"results": [{"pattern": PARTNER, "action": "enable"}]}
    rule = AllowedOrigin.objects.get(pattern=PARTNER)
    assert (rule.enabled, rule.note) == (True, "paused in March")


@pytest.mark.parametrize("bad", ["HTTPS://PARTNER.EXAMPLE.ORG", "https://a.example/x"])
def test_non_canonical_values_cannot_become_rules(
    admin_api: APIClient, observed: dict[str, int], bad: str
) -> None:
    ids = [observed[PARTNER], observed[bad]]
    response = admin_api.post(URL + "allow/", {"ids": ids}, format="json")
    assert response.status_code == 400
    message = response.json()["ids"][0]
    assert repr(bad) in message and "cannot become a rule" in message
    assert not AllowedOrigin.objects.filter(pattern=PARTNER).exists()  # all or nothing


def test_unknown_ids_and_bad_bodies_are_400(admin_api: APIClient, observed: dict[str, int]) -> None:
    unknown = admin_api.post(URL + "allow/", {"ids": [999_999]}, format="json")
    assert unknown.json() == {"ids": ["no observed origin has id 999999"]}
    empty = admin_api.post(URL + "allow/", {"ids": []}, format="json")
    assert empty.status_code == 400 and "ids" in empty.json()
    wrong: Any = admin_api.post(URL + "allow/", {"ids": ["x"]}, format="json")
    assert wrong.status_code == 400 and "ids" in wrong.json()
    huge = admin_api.post(URL + "allow/", {"ids": [10**30]}, format="json")
    assert huge.status_code == 400 and "ids" in huge.json()


def test_observed_rows_are_read_only(admin_api: APIClient, observed: dict[str, int]) -> None:
    detail = f"{URL}{observed[PARTNER]}/"
    assert admin_api.get(detail).json()["origin"] == PARTNER
    assert admin_api.delete(detail).status_code == 405
    assert admin_api.post(URL, {"origin": "https://x.example"}, format="json").status_code == 405
    assert ObservedOrigin.objects.filter(origin=PARTNER).exists()


def test_an_origin_with_invalid_punycode_is_refused_on_ids_and_not_usable(
    admin_api: APIClient, observed: dict[str, int]
) -> None:
    """No browser sends a host whose punycode does not decode: like every other value that
    cannot become a rule, it is refused on `ids` (the admin and the services say the same)."""
    broken = ObservedOrigin.objects.create(origin="https://xn--a.example.org", count=2)
    rows = {row["origin"]: row for row in admin_api.get(URL).json()["results"]}
    assert rows["https://xn--a.example.org"]["usable"] is False
    response = admin_api.post(URL + "allow/", {"ids": [broken.pk]}, format="json")
    assert response.status_code == 400
    [message] = response.json()["ids"]
    assert "'https://xn--a.example.org'" in message and "cannot become a rule" in message
    assert not AllowedOrigin.objects.filter(pattern__contains="xn--a").exists()
