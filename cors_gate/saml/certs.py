"""Certificates and keys as SAML configurations store them (PEM, or the bare base64 body
that Open edX keeps after stripping the BEGIN/END lines), read with `cryptography`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from cors_gate.exceptions import SamlDocumentError

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----|-----END [A-Z ]+-----")


class CertError(SamlDocumentError):
    """The text is not a certificate / private key; the message says why in a few words."""


def signing_certs(idp: Mapping[str, Any]) -> tuple[str, ...]:
    """An IdP's signing certificates as python3-saml settings hold them: `x509cert`, else
    `x509certMulti["signing"]` (social-core's ENABLED_IDPS entries, parsed metadata)."""
    if idp.get("x509cert"):
        return (str(idp["x509cert"]),)
    multi = idp.get("x509certMulti")
    signing = multi.get("signing") if isinstance(multi, Mapping) else None
    if isinstance(signing, str):
        return (signing,)
    if isinstance(signing, list | tuple):
        return tuple(str(c) for c in signing)
    return ()  # absent or of no usable shape: reported as a missing certificate


def _der(text: str) -> bytes:
    body = "".join(_PEM_BLOCK.sub("", text).split())
    if not body:
        raise CertError("empty")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertError("not base64") from exc


@dataclass(frozen=True)
class CertInfo:
    cert: x509.Certificate

    @property
    def not_after(self) -> dt.datetime:
        return self.cert.not_valid_after_utc

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex(":").upper()

    @property
    def subject(self) -> str:
        return self.cert.subject.rfc4514_string() or "(empty subject)"

    def describe(self) -> str:
        short = self.fingerprint[:23]
        return f"{self.subject}, SHA-256 {short}…, expires {self.not_after:%Y-%m-%d}"

    def public_der(self) -> bytes:
        try:
            key = self.cert.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise CertError(f"its public key cannot be read ({exc})") from None
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def load_cert(text: str) -> CertInfo:
    der = _der(text)
    try:
        return CertInfo(x509.load_der_x509_certificate(der))
    except ValueError as exc:
        raise CertError("not an X.509 certificate") from exc


def load_private_key(text: str) -> PrivateKeyTypes:
    der = _der(text)
    # Open edX strips the header, so the DER may be PKCS#8 or the older PKCS#1 "RSA" form;
    # load_der_private_key reads both.
    try:
        return serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError) as exc:
        raise CertError("not an unencrypted private key") from exc


def key_matches_cert(key: PrivateKeyTypes, cert: CertInfo) -> bool:
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        return public == cert.public_der()
    except CertError:
        return False  # a certificate whose key cannot be read matches no private key


def _public_keys(certs: Iterable[str]) -> set[bytes]:
    keys = set()
    for text in certs:
        try:
            keys.add(load_cert(text).public_der())
        except CertError:
            continue  # an unparsable certificate matches nothing
    return keys


def share_a_key(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether signatures checked with a certificate of `a` verify with one of `b`: some
    two have the same public key (a re-issued certificate for the same key counts as the
    same). Certificates that do not parse match nothing."""
    return bool(_public_keys(a) & _public_keys(b))
