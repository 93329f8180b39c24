"""Open edX plugin settings for production: CORS_GATE_* from the YAML config, then common.

Open edX loads `lms.yml` / `cms.yml` into `settings.ENV_TOKENS` (and secrets into
`AUTH_TOKENS` on older releases); any CORS_GATE_* key there overrides the default.
"""

from __future__ import annotations

from typing import Any

from cors_gate.settings import common

SETTING_PREFIX = "CORS_GATE_"


def plugin_settings(settings: Any) -> None:
    for tokens_name in ("ENV_TOKENS", "AUTH_TOKENS"):
        tokens = getattr(settings, tokens_name, None)
        if not isinstance(tokens, dict):
            continue
        for key, value in tokens.items():
            if isinstance(key, str) and key.startswith(SETTING_PREFIX):
                setattr(settings, key, value)
    common.plugin_settings(settings)
