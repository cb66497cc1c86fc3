"""A seeded division: a small Dutch chart of accounts, journals, VAT codes, payment conditions.

Choices: 1105 "Tussenrekening incasso" is type 90 (General, balance sheet): a bank-type (12)
account belongs to a bank journal and cannot be a line on a memorial entry, while the SDD flow
books the collected total on it from journal 90 and clears it from the bank journal.
VAT percentages are fractions (0.21), as Exact's VATCodes.Percentage is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from hfexact.sandbox.store import Division

GL_TYPE_NAMES = {
    10: "Kas", 12: "Bank", 20: "Debiteuren", 22: "Crediteuren", 24: "BTW", 50: "Kapitaal",
    90: "Algemeen", 110: "Omzet", 111: "Kostprijs van de omzet", 120: "Overige kosten",
}
JOURNAL_TYPE_NAMES = {10: "Kas", 12: "Bank", 20: "Verkoop", 22: "Inkoop", 90: "Memoriaal"}
PAYMENT_METHOD_NAMES = {"B": "Op rekening", "I": "Incasso", "K": "Contant"}

# code, description, type, balance side, balance type, default VAT code, blocked
CHART = (
    ("0500", "Eigen vermogen", 50, "C", "B", None, False),
    ("1000", "Kas", 10, "D", "B", None, False),
    ("1100", "Bank", 12, "D", "B", None, False),
    ("1105", "Tussenrekening incasso", 90, "D", "B", None, False),
    ("1110", "Kruisposten", 90, "D", "B", None, False),
    ("1300", "Debiteuren", 20, "D", "B", None, False),
    ("1500", "Te betalen btw hoog", 24, "C", "B", None, False),
    ("1510", "Te betalen btw laag", 24, "C", "B", None, False),
    ("1520", "Te vorderen btw", 24, "D", "B", None, False),
    ("1600", "Crediteuren", 22, "C", "B", None, False),
    ("4000", "Algemene kosten", 120, "D", "W", "3", False),
    ("4010", "Datacenterkosten", 111, "D", "W", "3", False),
    ("4100", "Huisvestingskosten", 120, "D", "W", "3", False),
    ("8000", "Omzet algemeen", 110, "C", "W", "2", False),
    ("8010", "Omzet hosting", 110, "C", "W", "2", False),
    ("8020", "Omzet domeinnamen", 110, "C", "W", "2", False),
    ("8099", "Omzet oud (geblokkeerd)", 110, "C", "W", "2", True),
)

# code, description, type, GL code of the journal's own account
JOURNALS = (
    ("10", "Bank", 12, "1100"),
    ("20", "Kas", 10, "1000"),
    ("60", "Inkoopboek", 22, None),
    ("70", "Verkoopboek", 20, None),
    ("90", "Memoriaal", 90, None),
)

# code, description, percentage (fraction), Type, VATTransactionType, GL to pay, GL to claim
VAT_CODES = (
    ("0", "Geen btw", "0", "B", "B", None, None),
    ("1", "Btw verkopen laag", "0.09", "E", "S", "1510", None),
    ("2", "Btw verkopen hoog", "0.21", "E", "S", "1500", None),
    ("3", "Btw inkopen hoog", "0.21", "E", "P", None, "1520"),
    ("4", "Btw inkopen laag", "0.09", "E", "P", None, "1520"),
    ("6", "Intracommunautaire levering", "0", "B", "S", None, None),
    ("7", "Export buiten de EU", "0", "B", "S", None, None),
)

# code, description, days, method
PAYMENT_CONDITIONS = (
    ("14", "14 dagen", 14, "B"),
    ("30", "30 dagen", 30, "B"),
    ("IN", "Automatische incasso", 14, "I"),
)

DEFAULT_SALES_CONDITION = "30"


def pad_vat(code: str) -> str:
    return code.strip().ljust(3)


def seed_division(division: Division, now: dt.datetime) -> None:
    number = division.number
    gl_ids: dict[str, str] = {}
    gl = division.table("financial/GLAccounts")
    for code, desc, gtype, side, btype, vat, blocked in CHART:
        gid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gl/{number}/{code}"))
        gl_ids[code] = gid
        gl.insert({"ID": gid, "Code": code, "Description": desc, "Type": gtype,
                   "TypeDescription": GL_TYPE_NAMES.get(gtype), "BalanceSide": side,
                   "BalanceType": btype, "VATCode": pad_vat(vat) if vat else None,
                   "VATDescription": None, "IsBlocked": blocked, "Matching": gtype in (20, 22),
                   "Division": number, "Created": now, "Modified": now})
    journals = division.table("financial/Journals")
    for code, desc, jtype, gl_code in JOURNALS:
        journals.insert({
            "ID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"journal/{number}/{code}")),
            "Code": code, "Description": desc, "Type": jtype,
            "TypeDescription": JOURNAL_TYPE_NAMES[jtype],
            "GLAccount": gl_ids[gl_code] if gl_code else None, "GLAccountCode": gl_code,
            "GLAccountDescription": next((c[1] for c in CHART if c[0] == gl_code), None),
            "Currency": "EUR", "AllowVAT": jtype in (20, 22, 90), "AutoSave": False,
            "IsBlocked": False, "Division": number, "Created": now, "Modified": now})
    vat_codes = division.table("vat/VATCodes")
    for code, desc, pct, vtype, ttype, pay, claim in VAT_CODES:
        vat_codes.insert({
            "ID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"vat/{number}/{code}")),
            "Code": pad_vat(code), "Description": desc, "Percentage": Decimal(pct),
            "Type": vtype, "VATTransactionType": ttype, "IsBlocked": False, "Charged": False,
            "GLToPay": gl_ids[pay] if pay else None, "GLToPayCode": pay,
            "GLToClaim": gl_ids[claim] if claim else None, "GLToClaimCode": claim,
            "Division": number, "Created": now, "Modified": now})
    conditions = division.table("cashflow/PaymentConditions")
    for code, desc, days, method in PAYMENT_CONDITIONS:
        conditions.insert({
            "ID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"pc/{number}/{code}")),
            "Code": code, "Description": desc, "PaymentDays": days, "PaymentEndOfMonths": 0,
            "PaymentMethod": method, "PaymentMethodDescription": PAYMENT_METHOD_NAMES[method],
            "DiscountPercentage": Decimal(0), "DiscountPaymentDays": 0, "Division": number,
            "Created": now, "Modified": now})
