"""Policy mode: cors_gate's decision and headers from the current policy, no HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cors_gate.explain import ExplainError, explain

ORIGIN = "https://apps.example.com"
Rules = Callable[..., None]


def test_allowed_simple_request(rules: Rules) -> None:
    rules([ORIGIN])
    report = explain(ORIGIN, "GET", [], path="/api/hello/").as_dict()
    assert report["kind"] == "simple"
    assert report["decision"] | {"detail": None} == {
        "allowed": True,
        "rule": ORIGIN,
        "reason": "matched",
        "enforced": True,
        "detail": None,
    }
    assert report["preflight"] is None
    assert report["actual"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert report["actual"]["headers"]["Access-Control-Allow-Credentials"] == "true"
    assert report["browser"]["ok"] is True


def test_preflight_lists_what_cors_gate_sends(rules: Rules) -> None:
    rules([ORIGIN], max_age=600)
    report = explain(ORIGIN, "PUT", ["X-CSRFToken: t", "Content-Type: application/json"]).as_dict()
    assert report["kind"] == "preflight"
    assert [r["code"] for r in report["preflight_reasons"]] == [
        "method-not-safelisted",
        "header-not-safelisted",
        "content-type-essence",
    ]
    headers = report["preflight"]["headers"]
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert headers["Access-Control-Allow-Headers"] == "content-type,x-csrftoken"
    assert headers["Access-Control-Max-Age"] == "600"
    assert report["browser"]["ok"] is True
    hop = report["hops"][0]
    assert hop["request_headers"]["Access-Control-Request-Method"] == "PUT"


def test_header_missing_from_allowed_headers(rules: Rules) -> None:
    rules([ORIGIN], allowed_headers=["Content-Type"])
    report = explain(ORIGIN, "POST", ["X-CSRFToken: t"], path="/api/").as_dict()
    assert report["browser"]["chrome_error"] == "HeaderDisallowedByPreflightResponse"
    assert report["browser"]["failed_parameter"] == "x-csrftoken"
    # Policy mode still shows what the actual answer would carry.
    assert report["actual"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN


def test_method_missing_from_allowed_methods(rules: Rules) -> None:
    rules([ORIGIN], allowed_methods=["GET", "POST"])
    report = explain(ORIGIN, "DELETE", [], path="/api/").as_dict()
    assert report["browser"]["chrome_error"] == "MethodDisallowedByPreflightResponse"
    assert "DELETE" in report["browser"]["fix"]


def test_credentials_off_but_request_credentialed(rules: Rules) -> None:
    rules([ORIGIN], allow_credentials=False)
    report = explain(ORIGIN, "GET", [], credentials="include").as_dict()
    assert report["browser"]["chrome_error"] == "InvalidAllowCredentials"
    assert explain(ORIGIN, "GET", [], credentials="omit").as_dict()["browser"]["ok"] is True


@pytest.mark.parametrize(
    ("entry", "origin", "reason", "fix_part"),
    [
        (ORIGIN, "https://evil.example.com", "no-rule", "add https://evil.example.com"),
        ({"pattern": ORIGIN, "enabled": False}, ORIGIN, "disabled", "enable rule"),
        ({"pattern": ORIGIN, "paths": ["/api/"]}, ORIGIN, "path-not-allowed", "add a prefix"),
        (ORIGIN, "null", "null-not-allowed", "sandboxed"),
        (ORIGIN, "https://Apps.example.com", "non-canonical", "cannot come from a browser"),
    ],
)
def test_why_nothing_matched(
    rules: Rules, entry: Any, origin: str, reason: str, fix_part: str
) -> None:
    rules([entry])
    report = explain(origin, "GET", [], path="/courses/").as_dict()
    assert report["decision"]["allowed"] is False
    assert report["decision"]["reason"] == reason
    assert report["browser"]["chrome_error"] == "MissingAllowOriginHeader"
    assert fix_part in report["browser"]["fix"]


def test_expired_rule(rules: Rules) -> None:
    rules([{"pattern": ORIGIN, "expires_at": timezone.now() - timedelta(days=1)}])
    report = explain(ORIGIN, "GET", [], path="/api/").as_dict()
    assert report["decision"]["reason"] == "expired"
    assert "extend" in report["browser"]["fix"]


def test_report_only_sends_nothing(rules: Rules) -> None:
    rules([ORIGIN], mode="report-only")
    report = explain(ORIGIN, "GET", [], path="/api/").as_dict()
    assert report["decision"]["reason"] == "report-only"
    assert report["browser"]["chrome_error"] == "MissingAllowOriginHeader"
    assert "enforce" in report["browser"]["fix"]


def test_mode_off(rules: Rules) -> None:
    rules([ORIGIN], mode="off")
    report = explain(ORIGIN, "GET", [], path="/api/").as_dict()
    assert report["decision"]["reason"] == "mode-off"
    assert "Access-Control-Allow-Origin" not in report["actual"]["headers"]


def test_same_origin_is_not_cors(rules: Rules) -> None:
    rules([])
    report = explain("https://lms.example.com", "PUT", ["X-CSRFToken: t"], path="/api/").as_dict()
    assert report["kind"] == "not-cors"
    assert report["preflight_reasons"] == []
    assert report["browser"]["ok"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": "lms.example.com"}, r"^origin: 'lms.example.com' is not an origin"),
        ({"origin": "https://"}, r"^origin: "),
        ({"origin": "https://a.example.com:70000"}, r"^origin: .*invalid port"),
        ({"origin": ORIGIN, "method": "GE T"}, r"^method: 'GE T' is not an HTTP token$"),
        ({"origin": ORIGIN, "headers": [": x"]}, r"^header ': x': a header has no name$"),
        ({"origin": ORIGIN, "headers": ["X-CSRFToken"]}, r"expected 'Name: value'"),
        ({"origin": ORIGIN, "credentials": "same-origin"}, r"^credentials: "),
        ({"origin": ORIGIN, "path": "api/"}, r"^path: 'api/' must start with /$"),
    ],
)
def test_bad_input_is_one_line(rules: Rules, kwargs: dict[str, Any], message: str) -> None:
    rules([ORIGIN])
    with pytest.raises(ExplainError, match=message) as caught:
        explain(**kwargs)
    assert "\n" not in str(caught.value)


def test_a_preflight_answer_over_8_kb_is_shown_refused(rules: Rules) -> None:
    rules([ORIGIN])
    many = [f"X-Custom-Header-{i:04}: v" for i in range(600)]  # about 12 KB mirrored
    report = explain(ORIGIN, "PUT", many, path="/api/").as_dict()
    assert report["kind"] == "preflight"
    assert report["decision"]["allowed"] is False
    assert report["decision"]["reason"] == "preflight-too-large"
    assert "8 KB" in report["decision"]["detail"]
    assert "Access-Control-Allow-Origin" not in report["preflight"]["headers"]
    assert report["browser"]["ok"] is False
    # A few headers: the same origin and rule are answered and the decision says so.
    report = explain(ORIGIN, "PUT", many[:3], path="/api/").as_dict()
    assert report["decision"]["reason"] == "matched"
    assert report["browser"]["ok"] is True
