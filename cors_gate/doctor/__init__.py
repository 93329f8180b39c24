"""The doctor: will every front end of this site work? One matrix of browser verdicts.

`run_doctor()` discovers the front ends (settings, allow-list, observed origins, extra
origins), replays each one's journeys (journeys.json, overridable) through
`cors_gate.explain.explain()` in one mode, and returns a `Matrix`. The command
``cors_gate_doctor`` and the admin page "Front-end doctor" call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _

from cors_gate.doctor.discovery import DiscoveryError, discover, parse_origin_option
from cors_gate.doctor.journeys import JourneyError, load
from cors_gate.doctor.matrix import DoctorError, Matrix, build_matrix
from cors_gate.explain.explanation import site_url
from cors_gate.origins import url_origin

__all__ = ["DoctorError", "Matrix", "run_doctor"]


def run_doctor(
    *,
    mode: str = "policy",
    base_url: str | None = None,
    origins: Sequence[str] = (),
    journeys_file: str | Path | None = None,
    observed: bool = True,
) -> Matrix:
    """The matrix for this site. Bad input raises DoctorError (one line naming the field)."""
    try:
        journeys = load(journeys_file)
        extra = [parse_origin_option(value) for value in origins]
    except (JourneyError, DiscoveryError) as exc:
        raise DoctorError(str(exc)) from None
    for origin, kind in extra:
        if kind not in journeys.kinds:
            known = ", ".join(sorted(journeys.kinds))
            raise DoctorError(
                _("origin: kind %(kind)r of %(origin)s is not one of %(known)s")
                % {"kind": kind, "origin": origin, "known": known}
            )
    _require_tables()
    site = base_url if mode == "live" and base_url else site_url()
    found = discover(journeys, site_origin=url_origin(site), extra=extra, observed=observed)
    return build_matrix(journeys, found, mode=mode, base_url=base_url)


def _require_tables() -> None:
    """Before ``migrate`` the policy cannot load, and every verdict would be a guess."""
    from django.db import DatabaseError, connection

    from cors_gate.models import CorsPolicy

    try:
        present = CorsPolicy._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        present = False
    if not present:
        raise DoctorError(_("database: cors_gate's tables are not there yet: run migrate first"))
