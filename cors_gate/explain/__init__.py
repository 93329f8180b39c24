"""Explain: predict what a browser does with a cross-origin request, and why.

`explain(...)` takes the same inputs as ``manage.py cors_gate_explain`` and returns the same
JSON-able dict (documented in the README). Bad input raises `ExplainError` (a ValueError
whose text is one line naming the field).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cors_gate.explain.fetch import RequestInputError as ExplainError

__all__ = ["ExplainError", "explain"]


def explain(
    origin: str,
    method: str = "GET",
    headers: Iterable[str | tuple[str, str]] = (),
    credentials: str = "include",
    path: str | None = None,
    url: str | None = None,
    in_process: bool = False,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """See `cors_gate.explain.explain.explain`. Imported on first use, so that the pure
    Fetch/Chromium rules can be imported without loading Django's HTTP machinery."""
    from cors_gate.explain.explain import explain as _explain

    return _explain(
        origin,
        method,
        headers,
        credentials=credentials,
        path=path,
        url=url,
        in_process=in_process,
        timeout=timeout,
    )
