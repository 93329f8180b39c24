"""A read-only view of the Django settings the CORS audit reads.

The audit never touches `django.conf.settings` directly: it reads a `SettingsView`, which
is built from the live settings in production and from a plain dict in tests. The
properties answer with django-cors-headers' own precedence (current name first, then the
old name) and Open edX's rule that `ENABLE_CORS_HEADERS` forces credentials on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cors_gate import conf
from cors_gate.audit.regex_probe import regex_text
from cors_gate.settings.common import (
    INSERTED_SETTING,
    MIDDLEWARE_PATH,
    plugin_middleware_withdrawn,
)

CORSHEADERS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"
CORSHEADERS_DEFAULT_URLS_REGEX = r"^.*$"


@dataclass(frozen=True)
class Named:
    """A setting's value together with the name it was read from (for messages)."""

    name: str
    value: Any


@dataclass(frozen=True)
class SettingsView:
    values: Mapping[str, Any]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SettingsView:
        return cls(dict(values))

    @classmethod
    def from_django(cls) -> SettingsView:
        """The running project's settings, each read only when a rule asks for it.

        Reading every setting would trip Django's deprecation warnings for settings nobody
        uses (DEFAULT_FILE_STORAGE on Django 4.2).
        """
        return cls(_DjangoSettings())

    # -- raw access ----------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def first(self, names: Sequence[str], default: Any) -> Named:
        """The first of `names` that is set, the way django-cors-headers' conf falls back."""
        for name in names:
            if name in self.values:
                return Named(name, self.values[name])
        return Named(names[0], default)

    def feature(self, name: str) -> bool:
        """An Open edX feature flag: a top-level setting or a key of FEATURES."""
        features = self.get("FEATURES")
        in_features = isinstance(features, Mapping) and bool(features.get(name))
        return bool(self.get(name)) or in_features

    # -- django-cors-headers, current and old names --------------------------------------

    @property
    def allow_all(self) -> Named:
        return self.first(conf.CORSHEADERS_ALLOW_ALL, False)

    @property
    def allowed_origins(self) -> Named:
        named = self.first(conf.CORSHEADERS_ALLOWED_ORIGINS, ())
        return Named(named.name, conf.setting_list(named.value))

    @property
    def origin_regexes(self) -> Named:
        named = self.first(conf.CORSHEADERS_ORIGIN_REGEXES, ())
        return Named(named.name, conf.setting_list(named.value))

    @property
    def credentials(self) -> Named:
        """Whether credentialed answers are on, and which setting turned them on.

        Open edX's production settings set CORS_ALLOW_CREDENTIALS = True whenever
        ENABLE_CORS_HEADERS or ENABLE_CROSS_DOMAIN_CSRF_COOKIE is on, so either flag counts.
        """
        if bool(self.get("CORS_ALLOW_CREDENTIALS", False)):
            return Named("CORS_ALLOW_CREDENTIALS", True)
        for flag in ("ENABLE_CORS_HEADERS", "ENABLE_CROSS_DOMAIN_CSRF_COOKIE"):
            if self.feature(flag):
                return Named(flag, True)
        return Named("CORS_ALLOW_CREDENTIALS", False)

    @property
    def corsheaders_urls_regex(self) -> str:
        return regex_text(self.get("CORS_URLS_REGEX", CORSHEADERS_DEFAULT_URLS_REGEX))

    # -- the middleware list and cors_gate's own settings -------------------------------

    @property
    def middleware(self) -> list[str]:
        """MIDDLEWARE as Django will run it: without the plugin's CorsGateMiddleware entry
        when CORS_GATE_AUTO_MIDDLEWARE was turned off after the plugin inserted it."""
        chain = [str(m) for m in conf.setting_list(self.get("MIDDLEWARE", ()))]
        auto = self.get("CORS_GATE_AUTO_MIDDLEWARE", True)
        if plugin_middleware_withdrawn(chain, auto, self.get(INSERTED_SETTING, False)):
            chain.remove(MIDDLEWARE_PATH)
        return chain

    @property
    def installed_apps(self) -> list[str]:
        return [str(a) for a in conf.setting_list(self.get("INSTALLED_APPS", ()))]

    @property
    def corsheaders_active(self) -> bool:
        return CORSHEADERS_MIDDLEWARE in self.middleware

    @property
    def cors_gate_active(self) -> bool:
        return MIDDLEWARE_PATH in self.middleware

    @property
    def pinned_origins(self) -> list[str]:
        return [str(v) for v in conf.setting_list(self.get("CORS_GATE_ALLOWED_ORIGINS", ()))]

    @property
    def csrf_trusted_origins(self) -> list[str]:
        return [str(v) for v in conf.setting_list(self.get("CSRF_TRUSTED_ORIGINS", ()))]


class _DjangoSettings(Mapping[str, Any]):
    """django.conf.settings as a read-only mapping, looked up on demand."""

    def __getitem__(self, name: str) -> Any:
        from django.conf import settings

        try:
            return getattr(settings, name)
        except AttributeError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        from django.conf import settings

        return isinstance(name, str) and name.isupper() and hasattr(settings, name)

    def __iter__(self) -> Iterator[str]:
        from django.conf import settings

        return iter([name for name in dir(settings) if name.isupper()])

    def __len__(self) -> int:
        return sum(1 for _ in self)
