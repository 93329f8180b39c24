"""Where provider configurations come from, each turned into `ProviderConfig`.

1. Open edX `third_party_auth` models, found with `apps.get_model` (absent here: no crash);
2. social-core settings (`SOCIAL_AUTH_SAML_*`, one provider per `ENABLED_IDPS` entry);
3. `--provider-json` files shaped like a dump of the Open edX rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from cors_gate.saml.certs import signing_certs
from cors_gate.saml.dates import parse_instant
from cors_gate.saml.errors import SamlInputError
from cors_gate.saml.types import (
    ATTR_FIELDS,
    STANDARD_SAML_PROVIDER,
    PlatformFacts,
    ProviderConfig,
    ProviderData,
    SpConfig,
)

DEFAULT_FIELDS: tuple[str, ...] = (
    "default_full_name",
    "default_first_name",
    "default_last_name",
    "default_username",
    "default_email",
)


def social_setting(backend_name: str, name: str, default: Any = None) -> Any:
    """Read a setting the way social-core's strategy does: per backend, then global."""
    backend_key = "SOCIAL_AUTH_" + backend_name.upper().replace("-", "_") + "_" + name
    for key in (backend_key, "SOCIAL_AUTH_" + name, name):
        if hasattr(settings, key):
            return getattr(settings, key)
    return default


def openedx_acs_path(backend_name: str) -> str:
    # third_party_auth mounts social_django under /auth/: /auth/complete/<backend>/
    return f"/auth/complete/{backend_name}/"


def social_acs_path(backend_name: str) -> str:
    """The complete URL social_django's urls give this backend (default /complete/saml/)."""
    try:
        return reverse("social:complete", kwargs={"backend": backend_name})
    except NoReverseMatch:
        return f"/complete/{backend_name}/"


def _json_field(value: Any, where: str) -> dict[str, Any]:
    """A TextField holding JSON (as in the Open edX rows) or an already-parsed object."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SamlInputError(f"{where}: not valid JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(value, dict):
        raise SamlInputError(f"{where}: must be a JSON object, got {type(value).__name__}")
    return value


def _mapping(value: Any, where: str) -> dict[str, Any] | None:
    """A dict-valued setting (SECURITY_CONFIG, SP_EXTRA, ORG_INFO, contacts); None if unset."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SamlInputError(f"{where}: must be a JSON object / dict, got {type(value).__name__}")
    return dict(value)


def _datetime(value: Any, where: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    invalid = SamlInputError(f"{where}: not an ISO 8601 date-time: {value!r}")
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    elif isinstance(value, str):
        parsed = parse_instant(value, invalid)
    else:
        parsed = None
    if parsed is None:
        raise invalid
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _text(row: Mapping[str, Any], key: str, where: str) -> str:
    value = row.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SamlInputError(f"{where}.{key}: must be a string, got {type(value).__name__}")
    return value


def _flag(row: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = row.get(key, default)
    if not isinstance(value, bool):
        raise SamlInputError(f"{where}.{key}: must be true or false, got {value!r}")
    return value


def _default_contact() -> dict[str, str]:
    # What Open edX's SAMLConfiguration.get_setting puts in the SP metadata by default.
    platform = getattr(settings, "PLATFORM_NAME", "Your Platform Name Here")
    email = getattr(settings, "TECH_SUPPORT_EMAIL", "technical@example.com")
    return {"givenName": f"{platform} Support", "emailAddress": email}


def sp_from_settings(backend_name: str = "saml") -> SpConfig:
    """SP settings as social-core reads them (SOCIAL_AUTH_SAML_SP_ENTITY_ID, ...)."""
    prefix = "settings: SOCIAL_AUTH_" + backend_name.upper().replace("-", "_") + "_"

    def mapping(name: str) -> dict[str, Any] | None:
        # None stays None: social-core hands it to python3-saml, which crashes on it.
        return _mapping(social_setting(backend_name, name), prefix + name)

    return SpConfig(
        entity_id=str(social_setting(backend_name, "SP_ENTITY_ID") or ""),
        public_cert=str(social_setting(backend_name, "SP_PUBLIC_CERT") or ""),
        private_key=str(social_setting(backend_name, "SP_PRIVATE_KEY") or ""),
        org_info=mapping("ORG_INFO"),
        technical_contact=mapping("TECHNICAL_CONTACT"),
        support_contact=mapping("SUPPORT_CONTACT"),
        security=mapping("SECURITY_CONFIG") or {},
        sp_extra=mapping("SP_EXTRA") or {},
        allow_idp_initiated=bool(social_setting(backend_name, "ALLOW_IDP_INITIATED", False)),
    )


def _slug_setting(name: str, slug: str) -> str:
    """SAMLConfiguration.get_setting's fallback for a blank key field: the site-wide setting
    for the "default" configuration, the `<name>_DICT[slug]` entry for any other slug."""
    if slug == "default":
        return str(getattr(settings, name, "") or "")
    table = getattr(settings, name + "_DICT", None) or {}
    return str(table.get(slug, "") or "") if isinstance(table, Mapping) else ""


def sp_from_openedx_row(row: Mapping[str, Any], backend_name: str, where: str) -> SpConfig:
    """SAMLConfiguration fields -> SpConfig, with Open edX's fallbacks to Django settings."""
    other = {
        "TECHNICAL_CONTACT": _default_contact(),
        "SUPPORT_CONTACT": _default_contact(),
    }
    other.update(_json_field(row.get("other_config_str"), f"{where}.other_config_str"))
    org_info = _json_field(row.get("org_info_str"), f"{where}.org_info_str")
    config = f"{where}.other_config_str"
    allow = other.get("ALLOW_IDP_INITIATED")
    if allow is None:
        allow = social_setting(backend_name, "ALLOW_IDP_INITIATED", False)
    slug = _text(row, "slug", where) if "slug" in row else "default"
    return SpConfig(
        entity_id=_text(row, "entity_id", where),
        public_cert=_text(row, "public_key", where)
        or _slug_setting("SOCIAL_AUTH_SAML_SP_PUBLIC_CERT", slug),
        private_key=_text(row, "private_key", where)
        or _slug_setting("SOCIAL_AUTH_SAML_SP_PRIVATE_KEY", slug),
        org_info=org_info,
        technical_contact=_mapping(other.get("TECHNICAL_CONTACT"), f"{config}.TECHNICAL_CONTACT")
        or {},
        support_contact=_mapping(other.get("SUPPORT_CONTACT"), f"{config}.SUPPORT_CONTACT") or {},
        security=_mapping(other.get("SECURITY_CONFIG"), f"{config}.SECURITY_CONFIG") or {},
        sp_extra=_mapping(other.get("SP_EXTRA"), f"{config}.SP_EXTRA") or {},
        allow_idp_initiated=bool(allow),
        key_source="SAMLConfiguration public_key/private_key or "
        + (
            "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT/_SP_PRIVATE_KEY"
            if slug == "default"
            else f"SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT/_SP_PRIVATE_KEY_DICT[{slug!r}]"
        ),
    )


def provider_data_from_row(row: Mapping[str, Any], where: str) -> ProviderData:
    return ProviderData(
        entity_id=_text(row, "entity_id", where),
        sso_url=_text(row, "sso_url", where),
        public_key=_text(row, "public_key", where),
        fetched_at=_datetime(row.get("fetched_at"), f"{where}.fetched_at"),
        expires_at=_datetime(row.get("expires_at"), f"{where}.expires_at"),
    )


def provider_from_openedx_rows(
    provider: Mapping[str, Any],
    saml_configuration: Mapping[str, Any] | None,
    provider_data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    source: str,
    platform: PlatformFacts | None = None,
) -> ProviderConfig:
    """One provider from SAMLProviderConfig/SAMLConfiguration/SAMLProviderData field values
    (provider_data: one row, or every row stored for the entity id, newest first)."""
    where = f"{source}: provider"
    slug = _text(provider, "slug", where).strip()
    if not slug:
        raise SamlInputError(f"{where}.slug: required, and missing or blank")
    backend_name = _text(provider, "backend_name", where).strip() or "tpa-saml"
    if saml_configuration is not None:
        sp = sp_from_openedx_row(saml_configuration, backend_name, f"{source}: saml_configuration")
    else:
        # No SAMLConfiguration row: the SP settings Open edX falls back to are
        # SOCIAL_AUTH_SAML_SP_*; the IdP-initiated flag is read for the backend in use.
        allow = bool(social_setting(backend_name, "ALLOW_IDP_INITIATED", False))
        sp = replace(sp_from_settings("saml"), allow_idp_initiated=allow)
    data_where = f"{source}: provider_data"
    if provider_data is None:
        parsed: list[ProviderData] = []
    elif isinstance(provider_data, Mapping):
        parsed = [provider_data_from_row(provider_data, data_where)]
    else:
        parsed = [
            provider_data_from_row(row, f"{data_where}[{i}]") for i, row in enumerate(provider_data)
        ]
    # Newest first, as the platform orders SAMLProviderData (rows without a date last).
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows = tuple(sorted(parsed, key=lambda row: row.fetched_at or never, reverse=True))
    idp_type = _text(provider, "identity_provider_type", where).strip()
    if "identity_provider_type" not in provider:
        idp_type = STANDARD_SAML_PROVIDER  # the field's default on the platform
    facts = replace(platform or PlatformFacts(), identity_provider_type=idp_type)
    return ProviderConfig(
        slug=slug,
        source=source,
        backend_name=backend_name,
        acs_path=openedx_acs_path(backend_name),
        name=_text(provider, "name", where),
        entity_id=_text(provider, "entity_id", where).strip(),
        metadata_source=_text(provider, "metadata_source", where).strip(),
        attrs={f: _text(provider, f, where) for f in ATTR_FIELDS},
        defaults={f: _text(provider, f, where) for f in DEFAULT_FIELDS},
        automatic_refresh_enabled=_flag(provider, "automatic_refresh_enabled", True, where),
        debug_mode=_flag(provider, "debug_mode", False, where),
        enabled=_flag(provider, "enabled", True, where),
        other_settings=_json_field(provider.get("other_settings"), f"{where}.other_settings"),
        provider_data=rows[0] if rows else None,
        provider_data_rows=rows,
        sp=sp,
        platform=facts,
    )


def _site_facts(value: Any, source: str) -> PlatformFacts:
    """The optional "site" section of a JSON dump: {"domain": ..., "saml_enabled": ...}."""
    where = f"{source}: site"
    if value is None:
        return PlatformFacts()
    if not isinstance(value, dict):
        raise SamlInputError(f"{where}: must be a JSON object")
    unknown = sorted(set(value) - {"domain", "saml_enabled"})
    if unknown:
        raise SamlInputError(f"{where}: unknown key(s): {', '.join(unknown)}")
    domain = _text(value, "domain", where).strip().lower()
    if domain and not _DOMAIN.match(domain):
        raise SamlInputError(f"{where}.domain: not a host name (with an optional port): {domain!r}")
    enabled = value.get("saml_enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise SamlInputError(f"{where}.saml_enabled: must be true or false, got {enabled!r}")
    return PlatformFacts(site_domain=domain, site_saml_enabled=enabled)


def from_json_document(document: Any, source: str) -> ProviderConfig:
    """`{"provider": {...}, "saml_configuration": {...}, "provider_data": {...} or [...],
    "site": {"domain": ..., "saml_enabled": ...}}`."""
    if not isinstance(document, dict):
        raise SamlInputError(f"{source}: must be a JSON object with a 'provider' key")
    provider = document.get("provider")
    if not isinstance(provider, dict):
        raise SamlInputError(f"{source}: 'provider' is required and must be a JSON object")
    configuration = document.get("saml_configuration")
    if configuration is not None and not isinstance(configuration, dict):
        raise SamlInputError(f"{source}: 'saml_configuration' must be a JSON object")
    data = document.get("provider_data")
    rows_ok = isinstance(data, list) and all(isinstance(row, dict) for row in data)
    if data is not None and not isinstance(data, dict) and not rows_ok:
        raise SamlInputError(
            f"{source}: 'provider_data' must be a JSON object or a list of JSON objects"
        )
    known = {"provider", "saml_configuration", "provider_data", "site"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise SamlInputError(f"{source}: unknown top-level key(s): {', '.join(unknown)}")
    return provider_from_openedx_rows(
        provider, configuration, data, source, _site_facts(document.get("site"), source)
    )


def _saml_backend_names() -> list[str]:
    """Names of the SAMLAuth backends in AUTHENTICATION_BACKENDS (not Open edX's tpa-saml)."""
    try:
        from social_core.backends.saml import SAMLAuth
    except ImportError:  # social-core not installed: no settings source
        return []
    names = []
    for path in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        try:
            backend = import_string(path)
        except ImportError:
            continue
        is_saml = isinstance(backend, type) and issubclass(backend, SAMLAuth)
        if is_saml and backend.name != "tpa-saml":
            names.append(str(backend.name))
    return names


def from_social_settings() -> list[ProviderConfig]:
    """One provider per SOCIAL_AUTH_SAML_ENABLED_IDPS entry."""
    names = _saml_backend_names() or ["saml"]
    providers: list[ProviderConfig] = []
    for backend_name in names:
        idps = social_setting(backend_name, "ENABLED_IDPS") or {}
        if not isinstance(idps, Mapping):
            raise SamlInputError(
                f"settings: SOCIAL_AUTH_{backend_name.upper()}_ENABLED_IDPS must be a dict"
            )
        sp = sp_from_settings(backend_name)
        for slug, conf in idps.items():
            where = f"settings: SOCIAL_AUTH_SAML_ENABLED_IDPS[{slug!r}]"
            if not isinstance(conf, Mapping):
                raise SamlInputError(f"{where}: must be a dict")
            providers.append(
                ProviderConfig(
                    slug=str(slug),
                    source="settings",
                    backend_name=backend_name,
                    acs_path=social_acs_path(backend_name),
                    name=str(slug),
                    entity_id=str(conf.get("entity_id") or ""),
                    attrs={f: str(conf.get(f) or "") for f in ATTR_FIELDS},
                    idp_sso_url=str(conf.get("url") or ""),
                    idp_certs=signing_certs(conf),
                    sp=sp,
                )
            )
    return providers


def _model(name: str) -> Any:
    try:
        return apps.get_model("third_party_auth", name)
    except LookupError:
        return None


def _row_values(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(row, f) for f in fields if hasattr(row, f)}


def _configuration_problem(row: Any, model: Any) -> str:
    """Why the SAMLConfiguration a provider points at is not its key's current enabled row.

    The platform uses that row as it is (SAMLProviderConfig.get_config): an edit in the admin
    saves a new row, and the provider keeps the old one's entity id and keys."""
    current = (
        model.objects.filter(site_id=row.site_id, slug=row.slug).order_by("-change_date").first()
    )
    if current is not None and current.pk != row.pk:
        return (
            f"it points at SAMLConfiguration id {row.pk} (site {row.site_id}, slug "
            f"{row.slug!r}), replaced by id {current.pk} on {current.change_date:%Y-%m-%d}"
        )
    if not row.enabled:
        return f"it points at SAMLConfiguration id {row.pk} (slug {row.slug!r}), not enabled"
    return ""


def _default_site_id() -> int | None:
    value = getattr(settings, "SITE_ID", None)
    return int(value) if isinstance(value, int) else None


def from_openedx_models() -> list[ProviderConfig]:
    """Current enabled SAMLProviderConfig rows, read as the platform reads them at login;
    [] when third_party_auth is absent. Read-only, and past Django's and config_models'
    caches: the check reports what the database holds now."""
    provider_model = _model("SAMLProviderConfig")
    if provider_model is None:
        return []
    configuration_model = _model("SAMLConfiguration")
    data_model = _model("SAMLProviderData")
    providers: list[ProviderConfig] = []
    default_site = _default_site_id()
    try:
        for row in provider_model.objects.current_set().filter(enabled=True).order_by("slug"):
            facts = PlatformFacts()
            sp_row = row.saml_configuration
            if configuration_model is not None:
                site_default = (
                    configuration_model.objects.filter(site_id=row.site_id, slug="default")
                    .order_by("-change_date")
                    .first()
                )
                problem = ""
                if sp_row is not None:
                    problem = _configuration_problem(sp_row, configuration_model)
                else:
                    # ConfigurationModel.current() hands back an unsaved row with the
                    # field defaults when there is none: that is what the login gets.
                    sp_row = site_default or configuration_model(site_id=row.site_id)
                site = getattr(row, "site", None)
                domain = ""
                # Django's placeholder domain names no host: LMS_ROOT_URL then.
                if site is not None and row.site_id != default_site:
                    domain = str(site.domain or "").strip().lower()
                    # No browser can send a Host that is not a host name: such a Site never
                    # matches a request, so its logins run on the SITE_ID site's host.
                    if domain == "example.com" or not _DOMAIN.match(domain):
                        domain = ""
                facts = PlatformFacts(
                    site_domain=domain,
                    site_saml_enabled=bool(site_default is not None and site_default.enabled),
                    sp_configuration_problem=problem,
                )
            data_rows: list[Any] = []
            if data_model is not None and row.entity_id:
                data_rows = list(
                    data_model.objects.filter(entity_id=row.entity_id).order_by("-fetched_at")
                )
            providers.append(
                provider_from_openedx_rows(
                    _row_values(row, _PROVIDER_FIELDS),
                    _row_values(sp_row, _SP_FIELDS) if sp_row is not None else None,
                    [_row_values(d, _DATA_FIELDS) for d in data_rows],
                    "openedx-db",
                    facts,
                )
            )
    except DatabaseError as exc:
        message = f"openedx-db: cannot read third_party_auth SAML tables: {exc}"
        raise SamlInputError(message) from exc
    return providers


_PROVIDER_FIELDS = (
    "slug",
    "name",
    "entity_id",
    "metadata_source",
    "backend_name",
    "automatic_refresh_enabled",
    "debug_mode",
    "other_settings",
    "enabled",
    "identity_provider_type",
    *ATTR_FIELDS,
    *DEFAULT_FIELDS,
)
_SP_FIELDS = ("slug", "entity_id", "public_key", "private_key", "org_info_str", "other_config_str")
_DATA_FIELDS = ("entity_id", "sso_url", "public_key", "fetched_at", "expires_at")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")
