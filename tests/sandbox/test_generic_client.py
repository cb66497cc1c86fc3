"""A client written only from Exact's public documentation, on requests-oauthlib.

It does what Exact's docs tell an app to do: authorization-code flow with a state, form-encoded
token requests, refresh with rotation (persist the new refresh token), ``Accept:
application/json``, follow ``d.__next`` verbatim, pad account codes to 18, read errors from
``error.message.value``. Nothing here knows how the sandbox is built.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth2Session

from tests.sandbox.conftest import control

REDIRECT = "http://localhost:8600/exact/callback"


class DocClient:
    def __init__(self, base: str, division: int) -> None:
        self.base = base
        self.division = division
        self.oauth = OAuth2Session("demo", redirect_uri=REDIRECT)
        self.stored_refresh: str | None = None

    def connect(self) -> None:
        url, state = self.oauth.authorization_url(self.base + "/api/oauth2/auth")
        redirect = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
        assert parse_qs(urlsplit(redirect).query)["state"] == [state]
        token = self.oauth.fetch_token(self.base + "/api/oauth2/token",
                                       authorization_response=redirect, client_secret="demo",
                                       include_client_id=True)
        self.stored_refresh = token["refresh_token"]

    def refresh(self) -> None:
        token = self.oauth.refresh_token(self.base + "/api/oauth2/token",
                                         refresh_token=self.stored_refresh, client_id="demo",
                                         client_secret="demo", include_client_id=True)
        assert token["refresh_token"] != self.stored_refresh
        self.stored_refresh = token["refresh_token"]

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Prefer": "return=representation"}

    def get_all(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        url: str | None = f"{self.base}/api/v1/{self.division}/{path}"
        rows: list[dict[str, Any]] = []
        first = True
        while url:
            response = self.oauth.get(url, params=params if first else None,
                                      headers=self._headers(), timeout=10)
            response.raise_for_status()
            data = response.json()["d"]
            rows += data["results"] if isinstance(data, dict) else data
            url = data.get("__next") if isinstance(data, dict) else None
            first = False
        return rows

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.oauth.post(f"{self.base}/api/v1/{self.division}/{path}", json=body,
                               headers=self._headers(), timeout=10)


def test_client_from_public_docs(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """OAuth with rotation, paging with __next, padded codes and the error envelope work."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
    client = DocClient(base, 123456)
    client.connect()
    for number in range(1, 76):
        response = client.post("crm/Accounts", {"Code": str(5000 + number), "Status": "C",
                                                "Name": f"Klant {number}"})
        assert response.status_code == 201
    control(base, "clock", {"advance": 575})
    client.refresh()
    rows = client.get_all("crm/Accounts", {"$filter": "Status eq 'C'", "$select": "ID,Code"})
    assert len(rows) == 75
    code = "5007".rjust(18)
    found = client.get_all("crm/Accounts", {"$filter": f"Code eq '{code}'", "$select": "Name"})
    assert [r["Name"] for r in found] == ["Klant 7"]
    refused = client.post("crm/Accounts", {"Code": "5007", "Name": "Dubbel"})
    assert refused.status_code == 500
    assert refused.json()["error"]["message"]["value"] == "Bestaat reeds: Code"
