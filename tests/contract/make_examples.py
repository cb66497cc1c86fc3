"""Write schemas/examples/ (run by hand: ``.venv/bin/python tests/contract/make_examples.py``).

The examples are committed JSON; this script is how they were made, so amounts follow one
rule: line = round(Number x PriceExcl x (1 - DiscountPercentage/100), 2); per VAT rate
tax = round(sum of its lines x rate/100, 2); AmountExcl = sum of lines; AmountIncl = excl + tax
(HostFact's ``VatCalcMethod`` excl). ``test_examples.py`` re-checks that arithmetic.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / "schemas" / "examples"
CENT = Decimal("0.01")
NS = uuid.UUID("6f1c3a52-0d7e-4f0b-9c55-1b2a3c4d5e6f")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def envelope(
    kind: str,
    name: str,
    data: dict[str, Any],
    related: dict[str, Any] | None = None,
    *,
    at: str = "2026-11-28T15:04:05+01:00",
) -> dict[str, Any]:
    system = (
        "hfexact"
        if kind.split(".")[0] in ("export", "payment") or kind == "settings.validated"
        else "hostfact"
    )
    doc: dict[str, Any] = {
        "id": str(uuid.uuid5(NS, f"{kind}/{name}")),
        "type": kind,
        "version": 1,
        "occurred_at": at,
        "source": {"system": system, "installation": "hf-main"},
        "data": data,
    }
    if related is not None:
        doc["related"] = related
    return doc


# ------------------------------------------------------------------ debtors


def debtor(ident: str, code: str, **fields: Any) -> dict[str, Any]:
    base = {
        "Identifier": ident,
        "DebtorCode": code,
        "Status": "1",
        "CompanyName": "",
        "CompanyNumber": "",
        "LegalForm": "",
        "TaxNumber": "",
        "Sex": "m",
        "Initials": "",
        "SurName": "",
        "Address": "",
        "Address2": "",
        "ZipCode": "",
        "City": "",
        "State": "",
        "Country": "NL",
        "EmailAddress": "",
        "PhoneNumber": "",
        "MobileNumber": "",
        "FaxNumber": "",
        "Website": "",
        "InvoiceMethod": "0",
        "InvoiceTerm": "-1",
        "Taxable": "auto",
        "AccountNumber": "",
        "AccountBIC": "",
        "AccountName": "",
        "AccountBank": "",
        "AccountCity": "",
        "InvoiceAuthorisation": "no",
        "MandateID": "",
        "MandateDate": "",
        "Groups": [],
        "Created": "2026-03-02 10:15:00",
        "Modified": "2026-11-28 15:03:59",
    }
    base.update(fields)
    return base


BV = debtor(
    "17",
    "DB0017",
    CompanyName="Bakkerij De Gouden Korst B.V.",
    CompanyNumber="34123456",
    LegalForm="BV",
    TaxNumber="NL001234567B01",
    Sex="f",
    Initials="Anouk",
    SurName="de Vries",
    Address="Kalverstraat 12",
    ZipCode="1012 NX",
    City="Amsterdam",
    EmailAddress="administratie@goudenkorst.example;anouk@goudenkorst.example",
    PhoneNumber="+31 20 123 4567",
    Website="https://goudenkorst.example",
    AccountNumber="NL91ABNA0417164300",
    AccountBIC="ABNANL2A",
    AccountName="Bakkerij De Gouden Korst B.V.",
    InvoiceAuthorisation="yes",
    MandateID="DB0017-1",
    MandateDate="2026-03-02",
    Groups=[{"id": "2", "GroupName": "Hosting klanten"}],
)
CONSUMER = debtor(
    "18",
    "DB0018",
    Sex="f",
    Initials="Zoë",
    SurName="Brontë",
    Address="Oudegracht 200",
    ZipCode="3511 NR",
    City="Utrecht",
    EmailAddress="zoe.bronte@mail.example",
    MobileNumber="+31 6 12345678",
    InvoiceMethod="0",
)
DE_BUSINESS = debtor(
    "19",
    "DB0019",
    CompanyName="Müller & Söhne GmbH",
    CompanyNumber="HRB 12345",
    LegalForm="ANDERS",
    TaxNumber="DE123456789",
    Initials="Jürgen",
    SurName="Müller",
    Address="Königstraße 5",
    ZipCode="70173",
    City="Stuttgart",
    Country="DE",
    EmailAddress="buchhaltung@mueller-soehne.example",
    InvoiceMethod="0",
    InvoiceTerm="30",
)
DK_BUSINESS = debtor(
    "20",
    "DB0020",
    CompanyName="Ærø Hosting ApS",
    LegalForm="ANDERS",
    TaxNumber="DK12345678",
    Initials="Søren",
    SurName="Ærøskøbing",
    Address="Vestergade 1",
    ZipCode="5970",
    City="Ærøskøbing",
    Country="DK",
    EmailAddress="regnskab@aero-hosting.example",
    Groups=[{"id": "2", "GroupName": "Hosting klanten"}, {"id": "5", "GroupName": "Reseller"}],
)

# ------------------------------------------------------------------ creditors


def creditor(ident: str, code: str, **fields: Any) -> dict[str, Any]:
    base = {
        "Identifier": ident,
        "CreditorCode": code,
        "MyCustomerCode": "",
        "CompanyName": "",
        "CompanyNumber": "",
        "TaxNumber": "",
        "Sex": "m",
        "Initials": "",
        "SurName": "",
        "Address": "",
        "Address2": "",
        "ZipCode": "",
        "City": "",
        "State": "",
        "Country": "NL",
        "EmailAddress": "",
        "PhoneNumber": "",
        "MobileNumber": "",
        "FaxNumber": "",
        "Comment": "",
        "Authorisation": "no",
        "AccountNumber": "",
        "AccountBIC": "",
        "AccountName": "",
        "AccountBank": "",
        "AccountCity": "",
        "Term": "30",
        "Groups": [],
        "Created": "2025-01-10 09:00:00",
        "Modified": "2026-11-01 08:30:00",
    }
    base.update(fields)
    return base


DC_NL = creditor(
    "3",
    "CD0003",
    MyCustomerCode="K-88812",
    CompanyName="Datacenter Noord B.V.",
    CompanyNumber="01234567",
    TaxNumber="NL009876543B01",
    Initials="Pieter",
    SurName="Bakker",
    Address="Zernikelaan 8",
    ZipCode="9747 AA",
    City="Groningen",
    EmailAddress="facturen@dcnoord.example",
    Authorisation="yes",
    AccountNumber="NL02RABO0123456789",
    AccountBIC="RABONL2U",
    Term="14",
    Groups=[{"id": "7", "GroupName": "Datacenter"}],
)
DE_SUPPLIER = creditor(
    "4",
    "CD0004",
    MyCustomerCode="K1234567",
    CompanyName="Rechenzentrum Süd GmbH",
    TaxNumber="DE987654321",
    Initials="Björn",
    SurName="Weiß",
    Address="Industriestraße 3",
    ZipCode="91710",
    City="Gunzenhausen",
    Country="DE",
    EmailAddress="billing@rz-sued.example",
    Groups=[{"id": "7", "GroupName": "Datacenter"}],
)
DK_SUPPLIER = creditor(
    "5",
    "CD0005",
    CompanyName="Ærø Hosting ApS",
    TaxNumber="DK12345678",
    Initials="Søren",
    SurName="Ærøskøbing",
    Address="Vestergade 1",
    ZipCode="5970",
    City="Ærøskøbing",
    Country="DK",
    EmailAddress="faktura@aero-hosting.example",
    Term="8",
)

# ------------------------------------------------------------------ invoices


def line(
    ident: str,
    number: str,
    price: str,
    tax: str,
    desc: str,
    *,
    product: str = "",
    discount: str = "0",
    **extra: Any,
) -> dict[str, Any]:
    d = {
        "Identifier": ident,
        "Date": "2026-11-28",
        "Number": number,
        "NumberSuffix": "",
        "ProductCode": product,
        "Description": desc,
        "PriceExcl": price,
        "DiscountPercentage": discount,
        "DiscountPercentageType": "line",
        "TaxPercentage": tax,
        "PeriodicID": "0",
        "Periods": "1",
        "Periodic": "",
        "StartPeriod": "",
        "EndPeriod": "",
        "ProductType": "",
        "Reference": "0",
    }
    d.update(extra)
    return d


def totals(lines: list[dict[str, Any]]) -> tuple[str, str, str]:
    excl_by_rate: dict[Decimal, Decimal] = {}
    for item in lines:
        amount = (
            Decimal(item["Number"])
            * Decimal(item["PriceExcl"])
            * (1 - Decimal(item["DiscountPercentage"]) / 100)
        ).quantize(CENT, ROUND_HALF_UP)
        rate = Decimal(item["TaxPercentage"])
        excl_by_rate[rate] = excl_by_rate.get(rate, Decimal(0)) + amount
    excl = sum(excl_by_rate.values(), Decimal(0))
    tax = sum(
        ((v * r / 100).quantize(CENT, ROUND_HALF_UP) for r, v in excl_by_rate.items()), Decimal(0)
    )
    return money(excl), money(tax), money(excl + tax)


def invoice(
    ident: str,
    code: str,
    deb: dict[str, Any],
    lines: list[dict[str, Any]],
    *,
    status: str = "2",
    **fields: Any,
) -> dict[str, Any]:
    excl, tax, incl = totals(lines)
    d = {
        "Identifier": ident,
        "InvoiceCode": code,
        "Debtor": deb["Identifier"],
        "DebtorCode": deb["DebtorCode"],
        "Status": status,
        "SubStatus": "",
        "Date": "2026-11-28",
        "Term": "14",
        "PayBefore": "2026-12-12",
        "AmountExcl": excl,
        "AmountTax": tax,
        "AmountIncl": incl,
        "AmountPaid": "0.00",
        "Discount": "0",
        "VatCalcMethod": "excl",
        "Currency": "EUR",
        "ReferenceNumber": "",
        "CompanyName": deb["CompanyName"],
        "TaxNumber": deb["TaxNumber"],
        "Sex": deb["Sex"],
        "Initials": deb["Initials"],
        "SurName": deb["SurName"],
        "Address": deb["Address"],
        "ZipCode": deb["ZipCode"],
        "City": deb["City"],
        "Country": deb["Country"],
        "EmailAddress": deb["EmailAddress"],
        "InvoiceMethod": "0",
        "Template": "1",
        "SentDate": "2026-11-28 15:04:00",
        "Sent": "1",
        "Reminders": "0",
        "Summations": "0",
        "Authorisation": "no",
        "PaymentMethod": "",
        "PayDate": "",
        "TransactionID": "",
        "SDDBatchID": "",
        "Description": "",
        "Comment": "",
        "InvoiceLines": lines,
        "Created": "2026-11-28 14:58:12",
        "Modified": "2026-11-28 15:04:00",
    }
    d.update(fields)
    return d


def inv_related(deb: dict[str, Any], groups: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    r = {"debtor": deb, "product_groups": groups}
    r.update(extra)
    return r


BV_INVOICE = invoice(
    "9301",
    "F2026-0101",
    BV,
    [
        line(
            "318701",
            "1",
            "119.00",
            "21",
            "Webhosting Business 12 maanden",
            product="P0001",
            PeriodicID="12",
            Periodic="j",
            StartPeriod="2026-12-01",
            EndPeriod="2027-11-30",
            ProductType="hosting",
        ),
        line(
            "318702",
            "2",
            "9.95",
            "21",
            "Domeinnaam goudenkorst.nl",
            product="P0010",
            ProductType="domain",
        ),
        line(
            "318703",
            "3",
            "24.95",
            "9",
            "Handboek 'Zelf je website bouwen'",
            product="P0042",
            discount="10",
        ),
    ],
    Authorisation="yes",
    PaymentMethod="auth",
    SDDBatchID="SDD20261205",
)
CONSUMER_INVOICE = invoice(
    "9302",
    "F2026-0102",
    CONSUMER,
    [
        line(
            "318710",
            "1",
            "4.1322",
            "21",
            "Mailbox Basis november",
            product="P0005",
            NumberSuffix="mnd",
        ),
    ],
    Term="7",
    PayBefore="2026-12-05",
)
DE_INVOICE = invoice(
    "9303",
    "F2026-0103",
    DE_BUSINESS,
    [
        line(
            "318720",
            "12",
            "35.00",
            "0",
            "VPS Standard (Reverse charge / BTW verlegd)",
            product="P0020",
            NumberSuffix="mnd",
            ProductType="vps",
        ),
        line("318721", "1", "150.00", "0", "Migratie en installatie", discount="15"),
    ],
    Term="30",
    PayBefore="2026-12-28",
    Description="Intra-community supply, VAT reverse-charged (art. 196 VAT Directive)",
)
DISCOUNT_INVOICE = invoice(
    "9304",
    "F2026-0104",
    DK_BUSINESS,
    [
        line(
            "318730", "5", "12.50", "0", "Reseller hosting pakket", product="P0030", discount="20"
        ),
        line("318731", "1", "-10.00", "0", "Korting eerste maand (coupon WELKOM10)"),
        line("318732", "0.5", "85.00", "0", "Support (uur)", NumberSuffix="uur"),
    ],
)
CREDIT_LINES = [
    line(
        "318740",
        "-1",
        "119.00",
        "21",
        "Creditering: Webhosting Business 12 maanden",
        product="P0001",
    ),
    line("318741", "-2", "9.95", "21", "Creditering: Domeinnaam goudenkorst.nl", product="P0010"),
]
CREDIT_INVOICE = invoice(
    "9310",
    "F2026-0110",
    BV,
    CREDIT_LINES,
    status="8",
    Description="Creditfactuur voor F2026-0101",
    PayBefore="2026-11-28",
    Term="0",
)
CREDITED = {
    "Identifier": "9301",
    "InvoiceCode": "F2026-0101",
    "Date": "2026-11-28",
    "AmountIncl": BV_INVOICE["AmountIncl"],
}
GROUPS_BV = {"P0001": ["Hosting"], "P0010": ["Domeinnamen"], "P0042": ["Boeken"]}

# ------------------------------------------------------------------ purchase invoices


def pline(ident: str, number: str, price: str, tax: str, desc: str) -> dict[str, Any]:
    return {
        "Identifier": ident,
        "Number": number,
        "Description": desc,
        "PriceExcl": price,
        "TaxPercentage": tax,
        "DiscountPercentage": "0",
    }


def purchase(
    ident: str,
    code: str,
    supplier_code: str,
    cred: dict[str, Any],
    lines: list[dict[str, Any]],
    *,
    status: str = "1",
    **fields: Any,
) -> dict[str, Any]:
    excl, tax, incl = totals(lines)
    d = {
        "Identifier": ident,
        "CreditInvoiceCode": code,
        "InvoiceCode": supplier_code,
        "Creditor": cred["Identifier"],
        "CreditorCode": cred["CreditorCode"],
        "Status": status,
        "Date": "2026-11-25",
        "Term": cred["Term"],
        "AmountExcl": excl,
        "AmountTax": tax,
        "AmountIncl": incl,
        "AmountPaid": "0.00",
        "Currency": "EUR",
        "Authorisation": cred["Authorisation"],
        "Private": "0.00",
        "PrivatePercentage": "0",
        "ReferenceNumber": "",
        "Description": "",
        "PayDate": "",
        "Attachments": [],
        "InvoiceLines": lines,
        "Created": "2026-11-27 11:00:00",
        "Modified": "2026-11-27 11:00:00",
    }
    d.update(fields)
    return d


PURCHASE_NL = purchase(
    "501",
    "CF0501",
    "DCN-2026-11-0042",
    DC_NL,
    [
        pline("9001", "4", "250.00", "21", "Rackruimte 1U november"),
        pline("9002", "1", "75.50", "21", "Stroomverbruik november (kWh)"),
    ],
)
PURCHASE_DE = purchase(
    "502",
    "CF0502",
    "RE-2026-778812",
    DE_SUPPLIER,
    [
        pline(
            "9010",
            "1",
            "899.00",
            "0",
            "Dedicated Server AX102 (Steuerschuldnerschaft des Leistungsempfängers)",
        ),
        pline("9011", "3", "1.1900", "0", "Zusätzliche IPv4-Adresse"),
    ],
    ReferenceNumber="K1234567",
)
PURCHASE_CREDIT = purchase(
    "503",
    "CF0503",
    "DCN-CN-2026-0007",
    DC_NL,
    [
        pline("9020", "-1", "75.50", "21", "Creditnota stroomverbruik november"),
    ],
    status="8",
    Description="Creditnota op DCN-2026-11-0042",
)

# ------------------------------------------------------------------ SDD


def element(inv: dict[str, Any], **extra: Any) -> dict[str, Any]:
    d = {
        "InvoiceID": inv["Identifier"],
        "InvoiceCode": inv["InvoiceCode"],
        "Debtor": inv["Debtor"],
        "DebtorCode": inv["DebtorCode"],
        "Amount": inv["AmountIncl"],
        "Status": "draft",
        "MandateID": f"{inv['DebtorCode']}-1",
        "MandateType": "RCUR",
        "Reason": "",
    }
    d.update(extra)
    return d


def batch(
    batch_id: str, day: str, elements: list[dict[str, Any]], *, status: str = "downloaded"
) -> dict[str, Any]:
    total = sum((Decimal(e["Amount"]) for e in elements), Decimal(0))
    return {
        "BatchID": batch_id,
        "Date": day,
        "Status": status,
        "Count": str(len(elements)),
        "Amount": money(total),
        "DownloadDate": "2026-12-01 09:12:44",
        "SDD_ID": "NL98ZZZ999999999999",
        "SDD_IBAN": "NL44RABO0123456789",
        "SDD_BIC": "RABONL2U",
        "Elements": elements,
    }


def write(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


SETTINGS = {
    "enabled": {
        "debtors": True,
        "creditors": True,
        "invoices": True,
        "purchase_invoices": True,
        "sdd_batches": True,
        "payments": True,
    },
    "debtor_code_mask": "1###",
    "creditor_code_mask": "2###",
    "journals": {"sales": "70", "purchase": "60", "memorial": "90"},
    "revenue_gl": {
        "default": "8000",
        "by_product_group": {"Hosting": "8010", "Domeinnamen": "8020"},
    },
    "purchase_gl": {"default": "4000", "by_creditor_group": {"Datacenter": "4010"}},
    "vat_codes": {
        "21": {"domestic": "2", "eu_business": "6", "eu_consumer": "2", "non_eu": "7"},
        "9": {"domestic": "1", "eu_business": "6", "eu_consumer": "1", "non_eu": "7"},
        "0": {"domestic": "0", "eu_business": "6", "eu_consumer": "0", "non_eu": "7"},
    },
    "purchase_vat_codes": {"21": "3", "9": "4", "0": "0"},
    "sdd": {"intermediate_gl": "1105", "journal": "90", "payment_condition": "IN"},
}


def valid_examples() -> dict[str, dict[str, dict[str, Any]]]:
    v: dict[str, dict[str, dict[str, Any]]] = {}
    v["debtor.upserted"] = {
        "dutch-bv-with-vat-and-kvk": envelope("debtor.upserted", "bv", BV),
        "consumer-unicode-name": envelope("debtor.upserted", "consumer", CONSUMER),
        "german-business-reverse-charge": envelope("debtor.upserted", "de", DE_BUSINESS),
        "danish-business-two-groups": envelope("debtor.upserted", "dk", DK_BUSINESS, {}),
    }
    v["debtor.archived"] = {
        "ids-only": envelope(
            "debtor.archived", "ids", {"Identifier": "21", "DebtorCode": "DB0021"}
        ),
        "full-debtor-status-9": envelope("debtor.archived", "full", {**CONSUMER, "Status": "9"}),
        "company-status-9": envelope("debtor.archived", "dk", {**DK_BUSINESS, "Status": "9"}),
    }
    v["creditor.upserted"] = {
        "dutch-datacenter": envelope("creditor.upserted", "nl", DC_NL),
        "german-supplier": envelope("creditor.upserted", "de", DE_SUPPLIER),
        "danish-supplier-unicode": envelope("creditor.upserted", "dk", DK_SUPPLIER),
    }
    v["invoice.issued"] = {
        "dutch-bv-multiline-21-and-9-direct-debit": envelope(
            "invoice.issued", "bv", BV_INVOICE, inv_related(BV, GROUPS_BV)
        ),
        "consumer-unit-price-four-decimals": envelope(
            "invoice.issued",
            "consumer",
            CONSUMER_INVOICE,
            inv_related(CONSUMER, {"P0005": ["Hosting", "E-mail"]}),
        ),
        "eu-business-reverse-charge-0-percent": envelope(
            "invoice.issued", "de", DE_INVOICE, inv_related(DE_BUSINESS, {"P0020": ["VPS"]})
        ),
        "line-discount-and-negative-price-line": envelope(
            "invoice.issued", "dk", DISCOUNT_INVOICE, inv_related(DK_BUSINESS, {"P0030": []})
        ),
        "credit-invoice-status-8": envelope(
            "invoice.issued",
            "credit",
            CREDIT_INVOICE,
            inv_related(BV, {"P0001": ["Hosting"], "P0010": ["Domeinnamen"]}, credits=CREDITED),
        ),
        "credit-invoice-without-link": envelope(
            "invoice.issued",
            "credit-unlinked",
            {**CREDIT_INVOICE, "Identifier": "9311", "InvoiceCode": "F2026-0111"},
            inv_related(BV, {"P0001": ["Hosting"], "P0010": ["Domeinnamen"]}, credits=None),
        ),
    }
    v["invoice.changed"] = {
        "sent-invoice-description-edited": envelope(
            "invoice.changed",
            "edited",
            {**BV_INVOICE, "Description": "PO 2026-118", "Modified": "2026-11-29 09:00:00"},
            inv_related(BV, GROUPS_BV),
            at="2026-11-29T09:00:01+01:00",
        ),
        "cancelled-after-credit": envelope(
            "invoice.changed",
            "cancelled",
            {**BV_INVOICE, "Status": "9"},
            inv_related(BV, GROUPS_BV),
            at="2026-11-30T10:00:00+01:00",
        ),
        "partly-paid-consumer": envelope(
            "invoice.changed",
            "partly",
            {**CONSUMER_INVOICE, "Status": "3", "AmountPaid": "2.00"},
            inv_related(CONSUMER, {"P0005": ["Hosting"]}),
            at="2026-12-01T08:00:00Z",
        ),
        "credit-invoice-edited": envelope(
            "invoice.changed",
            "credit",
            {**CREDIT_INVOICE, "Comment": "Akkoord debiteur"},
            inv_related(BV, {"P0001": ["Hosting"], "P0010": ["Domeinnamen"]}, credits=CREDITED),
        ),
    }
    v["purchase_invoice.received"] = {
        "dutch-datacenter-21-percent": envelope(
            "purchase_invoice.received", "nl", PURCHASE_NL, {"creditor": DC_NL}
        ),
        "german-supplier-reverse-charge": envelope(
            "purchase_invoice.received", "de", PURCHASE_DE, {"creditor": DE_SUPPLIER}
        ),
        "purchase-credit-status-8": envelope(
            "purchase_invoice.received", "credit", PURCHASE_CREDIT, {"creditor": DC_NL}
        ),
    }
    v["sdd_batch.downloaded"] = {
        "one-invoice": envelope(
            "sdd_batch.downloaded", "one", batch("SDD20261205", "2026-12-05", [element(BV_INVOICE)])
        ),
        "three-invoices-first-and-recurring": envelope(
            "sdd_batch.downloaded",
            "three",
            batch(
                "SDD20261212",
                "2026-12-12",
                [
                    element(BV_INVOICE),
                    element(CONSUMER_INVOICE, MandateType="FRST"),
                    element(
                        {
                            **CONSUMER_INVOICE,
                            "Identifier": "9305",
                            "InvoiceCode": "F2026-0105",
                            "AmountIncl": "15.00",
                        }
                    ),
                ],
            ),
        ),
        "processed-with-failed-element": envelope(
            "sdd_batch.downloaded",
            "processed",
            batch(
                "SDD20261219",
                "2026-12-19",
                [
                    element(BV_INVOICE, Status="success"),
                    element(
                        CONSUMER_INVOICE, Status="failed", Reason="AC04 Rekeningnummer opgeheven"
                    ),
                ],
                status="processed",
            ),
        ),
    }
    v["sdd.reversed"] = {
        "insufficient-funds": envelope(
            "sdd.reversed",
            "am04",
            {
                "Identifier": "9301",
                "InvoiceCode": "F2026-0101",
                "Debtor": "17",
                "DebtorCode": "DB0017",
                "BatchID": "SDD20261205",
                "Amount": BV_INVOICE["AmountIncl"],
                "Reason": "AM04 Onvoldoende saldo",
                "Action": "reversal",
                "Date": "2026-12-09",
            },
        ),
        "refused-by-debtor": envelope(
            "sdd.reversed",
            "md06",
            {
                "Identifier": "9302",
                "InvoiceCode": "F2026-0102",
                "Debtor": "18",
                "DebtorCode": "DB0018",
                "BatchID": "SDD20261212",
                "Amount": CONSUMER_INVOICE["AmountIncl"],
                "Reason": "MD06 Terugboeking op verzoek van Zoë Brontë",
            },
        ),
        "minimal-without-date": envelope(
            "sdd.reversed",
            "min",
            {
                "InvoiceCode": "F2026-0105",
                "DebtorCode": "DB0018",
                "BatchID": "SDD20261212",
                "Amount": "15.00",
                "Reason": "AC06 Rekening geblokkeerd",
                "Date": "",
            },
        ),
    }
    minimal_settings = copy.deepcopy(SETTINGS)
    minimal_settings["enabled"] = {k: k == "debtors" for k in SETTINGS["enabled"]}
    minimal_settings["revenue_gl"]["by_product_group"] = {}
    minimal_settings["purchase_gl"]["by_creditor_group"] = {}
    minimal_settings["vat_codes"] = {"21": SETTINGS["vat_codes"]["21"]}
    minimal_settings["purchase_vat_codes"] = {"21": "3"}
    belgian = copy.deepcopy(SETTINGS)
    belgian["home_country"] = "BE"
    belgian["debtor_code_mask"] = "40####"
    belgian["vat_codes"]["6"] = {
        "domestic": "V06",
        "eu_business": "V0EU",
        "eu_consumer": "V06",
        "non_eu": "V0X",
    }
    belgian["revenue_gl"]["by_product_group"]["Boeken & Media"] = "700100"
    v["settings.changed"] = {
        "design-defaults": envelope("settings.changed", "defaults", SETTINGS),
        "only-debtors-enabled": envelope("settings.changed", "minimal", minimal_settings),
        "belgian-home-country-extra-rate": envelope("settings.changed", "be", belgian),
    }
    v["export.succeeded"] = {
        "invoice-booked": envelope(
            "export.succeeded",
            "inv",
            {
                "kind": "invoice",
                "hostfact_id": "9301",
                "hostfact_code": "F2026-0101",
                "exact_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                "division": "123456",
                "entry_number": "26700001",
                "event_id": str(uuid.uuid5(NS, "invoice.issued/bv")),
            },
        ),
        "debtor-account": envelope(
            "export.succeeded",
            "deb",
            {
                "kind": "debtor",
                "hostfact_id": "17",
                "hostfact_code": "DB0017",
                "exact_id": "a1b2c3d4-0000-4000-8000-000000000017",
                "division": "123456",
                "account_code": "1017",
                "entry_number": None,
                "event_id": None,
            },
        ),
        "sdd-batch-booked": envelope(
            "export.succeeded",
            "sdd",
            {
                "kind": "sdd_batch",
                "hostfact_id": "20261205",
                "hostfact_code": "SDD20261205",
                "exact_id": "b7e0c9a2-1111-4222-8333-444455556666",
                "division": "123456",
                "entry_number": "90200004",
            },
        ),
    }
    v["export.failed"] = {
        "exact-validation-error": envelope(
            "export.failed",
            "val",
            {
                "kind": "invoice",
                "hostfact_id": "9303",
                "hostfact_code": "F2026-0103",
                "reason": (
                    "Exact refused the sales entry: the VAT code is not valid for this GL account."
                ),
                "exact_message": (
                    "Btw-code 6: Niet toegestaan in combinatie met grootboekrekening 8000"
                ),
                "division": "123456",
                "event_id": str(uuid.uuid5(NS, "invoice.issued/de")),
            },
        ),
        "mask-collision": envelope(
            "export.failed",
            "mask",
            {
                "kind": "debtor",
                "hostfact_id": "1001",
                "hostfact_code": "DB1001",
                "reason": "Account code 1001 is already used by debtor DB0001 (mask 1###).",
                "exact_message": "",
            },
        ),
        "purchase-unknown-creditor-group": envelope(
            "export.failed",
            "pur",
            {
                "kind": "purchase_invoice",
                "hostfact_id": "502",
                "hostfact_code": "CF0502",
                "reason": "No purchase GL account configured and no default set.",
                "exact_message": "",
                "division": None,
                "event_id": None,
            },
        ),
    }
    v["payment.matched"] = {
        "sales-paid-by-bank": envelope(
            "payment.matched",
            "sales",
            {
                "kind": "sales",
                "hostfact_id": "9302",
                "invoice_code": "F2026-0102",
                "amount": CONSUMER_INVOICE["AmountIncl"],
                "pay_date": "2026-12-03",
                "division": "123456",
                "entry_number": "26700002",
            },
        ),
        "sales-direct-debit": envelope(
            "payment.matched",
            "sdd",
            {
                "kind": "sales",
                "hostfact_id": "9301",
                "invoice_code": "F2026-0101",
                "amount": BV_INVOICE["AmountIncl"],
                "pay_date": "2026-12-05",
                "division": "123456",
            },
        ),
        "purchase-paid": envelope(
            "payment.matched",
            "purchase",
            {
                "kind": "purchase",
                "hostfact_id": "501",
                "invoice_code": "CF0501",
                "amount": PURCHASE_NL["AmountIncl"],
                "pay_date": "2026-12-09",
                "division": "123456",
                "entry_number": None,
            },
        ),
    }
    v["payment.partial"] = {
        "sales-half-paid": envelope(
            "payment.partial",
            "half",
            {
                "kind": "sales",
                "hostfact_id": "9303",
                "invoice_code": "F2026-0103",
                "amount": "300.00",
                "amount_open": money(Decimal(DE_INVOICE["AmountIncl"]) - Decimal("300.00")),
                "pay_date": "2026-12-10",
                "division": "123456",
                "entry_number": "26700003",
            },
        ),
        "sales-small-part": envelope(
            "payment.partial",
            "small",
            {
                "kind": "sales",
                "hostfact_id": "9302",
                "invoice_code": "F2026-0102",
                "amount": "2.00",
                "amount_open": money(Decimal(CONSUMER_INVOICE["AmountIncl"]) - 2),
                "pay_date": "2026-12-01",
                "division": "123456",
            },
        ),
        "purchase-part": envelope(
            "payment.partial",
            "purchase",
            {
                "kind": "purchase",
                "hostfact_id": "502",
                "invoice_code": "CF0502",
                "amount": "500.00",
                "amount_open": money(Decimal(PURCHASE_DE["AmountIncl"]) - 500),
                "pay_date": "2026-12-15",
                "division": "654321",
                "entry_number": None,
            },
        ),
    }
    v["payment.reopened"] = {
        "unmatched-by-accountant": envelope(
            "payment.reopened",
            "unmatch",
            {
                "kind": "sales",
                "hostfact_id": "9302",
                "invoice_code": "F2026-0102",
                "amount_open": CONSUMER_INVOICE["AmountIncl"],
                "reason": "The payment was unmatched in Exact Online.",
                "division": "123456",
            },
        ),
        "direct-debit-reversed": envelope(
            "payment.reopened",
            "storno",
            {
                "kind": "sales",
                "hostfact_id": "9301",
                "invoice_code": "F2026-0101",
                "amount_open": BV_INVOICE["AmountIncl"],
                "reason": "The direct debit was reversed (AM04 insufficient funds).",
                "division": "123456",
                "entry_number": "26700001",
            },
        ),
        "purchase-reopened": envelope(
            "payment.reopened",
            "purchase",
            {
                "kind": "purchase",
                "hostfact_id": "501",
                "invoice_code": "CF0501",
                "amount_open": "75.50",
                "reason": "Part of the payment was reversed by the bank.",
                "division": "123456",
                "entry_number": None,
            },
        ),
    }
    settings_id = str(uuid.uuid5(NS, "settings.changed/defaults"))
    v["settings.validated"] = {
        "valid": envelope(
            "settings.validated",
            "ok",
            {
                "installation": "hf-main",
                "settings_version": settings_id,
                "valid": True,
                "problems": [],
            },
        ),
        "unknown-journal-and-gl": envelope(
            "settings.validated",
            "bad",
            {
                "installation": "hf-main",
                "settings_version": settings_id,
                "valid": False,
                "problems": [
                    "Journal 70 does not exist in division 123456.",
                    "GL account 8020 (revenue, product group Domeinnamen) does not exist.",
                ],
            },
        ),
        "vat-code-missing": envelope(
            "settings.validated",
            "vat",
            {
                "installation": "hf-second",
                "settings_version": str(uuid.uuid5(NS, "settings.changed/be")),
                "valid": False,
                "problems": ["VAT code V0X (rate 6, non_eu) does not exist in division 654321."],
            },
        ),
    }
    return v


def invalid_examples(v: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    bv = v["invoice.issued"]["dutch-bv-multiline-21-and-9-direct-debit"]
    credit = v["invoice.issued"]["credit-invoice-status-8"]
    deb = v["debtor.upserted"]["dutch-bv-with-vat-and-kvk"]
    sdd = v["sdd_batch.downloaded"]["one-invoice"]
    settings = v["settings.changed"]["design-defaults"]
    pur = v["purchase_invoice.received"]["dutch-datacenter-21-percent"]

    counter = itertools.count()

    def mutate(doc: dict[str, Any], fn: Any) -> dict[str, Any]:
        out = copy.deepcopy(doc)
        out["id"] = str(uuid.uuid5(NS, f"invalid/{next(counter)}"))
        fn(out)
        return out

    def set_(path: str, value: Any) -> Any:
        def fn(doc: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            node: Any = doc
            for p in parents:
                node = node[int(p)] if isinstance(node, list) else node[p]
            if isinstance(node, list):
                node[int(last)] = value
            else:
                node[last] = value

        return fn

    def delete(path: str) -> Any:
        def fn(doc: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            node: Any = doc
            for p in parents:
                node = node[int(p)] if isinstance(node, list) else node[p]
            del node[last]

        return fn

    bad: dict[str, Any] = {
        "missing-debtorcode": mutate(deb, delete("data.DebtorCode")),
        "amount-as-float": mutate(bv, set_("data.AmountIncl", float(bv["data"]["AmountIncl"]))),
        "line-price-as-number": mutate(bv, set_("data.InvoiceLines.0.PriceExcl", 119)),
        "bad-currency": mutate(bv, set_("data.Currency", "euro")),
        "negative-quantity-on-normal-invoice": mutate(bv, set_("data.InvoiceLines.1.Number", "-2")),
        "negative-quantity-on-normal-purchase-invoice": mutate(
            pur, set_("data.InvoiceLines.0.Number", "-4")
        ),
        "negative-amount-in-sdd-element": mutate(
            sdd, set_("data.Elements.0.Amount", "-" + sdd["data"]["Elements"][0]["Amount"])
        ),
        "unknown-type": mutate(deb, set_("type", "debtor.deleted")),
        "version-2": mutate(deb, set_("version", 2)),
        "version-as-string": mutate(deb, set_("version", "1")),
        "wrong-date": mutate(bv, set_("data.Date", "2026-02-30")),
        "date-in-dutch-format": mutate(bv, set_("data.Date", "28-11-2026")),
        "bad-uuid": mutate(deb, set_("id", "0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e1")),
        "occurred-at-without-offset": mutate(deb, set_("occurred_at", "2026-11-28T15:04:05")),
        "money-with-three-decimals": mutate(bv, set_("data.AmountTax", "56.245")),
        "money-with-decimal-comma": mutate(bv, set_("data.AmountExcl", "290,00")),
        "tax-percentage-over-100": mutate(bv, set_("data.InvoiceLines.0.TaxPercentage", "121")),
        "discount-percentage-negative": mutate(
            bv, set_("data.InvoiceLines.2.DiscountPercentage", "-10")
        ),
        "credit-invoice-with-positive-amounts": mutate(
            credit,
            lambda d: d["data"].update(AmountExcl="138.90", AmountTax="29.17", AmountIncl="168.07"),
        ),
        "credit-invoice-without-credits": mutate(credit, delete("related.credits")),
        "normal-invoice-with-credits": mutate(
            bv, set_("related.credits", credit["related"]["credits"])
        ),
        "concept-invoice-code-issued": mutate(bv, set_("data.InvoiceCode", "[concept]0012")),
        "concept-status-issued": mutate(bv, set_("data.Status", "0")),
        "missing-related-debtor": mutate(bv, delete("related.debtor")),
        "invoice-without-lines": mutate(bv, set_("data.InvoiceLines", [])),
        "identifier-as-number": mutate(deb, set_("data.Identifier", 17)),
        "country-lowercase": mutate(deb, set_("data.Country", "nl")),
        "number-hidden-in-unnamed-field": mutate(
            bv, set_("data.UsedTaxrates", {"0.21": {"AmountExcl": 138.9, "AmountTax": 29.17}})
        ),
        "sdd-batch-id-malformed": mutate(sdd, set_("data.BatchID", "SDD-2026-12-05")),
        "unknown-envelope-field": mutate(deb, set_("priority", "high")),
        "event-from-result-system": mutate(deb, set_("source.system", "hfexact")),
        "related-on-debtor-event": mutate(deb, set_("related", {"debtor": deb["data"]})),
        "debtor-archived-with-active-status": mutate(
            v["debtor.archived"]["full-debtor-status-9"], set_("data.Status", "1")
        ),
        "settings-vat-key-not-a-percentage": mutate(
            settings, set_("data.vat_codes.hoog", settings["data"]["vat_codes"]["21"])
        ),
        "settings-enabled-as-string": mutate(settings, set_("data.enabled.invoices", "yes")),
        "settings-unknown-key": mutate(settings, set_("data.debtor_mask", "1###")),
        "payment-partial-nothing-open": mutate(
            v["payment.partial"]["sales-half-paid"], set_("data.amount_open", "0.00")
        ),
        "settings-validated-valid-with-problems": mutate(
            v["settings.validated"]["valid"], set_("data.problems", ["Journal 70 is missing."])
        ),
        "export-succeeded-bad-exact-id": mutate(
            v["export.succeeded"]["invoice-booked"], set_("data.exact_id", "26700001")
        ),
        "export-failed-empty-reason": mutate(
            v["export.failed"]["mask-collision"], set_("data.reason", "")
        ),
        "payment-matched-missing-pay-date": mutate(
            v["payment.matched"]["sales-paid-by-bank"], delete("data.pay_date")
        ),
        # beyond Decimal's 28 digits once multiplied and rounded: refused by the contract
        "price-with-41-digits": mutate(
            bv, set_("data.InvoiceLines.0.PriceExcl", "1" + "0" * 40 + ".00")
        ),
    }
    return bad


def main() -> None:
    v = valid_examples()
    for sub in ("valid", "invalid"):
        shutil.rmtree(ROOT / sub, ignore_errors=True)
    for kind, docs in v.items():
        for name, doc in docs.items():
            write(ROOT / "valid" / kind / f"{name}.json", doc)
    for name, doc in invalid_examples(v).items():
        write(ROOT / "invalid" / f"{name}.json", doc)
    # raw-byte cases
    (ROOT / "invalid" / "not-json-truncated.json").write_text('{"id": "0b8f6d2e', encoding="utf-8")
    latin1 = json.dumps(v["debtor.upserted"]["consumer-unicode-name"], ensure_ascii=False).encode(
        "latin-1"
    )
    (ROOT / "invalid" / "not-utf8-latin1.json").write_bytes(latin1)
    (ROOT / "invalid" / "nan-amount.json").write_text(
        json.dumps(v["invoice.issued"]["consumer-unit-price-four-decimals"]).replace(
            '"AmountTax": "0.87"', '"AmountTax": NaN'
        ),
        encoding="utf-8",
    )
    big = copy.deepcopy(v["invoice.issued"]["dutch-bv-multiline-21-and-9-direct-debit"])
    big["id"] = str(uuid.uuid5(NS, "oversized"))
    big["data"]["Comment"] = ("Lange opmerking. " * 70_000)[:1_150_000]
    write(ROOT / "invalid" / "oversized-over-1mib.json", big)


if __name__ == "__main__":
    main()
