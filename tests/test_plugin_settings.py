"""The Open edX plugin: plugin_settings on an LMS-like settings object, and the plugin_app."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.test import Client, override_settings

from cors_gate import policy as policy_module
from cors_gate.services import Actor, upsert_origins
from cors_gate.settings import common, production

GATE = "cors_gate.middleware.CorsGateMiddleware"

# The LMS's MIDDLEWARE (edx-platform lms/envs/common.py, Redwood/Sumac era), abridged only by
# comments. django-cors-headers sits with the CSRF middleware; the site-configuration
# middleware must stay last.
LMS_MIDDLEWARE = [
    "openedx.core.lib.x_forwarded_for.middleware.XForwardedForMiddleware",
    "crum.CurrentRequestUserMiddleware",
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    "edx_django_utils.monitoring.CookieMonitoringMiddleware",
    "edx_django_utils.monitoring.DeploymentMonitoringMiddleware",
    "edx_django_utils.monitoring.FrontendMonitoringMiddleware",
    "edx_django_utils.monitoring.MonitoringMemoryMiddleware",
    "openedx.core.djangoapps.cookie_metadata.middleware.CookieNameChange",
    "openedx.core.lib.request_utils.ExpectedErrorMiddleware",
    "lms.djangoapps.mobile_api.middleware.AppVersionUpgrade",
    "openedx.core.djangoapps.header_control.middleware.HeaderControlMiddleware",
    "lms.djangoapps.discussion.django_comment_client.middleware.AjaxExceptionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sites.middleware.CurrentSiteMiddleware",
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django_sites_extensions.middleware.RedirectMiddleware",
    "openedx.core.djangoapps.safe_sessions.middleware.SafeSessionMiddleware",
    "openedx.core.djangoapps.cache_toggle.middleware.CacheBackedAuthenticationMiddleware",
    "openedx.core.djangoapps.session_inactivity_timeout.middleware.SessionInactivityTimeout",
    "openedx.core.djangoapps.user_authn.middleware.EmailChangeMiddleware",
    "common.djangoapps.student.middleware.UserStandingMiddleware",
    "openedx.core.djangoapps.contentserver.middleware.StaticContentServer",
    "openedx.core.djangoapps.user_api.middleware.UserTagsEventContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.djangoapps.track.middleware.TrackMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "openedx.core.djangoapps.geoinfo.middleware.CountryMiddleware",
    "openedx.core.djangoapps.embargo.middleware.EmbargoMiddleware",
    "openedx.core.djangoapps.lang_pref.middleware.LanguagePreferenceMiddleware",
    "openedx.core.djangoapps.dark_lang.middleware.DarkLangMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.djangoapps.courseware.middleware.RedirectMiddleware",
    "openedx.core.djangoapps.theming.middleware.CurrentSiteThemeMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "edx_django_utils.cache.middleware.TieredCacheMiddleware",
    "edx_rest_framework_extensions.middleware.RequestCustomAttributesMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "openedx.core.djangoapps.site_configuration.middleware.SessionCookieDomainOverrideMiddleware",
]


def lms_settings(**extra: object) -> SimpleNamespace:
    return SimpleNamespace(MIDDLEWARE=list(LMS_MIDDLEWARE), **extra)


def test_gate_goes_first_and_nothing_else_moves() -> None:
    settings = lms_settings()
    common.plugin_settings(settings)
    assert settings.MIDDLEWARE[0] == GATE
    assert settings.MIDDLEWARE[1:] == LMS_MIDDLEWARE
    assert settings.MIDDLEWARE[-1].endswith("SessionCookieDomainOverrideMiddleware")
    assert settings.MIDDLEWARE.index(GATE) < settings.MIDDLEWARE.index(
        "corsheaders.middleware.CorsMiddleware"
    )


def test_running_twice_or_moving_an_existing_entry_keeps_one_gate() -> None:
    settings = lms_settings()
    common.plugin_settings(settings)
    common.plugin_settings(settings)
    assert settings.MIDDLEWARE.count(GATE) == 1 and settings.MIDDLEWARE[1:] == LMS_MIDDLEWARE
    placed_late = lms_settings()
    placed_late.MIDDLEWARE.insert(25, GATE)  # e.g. next to corsheaders by hand
    common.plugin_settings(placed_late)
    assert [GATE, *LMS_MIDDLEWARE] == placed_late.MIDDLEWARE


def test_tuple_middleware_is_handled() -> None:
    settings = SimpleNamespace(MIDDLEWARE=tuple(LMS_MIDDLEWARE))
    common.plugin_settings(settings)
    assert [GATE, *LMS_MIDDLEWARE] == settings.MIDDLEWARE


def test_auto_middleware_off_leaves_middleware_alone() -> None:
    settings = lms_settings(CORS_GATE_AUTO_MIDDLEWARE=False)
    common.plugin_settings(settings)
    assert settings.MIDDLEWARE == LMS_MIDDLEWARE


def test_production_reads_cors_gate_settings_from_the_yaml_tokens() -> None:
    settings = lms_settings(
        ENV_TOKENS={
            "CORS_GATE_REFRESH_SECONDS": 5,
            "CORS_GATE_ALLOWED_ORIGINS": ["https://apps.example.com"],
            "CORS_ORIGIN_ALLOW_ALL": True,  # not ours: left for the LMS's own settings
        },
    )
    production.plugin_settings(settings)
    assert settings.CORS_GATE_REFRESH_SECONDS == 5
    assert settings.CORS_GATE_ALLOWED_ORIGINS == ["https://apps.example.com"]
    assert not hasattr(settings, "CORS_ORIGIN_ALLOW_ALL")
    assert [GATE, *LMS_MIDDLEWARE] == settings.MIDDLEWARE
    opted_out = lms_settings(ENV_TOKENS={"CORS_GATE_AUTO_MIDDLEWARE": False})
    production.plugin_settings(opted_out)
    assert opted_out.MIDDLEWARE == LMS_MIDDLEWARE


def test_plugin_app_points_at_these_settings_modules() -> None:
    config = apps.get_app_config("cors_gate")
    plugin_app = config.plugin_app
    for project in ("lms.djangoapp", "cms.djangoapp"):
        settings_config = plugin_app["settings_config"][project]
        assert set(settings_config) == {"common", "production"}
        for entry in settings_config.values():
            module = importlib.import_module(f"cors_gate.{entry['relative_path']}")
            assert callable(module.plugin_settings)
        urls = plugin_app["url_config"][project]
        assert urls["namespace"] == "cors_gate" and urls["regex"].startswith("^")
        found = [ep for ep in entry_points(group=project) if ep.name == "cors_gate"]
        assert [ep.value for ep in found] == ["cors_gate.apps:CorsGateConfig"]


# Open edX's session and auth middleware stand in for Django's; use Django's here.
STAND_INS = {
    "openedx.core.djangoapps.safe_sessions.middleware.SafeSessionMiddleware": (
        "django.contrib.sessions.middleware.SessionMiddleware"
    ),
    "openedx.core.djangoapps.cache_toggle.middleware.CacheBackedAuthenticationMiddleware": (
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    ),
}


def _runnable(middleware: list[str]) -> list[str]:
    """The entries that exist outside Open edX, in the order the plugin left them.

    Only Django's, django-cors-headers' and cors_gate's: other importable ones (waffle,
    edx-django-utils) need apps this test project does not install. tests/platform runs
    the whole stock list."""
    keep = []
    for entry in middleware:
        path = STAND_INS.get(entry, entry)
        if not path.startswith(("django.", "corsheaders.", "cors_gate.")):
            continue
        module, _, name = path.rpartition(".")
        try:
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        keep.append(path)
    return keep


@pytest.mark.django_db
def test_first_place_beats_a_wildcard_corsheaders_configuration() -> None:
    """With CORS_ORIGIN_ALLOW_ALL still on in corsheaders, the gate decides."""
    policy_module.reset_for_tests()
    settings = lms_settings()
    common.plugin_settings(settings)
    middleware = _runnable(settings.MIDDLEWARE)
    assert middleware[0] == GATE and "corsheaders.middleware.CorsMiddleware" in middleware
    upsert_origins(["https://apps.example.com"], actor=Actor("shell"))
    with override_settings(MIDDLEWARE=middleware, CORS_ALLOW_ALL_ORIGINS=True):
        client = Client()
        blocked = client.get("/api/hello/", headers={"origin": "https://evil.example"})
        allowed = client.get("/api/hello/", headers={"origin": "https://apps.example.com"})
    assert blocked.status_code == 200 and "Access-Control-Allow-Origin" not in blocked
    assert allowed["Access-Control-Allow-Origin"] == "https://apps.example.com"
    assert allowed["Access-Control-Allow-Credentials"] == "true"


def test_plugin_install_starts_the_policy_in_report_only() -> None:
    settings = SimpleNamespace(MIDDLEWARE=list(LMS_MIDDLEWARE))
    common.plugin_settings(settings)
    assert settings.CORS_GATE_INITIAL_MODE == "report-only"
    explicit = SimpleNamespace(MIDDLEWARE=[], CORS_GATE_INITIAL_MODE="enforce")
    common.plugin_settings(explicit)
    assert explicit.CORS_GATE_INITIAL_MODE == "enforce"  # an operator's choice stands


@pytest.mark.django_db
def test_a_plugin_install_blocks_nothing_until_switched_to_enforce() -> None:
    """Installed on a live site whose MFEs django-cors-headers allows, with no rules yet."""
    from cors_gate.models import CorsPolicy

    stack = [
        GATE,
        "corsheaders.middleware.CorsMiddleware",
        "django.middleware.common.CommonMiddleware",
    ]
    mfe = "https://apps.example.com"
    with override_settings(
        MIDDLEWARE=stack,
        CORS_GATE_INITIAL_MODE="report-only",
        CORS_ALLOWED_ORIGINS=[mfe],
        CORS_ALLOW_CREDENTIALS=True,
    ):
        policy_module.reset_for_tests()
        response = Client().get("/api/hello/", HTTP_ORIGIN=mfe)
        assert response["Access-Control-Allow-Origin"] == mfe  # django-cors-headers' answer stands
        assert CorsPolicy.load().mode == "report-only"


def _platform_phases(yaml: dict[str, object]) -> SimpleNamespace:
    """openedx-platform's order: common's plugin settings run in lms/envs/common.py, then
    production.py loads every YAML key into the settings module and runs production's."""
    settings = lms_settings()
    common.plugin_settings(settings)
    for key, value in yaml.items():
        setattr(settings, key, value)
    settings.ENV_TOKENS = settings.AUTH_TOKENS = yaml
    production.plugin_settings(settings)
    return settings


def test_opt_out_in_the_yaml_takes_back_what_the_common_phase_inserted() -> None:
    assert _platform_phases({"CORS_GATE_AUTO_MIDDLEWARE": False}).MIDDLEWARE == LMS_MIDDLEWARE
    assert [GATE, *LMS_MIDDLEWARE] == _platform_phases({}).MIDDLEWARE


def test_opt_out_in_env_tokens_only_as_on_older_releases() -> None:
    settings = lms_settings()
    common.plugin_settings(settings)
    settings.ENV_TOKENS = {"CORS_GATE_AUTO_MIDDLEWARE": False}
    production.plugin_settings(settings)
    assert settings.MIDDLEWARE == LMS_MIDDLEWARE


def test_opt_out_keeps_a_gate_the_operator_placed_by_hand() -> None:
    # EXTRA_MIDDLEWARE_CLASSES in lms.yml is appended after the common phase inserted its own.
    yaml = {"CORS_GATE_AUTO_MIDDLEWARE": False, "EXTRA_MIDDLEWARE_CLASSES": [GATE]}
    settings = lms_settings()
    common.plugin_settings(settings)
    settings.MIDDLEWARE.append(GATE)
    for key, value in yaml.items():
        setattr(settings, key, value)
    production.plugin_settings(settings)
    assert [*LMS_MIDDLEWARE, GATE] == settings.MIDDLEWARE


def test_a_late_opt_out_makes_the_inserted_middleware_step_out() -> None:
    """A Tutor settings patch runs after both plugin phases: MIDDLEWARE still lists the gate,
    so the gate itself steps out when Django loads the chain, and the audit agrees."""
    from django.core.exceptions import MiddlewareNotUsed

    from cors_gate.audit.settings_view import SettingsView
    from cors_gate.middleware import CorsGateMiddleware

    settings = _platform_phases({})
    chain = settings.MIDDLEWARE
    with override_settings(
        MIDDLEWARE=chain, CORS_GATE_MIDDLEWARE_INSERTED=True, CORS_GATE_AUTO_MIDDLEWARE=False
    ):
        with pytest.raises(MiddlewareNotUsed):
            CorsGateMiddleware(lambda request: None)
        assert GATE not in SettingsView.from_django().middleware
    # Placed by hand as well (two entries): the operator wants it, it stays.
    with override_settings(
        MIDDLEWARE=[*chain, GATE],
        CORS_GATE_MIDDLEWARE_INSERTED=True,
        CORS_GATE_AUTO_MIDDLEWARE=False,
    ):
        CorsGateMiddleware(lambda request: None)
    with override_settings(MIDDLEWARE=chain, CORS_GATE_MIDDLEWARE_INSERTED=True):
        CorsGateMiddleware(lambda request: None)
        assert GATE in SettingsView.from_django().middleware
