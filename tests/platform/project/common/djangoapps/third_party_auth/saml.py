"""openedx-platform's common.djangoapps.third_party_auth.saml, as far as AUTHENTICATION_BACKENDS
needs it: the dotted path production.py lists, naming the stand-in's SAMLAuthBackend.

The stand-in app (tests/platform/third_party_auth, label "third_party_auth") must be on the
Python path and in ADDL_INSTALLED_APPS; on a site without it this module does not import,
exactly as a missing backend would not on the platform.
"""

from __future__ import annotations

from third_party_auth.saml import SAMLAuthBackend

__all__ = ["SAMLAuthBackend"]
