"""Me, division scope and the 403 Reason header."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import Api, login


def test_me_is_a_one_element_collection(base: str) -> None:
    """Me answers {"d":{"results":[...]}} with CurrentDivision and UserID."""
    token = login(base)["access_token"]
    response = requests.get(base + "/api/v1/current/Me", params={"$select": "CurrentDivision"},
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"}, timeout=5)
    assert response.status_code == 200
    rows = response.json()["d"]["results"]
    assert len(rows) == 1
    assert rows[0]["CurrentDivision"] == 123456
    assert "UserID" not in rows[0]  # $select applies
    assert "X-RateLimit-Remaining" not in response.headers  # Me is not counted


def test_token_works_on_every_allowed_division(base: str) -> None:
    """One token of the demo client reads both seeded divisions."""
    token = login(base)["access_token"]
    for division in (123456, 234567):
        assert Api(base, token, division).get("financial/Journals").status_code == 200


def test_other_division_is_403_with_reason(base: str) -> None:
    """A division outside the client's scope gives 403 with a Reason header."""
    token = login(base, "scoped", "s3cret")["access_token"]
    response = Api(base, token, 123456).get("financial/Journals")
    assert response.status_code == 403
    assert response.headers["Reason"] == "NoDivisionAccess"
    assert Api(base, token, 234567).get("financial/Journals").status_code == 200


def test_unknown_division_is_403(base: str) -> None:
    """A division that does not exist is out of scope too."""
    token = login(base)["access_token"]
    assert Api(base, token, 999999).get("financial/Journals").status_code == 403


def test_scoped_client_current_division_is_its_own(base: str) -> None:
    """Me.CurrentDivision of a scoped client is a division it may use."""
    token = login(base, "scoped", "s3cret")["access_token"]
    response = requests.get(base + "/api/v1/current/Me", headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=5)
    assert response.json()["d"]["results"][0]["CurrentDivision"] == 234567


def test_hrm_divisions_lists_the_clients_divisions(base: str) -> None:
    """hrm/Divisions lists the divisions the token may use, keyed by Code, first one Main."""
    token = login(base)["access_token"]
    rows = Api(base, token, 234567).rows("hrm/Divisions", **{"$select": "Code,Description,Main"})
    assert [(r["Code"], r["Main"]) for r in rows] == [(123456, True), (234567, False)]
    assert rows[0]["Description"] == "Sandbox administratie 123456"
    assert rows[0]["__metadata"]["uri"].endswith("/api/v1/234567/hrm/Divisions(123456)")
    one = Api(base, token).get("hrm/Divisions(234567)")
    assert one.status_code == 200
    assert one.json()["d"]["Currency"] == "EUR"
    scoped = login(base, "scoped", "s3cret")["access_token"]
    assert [r["Code"] for r in Api(base, scoped, 234567).rows("hrm/Divisions")] == [234567]
    assert Api(base, token).post("hrm/Divisions", {"Code": 1}).status_code == 405
