"""Unexpected exceptions answer as Exact's generic failure, never as werkzeug's HTML 500.

Exact answers a failure that is not a validation problem with HTTP 500 and its error envelope,
value "A problem has occurred. The cause of this issue will be investigated as soon as
possible." (reference §4.2). The ``internal_error`` fault raises inside the sandbox on the path a
real bug would take; the traceback goes to the sandbox's stderr.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from tests.sandbox.conftest import Api, control, customer, error_text, gl_ids

GENERIC = ("A problem has occurred. The cause of this issue will be investigated as soon as "
           "possible.")
SALES = "/api/v1/123456/salesentry/SalesEntries"
RATE_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining",
                "X-RateLimit-Minutely-Reset"}


def _state(base: str) -> dict[str, object]:
    state: dict[str, object] = requests.get(base + "/sandbox/state", timeout=5).json()
    return state


def test_internal_error_on_a_division_call_is_exacts_generic_500(
        api: Api, base: str, capfd: pytest.CaptureFixture[str]) -> None:
    """JSON envelope, rate headers, traceback on stderr, no effect; the next call is served."""
    cid = customer(api)["ID"]
    gl = gl_ids(api)
    control(base, "faults", {"method": "POST", "path": SALES, "action": "internal_error"})
    body = {"Journal": "70", "Customer": cid, "YourRef": "BUG-1",
            "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 10}]}
    response = api.post("salesentry/SalesEntries", body)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": {"code": "", "message": {"lang": "", "value": GENERIC}}}
    assert set(response.headers) >= RATE_HEADERS
    err = capfd.readouterr().err
    assert f"internal error on POST {SALES}" in err
    assert "Traceback (most recent call last)" in err
    assert "InjectedInternalError" in err
    assert api.rows("salesentry/SalesEntries", **{"$filter": "YourRef eq 'BUG-1'"}) == []
    assert api.post("salesentry/SalesEntries", body).status_code == 201
    counters = _state(base)["counters"]
    assert isinstance(counters, dict)
    assert counters["internal_errors"] == 1


def test_internal_error_without_json_accept_is_the_xml_error(api: Api, base: str) -> None:
    """Without ``Accept: application/json`` the same failure comes as the OData XML error."""
    control(base, "faults", {"method": "GET", "path": "/api/v1/123456/financial/Journals",
                             "action": "internal_error"})
    response = api.session.get(api.url("financial/Journals"), headers={"Accept": "*/*"},
                               timeout=5)
    assert response.status_code == 500
    assert "xml" in response.headers["Content-Type"]
    root = ET.fromstring(response.content)  # noqa: S314 - the sandbox's own answer
    assert root.tag.endswith("}error")
    assert [e.text for e in root.iter() if e.tag.endswith("}message")] == [GENERIC]


@pytest.mark.parametrize("path", ["/api/oauth2/token", "/api/v1/current/Me"])
def test_internal_error_outside_division_calls(api: Api, base: str, path: str,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    """The token endpoint and Me crash into the same envelope (top-level handler)."""
    method = "POST" if path.endswith("token") else "GET"
    control(base, "faults", {"method": method, "path": path, "action": "internal_error"})
    response = api.session.request(method, base + path, data={"grant_type": "x"}, timeout=5)
    assert response.status_code == 500
    assert error_text(response) == GENERIC
    assert f"internal error on {method} {path}" in capfd.readouterr().err


def test_filter_function_with_wrong_argument_types_is_a_400(api: Api) -> None:
    """A type error inside a $filter function is the client's fault (400), not a crash."""
    response = api.get("financial/GLAccounts", **{"$filter": "substring(Code,'a') eq 'a'"})
    assert response.status_code == 400
    assert "substring" in error_text(response)


@pytest.mark.parametrize(("name", "body"), [
    ("clock", {"advance": 1e300}),
    ("faults", {"method": "GET", "path": "/x", "delay": 1e300}),
])
def test_control_refuses_values_that_would_break_the_sandbox(base: str, name: str,
                                                             body: dict[str, object]) -> None:
    """A clock beyond representable dates or an endless delay is refused, and state still reads."""
    response = requests.post(f"{base}/sandbox/{name}", json=body, timeout=5)
    assert response.status_code == 400
    assert requests.get(base + "/sandbox/state", timeout=5).status_code == 200
