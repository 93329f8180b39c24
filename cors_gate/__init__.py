"""cors_gate: admin-managed CORS enforcement, explanations and audits for Django / Open edX."""

from __future__ import annotations

__version__ = "0.1.0"
