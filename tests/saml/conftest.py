"""A working Okta + social-auth set-up for real SAML logins, and a browser that drives it.

The LMS is ``https://lms.example.org`` behind a TLS proxy (the proxy sends
``X-Forwarded-Proto``); social-core's ``SAMLAuth`` is configured the way the answer in the
Open edX forum thread "Cross-Origin Resource Sharing error: Preflight Missing Allow Origin
Header" configures Open edX, with the provider slug ``okta``. The identity provider is the
independent pysaml2 IdP in ``tests.saml.idp``. Nothing here is autouse: other SAML tests
in this folder are not affected.
"""

from __future__ import annotations

import datetime as dt
import html.parser
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.cookies import Morsel
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.test import Client
from social_core import __version__ as SOCIAL_CORE_VERSION

from tests.saml.idp import (
    XMLSEC1,
    AssertionEdit,
    KeyPair,
    OktaApp,
    OktaIdP,
    make_key_pair,
    okta_attribute_statements,
)

LMS_HOST = "lms.example.org"
LMS_URL = f"https://{LMS_HOST}"
SLUG = "okta"
ACS_PATH = "/complete/saml/"  # social_django's complete URL for the "saml" backend
ACS_URL = LMS_URL + ACS_PATH
LOGIN_PATH = "/login/saml/"  # social_django >= 8 only accepts POST here
LOGIN_ERROR_PATH = "/login-error/"
LOGIN_REDIRECT_PATH = "/dashboard/"

SOCIAL_CORE_7 = int(SOCIAL_CORE_VERSION.split(".")[0]) >= 7

needs_xmlsec1 = pytest.mark.skipif(
    not XMLSEC1.exists(),
    reason="pysaml2 signs with the xmlsec1 binary: install the Debian package xmlsec1",
)


@dataclass(frozen=True)
class SamlKeys:
    idp: KeyPair  # the key the Okta app signs with
    other_idp: KeyPair  # another Okta app's key: a certificate pasted from the wrong app
    expired_idp: KeyPair  # an Okta signing certificate that expired last month
    sp: KeyPair  # the LMS's SAML key pair
    directory: Path


@pytest.fixture(scope="session")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> SamlKeys:
    """Generated once per run; nothing secret is committed."""
    directory = tmp_path_factory.mktemp("saml-keys")
    return SamlKeys(
        idp=make_key_pair(directory, "okta", "dev-4471029"),
        other_idp=make_key_pair(directory, "okta-other-app", "dev-4471029"),
        expired_idp=make_key_pair(
            directory,
            "okta-expired",
            "dev-4471029",
            valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
            valid_days=370,
        ),
        sp=make_key_pair(directory, "lms", LMS_HOST),
        directory=directory,
    )


@dataclass(frozen=True)
class Scenario:
    """Both sides of one set-up: the LMS's Django settings and the Okta app."""

    settings: dict[str, Any]
    idp: OktaIdP
    flow: str = "sp"  # "sp": starts at the LMS's login URL; "idp": Okta's app tile
    edits: tuple[AssertionEdit, ...] = ()

    def with_app(self, **changes: Any) -> Scenario:
        return replace(self, idp=replace(self.idp, app=self.idp.app.with_(**changes)))

    def with_settings(self, **changes: Any) -> Scenario:
        return replace(self, settings={**self.settings, **changes})

    def with_idp_conf(self, **changes: Any) -> Scenario:
        """Change the provider's entry in SOCIAL_AUTH_SAML_ENABLED_IDPS."""
        idps = dict(self.settings["SOCIAL_AUTH_SAML_ENABLED_IDPS"])
        idps[SLUG] = {**idps[SLUG], **changes}
        return self.with_settings(SOCIAL_AUTH_SAML_ENABLED_IDPS=idps)

    def with_security(self, **changes: Any) -> Scenario:
        security = {**self.settings["SOCIAL_AUTH_SAML_SECURITY_CONFIG"], **changes}
        return self.with_settings(SOCIAL_AUTH_SAML_SECURITY_CONFIG=security)


def working_okta_app() -> OktaApp:
    """The Okta side of the forum answer, pointed at this LMS's social-core ACS."""
    return OktaApp(
        sso_acs_url=ACS_URL,
        recipient=ACS_URL,
        destination=ACS_URL,
        audience=LMS_URL,
        default_relay_state=SLUG,
        attribute_statements=okta_attribute_statements(),
    )


def working_settings(idp: OktaIdP, keys: SamlKeys, base_middleware: list[str]) -> dict[str, Any]:
    """The LMS side: social-core's SAML backend as the forum answer sets Open edX up."""
    middleware = [
        # The SAML proof is independent of cors_gate's middleware (it has its own suite).
        m
        for m in base_middleware
        if not m.startswith("cors_gate.")
    ]
    # Turns social-auth failures into a redirect with a message, as a site shows them.
    middleware.append("social_django.middleware.SocialAuthExceptionMiddleware")
    middleware.append("tests.saml.conftest.AuthErrorProbe")
    return {
        "ALLOWED_HOSTS": [LMS_HOST],
        "MIDDLEWARE": middleware,
        "AUTHENTICATION_BACKENDS": [
            "social_core.backends.saml.SAMLAuth",
            "django.contrib.auth.backends.ModelBackend",
        ],
        # Behind a TLS proxy: trust its X-Forwarded-Proto, and refuse plain http.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        # Okta's POST to the ACS is cross-site: the session cookie must be SameSite=None.
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_SECURE": True,
        "SOCIAL_AUTH_LOGIN_ERROR_URL": LOGIN_ERROR_PATH,
        "SOCIAL_AUTH_LOGIN_REDIRECT_URL": LOGIN_REDIRECT_PATH,
        "SOCIAL_AUTH_SAML_SP_ENTITY_ID": LMS_URL,
        "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT": keys.sp.cert_body,
        "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY": keys.sp.key_pem,
        "SOCIAL_AUTH_SAML_ORG_INFO": {
            "en-US": {
                "name": "example",
                "displayname": "Example University",
                "url": LMS_URL,
            }
        },
        "SOCIAL_AUTH_SAML_TECHNICAL_CONTACT": {
            "givenName": "LMS Operations",
            "emailAddress": "ops@example.org",
        },
        "SOCIAL_AUTH_SAML_SUPPORT_CONTACT": {
            "givenName": "LMS Support",
            "emailAddress": "support@example.org",
        },
        "SOCIAL_AUTH_SAML_SECURITY_CONFIG": {
            "wantMessagesSigned": True,
            "wantAssertionsSigned": True,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        },
        "SOCIAL_AUTH_SAML_ENABLED_IDPS": {
            SLUG: {
                "entity_id": idp.entity_id,
                "url": idp.sso_url,
                "x509cert": idp.keys.cert_body,
                # The forum answer's "Open edX SAML settings", case-sensitive.
                "attr_user_permanent_id": "username",
                "attr_full_name": "fullName",
                "attr_first_name": "firstName",
                "attr_last_name": "lastName",
                "attr_username": "username",
                "attr_email": "email",
            }
        },
        # social-auth-core >= 7 refuses Okta's unsolicited responses without it.
        "SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED": True,
    }


@pytest.fixture
def okta_scenario(saml_keys: SamlKeys, settings: Any) -> Scenario:
    """The working set-up every misconfiguration starts from."""
    idp = OktaIdP(keys=saml_keys.idp, app=working_okta_app())
    return Scenario(settings=working_settings(idp, saml_keys, list(settings.MIDDLEWARE)), idp=idp)


def apply_settings(settings: Any, values: dict[str, Any]) -> None:
    """Put a scenario's LMS settings in place (pytest-django restores them afterwards)."""
    for name, value in values.items():
        setattr(settings, name, value)


class AuthErrorProbe:
    """Test-only middleware: remembers why social-auth failed a login.

    It sits inside SocialAuthExceptionMiddleware, sees the exception first and lets it
    pass on, so a test can assert the login failed for the reason it set up, while the
    person still gets the site's usual error redirect.
    """

    seen: ClassVar[list[str]] = []

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # social-core 7 keeps the toolkit's reason in .detail/.claim/.parameter.
        parts = [f"{type(exception).__name__}: {exception}"]
        for name in ("detail", "claim", "parameter"):
            value = getattr(exception, name, None)
            if value:
                parts.append(f"{name}={value}")
        if exception.__cause__ is not None:
            parts.append(f"cause={exception.__cause__}")
        AuthErrorProbe.seen.append(" ".join(parts))


# --- the browser -------------------------------------------------------------------------


class _FormReader(html.parser.HTMLParser):
    """Reads the one auto-submitting form social-core >= 7 returns from the ACS."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


@dataclass
class LoginResult:
    """What a person at the browser would see, plus what the validator needs."""

    logged_in: bool
    statuses: list[int] = field(default_factory=list)
    final_url: str = ""
    messages: list[str] = field(default_factory=list)
    error: str = ""  # an exception a library raised (social-core 4.8.3 lets a few through)
    error_origin: str = ""  # the module that raised it
    reasons: list[str] = field(default_factory=list)  # what social-auth failed the login with
    saml_response: str | None = None  # base64, as Okta posted it
    relay_state: str | None = None

    def symptoms(self) -> str:
        """Why it failed, and where the browser ended up, in one line to match against."""
        last = self.statuses[-1] if self.statuses else "-"
        return " | ".join([*self.reasons, f"HTTP {last} at {self.final_url}"])

    def explain(self) -> str:
        return (
            f"statuses={self.statuses} final={self.final_url} "
            f"messages={self.messages} reasons={self.reasons} error={self.error!r}"
        )


class Browser:
    """The test client dressed as a browser behind the LMS's TLS proxy.

    A cross-site POST (Okta's form to the ACS) carries only cookies marked
    ``SameSite=None; Secure``, as Chrome and Firefox do.
    """

    def __init__(self) -> None:
        self.client = Client()
        self.statuses: list[int] = []
        self.last_url = ""

    def _send(self, method: str, url: str, data: dict[str, str] | None = None) -> HttpResponse:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {"HTTP_HOST": parts.netloc, "HTTP_X_FORWARDED_PROTO": parts.scheme}
        self.last_url = url
        if method == "GET":
            response = self.client.get(path, **extra)
        else:
            response = self.client.post(path, data or {}, **extra)
        self.statuses.append(response.status_code)
        return response

    def get(self, url: str) -> HttpResponse:
        return self._send("GET", url)

    def post(self, url: str, data: dict[str, str], *, cross_site: bool) -> HttpResponse:
        if not cross_site:
            return self._send("POST", url, data)
        held: dict[str, Morsel[str]] = {}
        for name, morsel in list(self.client.cookies.items()):
            if str(morsel["samesite"]).lower() != "none" or not morsel["secure"]:
                held[name] = morsel
                del self.client.cookies[name]
        try:
            return self._send("POST", url, data)
        finally:
            for name, morsel in held.items():
                if name not in self.client.cookies:
                    self.client.cookies[name] = morsel

    def follow(self, response: HttpResponse, limit: int = 5) -> HttpResponse:
        """Follow redirects on the LMS (a redirected POST becomes a GET, losing its body)."""
        for _ in range(limit):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = response["Location"]
            if target.startswith("/"):
                base = urlsplit(self.last_url)
                target = f"{base.scheme}://{base.netloc}{target}"
            if urlsplit(target).netloc != LMS_HOST:
                return response
            response = self.get(target)
        return response

    def session_user_id(self) -> str | None:
        value = self.client.session.get("_auth_user_id")
        return str(value) if value is not None else None


def login(scenario: Scenario, workdir: Path) -> LoginResult:
    """One real login: LMS -> Okta (pysaml2) -> Okta's form POST to the ACS -> LMS."""
    browser = Browser()
    idp = scenario.idp
    result = LoginResult(logged_in=False, statuses=browser.statuses)
    AuthErrorProbe.seen.clear()
    try:
        if scenario.flow == "sp":
            # The LMS's "Sign in with Okta" button: a same-site form POST with ?idp=<slug>.
            start = browser.post(LMS_URL + LOGIN_PATH, {"idp": SLUG}, cross_site=False)
            if start.status_code != 302:
                result.final_url = browser.last_url
                return result
            request = idp.parse_authn_request(start["Location"], workdir)
            result.relay_state = request.relay_state
            result.saml_response = idp.respond(
                workdir, in_response_to=request.id, edits=scenario.edits
            )
        else:
            result.relay_state = idp.app.default_relay_state or None
            result.saml_response = idp.respond(workdir, in_response_to=None, edits=scenario.edits)
        form = {"SAMLResponse": result.saml_response}
        if result.relay_state is not None:
            form["RelayState"] = result.relay_state
        # Okta's page auto-submits its form to the app's "Single sign on URL".
        response = browser.post(idp.app.sso_acs_url, form, cross_site=True)
        reader = _FormReader()
        if response.status_code == 200:
            reader.feed(response.content.decode())
        if reader.action and "SAMLResponse" in reader.fields:
            # social-core >= 7 answers with a same-site auto-submitting form first.
            action = reader.action if "://" in reader.action else LMS_URL + reader.action
            response = browser.post(action, reader.fields, cross_site=False)
        response = browser.follow(response)
        result.messages = [str(m) for m in get_messages(response.wsgi_request)]
    except Exception as exc:
        result.error = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        result.error_origin = _innermost_module(exc)
    result.final_url = browser.last_url
    result.reasons = [*AuthErrorProbe.seen, *([result.error] if result.error else [])]
    user_id = browser.session_user_id()
    result.logged_in = user_id is not None
    return result


def _innermost_module(exc: BaseException) -> str:
    tb = exc.__traceback__
    module = ""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    return module


def saml_user() -> Any:
    """The LMS account the working login creates (None when there is none)."""
    return get_user_model().objects.filter(email="jane.doe@example.org").first()
