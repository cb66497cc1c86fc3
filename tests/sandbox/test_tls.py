"""The optional HTTPS mode: a CA made per run, trusted only through ``ca_bundle``."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
import requests

from hfexact.sandbox import RunningSandbox, start_sandbox
from hfexact.sandbox.server import spawn_sandbox
from tests.sandbox.conftest import Api, customer, login


@pytest.fixture(scope="module")
def tls_running() -> Iterator[RunningSandbox]:
    server = start_sandbox(port=0, tls=True, minutely=100_000, daily=1_000_000)
    yield server
    server.stop()


@pytest.fixture
def tls_base(tls_running: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    assert tls_running.ca_bundle is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_running.ca_bundle)  # requests trusts the CA
    requests.post(tls_running.base_url + "/sandbox/reset", timeout=5).raise_for_status()
    return tls_running.base_url


def test_https_base_url_and_links(tls_base: str) -> None:
    """The base URL is https; __metadata URIs and __next links keep the https scheme."""
    assert tls_base.startswith("https://127.0.0.1:")
    api = Api(tls_base, login(tls_base)["access_token"])
    for number in range(61):
        customer(api, str(7000 + number))
    page = api.get("crm/Accounts", **{"$filter": "Status eq 'C'", "$select": "ID"}).json()["d"]
    assert page["results"][0]["__metadata"]["uri"].startswith(tls_base + "/api/v1/123456/")
    assert page["__next"].startswith(tls_base + "/api/v1/123456/crm/Accounts?")
    rest = api.session.get(page["__next"], timeout=5).json()["d"]["results"]
    assert len(page["results"]) + len(rest) == 61


def test_certificate_is_trusted_only_through_the_bundle(tls_running: RunningSandbox,
                                                        tls_base: str) -> None:
    """Without the CA the handshake fails; with it both 127.0.0.1 and localhost verify."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_base + "/sandbox/state", timeout=5, verify=certifi.where())
    for host in ("127.0.0.1", "localhost"):
        url = f"https://{host}:{tls_running.server.port}/sandbox/state"
        assert requests.get(url, timeout=5, verify=tls_running.ca_bundle).status_code == 200
    with pytest.raises(requests.ConnectionError):  # plain HTTP to the TLS port is not served
        requests.get(tls_base.replace("https://", "http://") + "/sandbox/state", timeout=5)


def test_stalled_client_does_not_block_others(tls_base: str) -> None:
    """A client that connects and never handshakes does not hold up the accepting loop."""
    host, port = tls_base.removeprefix("https://").split(":")
    with socket.create_connection((host, int(port))):
        start = time.monotonic()
        assert requests.get(tls_base + "/sandbox/state", timeout=5).status_code == 200
        assert time.monotonic() - start < 2


def test_key_is_private_and_files_go_on_stop() -> None:
    """The server key is 0600; stop() removes the CA bundle and the key."""
    server = start_sandbox(port=0, tls=True)
    assert server.tls is not None
    assert server.ca_bundle is not None
    key, bundle = server.tls.key, Path(server.ca_bundle)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
    server.stop()
    assert not key.exists()
    assert not bundle.exists()


def test_cli_tls_prints_the_ca_bundle() -> None:
    """`hfexact sandbox --tls` prints the https base URL, then the CA bundle path."""
    proc = spawn_sandbox(tls=True)
    try:
        assert proc.base_url.startswith("https://")
        assert proc.ca_bundle is not None
        response = requests.get(proc.base_url + "/sandbox/state", timeout=5,
                                verify=proc.ca_bundle)
        assert response.status_code == 200
    finally:
        proc.stop()
    assert not Path(proc.ca_bundle).exists()
