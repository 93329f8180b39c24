"""Parse XML we read ourselves with defusedxml: no DTD, no entities, no external anything.

A hostile document (XXE, billion laughs) or broken XML becomes `XmlError` with one line.
"""

from __future__ import annotations

# Only the Element type and ParseError come from the stdlib; parsing is defusedxml's.
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from cors_gate.exceptions import SamlDocumentError


class XmlError(SamlDocumentError):
    pass


def parse_xml(text: str | bytes, what: str) -> ET.Element:
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        # DTDForbidden / EntitiesForbidden / ExternalReferenceForbidden: refuse, never expand.
        raise XmlError(
            f"{what}: refused hostile XML ({type(exc).__name__}: DTDs and entities are not "
            "allowed in SAML documents)"
        ) from exc
    except ET.ParseError as exc:
        raise XmlError(f"{what}: not well-formed XML ({exc})") from exc
    except ValueError as exc:  # e.g. an encoding declaration in a str
        raise XmlError(f"{what}: not parsable XML ({exc})") from exc


def local(tag: str) -> str:
    """'{urn:...}Assertion' -> 'Assertion'."""
    return tag.rsplit("}", 1)[-1]
