"""OData behaviour: envelopes, paging with __next, query options, errors, XML, dates, URLs."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import Api, customer, error_text, gl_ids, sales_entry


def make_accounts(api: Api, n: int) -> None:
    for i in range(n):
        api.create("crm/Accounts", {"Name": f"Relatie {i:03d}", "Code": str(100 + i),
                                    "Status": "C", "City": "Utrecht" if i % 2 else "Delft"})


def test_paging_60_with_opaque_skiptoken(api: Api) -> None:
    """130 accounts come in pages of 60, 60, 10 linked by __next with a $skiptoken."""
    make_accounts(api, 130)
    url = api.url("crm/Accounts") + "?$filter=Status%20eq%20'C'&$select=Code"
    sizes, codes = [], []
    while url:
        body = api.session.get(url, timeout=10).json()["d"]
        sizes.append(len(body["results"]))
        codes += [r["Code"].strip() for r in body["results"]]
        url = body.get("__next")
        if url:
            assert "$skiptoken=" in url
    assert sizes == [60, 60, 10]
    assert len(set(codes)) == 130


def test_top_skip_orderby(api: Api) -> None:
    """$orderby desc, $skip and $top apply in OData order."""
    make_accounts(api, 5)
    rows = api.rows("crm/Accounts", **{"$filter": "Status eq 'C'", "$orderby": "Code desc",
                                       "$skip": "1", "$top": "2", "$select": "Code"})
    assert [r["Code"].strip() for r in rows] == ["103", "102"]


def test_filter_operators_and_functions(api: Api) -> None:
    """and/or/ne/ge, substringof, startswith, datetime and guid literals all work."""
    make_accounts(api, 6)
    def count(flt: str) -> int:
        return len(api.rows("crm/Accounts", **{"$filter": flt, "$select": "ID"}))
    assert count("City eq 'Delft' and Status eq 'C'") == 3
    assert count("City eq 'Delft' or City eq 'Utrecht'") == 6
    assert count("City ne 'Delft'") == 3
    assert count("substringof('00', Name)") == 6
    assert count("startswith(Name, 'Relatie 00')") == 6
    assert count("Created ge datetime'2000-01-01T00:00:00'") == 6
    assert count("Created lt datetime'2000-01-01'") == 0
    one = api.rows("crm/Accounts", **{"$filter": "trim(Code) eq '101'", "$select": "ID"})[0]
    assert count(f"ID eq guid'{one['ID']}'") == 1


def test_plus_and_percent20_both_decode_to_space(api: Api) -> None:
    """'+' and '%20' in the query string are both spaces."""
    make_accounts(api, 2)
    plus = api.session.get(api.url("crm/Accounts") + "?$filter=City+eq+'Delft'", timeout=5)
    pct = api.session.get(api.url("crm/Accounts") + "?$filter=City%20eq%20'Delft'", timeout=5)
    assert plus.json() == pct.json()
    assert len(plus.json()["d"]["results"]) == 1


def test_count_segment(api: Api) -> None:
    """/$count answers the number of matching records as text."""
    make_accounts(api, 7)
    response = api.session.get(api.url("crm/Accounts/$count"),
                               params={"$filter": "City eq 'Delft'"}, timeout=5)
    assert response.status_code == 200
    assert response.text == "4"


def test_unknown_property_in_select_filter_orderby_is_400(api: Api) -> None:
    """Unknown properties anywhere in the query give 400 with the envelope."""
    for params in ({"$select": "Nope"}, {"$filter": "Nope eq 1"},
                   {"$filter": "Code eq '8000'", "$orderby": "Nope"}):
        response = api.get("financial/GLAccounts", **params)
        assert response.status_code == 400, params
        assert "Nope" in error_text(response)


def test_bad_filter_syntax_is_400(api: Api) -> None:
    """A filter that does not parse gives 400 Error in query syntax."""
    response = api.get("financial/GLAccounts", **{"$filter": "Code eq '1' and"})
    assert response.status_code == 400
    assert error_text(response) == "Error in query syntax."


def test_metadata_and_single_entity_url(api: Api) -> None:
    """Records carry __metadata whose uri is the Entity(guid'…') URL, which answers {"d":{…}}."""
    created = customer(api)
    row = api.rows("crm/Accounts", **{"$filter": f"ID eq guid'{created['ID']}'"})[0]
    meta = row["__metadata"]
    assert meta["type"] == "Exact.Web.Api.Models.Account"
    assert meta["uri"].endswith(f"crm/Accounts(guid'{created['ID']}')")
    single = api.session.get(meta["uri"], timeout=5).json()["d"]
    assert single["ID"] == created["ID"]


def test_dates_are_odata_dates(api: Api) -> None:
    """Dates come back as /Date(ms)/."""
    entry = sales_entry(api, customer(api)["ID"], gl_ids(api)["8000"])
    assert entry["EntryDate"] == "/Date(1795824000000)/"


def test_without_accept_json_the_answer_is_atom(api: Api) -> None:
    """Without Accept: application/json Exact answers Atom/XML."""
    response = requests.get(api.url("financial/Journals"), timeout=5, headers={
        "Authorization": api.session.headers["Authorization"]})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    assert b"<d:Code>70</d:Code>" in response.content


def test_bulk_and_sync_require_select(api: Api) -> None:
    """bulk/ and sync/ endpoints refuse a request without $select."""
    assert api.get("bulk/Cashflow/Receivables").status_code == 400
    assert api.get("sync/Cashflow/PaymentTerms", **{"$filter": "Timestamp gt 1"}).status_code \
        == 400
    ok = api.get("sync/Cashflow/PaymentTerms", **{"$filter": "Timestamp gt 1",
                                                 "$select": "ID,Timestamp"})
    assert ok.status_code == 200


def test_bulk_pages_are_1000(api: Api) -> None:
    """bulk/ pages 1000 records: 70 invoices come on one page, __next absent."""
    gl = gl_ids(api)["8000"]
    cid = customer(api)["ID"]
    for _ in range(70):
        sales_entry(api, cid, gl)
    body = api.get("bulk/Cashflow/Receivables", **{"$select": "ID"}).json()["d"]
    assert len(body["results"]) == 70
    assert "__next" not in body
    normal = api.get("cashflow/Receivables", **{"$select": "ID"}).json()["d"]
    assert len(normal["results"]) == 60
    assert "__next" in normal


def test_bulk_receivables_filter_restrictions(api: Api) -> None:
    """bulk/Cashflow/Receivables refuses filtering on IsFullyPaid."""
    response = api.get("bulk/Cashflow/Receivables", **{"$select": "ID",
                                                      "$filter": "IsFullyPaid eq true"})
    assert response.status_code == 400
    assert "IsFullyPaid" in error_text(response)


def test_malformed_body_is_400(api: Api) -> None:
    """A body that is not a JSON object gives Exact's request-stream 400."""
    response = api.session.post(api.url("crm/Accounts"), data=b"[1,2]",
                                headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert error_text(response).startswith("Error processing request stream.")


def test_unknown_endpoint_is_404(api: Api) -> None:
    """A path that names no entity set is a 404 in the envelope."""
    response = api.get("crm/Nothing")
    assert response.status_code == 404
    assert "Nothing" in error_text(response)
