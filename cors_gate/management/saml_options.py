"""The SAML input options, defined once for ``cors_gate_saml check`` and ``cors_gate_audit``.

Kept outside `cors_gate.saml` so that the audit can declare them even where the SAML
validator's libraries are not installed (it then audits CORS only).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SamlOption:
    flag: str
    metavar: str
    help: str
    repeatable: bool = False

    @property
    def dest(self) -> str:
        """The keyword of `cors_gate.saml.build_inputs` this option fills."""
        return self.flag.removeprefix("--").replace("-", "_")


# In this order: `cors_gate_audit --only cors` names the first one given.
SAML_OPTIONS = (
    SamlOption("--okta-app", "FILE", "Okta Apps API JSON of the SAML app."),
    SamlOption("--idp-metadata", "FILE|URL", "IdP metadata XML: a file or an https:// URL."),
    SamlOption("--saml-response", "FILE", "A captured SAMLResponse (base64 or XML)."),
    SamlOption("--relay-state", "VALUE", "The RelayState posted with that response."),
    SamlOption(
        "--lms-url", "URL", "The LMS root URL, e.g. https://lms.example.com (default LMS_ROOT_URL)."
    ),
    SamlOption("--provider", "SLUG", "Check only this provider (its slug)."),
    SamlOption(
        "--provider-json",
        "FILE",
        'A provider as Open edX rows, {"provider": {...}, "saml_configuration": {...}} '
        "(repeatable); replaces the database and settings.",
        repeatable=True,
    ),
)


def add_saml_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *flags: str
) -> None:
    """Add the SAML input options (all of them, or only `flags`) to `parser`."""
    for option in SAML_OPTIONS:
        if flags and option.flag not in flags:
            continue
        if option.repeatable:
            parser.add_argument(
                option.flag, metavar=option.metavar, help=option.help, action="append", default=[]
            )
        else:
            parser.add_argument(option.flag, metavar=option.metavar, help=option.help)


def saml_inputs(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `cors_gate.saml.build_inputs` from a command's options."""
    return {
        option.dest: tuple(options.get(option.dest) or ())
        if option.repeatable
        else options.get(option.dest)
        for option in SAML_OPTIONS
    }


def saml_options_given(options: dict[str, Any]) -> list[str]:
    """The SAML options given on the command line, as their flags."""
    return [option.flag for option in SAML_OPTIONS if options.get(option.dest)]
