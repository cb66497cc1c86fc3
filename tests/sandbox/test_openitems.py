"""Open items: receivables per entry, matching by bank/journal lines, batch receipts, unmatch."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Api, control, customer, error_text, gl_ids, sales_entry

SYNC = {"$select": "ID,Status,AmountFC,InvoiceNumber,IsFullyPaid,Timestamp,LineType,YourRef",
        "$filter": "Timestamp gt 1"}


def open_amounts(api: Api) -> dict[int, float]:
    out: dict[int, float] = {}
    for row in api.rows("read/financial/ReceivablesList"):
        if row["InvoiceNumber"] is not None:
            out[row["InvoiceNumber"]] = out.get(row["InvoiceNumber"], 0) + row["Amount"]
    return out


def bank_receipt(api: Api, gl: dict[str, str], account: str, number: int,
                 amount: float) -> Any:
    return api.post("financialtransaction/BankEntries", {
        "JournalCode": "10", "BankEntryLines": [{
            "GLAccount": gl["1300"], "Account": account, "OurRef": number, "AmountFC": amount,
            "Date": "2026-12-01"}]})


def test_status_20_entry_is_in_receivables_list(api: Api) -> None:
    """A new (open, unprocessed) sales entry is an outstanding item with its YourRef."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"], YourRef="F-1")
    rows = api.rows("read/financial/ReceivablesList")
    assert [(r["InvoiceNumber"], r["Amount"], r["YourRef"]) for r in rows] == [
        (entry["EntryNumber"], 121.0, "F-1")]
    assert rows[0]["AccountCode"] == " " * 14 + "1001"


def test_full_bank_payment_matches(api: Api) -> None:
    """A bank line with OurRef and the full amount matches: gone from the list, Status 50."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    entry = sales_entry(api, cid, gl["8000"])
    assert bank_receipt(api, gl, cid, entry["EntryNumber"], 121.0).status_code == 201
    assert open_amounts(api) == {}
    receivable = api.rows("cashflow/Receivables", **{
        "$filter": f"TransactionEntryID eq guid'{entry['EntryID']}'"})
    assert [(r["Status"], r["IsFullyPaid"]) for r in receivable] == [(50, True)]


def test_partial_payment_lowers_open_amount(api: Api) -> None:
    """A partial receipt leaves the rest open; a second one closes it."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    number = sales_entry(api, cid, gl["8000"])["EntryNumber"]
    bank_receipt(api, gl, cid, number, 21.0)
    assert open_amounts(api) == {number: 100.0}
    bank_receipt(api, gl, cid, number, 100.0)
    assert open_amounts(api) == {}


def test_wrong_reference_or_relation_does_not_match(api: Api) -> None:
    """Another customer's payment with the same OurRef leaves the invoice open."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    other = customer(api, "1002")["ID"]
    number = sales_entry(api, cid, gl["8000"])["EntryNumber"]
    bank_receipt(api, gl, other, number, 121.0)
    assert open_amounts(api) == {number: 121.0}


def test_batch_receipt_on_intermediate_account_matches_each_invoice(api: Api) -> None:
    """A memorial: debit 1105, credit two customers with OurRef: both invoices are matched."""
    gl = gl_ids(api)
    a, b = customer(api)["ID"], customer(api, "1002")["ID"]
    na = sales_entry(api, a, gl["8000"], 100.0)["EntryNumber"]
    nb = sales_entry(api, b, gl["8000"], 200.0)["EntryNumber"]
    response = api.post("generaljournalentry/GeneralJournalEntries", {
        "JournalCode": "90", "GeneralJournalEntryLines": [
            {"GLAccount": gl["1105"], "AmountFC": 363.0, "Description": "Incasso SDD"},
            {"GLAccount": gl["1300"], "Account": a, "OurRef": na, "AmountFC": -121.0},
            {"GLAccount": gl["1300"], "Account": b, "OurRef": nb, "AmountFC": -242.0}]})
    assert response.status_code == 201, response.text
    assert open_amounts(api) == {}


def test_unbalanced_journal_entry_refused(api: Api) -> None:
    """A general journal entry that does not balance is refused."""
    gl = gl_ids(api)
    response = api.post("generaljournalentry/GeneralJournalEntries", {
        "JournalCode": "90", "GeneralJournalEntryLines": [
            {"GLAccount": gl["1105"], "AmountFC": 10.0},
            {"GLAccount": gl["4000"], "AmountFC": -9.0}]})
    assert response.status_code == 500
    assert error_text(response) == "Ongeldig: Boeking is niet in balans"


def test_journal_entry_needs_general_journal(api: Api) -> None:
    """A general journal entry in the sales journal: Ongeldig: Dagboek."""
    gl = gl_ids(api)
    response = api.post("generaljournalentry/GeneralJournalEntries", {
        "JournalCode": "70", "GeneralJournalEntryLines": [
            {"GLAccount": gl["1105"], "AmountFC": 0}]})
    assert error_text(response) == "Ongeldig: Dagboek"


def test_bank_entry_balances_checked(api: Api) -> None:
    """Opening + lines must equal the closing balance; omitted balances chain on."""
    gl = gl_ids(api)
    bad = api.post("financialtransaction/BankEntries", {
        "JournalCode": "10", "OpeningBalanceFC": 0, "ClosingBalanceFC": 50,
        "BankEntryLines": [{"GLAccount": gl["4000"], "AmountFC": -10}]})
    assert bad.status_code == 500
    first = api.create("financialtransaction/BankEntries", {
        "JournalCode": "10", "BankEntryLines": [{"GLAccount": gl["4000"], "AmountFC": -10}]})
    second = api.create("financialtransaction/BankEntries", {
        "JournalCode": "10", "BankEntryLines": [{"GLAccount": gl["4000"], "AmountFC": -5}]})
    assert first["ClosingBalanceFC"] == -10.0
    assert second["OpeningBalanceFC"] == -10.0
    assert second["ClosingBalanceFC"] == -15.0


def test_ar_line_needs_a_relation(api: Api) -> None:
    """A line on the receivables account without Account is refused."""
    gl = gl_ids(api)
    response = api.post("financialtransaction/BankEntries", {
        "JournalCode": "10", "BankEntryLines": [{"GLAccount": gl["1300"], "AmountFC": 5}]})
    assert error_text(response) == "Verplicht: Relatie"


def test_sync_payment_terms_timestamps(api: Api, base: str) -> None:
    """PaymentTerms: Timestamp grows on every change; 'Timestamp gt N' returns only changes."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    number = sales_entry(api, cid, gl["8000"])["EntryNumber"]
    first = api.rows("sync/Cashflow/PaymentTerms", **SYNC)
    assert [(r["Status"], r["LineType"]) for r in first] == [(20, 20)]
    high = max(r["Timestamp"] for r in first)
    control(base, "bank-payment", {"division": 123456, "invoice_number": number,
                                   "amount": "121.00", "date": "2026-12-01"})
    changed = api.rows("sync/Cashflow/PaymentTerms", **{**SYNC,
                                                        "$filter": f"Timestamp gt {high}"})
    invoice = [r for r in changed if r["InvoiceNumber"] == number]
    assert [(r["Status"], r["IsFullyPaid"]) for r in invoice] == [(50, True)]
    assert all(r["Timestamp"] > high for r in changed)
    payment = [r for r in changed if r["InvoiceNumber"] is None]
    assert payment[0]["AmountFC"] == -121.0


def test_sync_rejects_other_filters(api: Api) -> None:
    """Sync endpoints filter on Timestamp only."""
    response = api.get("sync/Cashflow/PaymentTerms", **{"$select": "ID",
                                                       "$filter": "Status eq 20"})
    assert response.status_code == 400


def test_control_bank_payment_partial_then_unmatch(api: Api, base: str) -> None:
    """bank-payment by your_ref pays part; unmatch reopens all of it and bumps Timestamps."""
    gl = gl_ids(api)
    number = sales_entry(api, customer(api)["ID"], gl["8000"], YourRef="F-9")["EntryNumber"]
    paid = control(base, "bank-payment", {"division": 123456, "your_ref": "F-9",
                                          "amount": "121.00"})
    assert paid["fully_paid"] is True
    before = {t["ID"]: t["Timestamp"] for t in paid["terms"]}
    reopened = control(base, "unmatch", {"division": 123456, "invoice_number": number})
    assert reopened["open_amount"] == "121.00"
    assert all(t["Timestamp"] > before[t["ID"]] for t in reopened["terms"])
    assert open_amounts(api) == {number: 121.0}


def test_credit_note_is_a_negative_open_item(api: Api) -> None:
    """A credit note shows as a negative receivable."""
    gl = gl_ids(api)
    number = sales_entry(api, customer(api)["ID"], gl["8000"], -10.0)["EntryNumber"]
    assert open_amounts(api) == {number: -12.1}


def test_matched_entry_cannot_be_deleted(api: Api) -> None:
    """An entry whose receivable is matched cannot be deleted."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    entry = sales_entry(api, cid, gl["8000"])
    bank_receipt(api, gl, cid, entry["EntryNumber"], 121.0)
    response = api.delete(f"salesentry/SalesEntries(guid'{entry['EntryID']}')")
    assert response.status_code == 500


def test_supplier_payment_matches_payable(api: Api) -> None:
    """A bank payment (negative) to a supplier on 1600 with OurRef clears the payable."""
    gl = gl_ids(api)
    lev = api.create("crm/Accounts", {"Name": "Lev", "IsSupplier": True})
    entry = api.create("purchaseentry/PurchaseEntries", {
        "Journal": "60", "Supplier": lev["ID"],
        "PurchaseEntryLines": [{"GLAccount": gl["4000"], "AmountFC": 100, "VATCode": "3"}]})
    api.create("financialtransaction/BankEntries", {"JournalCode": "10", "BankEntryLines": [
        {"GLAccount": gl["1600"], "Account": lev["ID"], "OurRef": entry["EntryNumber"],
         "AmountFC": -121.0}]})
    assert api.rows("read/financial/PayablesList") == []
