"""Explain: predict what a browser does with a cross-origin request, and why.

`explain(...)` takes the same inputs as ``manage.py cors_gate_explain`` and returns the same
JSON-able dict (documented in the README).
"""

from __future__ import annotations

from typing import Any


def explain(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See `cors_gate.explain.explain.explain`; imported lazily so that importing the package
    (for the pure Fetch/Chromium rules) does not load Django models."""
    from cors_gate.explain.explain import explain as _explain

    return _explain(*args, **kwargs)
