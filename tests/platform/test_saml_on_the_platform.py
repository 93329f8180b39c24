"""The SAML validator inside an LMS-shaped project, over third_party_auth rows in its database.

The LMS is configured as an operator configures SAML on openedx-platform: third_party_auth in
the installed apps, FEATURES.ENABLE_THIRD_PARTY_AUTH in lms.yml, and production.py putting
the platform's SAMLAuthBackend (common.djangoapps.third_party_auth.saml) in front of
AUTHENTICATION_BACKENDS. The rows are the Okta provider of the Open edX forum thread
"Cross-Origin Resource Sharing error: Preflight Missing Allow Origin Header", written through
the stand-in models (django-config-models' ConfigurationModel) by ``manage.py lms shell``;
the verdicts come from ``manage.py lms cors_gate_saml check`` and
``cors_gate_audit``, each in its own process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.platform.helpers import PROJECT, Run, Site
from tests.saml import factory as F
from tests.saml.factory import HARDENED

pytestmark = pytest.mark.openedx

# The stand-in app imports as top-level `third_party_auth`, as the platform's label.
STANDINS = str(PROJECT.parent)
TPA_SAML_BACKEND = "common.djangoapps.third_party_auth.saml.SAMLAuthBackend"

# lms.yml of an LMS behind a TLS proxy with SAML turned on (the forum's site settings).
LMS_YML: dict[str, Any] = {
    "ADDL_INSTALLED_APPS": ["third_party_auth"],
    "FEATURES": {"ENABLE_THIRD_PARTY_AUTH": True},
    "LMS_ROOT_URL": F.LMS,
    "SESSION_COOKIE_SECURE": True,
    "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    "SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED": True,
}

# Runs in `manage.py lms shell`: the rows an operator saves in the LMS admin (and that
# `manage.py lms saml --pull` stores), then what the LMS itself makes of its backends.
WRITE_ROWS = """
import json
from django.conf import settings
from django.contrib.sites.models import Site
from django.utils.module_loading import import_string
from social_core.backends.saml import SAMLAuth
from third_party_auth.models import SAMLConfiguration, SAMLProviderConfig, SAMLProviderData

doc = json.load(open({path!r}))
site = Site.objects.get(pk=settings.SITE_ID)
SAMLConfiguration(**doc["saml_configuration"], enabled=True, site=site).save()
SAMLProviderConfig(**doc["provider"], site=site).save()
SAMLProviderData.objects.create(**doc["provider_data"])
backend = import_string({backend!r})
print(json.dumps({{
    "backends": list(settings.AUTHENTICATION_BACKENDS),
    "tpa_saml": issubclass(backend, SAMLAuth) and backend.name,
    "providers": [p.slug for p in SAMLProviderConfig.objects.current_set().filter(enabled=True)],
}}))
"""

# The admin's "disable" on the site's default SAML Configuration: a new, disabled version.
DISABLE_SITE_SAML = """
import json
from third_party_auth.models import SAMLConfiguration

row = SAMLConfiguration.current(1, "default")
row.enabled = False
row.save()
print(json.dumps(list(SAMLConfiguration.objects.values_list("enabled", flat=True))))
"""


def saml_check(site: Site, okta_app: str) -> tuple[Run, dict[str, Any]]:
    run = site.manage(
        "cors_gate_saml", "check", "--okta-app", okta_app, "--format", "json", pythonpath=STANDINS
    )
    assert "Traceback" not in run.output, run.output
    return run, json.loads(run.stdout)


def audit(site: Site, okta_app: str) -> tuple[Run, dict[str, Any]]:
    """The whole-site audit (CORS and SAML) with the same Okta app."""
    run = site.manage(
        "cors_gate_audit", "--okta-app", okta_app, "--format", "json", pythonpath=STANDINS
    )
    assert "Traceback" not in run.output, run.output
    return run, json.loads(run.stdout)


def errors(report: dict[str, Any]) -> set[str]:
    return {f["id"] for f in report["findings"] if f["severity"] == "error"}


@pytest.fixture
def lms(tmp_path: Path) -> tuple[Site, str]:
    """An LMS with SAML on, migrated, holding the forum's working Okta set-up as rows; and
    the Okta app (the recorded Apps API JSON) that matches it."""
    site = Site("lms", tmp_path, LMS_YML)
    migrate = site.manage("migrate", "--noinput", pythonpath=STANDINS)
    assert migrate.returncode == 0, migrate.output
    assert "Applying third_party_auth.0001_initial" in migrate.output
    doc = F.forum_document()
    doc["saml_configuration"]["other_config_str"] = json.dumps({"SECURITY_CONFIG": HARDENED})
    rows = F.write_json(tmp_path, "rows.json", doc)
    seen = site.probe(WRITE_ROWS.format(path=rows, backend=TPA_SAML_BACKEND), pythonpath=STANDINS)
    # production.py put the platform's SAML backend in front, as openedx-platform does.
    assert TPA_SAML_BACKEND in seen["backends"]
    assert seen["backends"][-1] == "django.contrib.auth.backends.ModelBackend"
    assert seen["tpa_saml"] == "tpa-saml"
    assert seen["providers"] == ["okta"]
    return site, F.write_json(tmp_path, "okta_app.json", F.okta_app())


def test_working_okta_rows_pass_then_a_disabled_site_configuration_is_a_404(
    lms: tuple[Site, str],
) -> None:
    site, okta_app = lms
    run, report = saml_check(site, okta_app)
    assert run.returncode == 0, run.output
    assert report["findings"] == [] and report["summary"]["errors"] == 0, run.stdout

    # The whole-site audit reads the same rows and agrees: nothing in it is an error (the
    # CORS side of a fresh install only warns while it is report-only).
    run, whole = audit(site, okta_app)
    assert run.returncode == 0, run.output
    assert errors(whole) == set() and whole["summary"]["errors"] == 0, run.stdout
    assert whole["summary"]["passed"] > report["summary"]["passed"]  # CORS rules ran too

    assert site.probe(DISABLE_SITE_SAML, pythonpath=STANDINS) == [True, False]
    run, report = saml_check(site, okta_app)
    assert run.returncode == 1, run.output
    assert "saml.site-saml-off" in errors(report), run.stdout
    (off,) = (f for f in report["findings"] if f["id"] == "saml.site-saml-off")
    assert "404" in off["title"]
    run, whole = audit(site, okta_app)
    assert run.returncode == 1, run.output
    assert errors(whole) == {"saml.site-saml-off"}, run.stdout


def test_third_party_auth_off_or_the_saml_backend_left_out_means_no_saml_login(
    lms: tuple[Site, str],
) -> None:
    site, okta_app = lms
    # The same rows; lms.yml now turns third-party auth off (the platform's default).
    site.write_config({**LMS_YML, "FEATURES": {"ENABLE_THIRD_PARTY_AUTH": False}})
    run, report = saml_check(site, okta_app)
    assert run.returncode == 1, run.output
    # Off, production.py adds no third-party backend either: both say "no SAML login".
    assert errors(report) == {"saml.third-party-auth-off", "saml.tpa-backend-missing"}, run.stdout

    # Third-party auth on, but THIRD_PARTY_AUTH_BACKENDS in lms.yml lists no SAML backend.
    site.write_config(
        {**LMS_YML, "THIRD_PARTY_AUTH_BACKENDS": ["social_core.backends.google.GoogleOAuth2"]}
    )
    run, report = saml_check(site, okta_app)
    assert run.returncode == 1, run.output
    assert errors(report) == {"saml.tpa-backend-missing"}, run.stdout
    (missing,) = (f for f in report["findings"] if f["id"] == "saml.tpa-backend-missing")
    assert TPA_SAML_BACKEND in missing["fix"]
