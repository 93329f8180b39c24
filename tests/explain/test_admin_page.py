"""The admin page "Explain a request": staff only, form in, readable verdict out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

ORIGIN = "https://apps.example.com"


@pytest.fixture
def page(rules: Callable[..., None]) -> str:
    rules([ORIGIN], allowed_headers=["Content-Type"])
    return reverse("admin:cors_gate_explain")


def staff(*, superuser: bool = False, permitted: bool = True) -> Client:
    user = User.objects.create_user(
        "ops" + str(User.objects.count()), password=None, is_staff=True, is_superuser=superuser
    )
    if permitted and not superuser:
        user.user_permissions.add(Permission.objects.get(codename="view_allowedorigin"))
    client = Client()
    client.force_login(user)
    return client


def form(**overrides: str) -> dict[str, str]:
    data = {
        "origin": ORIGIN,
        "method": "POST",
        "headers": "X-CSRFToken: abc\nContent-Type: text/plain",
        "credentials": "include",
        "mode": "policy",
        "path": "/api/hello/",
    }
    return data | overrides


def test_page_is_linked_from_the_allowed_origins_list(page: str) -> None:
    assert page.endswith("/explain/")
    response = staff(superuser=True).get(reverse("admin:cors_gate_allowedorigin_changelist"))
    assert response.status_code == 200
    assert f'href="{page}"' in response.content.decode()


def test_anonymous_is_sent_to_login(page: str) -> None:
    response = Client().get(page)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_non_staff_user_is_refused(page: str) -> None:
    user = User.objects.create_user("student", password=None)
    client = Client()
    client.force_login(user)
    assert client.get(page).status_code == 302  # the admin's login page


def test_staff_without_permission_gets_403(page: str) -> None:
    assert staff(permitted=False).get(page).status_code == 403


def test_form_shows_verdict_and_fix(page: str) -> None:
    client = staff()
    assert "Explain a request" in client.get(page).content.decode()
    response = client.post(page, form())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Blocked: HeaderDisallowedByPreflightResponse" in html
    assert "CORSMissingAllowHeaderFromPreflight" in html
    assert "Add x-csrftoken to the policy&#x27;s allowed headers" in html
    assert "x-csrftoken is not a CORS-safelisted request header" in html
    assert "OPTIONS https://lms.example.com/api/hello/" in html


def test_allowed_request_reads_ok(page: str) -> None:
    html = staff().post(page, form(headers="", method="GET")).content.decode()
    assert "<strong>OK.</strong>" in html


def test_bad_origin_is_shown_on_the_field(page: str) -> None:
    response = staff().post(page, form(origin="apps.example.com"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["origin"] == [
        "origin: 'apps.example.com' is not an origin (expected scheme://host[:port] or null)"
    ]


def test_header_without_name_is_shown_on_the_field(page: str) -> None:
    response = staff().post(page, form(headers=": x"))
    assert response.context["form"].errors["headers"] == ["header ': x': a header has no name"]


def test_live_url_mode_is_for_superusers_only(page: str) -> None:
    assert "live URL" not in staff().get(page).content.decode()
    response = staff().post(page, form(mode="url"))
    assert "mode" in response.context["form"].errors
    html = staff(superuser=True).get(page).content.decode()
    assert "live URL" in html
    response = staff(superuser=True).post(page, form(mode="url", url=""))
    assert response.context["form"].errors["url"] == ["url: give the URL to call in live-URL mode"]


def test_engines_that_disagree_are_shown_side_by_side(page: str) -> None:
    """DPR is a client hint Chromium safelists and Firefox does not: with Content-Type the
    only allowed header, the request works in Chromium and fails in Firefox."""
    data = form(method="GET", headers="DPR: 2", credentials="omit")
    html = staff().post(page, data).content.decode()
    assert 'id="cors-gate-engines"' in html
    assert "The engines disagree" in html
    chromium = html.split('class="engine-chromium"')[1].split("</tr>")[0]
    firefox = html.split('class="engine-firefox"')[1].split("</tr>")[0]
    assert "works" in chromium
    assert "fails: CORSMissingAllowHeaderFromPreflight" in firefox
    assert "Add dpr to the policy&#x27;s allowed headers" in html  # the fix for both


def test_engines_that_agree_get_one_verdict(page: str) -> None:
    html = staff().post(page, form()).content.decode()
    assert 'id="cors-gate-engines"' not in html
    assert "Blocked: HeaderDisallowedByPreflightResponse" in html
