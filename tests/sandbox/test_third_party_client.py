"""A third-party Exact Online client, unchanged, against the sandbox (issue 3's acceptance).

The client is ossobv's ``exactonline`` (PyPI 0.4.0, LGPL, written and used against the real
Exact Online since 2015). It was chosen over ``exact-online-sdk`` 2.0.0 (alpha, young) and
``python-exact-online`` 1.1.0 (URLs fixed in module constants, "no intention to develop any
further") because it is the longest-kept and encodes Exact's own behaviour: token JSON with
``expires_in`` as a string, ``!`` in refresh tokens (form-encoded), ``d.results``/``__next``
unpaging that rejects any other shape, 204 with an empty body on PUT/DELETE, a retry after a
401 with a refresh, ``X-RateLimit-*`` headers in epoch milliseconds, codes padded to 18.

It speaks HTTPS only (``opt_secure``), so the sandbox runs with ``tls=True`` and the library
trusts the run's CA through ``SSL_CERT_FILE`` (it uses OpenSSL's default verify paths). The
library's consent step needs a browser; the test follows the auth URL the library builds with
requests and hands the code to the library's own ``request_token``. The only addition to the
library is a tap in a subclass that records the raw token JSON before the library parses it,
because the library accepts an integer ``expires_in`` too and Exact sends a string.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from exactonline.api import ExactApi  # type: ignore[import-untyped]
from exactonline.exceptions import ObjectDoesNotExist  # type: ignore[import-untyped]
from exactonline.http import HTTPError  # type: ignore[import-untyped]
from exactonline.storage.ini import IniStorage  # type: ignore[import-untyped]

from hfexact.sandbox import RunningSandbox, start_sandbox

CLIENT_ID = "osso-app"
SECRET = "p+ss/w&rd!="  # needs form-encoding, as Exact's generated secrets may
REDIRECT = "http://127.0.0.1:8601/exact/callback"
DIVISION, OTHER = 123456, 234567


class TappedExactApi(ExactApi):  # type: ignore[misc]
    """``ExactApi`` as shipped; the tap keeps each raw token response for the assertions."""

    def __init__(self, storage: IniStorage) -> None:
        super().__init__(storage=storage)
        self.token_bodies: list[dict[str, Any]] = []

    def _set_tokens(self, jsondata: str) -> None:
        self.token_bodies.append(json.loads(jsondata))
        super()._set_tokens(jsondata)


@pytest.fixture(scope="module")
def tls_sandbox() -> Iterator[RunningSandbox]:
    server = start_sandbox(port=0, tls=True, divisions=[DIVISION, OTHER], minutely=100_000,
                           daily=1_000_000, clients=[f"{CLIENT_ID}:{SECRET}"])
    yield server
    server.stop()


@pytest.fixture
def sandbox(tls_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    assert tls_sandbox.ca_bundle is not None
    monkeypatch.setenv("SSL_CERT_FILE", tls_sandbox.ca_bundle)  # the library's trust store
    _control(tls_sandbox, "reset")
    return tls_sandbox


def _control(sandbox: RunningSandbox, name: str, body: Any = None) -> Any:
    response = requests.post(f"{sandbox.base_url}/sandbox/{name}", json=body, timeout=5,
                             verify=sandbox.ca_bundle)
    assert response.status_code == 200, response.text
    return response.json()


def _calls(sandbox: RunningSandbox) -> dict[str, int]:
    state = requests.get(sandbox.base_url + "/sandbox/state", timeout=5,
                         verify=sandbox.ca_bundle).json()
    calls: dict[str, int] = state["counters"]["calls"]
    return calls


@pytest.fixture
def storage(sandbox: RunningSandbox, tmp_path: Path) -> IniStorage:
    store = IniStorage(str(tmp_path / "exactonline.ini"))
    store.set("server", "auth_url", sandbox.base_url + "/api/oauth2/auth")
    store.set("server", "rest_url", sandbox.base_url + "/api")
    store.set("server", "token_url", sandbox.base_url + "/api/oauth2/token")
    store.set("application", "base_url", REDIRECT)
    store.set("application", "client_id", CLIENT_ID)
    store.set("application", "client_secret", SECRET)
    return store


@pytest.fixture
def api(sandbox: RunningSandbox, storage: IniStorage,
        caplog: pytest.LogCaptureFixture) -> Iterator[TappedExactApi]:
    """The library after consent: its auth URL followed, its own code exchange.

    Afterwards the library must not have complained in its log: it logs (rather than raises)
    when the ``X-RateLimit-*`` headers are missing parts or not in epoch milliseconds.
    """
    caplog.set_level(logging.WARNING, logger="exactonline")
    client = TappedExactApi(storage)
    url = client.create_auth_request_url()
    assert url.startswith(sandbox.base_url + "/api/oauth2/auth?")
    consent = requests.get(url, allow_redirects=False, timeout=5, verify=sandbox.ca_bundle)
    assert consent.status_code == 302, consent.text
    location = consent.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    client.request_token(parse_qs(urlsplit(location).query)["code"][0])
    yield client
    complaints = [r.getMessage() for phase in ("setup", "call")
                  for r in caplog.get_records(phase) if r.name.startswith("exactonline")]
    assert complaints == []


def test_library_logs_in_and_reads_me_and_divisions(api: TappedExactApi,
                                                    storage: IniStorage) -> None:
    """Code exchange, then Me + hrm/Divisions and the division check, as the library does."""
    [token] = api.token_bodies
    assert token["expires_in"] == "600"  # a string on the wire, as Exact sends it
    assert token["token_type"] == "bearer"
    assert "!" in token["refresh_token"]
    assert storage.get_refresh_token() == token["refresh_token"]
    choices, current = api.get_divisions()
    assert current == DIVISION
    assert choices == {DIVISION: f"Sandbox administratie {DIVISION}",
                       OTHER: f"Sandbox administratie {OTHER}"}
    api.set_division(OTHER)
    assert storage.get_division() == OTHER
    with pytest.raises(HTTPError) as refused:
        api.set_division(999999)
    assert refused.value.code == 403
    assert refused.value.hdrs["Reason"] == "NoDivisionAccess"
    assert storage.get_division() == OTHER


def test_library_creates_pages_updates_and_deletes_accounts(api: TappedExactApi,
                                                            sandbox: RunningSandbox) -> None:
    """75 accounts come back over two pages through __next; padded codes; PUT/DELETE 204."""
    api.set_division(DIVISION)
    first = api.relations.create({"Code": "5000", "Name": "Klant 0", "Status": "C"})
    assert first["Code"] == "5000".rjust(18)
    for number in range(1, 75):
        api.relations.create({"Code": str(5000 + number), "Name": f"Klant {number}",
                              "Status": "C"})
    before = _calls(sandbox).get("GET /api/v1/123456/crm/Accounts", 0)
    rows = api.relations.filter(filter="Status eq 'C'")
    assert sorted(r["Code"].strip() for r in rows) == [str(5000 + n) for n in range(75)]
    assert _calls(sandbox)["GET /api/v1/123456/crm/Accounts"] - before == 2  # 60 + 15
    assert set(rows[0]) == {"__metadata", "ID", "Code", "Name"}  # the library's $select
    seven = api.relations.get(relation_code="5007")  # the library pads the code to 18
    assert seven["Name"] == "Klant 7"
    assert api.relations.update(seven["ID"], {"Name": "Klant zeven"}) is None
    assert api.relations.get(relation_code="5007")["Name"] == "Klant zeven"
    assert api.relations.delete(seven["ID"]) is None
    with pytest.raises(ObjectDoesNotExist):
        api.relations.get(relation_code="5007")


def test_library_books_an_invoice_and_reads_it_back(api: TappedExactApi) -> None:
    """A sales entry via the library; its lines through the __deferred URI; the receivable."""
    api.set_division(DIVISION)
    customer = api.relations.create({"Code": "1001", "Name": "Hosting BV", "Status": "C"})
    [revenue] = api.ledgeraccounts.filter(code__in=["8010"])
    created = api.invoices.create({
        "Journal": "70", "Customer": customer["ID"], "YourRef": "F2026-0001",
        "EntryDate": "2026-11-28T00:00:00Z", "Description": "Factuur F2026-0001",
        "SalesEntryLines": [{"GLAccount": revenue["ID"], "AmountFC": "100.00", "VATCode": "2",
                             "Description": "Webhosting"}]})
    assert created["AmountFC"] == 121.0
    invoice = api.invoices.get(invoice_number="F2026-0001")
    [line] = invoice["SalesEntryLines"]  # fetched by the library from the __deferred URI
    assert (line["AmountFC"], line["VATAmountFC"]) == (100.0, 21.0)
    [open_item] = api.receivables.filter(relation_id=customer["ID"])
    assert open_item["Amount"] == 121.0
    assert open_item["InvoiceNumber"] == created["InvoiceNumber"]
    mapping = api.invoices.map_exact2foreign_invoice_numbers([created["InvoiceNumber"]])
    assert mapping == {created["InvoiceNumber"]: "F2026-0001"}


def test_library_refreshes_with_rotation(api: TappedExactApi, storage: IniStorage,
                                         sandbox: RunningSandbox) -> None:
    """Expired token -> 401 -> the library refreshes and retries; old and early refreshes fail."""
    api.set_division(DIVISION)
    original = storage.get_refresh_token()
    _control(sandbox, "clock", {"advance": 601})  # the library's own clock still says "fresh"
    assert api.relations.filter(filter="Status eq 'C'") == []
    assert len(api.token_bodies) == 2
    rotated = storage.get_refresh_token()
    assert rotated != original
    assert api.token_bodies[1]["expires_in"] == "600"

    storage.set_refresh_token(original)
    with pytest.raises(HTTPError) as reused:
        api.refresh_token()
    assert reused.value.code == 401
    assert json.loads(reused.value.response) == {
        "error": "unauthorized_client", "error_description": "Old refresh token used."}
    storage.set_refresh_token(rotated)

    with pytest.raises(HTTPError) as early:  # the library's docstring quotes this rule
        api.refresh_token()
    assert early.value.code == 401
    assert json.loads(early.value.response)["error_description"] == "Access Token not expired"
    assert storage.get_refresh_token() == rotated

    _control(sandbox, "clock", {"advance": 575})
    api.refresh_token()
    assert storage.get_refresh_token() not in (original, rotated)
    assert api.relations.filter(filter="Status eq 'C'") == []
