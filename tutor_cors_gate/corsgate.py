"""Tutor plugin for cors_gate: install it into the Open edX image and configure it.

Enable with ``tutor plugins enable corsgate``. It adds cors_gate to the image's Python
requirements and renders the ``CORSGATE_*`` Tutor settings as the ``CORS_GATE_*`` Django
settings of the LMS and Studio (``openedx-lms-common-settings`` /
``openedx-cms-common-settings``: production and development alike).

One file, so that it works both installed (``pip install ./tutor_cors_gate``, entry point
``tutor.plugin.v1``) and copied into ``$(tutor plugins printroot)``.
"""

from __future__ import annotations

from tutor import hooks

__version__ = "0.1.0"

# Tutor settings (prefixed CORSGATE_) -> what they become. Values are the defaults.
CONFIG_DEFAULTS: dict[str, object] = {
    # What the image installs. Point it at a git URL or a wheel to install from elsewhere.
    "PIP_REQUIREMENT": f"cors_gate=={__version__}",
    # The Django settings cors_gate reads (docs/reference/settings.rst).
    "AUTO_MIDDLEWARE": True,
    "INITIAL_MODE": "report-only",
    "ALLOWED_ORIGINS": [],
    "REFRESH_SECONDS": 1,
    "CACHE": "default",
    "RECORD_OBSERVATIONS": True,
    "PREFLIGHT_PASSTHROUGH": False,
    "CORSHEADERS_SIGNAL": False,
}

hooks.Filters.CONFIG_DEFAULTS.add_items(
    [(f"CORSGATE_{name}", value) for name, value in CONFIG_DEFAULTS.items()]
)


def _python(name: str) -> str:
    """A Jinja expression rendering the Tutor value `name` as a Python literal.

    tojson gives valid Python for strings, numbers and lists of strings; booleans need
    Python's spelling.
    """
    value = CONFIG_DEFAULTS[name]
    if isinstance(value, bool):
        return f'{{{{ "True" if CORSGATE_{name} else "False" }}}}'
    return f"{{{{ CORSGATE_{name}|tojson }}}}"


# Rendered into the LMS and Studio settings after openedx-platform's own settings and its
# plugin phases: CORS_GATE_AUTO_MIDDLEWARE = False here still works, because the gate the
# plugin inserted steps out of the chain when Django loads MIDDLEWARE.
SETTINGS_PATCH = "\n".join(
    [
        "# cors_gate (Tutor plugin corsgate)",
        *(
            f"CORS_GATE_{name} = {_python(name)}"
            for name in CONFIG_DEFAULTS
            if name != "PIP_REQUIREMENT"
        ),
        "# end of cors_gate",
    ]
)

# The same RUN line Tutor writes for each OPENEDX_EXTRA_PIP_REQUIREMENTS entry. A plugin
# cannot append to that list without replacing the operator's own entries, so it adds its
# own line right before them.
DOCKERFILE_PATCH = (
    "# cors_gate (Tutor plugin corsgate)\n"
    "RUN --mount=type=cache,target=/openedx/.cache/pip,sharing=shared \\\n"
    "    $PIP_COMMAND install '{{ CORSGATE_PIP_REQUIREMENT }}'"
)

hooks.Filters.ENV_PATCHES.add_items(
    [
        ("openedx-dockerfile-post-python-requirements", DOCKERFILE_PATCH),
        ("openedx-lms-common-settings", SETTINGS_PATCH),
        ("openedx-cms-common-settings", SETTINGS_PATCH),
    ]
)
