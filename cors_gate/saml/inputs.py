"""Build `SamlInputs` from command-line-like options (the `cors_gate_saml check` options;
the audit command passes the same ones through).

Everything that makes an option unusable raises `SamlInputError` with one line saying what
and where. What is wrong *inside* a usable document (bad XML in the metadata, a response
that does not validate) is the validator's business and becomes a finding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from cors_gate import jsontext
from cors_gate.saml import sources
from cors_gate.saml.errors import SamlInputError
from cors_gate.saml.types import ProviderConfig, SamlInputs

MAX_BYTES = 5 * 1024 * 1024  # no SAML document a site needs is anywhere near this
FETCH_TIMEOUT = 10.0  # seconds, for the metadata URL (connect and each read)


def read_file(path: str, what: str) -> str:
    """A UTF-8 text file of at most 5 MB, or a one-line SamlInputError."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise SamlInputError(f"{what} {path}: not a regular file")
        if size > MAX_BYTES:
            raise SamlInputError(f"{what} {path}: {size} bytes, larger than the 5 MB limit")
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise SamlInputError(f"{what} {path}: no such file") from exc
    except OSError as exc:
        raise SamlInputError(f"{what} {path}: cannot read ({exc.strerror})") from exc
    if len(data) > MAX_BYTES:  # grew while we read it, or a device: still refuse
        raise SamlInputError(f"{what} {path}: larger than the 5 MB limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SamlInputError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from exc


def read_json(path: str, what: str) -> Any:
    text = read_file(path, what)
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise SamlInputError(f"{what} {path}: not usable JSON ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise SamlInputError(
            f"{what} {path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc


def fetch_url(url: str, what: str = "--idp-metadata") -> str:
    """GET a metadata URL with a 10 s timeout and the 5 MB cap."""
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=True) as resp:
            if resp.status_code != 200:
                raise SamlInputError(f"{what} {url}: HTTP {resp.status_code} {resp.reason}")
            chunks: list[bytes] = []
            total = 0
            for chunk in resp.iter_content(64 * 1024):
                total += len(chunk)
                if total > MAX_BYTES:
                    raise SamlInputError(f"{what} {url}: larger than the 5 MB limit")
                chunks.append(chunk)
            # XML is UTF-8 unless the server names a charset (requests' ISO-8859-1 guess for
            # text/* without one would garble it).
            declared = "charset=" in resp.headers.get("Content-Type", "").lower()
            encoding = (resp.encoding if declared else None) or "utf-8"
    except requests.Timeout as exc:
        raise SamlInputError(
            f"{what} {url}: no answer within {FETCH_TIMEOUT:.0f} s (timeout)"
        ) from exc
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise SamlInputError(f"{what} {url}: cannot fetch ({reason})") from exc
    try:
        return b"".join(chunks).decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SamlInputError(f"{what} {url}: body is not {encoding} text") from exc


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def load_providers(
    provider_json: Sequence[str] = (), provider: str | None = None
) -> list[ProviderConfig]:
    """--provider-json files when given (a pre-deploy check), else the database and settings."""
    if provider_json:
        found = [
            sources.from_json_document(read_json(p, "--provider-json"), f"json:{p}")
            for p in provider_json
        ]
    else:
        found = sources.from_openedx_models() + sources.from_social_settings()
    if provider is not None:
        chosen = [p for p in found if p.slug == provider]
        if not chosen:
            known = ", ".join(sorted(p.slug for p in found)) or "none configured"
            raise SamlInputError(f"--provider {provider}: no such SAML provider (known: {known})")
        return chosen
    return found


def default_lms_url() -> str | None:
    """Open edX's LMS_ROOT_URL when the site has one."""
    value = getattr(settings, "LMS_ROOT_URL", None)
    return str(value) if value else None


def build_inputs(
    *,
    provider: str | None = None,
    okta_app: str | None = None,
    idp_metadata: str | None = None,
    saml_response: str | None = None,
    relay_state: str | None = None,
    lms_url: str | None = None,
    provider_json: Sequence[str] = (),
) -> SamlInputs:
    """The `check` options -> SamlInputs. File arguments are paths; idp_metadata may be a URL.

    Usage errors in the arguments come first: a wrong path is reported as such even where
    the provider tables cannot be read."""
    if lms_url is not None:
        lms_url = lms_url.strip()
        if not is_url(lms_url):
            raise SamlInputError(f"--lms-url {lms_url!r}: must start with https:// or http://")
    app = None
    if okta_app:
        app = read_json(okta_app, "--okta-app")
        if not isinstance(app, dict):
            raise SamlInputError(f"--okta-app {okta_app}: must be a JSON object (one Okta app)")
    metadata = metadata_url = None
    if idp_metadata and not is_url(idp_metadata):
        metadata = read_file(idp_metadata, "--idp-metadata")
    response = read_file(saml_response, "--saml-response") if saml_response else None
    providers = load_providers(provider_json, provider)
    if idp_metadata and is_url(idp_metadata):
        metadata_url = idp_metadata
        metadata = fetch_url(idp_metadata)
    return SamlInputs(
        providers=tuple(providers),
        okta_app=app,
        idp_metadata=metadata,
        saml_response=response,
        relay_state=relay_state,
        lms_url=lms_url or default_lms_url(),
        metadata_url=metadata_url,
    )
