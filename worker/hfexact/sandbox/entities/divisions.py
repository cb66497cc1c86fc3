"""``hrm/Divisions``: the divisions the signed-in user may use (GET only).

Exact's reference: "Returns only divisions that are accessible to the signed-in user … only
those which the user has granted permission to" (division scoping at consent), so the list is the
token's client's divisions, whichever allowed division is in the URL. Key ``Code`` (Int32). The
first division is the main (hosting) one; names and owner match ``current/Me``. The
``Class_01``…``Class_05`` classifications are not served.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hfexact.sandbox.entities.base import Context, EntitySet
from hfexact.sandbox.schema import HRM_DIVISION
from hfexact.sandbox.store import Record

DIVISION_NAME = "Sandbox administratie {}"
CUSTOMER_CODE = "          1000001"
VAT_NUMBER = "NL000099998B57"
STARTED = dt.datetime(2020, 1, 1)


class HrmDivisions(EntitySet):
    path = "hrm/Divisions"
    etype = HRM_DIVISION

    def records(self, ctx: Context) -> list[Record]:
        rows: list[Record] = []
        for hid, number in enumerate(ctx.divisions, start=1):
            division = ctx.state.divisions[number]
            rows.append({
                "Code": number, "ArchiveDate": None, "BlockingStatus": 0, "Country": "NL",
                "CountryDescription": "Nederland", "Created": STARTED, "Creator": None,
                "CreatorFullName": None, "Currency": "EUR", "CurrencyDescription": "Euro",
                "Customer": division.customer_id, "CustomerCode": CUSTOMER_CODE,
                "CustomerName": DIVISION_NAME.format(number),
                "Description": DIVISION_NAME.format(number), "HID": hid, "Main": hid == 1,
                "Modified": STARTED, "Modifier": None, "ModifierFullName": None,
                "OBNumber": None, "SiretNumber": None, "StartDate": STARTED, "Status": 0,
                "TaxOfficeNumber": None, "TaxReferenceNumber": None, "TemplateCode": None,
                "VATNumber": VAT_NUMBER, "Website": None})
        return rows

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        return key if isinstance(key, int) and key in ctx.divisions else None
