"""The matrix as an aligned text table and as JSON (stable keys; keys may be added)."""

from __future__ import annotations

import string
from typing import Any

from cors_gate.doctor.journeys import SHIPPED
from cors_gate.doctor.matrix import NOT_RUN, Matrix

MODE_TITLES = {
    "policy": "policy (cors_gate's middleware alone, no HTTP)",
    "in-process": "in-process (this site's middleware and views)",
    "live": "live (real HTTP)",
}


def labels(matrix: Matrix) -> list[str]:
    """A, B, …, Z, AA, AB, … — one short column name per front end."""
    letters = string.ascii_uppercase
    out = []
    for index in range(len(matrix.frontends)):
        label = ""
        n = index
        while True:
            label = letters[n % 26] + label
            n = n // 26 - 1
            if n < 0:
                break
        out.append(label)
    return out


def _file_names(files: tuple[str, ...]) -> list[str]:
    return ["shipped" if f == str(SHIPPED) else f for f in files]


def _short(path: str, limit: int = 32) -> str:
    path = path.split("?")[0]
    return path if len(path) <= limit else path[: limit - 1] + "…"


def cell_text(matrix: Matrix, origin: str, step_key: str) -> str:
    cell = matrix.cells.get((origin, step_key))
    if cell is None:
        return NOT_RUN
    if cell.ok:
        return "OK" if cell.severity == "ok" else "OK (warning)"
    return cell.outcome


def render_text(matrix: Matrix) -> str:
    names = labels(matrix)
    lines = [
        f"Site:       {matrix.site}",
        f"Mode:       {MODE_TITLES.get(matrix.mode, matrix.mode)}",
        f"Journeys:   {', '.join(_file_names(matrix.journey_files))}",
        f"Front ends: {len(matrix.frontends)}",
    ]
    for name, front in zip(names, matrix.frontends, strict=True):
        lines.append(f"  {name}  {front.origin}  [{front.kind}]  from {'; '.join(front.sources)}")
    if not matrix.frontends:
        lines.append("  (none found: add one with --origin https://app.example.com)")
    lines.append("")
    header = ["step", *names]
    rows = [
        [f"{step.journey}.{step.id} {step.method} {_short(step.path)}"]
        + [cell_text(matrix, front.origin, step.key) for front in matrix.frontends]
        for step in matrix.steps
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        lines.append("  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip())
    problems = [
        (names[matrix.frontends.index(front)], front, step)
        for front in matrix.frontends
        for step in matrix.steps
        if (cell := matrix.cell(front.origin, step)) is not None and cell.severity != "ok"
    ]
    if problems:
        lines.append("")
        lines.append("Problems:")
    for name, front, step in problems:
        cell = matrix.cell(front.origin, step)
        assert cell is not None
        where = (
            f" at {cell.failing_method or ''} {cell.failing_url}".replace("  ", " ")
            if cell.failing_url
            else ""
        )
        lines.append(f"  {name} {step.journey}.{step.id}: {cell.outcome}{where}")
        if cell.decision is not None:
            verdict = "allowed" if cell.decision["allowed"] else "not allowed"
            lines.append(
                f"      cors_gate: {verdict} ({cell.decision['reason']}): {cell.decision['detail']}"
            )
        lines.append(f"      {cell.message}")
        if cell.fix:
            lines.append(f"      Fix: {cell.fix}")
        if cell.assumed:
            lines.append(f"      Assumed: {cell.assumed}")
    if matrix.skipped:
        lines.append("")
        lines.append("Not checked:")
        lines.extend(f"  {entry}" for entry in matrix.skipped)
    counts = matrix.counts()
    lines.append("")
    lines.append(
        f"{len(matrix.frontends)} front ends, {counts['checks']} checks: {counts['ok']} OK, "
        f"{counts['errors']} blocked, {counts['warnings']} warnings"
    )
    return "\n".join(lines)


def render_json(matrix: Matrix) -> dict[str, Any]:
    counts = matrix.counts()
    return {
        "site": matrix.site,
        "mode": matrix.mode,
        "journey_files": list(matrix.journey_files),
        "frontends": [front.as_dict() for front in matrix.frontends],
        "steps": [step.as_dict() for step in matrix.steps],
        "cells": [
            matrix.cells[(front.origin, step.key)].as_dict()
            for front in matrix.frontends
            for step in matrix.steps
            if (front.origin, step.key) in matrix.cells
        ],
        "skipped": list(matrix.skipped),
        "summary": {
            "frontends": len(matrix.frontends),
            "checks": counts["checks"],
            "ok": counts["ok"],
            "errors": counts["errors"],
            "warnings": counts["warnings"],
        },
    }
