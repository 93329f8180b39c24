"""Open edX plugin settings for production: CORS_GATE_* from the YAML config, then common.

Current openedx-platform (lms/envs/production.py) loads every key of `lms.yml` /
`cms.yml` into the settings module itself before this runs, so `CORS_GATE_*` keys are
already settings. Older releases only kept them in `ENV_TOKENS` (and secrets in
`AUTH_TOKENS`); those are read too. Then common's plugin_settings runs again, now seeing
the operator's values: `CORS_GATE_AUTO_MIDDLEWARE: false` takes back the middleware the
common phase inserted before the YAML was read.
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
