"""Fixtures: one sandbox per module on a free port, reset before every test; a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hfexact.sandbox import RunningSandbox, start_sandbox

DIVISION = 123456
REDIRECT = "http://127.0.0.1:8599/callback"


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSandbox]:
    server = start_sandbox(port=0, divisions=[DIVISION, 234567], minutely=100_000,
                           daily=1_000_000,
                           clients=["scoped:s3cret:234567"])
    yield server
    server.stop()


@pytest.fixture
def base(running: RunningSandbox) -> str:
    requests.post(running.base_url + "/sandbox/reset", timeout=5).raise_for_status()
    return running.base_url


def authorize(base: str, client_id: str = "demo", redirect: str = REDIRECT) -> str:
    response = requests.get(base + "/api/oauth2/auth", params={
        "client_id": client_id, "redirect_uri": redirect, "response_type": "code",
        "state": "st"}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def login(base: str, client_id: str = "demo", client_key: str | None = None) -> dict[str, Any]:
    secret = client_key if client_key is not None else "demo"
    code = authorize(base, client_id)
    response = requests.post(base + "/api/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client_id, "client_secret": secret}, timeout=5)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


class Api:
    """A tiny Exact client for the tests: bearer token, JSON, explicit division."""

    def __init__(self, base: str, token: str, division: int = DIVISION) -> None:
        self.base = base
        self.division = division
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept": "application/json",
                                     "Prefer": "return=representation"})

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1/{self.division}/{path}"

    def get(self, path: str, **params: str) -> requests.Response:
        return self.session.get(self.url(path), params=params, timeout=10)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body, timeout=10)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.session.put(self.url(path), json=body, timeout=10)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10)

    def rows(self, path: str, **params: str) -> list[dict[str, Any]]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["d"]["results"]
        return rows

    def create(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()["d"]
        return created


@pytest.fixture
def api(base: str) -> Api:
    return Api(base, login(base)["access_token"])


def error_text(response: requests.Response) -> str:
    value: str = response.json()["error"]["message"]["value"]
    return value


def control(base: str, name: str, body: Any = None) -> Any:
    response = requests.post(f"{base}/sandbox/{name}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def gl_ids(api: Api) -> dict[str, str]:
    return {r["Code"]: r["ID"] for r in api.rows("financial/GLAccounts", **{"$select": "ID,Code"})}


def customer(api: Api, code: str = "1001", **extra: Any) -> dict[str, Any]:
    return api.create("crm/Accounts", {"Name": f"Klant {code}", "Code": code, "Status": "C",
                                       **extra})


def supplier(api: Api, code: str = "2001") -> dict[str, Any]:
    return api.create("crm/Accounts", {"Name": f"Leverancier {code}", "Code": code,
                                       "IsSupplier": True})


def sales_entry(api: Api, customer_id: str, gl: str, amount: float = 100.0,
                **extra: Any) -> dict[str, Any]:
    body = {"Journal": "70", "Customer": customer_id, "EntryDate": "2026-11-28",
            "SalesEntryLines": [{"GLAccount": gl, "AmountFC": amount, "VATCode": "2"}], **extra}
    return api.create("salesentry/SalesEntries", body)
