"""``GET /api/v1/current/Me``: the user behind the token, as a one-element collection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from hfexact.sandbox.entities.divisions import CUSTOMER_CODE, DIVISION_NAME, VAT_NUMBER
from hfexact.sandbox.oauth import Grant
from hfexact.sandbox.odata import wire
from hfexact.sandbox.odata.query import parse_options
from hfexact.sandbox.rest import Reply
from hfexact.sandbox.schema import ME

if TYPE_CHECKING:
    from hfexact.sandbox.app import Sandbox


def handle(sandbox: Sandbox, request: Request, grant: Grant, allowed: list[int],
           as_json: bool) -> Reply:
    if request.method != "GET":
        raise_405 = wire.json_error("The requested method is not allowed for this resource.")
        return Reply(405, raise_405, "application/json; charset=utf-8")
    current = allowed[0] if allowed else 0
    division = sandbox.state.divisions.get(current)
    now = sandbox.state.clock.utcnow()
    record = {
        "UserID": grant.user_id, "AccountingDivision": current, "CurrentDivision": current,
        "CustomerCode": "          1000000", "DivisionCustomer": division.customer_id
        if division else None, "DivisionCustomerCode": CUSTOMER_CODE,
        "DivisionCustomerName": DIVISION_NAME.format(current),
        "DivisionCustomerVatNumber": VAT_NUMBER, "Email": f"{grant.client_id}@example.test",
        "FirstName": "Sandbox", "LastName": "Gebruiker", "FullName": "Sandbox Gebruiker",
        "UserName": f"{grant.client_id}@example.test", "Language": "NL",
        "LanguageCode": "nl-NL", "Legislation": 1, "ServerTime": now.isoformat(),
        "ServerUtcOffset": 0.0,
    }
    opts = parse_options(request.args, ME)
    props = {k: v for k, v in record.items() if opts.select is None or k in opts.select}
    uri = request.host_url + f"api/v1/current/Me(guid'{grant.user_id}')"
    shaped = wire.Shaped(ME, uri, props)
    if as_json:
        return Reply(200, wire.json_collection([shaped], None), "application/json; charset=utf-8")
    return Reply(200, wire.atom_collection(request.base_url, [shaped], None),
                 "application/atom+xml;type=feed;charset=utf-8")
