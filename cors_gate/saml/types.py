"""The normalised view the validator works on, whatever the configuration came from.

A `ProviderConfig` is one SAML identity provider as the SP sees it: an Open edX
`SAMLProviderConfig` row (with its `SAMLConfiguration` and `SAMLProviderData`), one
`SOCIAL_AUTH_SAML_ENABLED_IDPS` entry, or a `--provider-json` dump of the Open edX rows.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ATTR_FIELDS: tuple[str, ...] = (
    "attr_user_permanent_id",
    "attr_full_name",
    "attr_first_name",
    "attr_last_name",
    "attr_username",
    "attr_email",
)

# openedx-platform third_party_auth/saml.py: the identity_provider_type values it knows.
STANDARD_SAML_PROVIDER = "standard_saml_provider"
SAP_SUCCESSFACTORS = "sap_success_factors"
IDP_TYPES: tuple[str, ...] = (STANDARD_SAML_PROVIDER, SAP_SUCCESSFACTORS)

NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"


@dataclass(frozen=True)
class SpConfig:
    """The service provider side: Open edX `SAMLConfiguration` or `SOCIAL_AUTH_SAML_SP_*`."""

    entity_id: str = ""
    public_cert: str = ""
    private_key: str = ""
    # None = not set at all (social-core then passes None on, and python3-saml crashes)
    org_info: Mapping[str, Any] | None = field(default_factory=dict)
    technical_contact: Mapping[str, Any] | None = field(default_factory=dict)
    support_contact: Mapping[str, Any] | None = field(default_factory=dict)
    security: Mapping[str, Any] = field(default_factory=dict)  # SECURITY_CONFIG
    sp_extra: Mapping[str, Any] = field(default_factory=dict)  # SP_EXTRA
    allow_idp_initiated: bool = False  # social-auth-core >= 7 ALLOW_IDP_INITIATED
    # Where the key pair comes from, named in findings.
    key_source: str = "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT/_SP_PRIVATE_KEY"


@dataclass(frozen=True)
class ProviderData:
    """What Open edX's metadata pull stored (`SAMLProviderData`)."""

    entity_id: str = ""
    sso_url: str = ""
    public_key: str = ""
    fetched_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    def is_valid(self, now: dt.datetime) -> bool:
        """The platform's SAMLProviderData.is_valid(): not expired, and nothing blank."""
        if self.expires_at and now > self.expires_at:
            return False
        return bool(self.entity_id and self.sso_url and self.public_key)


@dataclass(frozen=True)
class PlatformFacts:
    """What openedx-platform decides about a provider before any SAML message is read."""

    # The provider's Site when it is not SITE_ID's: the login runs on that host, so the ACS
    # is built from it (edx-django-sites-extensions picks the Site by the request's host).
    site_domain: str = ""
    # The provider's site has a current, enabled SAMLConfiguration with slug "default"
    # (SAMLAuthBackend.auth_url answers 404 without one); None when not known (a JSON dump
    # that does not say).
    site_saml_enabled: bool | None = None
    # Why the SAMLConfiguration the provider points at is not the current, enabled version
    # of its (site, slug); "" when it is, or when the provider uses the site default.
    sp_configuration_problem: str = ""
    identity_provider_type: str = STANDARD_SAML_PROVIDER


@dataclass(frozen=True)
class ProviderConfig:
    slug: str
    source: str  # where it came from, shown in findings: "openedx-db", "settings", "json:<file>"
    backend_name: str = "tpa-saml"
    acs_path: str = "/auth/complete/tpa-saml/"  # the backend's complete URL path
    name: str = ""
    entity_id: str = ""
    metadata_source: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)  # attr_* field -> attribute name
    defaults: Mapping[str, str] = field(default_factory=dict)  # default_* field -> value
    automatic_refresh_enabled: bool | None = None  # None: the source has no such switch
    debug_mode: bool = False
    enabled: bool = True
    other_settings: Mapping[str, Any] = field(default_factory=dict)
    idp_sso_url: str = ""  # social-core "url"
    idp_certs: tuple[str, ...] = ()  # social-core x509cert / x509certMulti["signing"]
    provider_data: ProviderData | None = None  # the newest stored row
    # Every stored SAMLProviderData row for the entity id, newest first (the platform uses
    # each one that is valid at login time, not only the newest).
    provider_data_rows: tuple[ProviderData, ...] = ()
    sp: SpConfig = field(default_factory=SpConfig)
    platform: PlatformFacts | None = None  # None: not an Open edX provider (social-core)

    def attr(self, name: str) -> str:
        return (self.attrs.get(name) or "").strip()

    def login_root(self, lms_url: str | None) -> str | None:
        """Where this provider's logins run, without a trailing slash: its Site's host for a
        provider of another Site (social-core builds the ACS from the request there), else
        the LMS URL."""
        site = self.platform.site_domain if self.platform else ""
        if not site:
            return lms_url.rstrip("/") if lms_url else None
        scheme = urllib.parse.urlsplit(lms_url).scheme if lms_url else "https"
        return f"{scheme or 'https'}://{site}"

    def data_rows(self) -> tuple[ProviderData, ...]:
        if self.provider_data_rows:
            return self.provider_data_rows
        return (self.provider_data,) if self.provider_data is not None else ()

    def valid_data(self, now: dt.datetime) -> tuple[ProviderData, ...]:
        return tuple(row for row in self.data_rows() if row.is_valid(now))

    def configured_certs(self, now: dt.datetime | None = None) -> tuple[str, ...]:
        """The IdP certificates the SP will verify signatures with: social-core's x509cert,
        or (Open edX) the keys of every stored row valid at `now`, else the newest row's."""
        if self.idp_certs:
            return self.idp_certs
        rows = self.valid_data(now) if now is not None else ()
        if not rows:
            rows = self.data_rows()[:1]
        keys: list[str] = []
        for row in rows:
            if row.public_key and row.public_key not in keys:
                keys.append(row.public_key)
        return tuple(keys)


@dataclass(frozen=True)
class SamlInputs:
    """Everything `cors_gate.saml.validate` looks at. Every Okta-side field is optional."""

    providers: Sequence[ProviderConfig] = ()
    okta_app: Mapping[str, Any] | None = None  # Okta Apps API JSON of a SAML 2.0 app
    idp_metadata: str | None = None  # IdP metadata XML
    saml_response: str | None = None  # base64 as posted, or XML
    relay_state: str | None = None  # RelayState posted with saml_response
    lms_url: str | None = None  # https://lms.example.com
    metadata_url: str | None = None  # where idp_metadata was fetched from, if a URL
    # Overrides for tests; None means "detect": the installed social-auth-core version,
    # and the current time.
    social_core_version: str | None = None
    now: dt.datetime | None = None
