"""What to enter in the Okta app for one provider: the settings of the answer in the Open
edX forum thread "Cross-Origin Resource Sharing error: Preflight Missing Allow Origin
Header", generated from the provider's real configuration."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cors_gate.saml.spsettings import effective_security, settings_dict, sp_name_id_format
from cors_gate.saml.types import ATTR_FIELDS, ProviderConfig

# Okta Expression Language for each Open edX attribute field (the forum's choices).
EXPRESSIONS: dict[str, str] = {
    "attr_first_name": "user.firstName",
    "attr_last_name": "user.lastName",
    "attr_email": "user.email",
    "attr_full_name": 'String.join(" ", user.firstName, user.lastName)',
    "attr_username": (
        'String.len(user.nickName) > 0 ? user.nickName : substringBefore(user.login, "@")'
    ),
    # Okta's immutable user id: never reused, unlike a login or an email address.
    "attr_user_permanent_id": 'user.getInternalProperty("id")',
}

NAME_ID_LABELS = {
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified": "Unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress": "EmailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "Persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient": "Transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName": "x509SubjectName",
}


@dataclass(frozen=True)
class Item:
    field: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Statement:
    name: str
    value: str
    fields: list[str]
    name_format: str = "Unspecified"


@dataclass
class Checklist:
    provider: str
    source: str
    settings: list[Item] = field(default_factory=list)
    attribute_statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def to_text(self) -> str:
        width = max(len(i.field) for i in self.settings)
        lines = [f"Okta app settings for SAML provider {self.provider!r} ({self.source})", ""]
        for item in self.settings:
            note = f"  ({item.note})" if item.note else ""
            lines.append(f"  {item.field.ljust(width)}  {item.value}{note}")
        lines += ["", "Attribute Statements (Name format: Unspecified)"]
        if not self.attribute_statements:
            lines.append("  (none: the provider's attr_* fields are all blank)")
        name_width = max((len(s.name) for s in self.attribute_statements), default=0)
        for st in self.attribute_statements:
            lines.append(f"  {st.name.ljust(name_width)}  {st.value}  [{', '.join(st.fields)}]")
        if self.notes:
            lines.append("")
            lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def build_checklist(provider: ProviderConfig, lms_url: str | None) -> Checklist:
    lms_url = provider.login_root(lms_url)  # another Site's provider: that site's host
    base = lms_url or "https://<lms>"
    acs = base + provider.acs_path
    security = effective_security(settings_dict(provider, acs))
    name_id = sp_name_id_format(provider)
    encrypted = bool(security.get("wantAssertionsEncrypted"))
    sp_entity = provider.sp.entity_id or f"{base} (set the SP entity id first)"
    checklist = Checklist(provider=provider.slug, source=provider.source)
    checklist.settings = [
        Item("Single sign on URL", acs, "check 'Use this for Recipient URL and Destination URL'"),
        Item("Recipient URL", acs),
        Item("Destination URL", acs),
        Item("Audience URI (SP Entity ID)", sp_entity, "exactly, a trailing slash counts"),
        Item("Default RelayState", provider.slug, "the provider slug, case-sensitive"),
        Item("Name ID format", NAME_ID_LABELS.get(name_id, name_id)),
        Item("Application username", "Okta username"),
        Item("Update application username on", "Create and update"),
        Item("Response", "Signed"),
        Item("Assertion Signature", "Signed"),
        Item("Signature Algorithm", "RSA_SHA256"),
        Item("Digest Algorithm", "SHA256"),
        Item(
            "Assertion Encryption",
            "Encrypted" if encrypted else "Unencrypted",
            "upload the SP certificate as encryption certificate" if encrypted else "",
        ),
        Item("SAML Single Logout", "Disabled"),
        Item("Honor Force Authentication", "Yes"),
    ]
    by_name: dict[str, Statement] = {}
    # The permanent id last: when it shares a name (the forum's "username"), the statement
    # keeps the more specific field's expression.
    for attr_field in sorted(ATTR_FIELDS, key=lambda f: f == "attr_user_permanent_id"):
        name = provider.attr(attr_field)
        if not name or name == "name_id":
            continue
        if name in by_name:
            by_name[name].fields.append(attr_field)
        else:
            by_name[name] = Statement(name, EXPRESSIONS[attr_field], [attr_field])
    checklist.attribute_statements = list(by_name.values())
    if not provider.attr("attr_user_permanent_id"):
        checklist.notes.append(
            "attr_user_permanent_id is blank: the NameID (the Okta username) is the user id; "
            "keep the Name ID format Unspecified or Persistent, never Transient."
        )
    if not lms_url:
        checklist.notes.append("No LMS URL known: pass --lms-url to fill in <lms>.")
    return checklist
