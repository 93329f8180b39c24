"""Explain: predict what a browser does with a cross-origin request, and why.

`cors_gate.explain.explain(...)` takes the same inputs as ``manage.py cors_gate_explain``
and returns an `Explanation`, whose `as_dict()` is the command's JSON (documented in
docs/how-to/explain-a-failure.rst). Bad input raises `ExplainError` (a ValueError whose text is
one line naming the field).
"""

from __future__ import annotations

from cors_gate.explain.explanation import ExplainError, Explanation, explain

__all__ = ["ExplainError", "Explanation", "explain"]
