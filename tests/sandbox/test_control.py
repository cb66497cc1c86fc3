"""The /sandbox/ control API: reset, state, faults, clock, limits, process; the CLI."""

from __future__ import annotations

import time

import pytest
import requests
from click.testing import CliRunner

from hfexact.sandbox.cli import sandbox_cmd
from hfexact.sandbox.server import spawn_sandbox
from tests.sandbox.conftest import Api, control, customer, gl_ids, login, sales_entry

SALES = "/api/v1/123456/salesentry/SalesEntries"


def test_reset_empties_state_and_counters(api: Api, base: str) -> None:
    """Reset removes created records, tokens and counters; the seed stays."""
    customer(api)
    control(base, "reset")
    state = requests.get(base + "/sandbox/state", timeout=5).json()
    assert state["divisions"]["123456"]["crm/Accounts"] == []
    assert len(state["divisions"]["123456"]["financial/Journals"]) == 5
    assert state["counters"]["calls"] == {}
    assert api.get("financial/Journals").status_code == 401  # tokens are gone too


def test_state_counts_calls_per_endpoint_and_token_calls(api: Api, base: str) -> None:
    """State shows calls per method and path (keys elided), 429s and token calls."""
    api.get("financial/Journals")
    control(base, "limits", {"minutely": 0})
    api.get("financial/Journals")
    state = requests.get(base + "/sandbox/state", timeout=5).json()
    assert state["counters"]["calls"]["GET /api/v1/123456/financial/Journals"] == 2
    assert state["counters"]["rate_limited"] == 1
    assert state["counters"]["token_calls"] == 1
    assert state["token_calls_today"] == {"demo": 1}


def test_fault_status_for_next_n_calls(api: Api, base: str) -> None:
    """A status fault answers the next `count` matching calls, then normal service resumes."""
    control(base, "faults", {"method": "GET", "path": "/api/v1/123456/financial/Journals",
                             "count": 2, "status": 503})
    codes = [api.get("financial/Journals").status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_fault_maintenance_html(api: Api, base: str) -> None:
    """The maintenance fault answers an HTML page instead of JSON."""
    control(base, "faults", {"method": "GET", "path": "/api/v1/123456/financial/Journals",
                             "action": "maintenance_html"})
    response = api.get("financial/Journals")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")


def test_fault_delay(api: Api, base: str) -> None:
    """A delay fault holds the answer for the given seconds (a client timeout fires)."""
    control(base, "faults", {"method": "GET", "path": "/api/v1/123456/financial/Journals",
                             "delay": 1.5})
    with pytest.raises(requests.Timeout):
        api.session.get(api.url("financial/Journals"), timeout=0.5)
    start = time.monotonic()
    assert api.get("financial/Journals").status_code == 200
    assert time.monotonic() - start < 1.0


def test_fault_commit_then_drop(api: Api, base: str) -> None:
    """commit_then_drop performs the POST, then closes the socket without an answer."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    control(base, "faults", {"method": "POST", "path": SALES, "action": "commit_then_drop"})
    with pytest.raises(requests.ConnectionError):
        api.post("salesentry/SalesEntries", {
            "Journal": "70", "Customer": cid, "YourRef": "DROP-1",
            "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1}]})
    landed = api.rows("salesentry/SalesEntries", **{"$filter": "YourRef eq 'DROP-1'"})
    assert len(landed) == 1


def test_fault_validation(base: str) -> None:
    """A fault without exactly one effect is refused with 400."""
    response = requests.post(base + "/sandbox/faults", json={"method": "GET", "path": "/x"},
                             timeout=5)
    assert response.status_code == 400


def test_process_moves_entries_to_50(api: Api, base: str) -> None:
    """process turns open entries into processed ones (Status 50)."""
    entry = sales_entry(api, customer(api)["ID"], gl_ids(api)["8000"])
    result = control(base, "process", {"division": 123456, "entry_ids": [entry["EntryID"]]})
    assert result["processed"] == [entry["EntryID"]]
    row = api.rows("salesentry/SalesEntries",
                   **{"$filter": f"EntryID eq guid'{entry['EntryID']}'"})[0]
    assert row["Status"] == 50


def test_clock_moves_token_expiry(base: str) -> None:
    """Advancing the clock expires tokens (the clock is the sandbox's, not the machine's)."""
    api = Api(base, login(base)["access_token"])
    control(base, "clock", {"advance": 600})
    assert api.get("financial/Journals").status_code == 401


def test_unknown_control_endpoint_404(base: str) -> None:
    assert requests.post(base + "/sandbox/nothing", timeout=5).status_code == 404


def test_cli_rejects_bad_client_spec() -> None:
    """The CLI refuses a malformed --client."""
    result = CliRunner().invoke(sandbox_cmd, ["--client", "nosecret", "--port", "0"])
    assert result.exit_code == 2
    assert "ID:SECRET" in result.output


def test_subprocess_serves_and_prints_base_url() -> None:
    """python -m hfexact.sandbox prints its base URL and serves the seeded division."""
    proc = spawn_sandbox(args=("--division", "555", "--client", "app:pw:555"))
    try:
        tokens = login(proc.base_url, "app", "pw")
        assert Api(proc.base_url, tokens["access_token"], 555).get(
            "financial/Journals").status_code == 200
    finally:
        proc.stop()
