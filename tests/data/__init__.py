"""Documents the tests read as their authors published them."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def cloud_gate_sample_payload() -> str:
    """The sample PatchOp payload verbatim from Oracle Cloud Gate's CORS documentation
    ("Sample payload."), malformed as printed there: one key lacks its closing quote."""
    return (HERE / "cloud_gate_sample_payload.txt").read_text(encoding="utf-8").strip()


def repaired_cloud_gate_sample_payload() -> str:
    """The same payload with its missing quote restored: valid JSON, so what it asks for
    (an `https://*:*` entry among others) is judged instead of its syntax."""
    return cloud_gate_sample_payload().replace(
        '"cloudGateCorsMaxAge: 60', '"cloudGateCorsMaxAge": 60'
    )
