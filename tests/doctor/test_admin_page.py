"""The admin page "Front-end doctor": permissions, the coloured grid, links to explain."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

URL = "/admin/cors_gate/allowedorigin/doctor/"
APPS = "https://apps.example.com"


@pytest.fixture
def staff(site: str) -> Client:
    user = User.objects.create_user("viewer", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_allowedorigin"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(site: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "r@example.com", "pw-123456"))
    return client


def test_staff_without_permission_is_refused(site: str) -> None:
    client = Client()
    client.force_login(User.objects.create_user("nobody", password="pw-123456", is_staff=True))
    assert client.get(URL).status_code == 403


def test_grid_colours_and_links_each_cell_to_explain(
    staff: Client, allow: Callable[..., None], settings: Any
) -> None:
    settings.LEARNING_MICROFRONTEND_URL = APPS + "/learning"
    allow(APPS)
    response = staff.get(URL, {"origins": "https://stranger.example.net\n", "mode": "policy"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<td class="ok"') == 7  # the learning MFE: every step
    assert page.count('<td class="error"') == 3  # the stranger: every platform step
    assert "PreflightMissingAllowOriginHeader" in page
    assert "7 of 10 requests work — 3 blocked, 0 warnings" in page
    links = [
        html.unescape(h) for h in re.findall(r'<td class="error"[^>]*>\s*<a href="([^"]+)"', page)
    ]
    assert len(links) == 3
    explain_url = urlsplit(links[2])
    assert explain_url.path == "/admin/cors_gate/allowedorigin/explain/"
    query = {k: v[0] for k, v in parse_qs(explain_url.query).items()}
    assert query == {
        "origin": "https://stranger.example.net",
        "method": "GET",
        "headers": "Accept: application/json, text/plain, */*\nUSE-JWT-COOKIE: true",
        "credentials": "include",
        "mode": "policy",
        "path": "/csrf/api/v1/token",
    }
    # The explain page opens with the form filled in from the link.
    explain_page = staff.get(links[2]).content.decode()
    assert 'value="https://stranger.example.net"' in explain_page
    assert "USE-JWT-COOKIE: true</textarea>" in explain_page
    # Live mode (this server sends HTTP) is for superusers only.
    assert 'value="live"' not in page and "id_base_url" not in page


def test_bad_origin_is_a_form_error_not_a_500(staff: Client) -> None:
    response = staff.get(URL, {"origins": "apps.example.com", "mode": "policy"})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "origin: 'apps.example.com' is not an origin as a browser sends it" in page
    assert 'id="cors-gate-doctor-grid"' not in page


def test_superuser_gets_live_mode(superuser: Client) -> None:
    page = superuser.get(URL).content.decode()
    assert 'value="live"' in page and "id_base_url" in page
    response = superuser.get(URL, {"mode": "live", "base_url": "lms.example.com"})
    assert "base-url: &#x27;lms.example.com&#x27; must be the site&#x27;s root URL" in (
        response.content.decode()
    )


def test_changelist_links_to_the_doctor(staff: Client) -> None:
    page = staff.get("/admin/cors_gate/allowedorigin/").content.decode()
    assert f'href="{URL}"' in page
