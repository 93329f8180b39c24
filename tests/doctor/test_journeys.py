"""Journeys as data: the shipped file, an operator's override, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cors_gate.doctor.journeys import SHIPPED, JourneyError, load


def test_shipped_journeys_are_the_open_edx_front_end_requests() -> None:
    journeys = load()
    steps = {step.key: step for step in journeys.all_steps()}
    # Every step cites the public openedx module it comes from.
    assert all(step.source for step in steps.values())
    assert all(j.source.startswith("openedx/") for j in journeys.journeys.values())
    csrf = steps["platform.csrf-token"]
    assert (csrf.method, csrf.path) == ("GET", "/csrf/api/v1/token")
    assert ("USE-JWT-COOKIE", "true") in csrf.headers  # a preflight, every time
    refresh = steps["platform.jwt-refresh"]
    assert (refresh.method, refresh.path, refresh.credentials) == (
        "POST",
        "/login_refresh",
        "include",
    )
    login = steps["authn.login"]
    assert login.path == "/api/user/v2/account/login_session/"
    assert ("X-CSRFToken", "token-from-csrf-api") in login.headers
    assert ("Content-Type", "application/x-www-form-urlencoded") in login.headers
    assert login.redirects_to is None  # stock Open edX answers JSON; the operator says if not
    assert steps["platform.account"].path == "/api/user/v1/accounts/edx"
    assert "course-v1:edX+DemoX+Demo_Course" in steps["learning.course-outline"].path
    # Front-end kinds pick their journeys, in order.
    assert [s.key for s in journeys.steps_for("authn")] == [
        "platform.jwt-refresh",
        "platform.account",
        "platform.csrf-token",
        "authn.login",
    ]
    assert [s.key for s in journeys.steps_for("no-such-kind")] == [
        s.key for s in journeys.steps_for("other")
    ]


def test_override_merges_params_step_fields_and_replaces_journeys(tmp_path: Path) -> None:
    override = tmp_path / "site.json"
    override.write_text(
        json.dumps(
            {
                "params": {"username": "staff"},
                "step_overrides": {
                    "authn.login": {"redirects_to": "https://org.okta.com/app/x/sso/saml"}
                },
                "journeys": {
                    "learning": {
                        "title": "only the outline",
                        "steps": [
                            {
                                "id": "outline",
                                "method": "get",
                                "path": "/api/learning_sequences/v1/course_outline/{course_id}",
                            }
                        ],
                    }
                },
                "frontends": {"https://partner.example.org": "authn"},
            }
        )
    )
    journeys = load(override)
    assert journeys.sources == (str(SHIPPED), str(override))
    steps = {step.key: step for step in journeys.all_steps()}
    assert steps["platform.account"].path == "/api/user/v1/accounts/staff"
    assert steps["authn.login"].redirects_to == "https://org.okta.com/app/x/sso/saml"
    assert [s.key for s in journeys.steps_for("learning")][-1] == "learning.outline"
    assert steps["learning.outline"].method == "GET"
    assert "learning.course-blocks" not in steps
    assert journeys.frontends == {"https://partner.example.org": "authn"}


def test_yaml_override(tmp_path: Path) -> None:
    pytest.importorskip("yaml", reason="PyYAML is optional; the test venv has it via tutor")
    override = tmp_path / "site.yaml"
    override.write_text("params:\n  username: yaml-user\n")
    assert load(override).journeys["platform"].steps[1].path == "/api/user/v1/accounts/yaml-user"


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        ('{"params": ', ".json", "is not valid JSON: Expecting value (line 1, column 12)"),
        ("[1, 2]", ".json", "must hold an object"),
        ("params: [unclosed", ".yaml", "is not valid YAML (line 1"),
        (
            '{"step_overrides": {"authn.logon": {"body": "x"}}}',
            ".json",
            "step_overrides.authn.logon names no step",
        ),
        (
            '{"journeys": {"x": {"steps": [{"id": "a", "method": "GET", "path": "/{nope}"}]}}}',
            ".json",
            "journeys.x.steps[0].path: unknown parameter {nope}",
        ),
        (
            '{"journeys": {"x": {"steps": [{"id": "a", "method": "GET", "path": "api"}]}}}',
            ".json",
            "journeys.x.steps[0].path 'api' must start with /",
        ),
        (
            '{"journeys": {"x": {"steps": [{"id": "a", "method": "GET", "path": "/",'
            ' "credentials": "same-origin"}]}}}',
            ".json",
            "journeys.x.steps[0].credentials 'same-origin' must be include or omit",
        ),
        (
            '{"journeys": {"x": {"steps": [{"id": "a", "method": "GET", "path": "/",'
            ' "header": {}}]}}}',
            ".json",
            "journeys.x.steps[0]: unknown field 'header'",
        ),
        (
            '{"step_overrides": {"authn.login": {"redirects_to": "javascript:alert(1)"}}}',
            ".json",
            "redirects_to 'javascript:alert(1)' is not an http(s) URL",
        ),
        ('{"kinds": {"partner": ["nope"]}}', ".json", "kinds.partner names an unknown journey"),
        ('{"frontends": {"https://a.example": "partner"}}', ".json", "unknown kind 'partner'"),
        ('{"journeys": {"x": {"steps": []}}}', ".json", "journeys.x needs a non-empty list"),
    ],
)
def test_bad_override_is_one_line_naming_the_file_and_field(
    tmp_path: Path, content: str, suffix: str, expected: str
) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(JourneyError) as caught:
        load(path)
    text = str(caught.value)
    assert "\n" not in text
    assert expected in text
    assert text.startswith("journeys: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JourneyError, match=r"journeys: cannot read .*nope\.json: No such file"):
        load(tmp_path / "nope.json")
