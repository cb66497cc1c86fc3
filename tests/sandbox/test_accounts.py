"""crm/Accounts: padded codes, next free code, duplicates, status, mandatory filtering."""

from __future__ import annotations

from tests.sandbox.conftest import Api, error_text


def test_code_left_padded_to_18(api: Api) -> None:
    """A posted code comes back right-aligned in 18 characters."""
    account = api.create("crm/Accounts", {"Name": "ACME", "Code": "1068", "Status": "C"})
    assert account["Code"] == " " * 14 + "1068"
    assert len(account["Code"]) == 18


def test_filter_needs_the_padding(api: Api) -> None:
    """Code eq '1068' finds nothing; the padded code or trim(Code) finds the account."""
    api.create("crm/Accounts", {"Name": "ACME", "Code": "1068"})
    assert api.rows("crm/Accounts", **{"$filter": "Code eq '1068'"}) == []
    padded = api.rows("crm/Accounts", **{"$filter": f"Code eq '{'1068':>18}'"})
    trimmed = api.rows("crm/Accounts", **{"$filter": "trim(Code) eq '1068'"})
    assert len(padded) == len(trimmed) == 1


def test_next_free_code_when_omitted(api: Api) -> None:
    """Without Code the account gets the highest numeric code + 1."""
    api.create("crm/Accounts", {"Name": "A", "Code": "1005"})
    created = api.create("crm/Accounts", {"Name": "B"})
    assert created["Code"].strip() == "1006"


def test_duplicate_code_rejected(api: Api) -> None:
    """A second account with the same code is a 500 with Exact's message."""
    api.create("crm/Accounts", {"Name": "A", "Code": "1005"})
    response = api.post("crm/Accounts", {"Name": "B", "Code": "1005"})
    assert response.status_code == 500
    assert error_text(response) == "Bestaat reeds: Code"


def test_name_is_mandatory(api: Api) -> None:
    """An account without Name is refused in Dutch."""
    response = api.post("crm/Accounts", {"Code": "1"})
    assert response.status_code == 500
    assert error_text(response) == "Verplicht: Naam"


def test_status_values(api: Api) -> None:
    """Status must be A, S, P or C; C makes IsSales true, S is not a supplier."""
    assert api.post("crm/Accounts", {"Name": "X", "Status": "Q"}).status_code == 500
    customer = api.create("crm/Accounts", {"Name": "C", "Status": "C"})
    suspect = api.create("crm/Accounts", {"Name": "S", "Status": "S"})
    assert customer["IsSales"] is True
    assert suspect["IsSales"] is False
    assert suspect["IsSupplier"] is False


def test_is_sales_is_read_only(api: Api) -> None:
    """Posting IsSales is ignored: it follows Status."""
    created = api.create("crm/Accounts", {"Name": "P", "Status": "P", "IsSales": True})
    assert created["IsSales"] is False


def test_supplier_flag(api: Api) -> None:
    """IsSupplier marks a supplier."""
    created = api.create("crm/Accounts", {"Name": "Lev", "IsSupplier": True})
    assert created["IsSupplier"] is True


def test_country_padded(api: Api) -> None:
    """Country comes back upper-case and padded to three characters."""
    created = api.create("crm/Accounts", {"Name": "X", "Country": "nl"})
    assert created["Country"] == "NL "


def test_get_without_filter_is_mandatory_filtering_400(api: Api) -> None:
    """GET crm/Accounts without $filter gives Exact's mandatory-filtering 400."""
    response = api.get("crm/Accounts")
    assert response.status_code == 400
    assert error_text(response).startswith("This endpoint has mandatory filtering applied.")
    other = api.get("crm/Accounts", **{"$filter": "Website eq 'x'"})
    assert other.status_code == 400


def test_put_updates_and_returns_204(api: Api) -> None:
    """PUT changes the record and answers 204 with an empty body."""
    created = api.create("crm/Accounts", {"Name": "Old"})
    response = api.put(f"crm/Accounts(guid'{created['ID']}')", {"Name": "New"})
    assert response.status_code == 204
    assert response.content == b""
    rows = api.rows("crm/Accounts", **{"$filter": f"ID eq guid'{created['ID']}'"})
    assert rows[0]["Name"] == "New"


def test_delete_returns_204(api: Api) -> None:
    """DELETE removes the account."""
    created = api.create("crm/Accounts", {"Name": "Gone"})
    assert api.delete(f"crm/Accounts(guid'{created['ID']}')").status_code == 204
    assert api.rows("crm/Accounts", **{"$filter": f"ID eq guid'{created['ID']}'"}) == []


def test_unknown_property_in_body_is_400(api: Api) -> None:
    """A property the type does not have is a 400 from the OData reader."""
    response = api.post("crm/Accounts", {"Name": "X", "Nonsense": 1})
    assert response.status_code == 400
    assert "Nonsense" in error_text(response)


def test_bank_accounts_navigation_resolves(api: Api) -> None:
    """BankAccounts is deferred, and its URI answers with the account's bank accounts."""
    created = api.create("crm/Accounts", {"Name": "X"})
    api.create("crm/BankAccounts", {"Account": created["ID"], "BankAccount": "NL91ABNA0417164300"})
    rows = api.rows("crm/Accounts", **{"$filter": f"ID eq guid'{created['ID']}'"})
    uri = rows[0]["BankAccounts"]["__deferred"]["uri"]
    linked = api.session.get(uri, timeout=5)
    assert linked.status_code == 200
    assert [r["BankAccount"] for r in linked.json()["d"]["results"]] == ["NL91ABNA0417164300"]
