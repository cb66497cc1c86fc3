"""Sales and purchase entries: references, VAT, numbering, status, credit notes, edits."""

from __future__ import annotations

from tests.sandbox.conftest import Api, control, customer, error_text, gl_ids, sales_entry, supplier


def test_sales_entry_totals_and_defaults(api: Api) -> None:
    """VAT from the code's percentage; total incl. VAT; status 20; type 20; YY+journal+seq."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8010"], 100.0, YourRef="F1")
    assert entry["AmountFC"] == 121.0
    assert entry["VATAmountFC"] == 21.0
    assert entry["Status"] == 20
    assert entry["Type"] == 20
    assert entry["EntryNumber"] == 26700001
    assert entry["InvoiceNumber"] == entry["EntryNumber"]
    line = entry["SalesEntryLines"]["results"][0]
    assert line["VATCode"] == "2  "
    assert line["VATPercentage"] == 0.21


def test_next_number_increments_per_journal(api: Api) -> None:
    """The second entry of the journal and year gets the next number."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    first = sales_entry(api, cid, gl["8000"])
    second = sales_entry(api, cid, gl["8000"])
    assert second["EntryNumber"] == first["EntryNumber"] + 1


def test_duplicate_entry_number_refused(api: Api) -> None:
    """A used EntryNumber gives 500 In gebruik: Boekstuknummer."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    sales_entry(api, cid, gl["8000"], EntryNumber=26700500)
    response = api.post("salesentry/SalesEntries", {
        "Journal": "70", "Customer": cid, "EntryNumber": 26700500,
        "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1}]})
    assert response.status_code == 500
    assert error_text(response) == "In gebruik: Boekstuknummer"


def test_vat_amount_override(api: Api) -> None:
    """VATAmountFC on a line overrides the computed VAT."""
    gl = gl_ids(api)
    entry = api.create("salesentry/SalesEntries", {
        "Journal": "70", "Customer": customer(api)["ID"], "SalesEntryLines": [
            {"GLAccount": gl["8000"], "AmountFC": "10.00", "VATCode": "2",
             "VATAmountFC": "2.11"}]})
    assert entry["VATAmountFC"] == 2.11
    assert entry["AmountFC"] == 12.11


def test_gl_default_vat_code_used_when_omitted(api: Api) -> None:
    """Without VATCode the G/L account's default VAT code applies (8000 -> 21%)."""
    gl = gl_ids(api)
    entry = api.create("salesentry/SalesEntries", {
        "Journal": "70", "Customer": customer(api)["ID"],
        "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 200}]})
    assert entry["VATAmountFC"] == 42.0


def test_negative_total_is_credit_note(api: Api) -> None:
    """Negative amounts make a Type 21 credit note."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"], -50.0)
    assert entry["Type"] == 21
    assert entry["AmountFC"] == -60.5


def test_due_date_from_payment_condition(api: Api) -> None:
    """DueDate = EntryDate + the condition's days (14 for '14')."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"], PaymentCondition="14")
    # 2026-11-28 + 14 days = 2026-12-12 00:00 UTC
    assert entry["DueDate"] == "/Date(1797033600000)/"


def test_customer_must_be_a_customer(api: Api) -> None:
    """A prospect as Customer gives Ongeldig: Klant (Type)."""
    gl = gl_ids(api)
    prospect = api.create("crm/Accounts", {"Name": "P", "Status": "P"})
    response = api.post("salesentry/SalesEntries", {
        "Journal": "70", "Customer": prospect["ID"],
        "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1}]})
    assert response.status_code == 500
    assert error_text(response) == "Ongeldig: Klant (Type)"


def test_missing_fields_listed_together(api: Api) -> None:
    """Missing customer and journal: both messages, joined by CRLF."""
    gl = gl_ids(api)
    response = api.post("salesentry/SalesEntries", {
        "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1}]})
    assert response.status_code == 500
    assert error_text(response) == "Verplicht: Klant\r\nVerplicht: Dagboek"


def test_journal_must_be_a_sales_journal_code(api: Api) -> None:
    """The purchase journal is refused; a GUID is an invalid reference."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    lines = [{"GLAccount": gl["8000"], "AmountFC": 1}]
    wrong = api.post("salesentry/SalesEntries", {"Journal": "60", "Customer": cid,
                                                 "SalesEntryLines": lines})
    assert error_text(wrong) == "Ongeldig: Dagboek"
    guid = api.post("salesentry/SalesEntries", {"Journal": cid, "Customer": cid,
                                                "SalesEntryLines": lines})
    assert error_text(guid) == "Ongeldige referentie: Journals"


def test_line_gl_type_checked(api: Api) -> None:
    """A receivables (type 20) account on a line: Ongeldig: Grootboekrekeningtype."""
    gl = gl_ids(api)
    response = api.post("salesentry/SalesEntries", {
        "Journal": "70", "Customer": customer(api)["ID"],
        "SalesEntryLines": [{"GLAccount": gl["1300"], "AmountFC": 1}]})
    assert response.status_code == 500
    assert error_text(response) == "Ongeldig: Grootboekrekeningtype"


def test_blocked_gl_refused(api: Api) -> None:
    """A blocked G/L account gives Exact's Blocked message."""
    gl = gl_ids(api)
    response = api.post("salesentry/SalesEntries", {
        "Journal": "70", "Customer": customer(api)["ID"],
        "SalesEntryLines": [{"GLAccount": gl["8099"], "AmountFC": 1}]})
    assert error_text(response).startswith("Blocked: Ledger account: 8099")


def test_unknown_and_wrong_side_vat_code(api: Api) -> None:
    """Unknown VAT code: invalid reference; a purchase code on a sale: not allowed."""
    gl = gl_ids(api)
    cid = customer(api)["ID"]
    unknown = api.post("salesentry/SalesEntries", {"Journal": "70", "Customer": cid,
                       "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1,
                                            "VATCode": "99"}]})
    assert error_text(unknown) == "Ongeldige referentie: Btw-code"
    purchase_code = api.post("salesentry/SalesEntries", {"Journal": "70", "Customer": cid,
                             "SalesEntryLines": [{"GLAccount": gl["8000"], "AmountFC": 1,
                                                  "VATCode": "3"}]})
    assert error_text(purchase_code) == "Niet toegestaan: Btw-code"


def test_put_only_while_open(api: Api, base: str) -> None:
    """PUT changes an open entry; after processing (50) it is refused."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"])
    url = f"salesentry/SalesEntries(guid'{entry['EntryID']}')"
    assert api.put(url, {"Description": "nieuw"}).status_code == 204
    control(base, "process", {"division": 123456})
    refused = api.put(url, {"Description": "te laat"})
    assert refused.status_code == 500
    assert error_text(refused) == "Reeds verwerkt"
    assert api.delete(url).status_code == 500


def test_delete_open_entry_removes_receivable(api: Api) -> None:
    """DELETE of an open entry: 204, and its open item is gone."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"])
    assert api.delete(f"salesentry/SalesEntries(guid'{entry['EntryID']}')").status_code == 204
    assert api.rows("read/financial/ReceivablesList") == []


def test_lines_deferred_unless_expanded(api: Api) -> None:
    """GET gives SalesEntryLines as __deferred; the URI resolves; $expand inlines them."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"])
    flt = {"$filter": f"EntryID eq guid'{entry['EntryID']}'"}
    row = api.rows("salesentry/SalesEntries", **flt)[0]
    uri = row["SalesEntryLines"]["__deferred"]["uri"]
    lines = api.session.get(uri, timeout=5).json()["d"]["results"]
    assert [ln["AmountFC"] for ln in lines] == [100.0]
    expanded = api.rows("salesentry/SalesEntries", **flt, **{"$expand": "SalesEntryLines"})
    assert expanded[0]["SalesEntryLines"]["results"][0]["AmountFC"] == 100.0


def test_line_edits_recompute_and_last_line_delete_removes_entry(api: Api) -> None:
    """Adding a line raises the total; deleting the last line deletes the whole entry."""
    gl = gl_ids(api)
    entry = sales_entry(api, customer(api)["ID"], gl["8000"])
    added = api.create("salesentry/SalesEntryLines", {"EntryID": entry["EntryID"],
                                                       "GLAccount": gl["8010"], "AmountFC": 10})
    flt = {"$filter": f"EntryID eq guid'{entry['EntryID']}'"}
    assert api.rows("salesentry/SalesEntries", **flt)[0]["AmountFC"] == 133.1
    first = entry["SalesEntryLines"]["results"][0]["ID"]
    assert api.delete(f"salesentry/SalesEntryLines(guid'{first}')").status_code == 204
    assert api.delete(f"salesentry/SalesEntryLines(guid'{added['ID']}')").status_code == 204
    assert api.rows("salesentry/SalesEntries", **flt) == []


def test_purchase_entry_rules(api: Api) -> None:
    """Purchase entries need a supplier and the purchase journal; Type 30; payable created."""
    gl = gl_ids(api)
    lev = supplier(api)
    entry = api.create("purchaseentry/PurchaseEntries", {
        "Journal": "60", "Supplier": lev["ID"], "YourRef": "INK-1",
        "PurchaseEntryLines": [{"GLAccount": gl["4010"], "AmountFC": 200, "VATCode": "3"}]})
    assert entry["Type"] == 30
    assert entry["AmountFC"] == 242.0
    payables = api.rows("read/financial/PayablesList")
    assert [(p["YourRef"], p["Amount"]) for p in payables] == [("INK-1", 242.0)]
    not_supplier = api.post("purchaseentry/PurchaseEntries", {
        "Journal": "60", "Supplier": customer(api)["ID"],
        "PurchaseEntryLines": [{"GLAccount": gl["4010"], "AmountFC": 1}]})
    assert error_text(not_supplier) == "Ongeldig: Leverancier (Type)"
