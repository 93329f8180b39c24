"""Bulk writes: a Cloud Gate payload that adds, then replaces, 10,000 origins.

Each run goes through what the API and `cors_gate_origins import --cloud-gate` run: the JSON
text is decoded and every origin checked (`transfer.read_cloud_gate`), then applied in one
transaction (`transfer.apply_cloud_gate`). For comparison it also times the per-rule path
(`services.upsert_origins`: one save and one change record a rule) on 1,000 origins, the
path a payload took before bulk replacement; the ratio is per origin.

    .venv/bin/python benchmarks/run.py   (prints "replace 10,000 origins: X s (target ≤ 5 s)")
"""

from __future__ import annotations

import json
import time
from typing import Any

REPLACE_S_MAX = 5.0
ORIGINS = 10_000
PER_RULE_SAMPLE = 1_000


def _payload(prefix: str, n: int) -> str:
    origins = [f"https://{prefix}{i}.apps.example.com" for i in range(n)]
    return json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "replace",
                    "path": "cloudGateCorsSettings",
                    "value": {"cloudGateCorsEnabled": True, "cloudGateCorsAllowedOrigins": origins},
                }
            ],
        }
    )


def _clear() -> None:
    from cors_gate.models import AllowedOrigin, ChangeRecord

    AllowedOrigin.objects.all()._raw_delete(AllowedOrigin.objects.db)
    ChangeRecord.objects.all()._raw_delete(ChangeRecord.objects.db)


def _apply(text: str) -> float:
    from cors_gate import transfer
    from cors_gate.services import Actor

    started = time.perf_counter()
    transfer.apply_cloud_gate(transfer.read_cloud_gate(text), actor=Actor("command"))
    return time.perf_counter() - started


def measure_bulk_writes() -> dict[str, Any]:
    from cors_gate.models import AllowedOrigin, ChangeRecord
    from cors_gate.services import Actor, upsert_origins

    _clear()
    add_s = _apply(_payload("a", ORIGINS))
    replace_s = _apply(_payload("b", ORIGINS))  # deletes the 10,000, adds 10,000 others
    assert AllowedOrigin.objects.count() == ORIGINS
    records = ChangeRecord.objects.count()  # policy once, allow-list once per payload

    _clear()
    patterns = [f"https://c{i}.apps.example.com" for i in range(PER_RULE_SAMPLE)]
    started = time.perf_counter()
    upsert_origins(patterns, enabled=True, actor=Actor("command"))
    per_rule_s = time.perf_counter() - started
    _clear()
    return {
        "origins": ORIGINS,
        "add_s": add_s,
        "replace_s": replace_s,
        "change_records": records,
        "per_rule_sample": PER_RULE_SAMPLE,
        "per_rule_s": per_rule_s,
        "speedup_per_origin": (per_rule_s / PER_RULE_SAMPLE) / (add_s / ORIGINS),
    }


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": f"replace {result['origins']:,} origins <= {REPLACE_S_MAX:.0f} s",
        "figure": f"{result['replace_s']:.2f} s",
        "met": result["replace_s"] <= REPLACE_S_MAX,
    }


def print_lines(result: dict[str, Any]) -> None:
    print(f"add {result['origins']:,} origins: {result['add_s']:.2f} s")
    print(
        f"replace {result['origins']:,} origins: {result['replace_s']:.2f} s "
        f"(target ≤ {REPLACE_S_MAX:.0f} s)"
    )
    print(
        f"  change records for both payloads: {result['change_records']}; per-rule path "
        f"({result['per_rule_sample']:,} origins): {result['per_rule_s']:.2f} s, "
        f"{result['speedup_per_origin']:.0f}x slower per origin"
    )
