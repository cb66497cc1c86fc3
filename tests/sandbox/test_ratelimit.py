"""Rate limits per (client, division): headers, fixed windows, 429s, the error budget."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import Api, control, login

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
           "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining",
           "X-RateLimit-Minutely-Reset")


def test_six_headers_on_every_api_response(api: Api, base: str) -> None:
    """Success and error responses both carry all six headers; resets in epoch ms."""
    control(base, "limits", {"minutely": 60, "daily": 5000})
    ok = api.get("financial/Journals")
    bad = api.get("financial/Journals", **{"$filter": "Nope eq 1"})
    for response in (ok, bad):
        assert all(h in response.headers for h in HEADERS)
    minute_reset = int(ok.headers["X-RateLimit-Minutely-Reset"])
    day_reset = int(ok.headers["X-RateLimit-Reset"])
    assert minute_reset % 60_000 == 0
    assert day_reset % 86_400_000 == 0
    assert int(ok.headers["X-RateLimit-Minutely-Remaining"]) == 59
    assert int(bad.headers["X-RateLimit-Minutely-Remaining"]) == 58


def test_minutely_429_carries_only_minutely_headers(api: Api, base: str) -> None:
    """Past the minute limit: 429 with the minutely headers only; the next window is fresh."""
    control(base, "limits", {"minutely": 3, "daily": 100})
    statuses = [api.get("financial/Journals").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("financial/Journals")
    assert {h for h in HEADERS if h in refused.headers} == {
        "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining",
        "X-RateLimit-Minutely-Reset"}
    control(base, "clock", {"advance": 60})
    assert api.get("financial/Journals").status_code == 200


def test_daily_429_carries_only_daily_headers(api: Api, base: str) -> None:
    """Past the day limit: 429 with X-RateLimit-Limit/Remaining/Reset only."""
    control(base, "limits", {"minutely": 100, "daily": 2})
    assert [api.get("financial/Journals").status_code for _ in range(3)] == [200, 200, 429]
    refused = api.get("financial/Journals")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Minutely-Limit" not in refused.headers


def test_limits_are_per_client_and_division(api: Api, base: str) -> None:
    """Another division of the same client has its own budget."""
    control(base, "limits", {"minutely": 1, "daily": 100})
    assert api.get("financial/Journals").status_code == 200
    assert api.get("financial/Journals").status_code == 429
    other = Api(base, api.session.headers["Authorization"][7:], 234567)
    assert other.get("financial/Journals").status_code == 200


def test_error_budget_blocks_after_ten_errors(base: str) -> None:
    """With the error budget on, the 12th call after 11 errors on one endpoint is blocked."""
    control(base, "limits", {"error_budget": True})
    api = Api(base, login(base)["access_token"])
    codes = [api.get("financial/Journals", **{"$filter": "Nope eq 1"}).status_code
             for _ in range(11)]
    assert codes == [400] * 11
    blocked = api.get("financial/Journals")
    assert blocked.status_code == 429
    assert api.get("financial/GLAccounts").status_code == 200  # other endpoint unaffected
    control(base, "clock", {"advance": 3601})
    fresh = Api(base, login(base)["access_token"])
    assert fresh.get("financial/Journals").status_code == 200


def test_error_budget_off_by_default(api: Api) -> None:
    """Without the budget, errors never block."""
    for _ in range(12):
        api.get("financial/Journals", **{"$filter": "Nope eq 1"})
    assert api.get("financial/Journals").status_code == 200


def test_token_endpoint_not_rate_limited_by_api_window(base: str) -> None:
    """The API window does not count OAuth calls."""
    control(base, "limits", {"minutely": 1, "daily": 100})
    login(base)
    tokens = login(base)
    response = requests.get(f"{base}/api/v1/123456/financial/Journals", timeout=5, headers={
        "Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"})
    assert response.status_code == 200
