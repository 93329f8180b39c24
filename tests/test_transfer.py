"""Import from django-cors-headers settings, Cloud Gate payload import/export, via the command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy
from cors_gate.transfer import convert_regex
from tests.data import cloud_gate_sample_payload, repaired_cloud_gate_sample_payload

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("cors_gate_origins", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def patterns() -> dict[str, AllowedOrigin]:
    return {o.pattern: o for o in AllowedOrigin.objects.all()}


OPENEDX_WHITELIST = [
    "learning.example.com",
    "localhost:2000",
    "https://apps.example.com",
    "https://studio.example.com/",
    "https://APPS.example.com",
    "null",
]


@pytest.fixture
def openedx_settings(settings: Any) -> Any:
    """A production-like LMS (openedx-platform's production settings use the old names): the
    historical bare host names next to https:// entries."""
    settings.CORS_ORIGIN_ALLOW_ALL = False
    settings.CORS_ORIGIN_WHITELIST = list(OPENEDX_WHITELIST)
    settings.CORS_ORIGIN_REGEX_WHITELIST = [
        r"^https://[\w-]+\.example\.com$",
        r"^https://([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)?partner\.org$",
        r"^https://ecommerce\.example\.com",
    ]
    return settings


# -- from settings --------------------------------------------------------------------------


def test_dry_run_shows_the_plan_and_changes_nothing(openedx_settings: Any) -> None:
    out, _ = run("import", "--from-settings", "--dry-run")
    assert AllowedOrigin.objects.count() == 0
    lines = out.splitlines()
    assert (
        "would add https://apps.example.com\t(CORS_ORIGIN_WHITELIST: https://apps.example.com)"
        in lines
    )
    assert (
        "would add https://studio.example.com\t(CORS_ORIGIN_WHITELIST: https://studio.example.com/)"
        in lines
    )
    assert any(
        line.startswith("skip 'learning.example.com'\t(CORS_ORIGIN_WHITELIST): has no scheme")
        and line.endswith("nearest pattern: https://learning.example.com")
        for line in lines
    )
    assert any(line.startswith("skip 'localhost:2000'") for line in lines)
    assert any(line.startswith("skip 'null'") and "allow-null-origin" in line for line in lines)


def test_import_adds_the_exact_entries_and_explains_the_rest(openedx_settings: Any) -> None:
    out, _ = run("import", "--from-settings")
    rules = patterns()
    assert set(rules) == {
        "https://apps.example.com",  # listed twice (once in upper case): one rule
        "https://studio.example.com",
        "https://partner.org",  # the exact regex: an optional label is two patterns
        "https://*.partner.org",
    }
    assert rules["https://apps.example.com"].note == "imported from CORS_ORIGIN_WHITELIST"
    assert rules["https://*.partner.org"].note == "imported from CORS_ORIGIN_REGEX_WHITELIST"
    assert all(r.enabled for r in rules.values())
    skipped = next(
        line
        for line in out.splitlines()
        if line.startswith("skip " + repr(r"^https://[\w-]+\.example\.com$"))
    )
    assert "\\w also matches '_'" in skipped
    assert skipped.endswith("nearest pattern: https://*.example.com")
    assert "no '$' at the end" in out  # the unanchored ecommerce regex
    records = ChangeRecord.objects.filter(channel="command", action="add", target="origin")
    assert records.count() == 4


def test_second_import_reports_present_and_adds_nothing(openedx_settings: Any) -> None:
    run("import", "--from-settings")
    out, _ = run("import", "--from-settings")
    assert (
        "present https://apps.example.com\t(CORS_ORIGIN_WHITELIST: https://apps.example.com)" in out
    )
    assert "add " not in out.replace("would add", "")
    assert AllowedOrigin.objects.count() == 4


def test_the_current_setting_name_wins_as_in_django_cors_headers(openedx_settings: Any) -> None:
    """django-cors-headers reads CORS_ALLOWED_ORIGINS whenever it is set and then ignores
    CORS_ORIGIN_WHITELIST (the same for the regex lists): importing the ignored list would
    allow origins the site does not allow today."""
    openedx_settings.CORS_ALLOWED_ORIGINS = ["https://discussions.example.com"]
    openedx_settings.CORS_ALLOWED_ORIGIN_REGEXES = []
    out, _ = run("import", "--from-settings")
    assert set(patterns()) == {"https://discussions.example.com"}
    lines = out.splitlines()
    assert (
        "add https://discussions.example.com\t(CORS_ALLOWED_ORIGINS: https://discussions.example.com)"
        in lines
    )
    assert (
        "note: CORS_ORIGIN_WHITELIST is ignored: django-cors-headers reads CORS_ALLOWED_ORIGINS, "
        "which is set, so nothing is imported from CORS_ORIGIN_WHITELIST"
    ) in lines
    assert any(line.startswith("note: CORS_ORIGIN_REGEX_WHITELIST is ignored") for line in lines)
    assert "apps.example.com" not in out and "partner.org" not in out


def test_an_empty_current_setting_still_wins(openedx_settings: Any) -> None:
    """Set to an empty list, CORS_ALLOWED_ORIGINS still hides the old name from the library."""
    openedx_settings.CORS_ALLOWED_ORIGINS = []
    out, _ = run("import", "--from-settings", "--dry-run")
    assert "would add https://apps.example.com" not in out
    assert "would add https://partner.org" in out  # the regex list still uses its old name


def test_allow_all_under_the_current_name_wins(settings: Any) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ORIGIN_ALLOW_ALL = True
    out, _ = run("import", "--from-settings", "--dry-run")
    assert "is True: every origin is allowed" not in out


def test_allow_all_is_noted(settings: Any) -> None:
    settings.CORS_ORIGIN_ALLOW_ALL = True
    settings.CORS_ORIGIN_WHITELIST = []
    out, _ = run("import", "--from-settings", "--dry-run")
    assert "note: CORS_ORIGIN_ALLOW_ALL is True" in out


@pytest.mark.parametrize(
    ("regex", "expected", "exact"),
    [
        (r"^https://apps\.example\.com$", ["https://apps.example.com"], True),
        (r"^https?://apps\.example\.com$", ["*://apps.example.com"], True),
        (r"^https://apps\.example\.com:8443\Z", ["https://apps.example.com:8443"], True),
        (
            r"^https://[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.example\.com$",
            ["https://*.example.com"],
            True,
        ),
        (r"^https://[\w-]+\.example\.com$", ["https://*.example.com"], False),
        (r"^https://\w+\.example\.com$", ["https://*.example.com"], False),
        (r"^https://[a-z0-9-]+\.example\.com$", ["https://*.example.com"], False),
        (r"^https://.*\.example\.com$", ["https://*.example.com"], False),
        (r"^https://apps\.example\.com(:\d+)?$", ["https://apps.example.com:*"], False),
        (r"^https://apps\.example\.com", ["https://apps.example.com"], False),
        (r"^https://apps.example.com$", [], False),
        (r"^https://app-\w+\.example\.com$", [], False),
        (r"^(https?://)?example\.com$", [], False),
        (r"^https://(", [], False),
    ],
)
def test_regex_conversion_is_exact_or_says_why(
    regex: str, expected: list[str], exact: bool
) -> None:
    result = convert_regex(regex)
    assert (result.patterns, result.exact) == (expected, exact)
    assert bool(result.reason) is not exact


# -- Cloud Gate -------------------------------------------------------------------------------

VALID = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "path": "cloudGateCorsSettings",
            "value": {
                "cloudGateCorsEnabled": True,
                "cloudGateCorsAllowNullOrigin": True,
                "cloudGateCorsAllowedOrigins": [
                    "https://app.my-server.com:8080",
                    "https://*.example.com",
                ],
                "cloudGateCorsMaxAge": 60,
                "cloudGateCorsExposedHeaders": ["x-custom-header", "x-my-app-header"],
            },
        }
    ],
}


def write(tmp_path: Path, content: str | dict[str, Any]) -> str:
    path = tmp_path / "cors-settings.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_cloud_gate_import_replaces_the_list_and_sets_the_policy(tmp_path: Path) -> None:
    AllowedOrigin.objects.create(pattern="https://old.example.org")
    AllowedOrigin.objects.create(
        pattern="https://*.example.com", enabled=False, note="kept", csrf_trusted=True
    )
    out, _ = run("import", "--cloud-gate", write(tmp_path, VALID))
    rules = patterns()
    assert set(rules) == {"https://app.my-server.com:8080", "https://*.example.com"}
    kept = rules["https://*.example.com"]
    assert (kept.enabled, kept.note, kept.csrf_trusted) == (True, "kept", True)
    policy = CorsPolicy.load()
    assert (policy.mode, policy.allow_null_origin, policy.max_age) == ("enforce", True, 60)
    assert policy.exposed_headers == ["x-custom-header", "x-my-app-header"]
    assert "remove https://old.example.org" in out.splitlines()
    assert "add https://app.my-server.com:8080" in out.splitlines()


def test_the_documented_sample_is_refused_with_its_position(tmp_path: Path) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    with pytest.raises(CommandError) as caught:
        run("import", "--cloud-gate", write(tmp_path, cloud_gate_sample_payload()))
    message = str(caught.value)
    assert message.startswith("body: invalid JSON at line 10, column 34 (position ")
    assert "cloudGateCorsMaxAge: 60," in message
    assert "\n" not in message
    assert set(patterns()) == {"https://apps.example.com"}


def test_the_repaired_documented_sample_is_refused_for_its_any_origin_entry(tmp_path: Path) -> None:
    repaired = repaired_cloud_gate_sample_payload()
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    with pytest.raises(CommandError) as caught:
        run("import", "--cloud-gate", write(tmp_path, repaired))
    assert str(caught.value).startswith(
        "Operations[0].value.cloudGateCorsAllowedOrigins[1]: 'https://*:*' allows every origin"
    )
    assert set(patterns()) == {"https://apps.example.com"}
    assert CorsPolicy.load().max_age == 0  # nothing applied, not even the policy values


def test_an_invalid_origin_changes_nothing(tmp_path: Path) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    payload = json.loads(json.dumps(VALID))
    payload["Operations"][0]["value"]["cloudGateCorsAllowedOrigins"].append(
        "https://www.*racle.com"
    )
    with pytest.raises(CommandError) as caught:
        run("import", "--cloud-gate", write(tmp_path, payload))
    assert str(caught.value).startswith("Operations[0].value.cloudGateCorsAllowedOrigins[2]: ")
    assert "partial-label wildcard" in str(caught.value)
    assert set(patterns()) == {"https://apps.example.com"}
    assert CorsPolicy.load().allow_null_origin is False


def test_export_cloud_gate_round_trips(tmp_path: Path) -> None:
    run("import", "--cloud-gate", write(tmp_path, VALID))
    AllowedOrigin.objects.create(pattern="https://off.example.org", enabled=False)
    exported, warnings = run("export", "--format", "cloud-gate")
    assert "warning: https://off.example.org: left out (disabled or expired)" in warnings
    payload = json.loads(exported)
    value = payload["Operations"][0]["value"]
    assert sorted(value["cloudGateCorsAllowedOrigins"]) == [
        "https://*.example.com",
        "https://app.my-server.com:8080",
    ]
    AllowedOrigin.objects.all().delete()
    policy = CorsPolicy.load()
    policy.max_age = 0
    policy.save()
    run("import", "--cloud-gate", write(tmp_path, payload))
    assert set(patterns()) == {"https://*.example.com", "https://app.my-server.com:8080"}
    assert CorsPolicy.load().max_age == 60
    again, _ = run("export", "--format", "cloud-gate")
    assert json.loads(again) == payload


def test_export_json_carries_every_rule_and_the_policy() -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com", paths=["/api/"], note="MFE")
    data = json.loads(run("export")[0])
    assert data["format"] == "cors_gate/1"
    assert data["policy"]["mode"] == "enforce"
    [rule] = data["origins"]
    assert (rule["pattern"], rule["paths"], rule["note"]) == (
        "https://apps.example.com",
        ["/api/"],
        "MFE",
    )


def test_export_rejects_an_unknown_format() -> None:
    with pytest.raises(CommandError, match="format: 'xml' is not one of json, cloud-gate"):
        run("export", "--format", "xml")
