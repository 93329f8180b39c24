"""Explain: predict what a browser does with a cross-origin request, and why.

`cors_gate.explain.explain(...)` takes the same inputs as ``manage.py cors_gate_explain``
and returns the same JSON-able dict (documented in the README). Bad input raises
`ExplainError` (a ValueError whose text is one line naming the field).
"""

from __future__ import annotations

# The submodule explain.py shares the function's name; the package exports the function.
from cors_gate.explain.explain import ExplainError, explain

__all__ = ["ExplainError", "explain"]
