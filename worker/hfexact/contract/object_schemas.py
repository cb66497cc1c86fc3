"""marshmallow schemas of HostFact's own objects (``data`` of the events), with HostFact's keys.

Each loads into a frozen domain object. HostFact returns more fields than the contract names;
those pass through untouched (not loaded) as long as no JSON number hides in them.
Mirrors ``schemas/defs/{parties,invoices,purchases,sdd}.schema.json``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length

from hfexact.contract import domain
from hfexact.contract.fields import (
    Choice,
    DecimalStr,
    IntStr,
    IsoDate,
    LocalDateTime,
    PatternStr,
    Text,
    YesNo,
    find_number,
)

MISSING = "Missing data for required field."


_FIELD_NAMES: dict[type[Any], frozenset[str]] = {}


def _field_names(target: type[Any]) -> frozenset[str]:
    names = _FIELD_NAMES.get(target)
    if names is None:
        names = _FIELD_NAMES[target] = frozenset(f.name for f in dataclasses.fields(target))
    return names


def build(target: type[Any], data: Mapping[str, Any]) -> Any:
    """``target(**data)`` for the keys ``target`` has; lists become tuples, dicts read-only."""
    names = _field_names(target)
    return target(**{
        key: value if type(value) in _SCALARS else _frozen(value)
        for key, value in data.items()
        if key in names
    })


#: loaded values that are never a list or dict (a shortcut past the isinstance checks)
_SCALARS = frozenset({str, int, bool, Decimal, dt.date, dt.datetime, type(None)})


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(value)
    return value


class Strict(Schema):
    """Our own objects: an unknown key is an error."""

    target: ClassVar[type[Any] | None] = None

    class Meta:
        unknown = RAISE

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data = self.convert(data)
        return data if self.target is None else build(self.target, data)

    def convert(self, data: dict[str, Any]) -> dict[str, Any]:
        """Adjust loaded values before the domain object is built."""
        return data


class HostFactObject(Strict):
    """A HostFact object: keys the contract does not name pass if they hold no JSON number."""

    #: keys that must be present (for schemas whose required set varies by event type)
    required_keys: ClassVar[tuple[str, ...]] = ()

    class Meta:
        unknown = EXCLUDE

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_keys(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        if not isinstance(original, Mapping):
            return
        known = self._known_keys()
        errors: dict[str, list[str]] = {}
        for key in self.required_keys:
            if key not in original:
                errors[key] = [MISSING]
        if original.keys() <= known:  # nothing HostFact-only to look into
            if errors:
                raise ValidationError(errors)
            return
        for key, value in original.items():
            if key in known:
                continue
            where = find_number(value)
            if where is not None:
                inside = f" (at {where})" if where else ""
                errors[str(key)] = [f"JSON number{inside}: numbers travel as decimal strings."]
        if errors:
            raise ValidationError(errors)

    def _known_keys(self) -> frozenset[str]:
        """The input keys this schema loads (computed once per schema instance)."""
        known: frozenset[str] | None = self.__dict__.get("_known")
        if known is None:
            known = frozenset(field.data_key or name for name, field in self.load_fields.items())
            self.__dict__["_known"] = known
        return known


def _text(key: str, **kwargs: Any) -> Text:
    return Text(data_key=key, **kwargs)


class GroupSchema(HostFactObject):
    target = domain.Group
    id = IntStr(required=True)
    name = Text(data_key="GroupName", required=True, validate=Length(min=1))


def _groups() -> fields.List[Any]:
    return fields.List(fields.Nested(GroupSchema), data_key="Groups")


class _PartySchema(HostFactObject):
    """Fields debtors and creditors share."""

    company_name = _text("CompanyName")
    company_number = _text("CompanyNumber")
    tax_number = _text("TaxNumber")
    sex = _text("Sex")
    initials = _text("Initials")
    surname = _text("SurName")
    address = _text("Address")
    address2 = _text("Address2")
    zip_code = _text("ZipCode")
    city = _text("City")
    state = _text("State")
    country = PatternStr("country", data_key="Country")
    email_address = _text("EmailAddress")
    phone_number = _text("PhoneNumber")
    mobile_number = _text("MobileNumber")
    fax_number = _text("FaxNumber")
    account_number = _text("AccountNumber")
    account_bic = _text("AccountBIC")
    account_name = _text("AccountName")
    account_bank = _text("AccountBank")
    account_city = _text("AccountCity")
    groups = _groups()
    created = LocalDateTime(data_key="Created")
    modified = LocalDateTime(data_key="Modified")


class DebtorSchema(_PartySchema):
    """``debtor/show``."""

    target = domain.Debtor
    required_keys: ClassVar[tuple[str, ...]] = (
        "Identifier", "DebtorCode", "Status", "CompanyName", "TaxNumber", "Initials", "SurName",
        "Address", "ZipCode", "City", "Country", "EmailAddress",
    )
    identifier = IntStr(data_key="Identifier")
    debtor_code = PatternStr("code", data_key="DebtorCode")
    status = Choice(("0", "1", "9"), convert=int, data_key="Status")
    legal_form = _text("LegalForm")
    website = _text("Website")
    invoice_method = IntStr(data_key="InvoiceMethod")
    invoice_term = IntStr("integer_string", data_key="InvoiceTerm")
    taxable = Choice(("auto", "yes", "no"), data_key="Taxable")
    invoice_authorisation = YesNo(data_key="InvoiceAuthorisation")
    mandate_id = _text("MandateID")
    mandate_date = IsoDate(optional=True, data_key="MandateDate")


class ArchivedDebtorSchema(DebtorSchema):
    """``debtor.archived``: at least Identifier and DebtorCode; Status, if given, is 9."""

    required_keys = ("Identifier", "DebtorCode")
    status = Choice(("9",), convert=int, data_key="Status")

    def convert(self, data: dict[str, Any]) -> dict[str, Any]:
        data.setdefault("status", 9)  # archived, even when the event carries only the ids
        return data


class CreditorSchema(_PartySchema):
    """``creditor/show``."""

    target = domain.Creditor
    identifier = IntStr(data_key="Identifier", required=True)
    creditor_code = PatternStr("code", data_key="CreditorCode", required=True)
    company_name = _text("CompanyName", required=True)
    initials = _text("Initials", required=True)
    surname = _text("SurName", required=True)
    country = PatternStr("country", data_key="Country", required=True)
    my_customer_code = _text("MyCustomerCode")
    authorisation = YesNo(data_key="Authorisation")
    term = IntStr(data_key="Term")


# --------------------------------------------------------------------------- invoices


def _check_signs(data: Mapping[str, Any], *, credit: bool) -> dict[str, Any]:
    """Credit invoices (status 8) have totals <= 0; others totals >= 0 and quantities >= 0."""
    errors: dict[str, Any] = {}
    for attr, key in (("amount_excl", "AmountExcl"), ("amount_tax", "AmountTax"),
                      ("amount_incl", "AmountIncl")):
        value = data.get(attr)
        if not isinstance(value, Decimal):
            continue
        if credit and not (value.is_signed() or value == 0):
            errors[key] = ["Must be <= 0 on a credit invoice (Status 8)."]
        elif not credit and value.is_signed():
            errors[key] = ["Must be >= 0; only a credit invoice (Status 8) is negative."]
    if not credit:
        lines: dict[int, Any] = {}
        for index, line in enumerate(data.get("lines") or ()):
            # a list with a broken item holds marshmallow's partial dicts: skip those
            number = getattr(line, "number", None)
            if isinstance(number, Decimal) and number.is_signed():
                lines[index] = {"Number": [
                    "Quantity must be >= 0 on a normal invoice; use a negative PriceExcl for a "
                    "reduction, or a credit invoice (Status 8)."
                ]}
        if lines:
            errors["InvoiceLines"] = lines
    return errors


class InvoiceLineSchema(HostFactObject):
    """``invoice/show`` ``InvoiceLines[]``."""

    target = domain.InvoiceLine
    identifier = IntStr(data_key="Identifier")
    date = IsoDate(optional=True, data_key="Date")
    number = DecimalStr("decimal", data_key="Number", required=True)
    number_suffix = _text("NumberSuffix")
    product_code = _text("ProductCode")
    description = _text("Description", required=True)
    price_excl = DecimalStr("decimal", data_key="PriceExcl", required=True)
    discount_percentage = DecimalStr("percentage", data_key="DiscountPercentage")
    discount_percentage_type = _text("DiscountPercentageType")
    tax_percentage = DecimalStr("percentage", data_key="TaxPercentage", required=True)
    periodic_id = IntStr(data_key="PeriodicID")
    periods = DecimalStr("decimal_nonnegative", data_key="Periods")
    periodic = Choice(("", "d", "w", "m", "k", "h", "j", "t"), data_key="Periodic")
    start_period = IsoDate(optional=True, data_key="StartPeriod")
    end_period = IsoDate(optional=True, data_key="EndPeriod")
    product_type = _text("ProductType")
    reference = _text("Reference")
    no_discount_amount_excl = DecimalStr("decimal", data_key="NoDiscountAmountExcl")
    no_discount_amount_incl = DecimalStr("decimal", data_key="NoDiscountAmountIncl")
    discount_amount_excl = DecimalStr("decimal", data_key="DiscountAmountExcl")
    discount_amount_incl = DecimalStr("decimal", data_key="DiscountAmountIncl")


def _not_concept(code: str) -> None:
    if code.startswith("[concept]"):
        raise ValidationError("A concept invoice code: the invoice has not been sent yet.")


class InvoiceSchema(HostFactObject):
    """``invoice/show``."""

    target = domain.Invoice
    identifier = IntStr(data_key="Identifier", required=True)
    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True)
    debtor_id = IntStr(data_key="Debtor", required=True)
    debtor_code = PatternStr("code", data_key="DebtorCode", required=True)
    status = Choice(("0", "1", "2", "3", "4", "8", "9"), convert=int, data_key="Status",
                    required=True)
    sub_status = Choice(("", "PAUSED", "BLOCKED"), data_key="SubStatus")
    date = IsoDate(data_key="Date", required=True)
    term = IntStr(data_key="Term", required=True)
    pay_before = IsoDate(optional=True, data_key="PayBefore")
    amount_excl = DecimalStr("money", data_key="AmountExcl", required=True)
    amount_tax = DecimalStr("money", data_key="AmountTax", required=True)
    amount_incl = DecimalStr("money", data_key="AmountIncl", required=True)
    amount_paid = DecimalStr("money", data_key="AmountPaid")
    discount = DecimalStr("percentage", data_key="Discount")
    vat_calc_method = Choice(("excl", "incl"), data_key="VatCalcMethod")
    currency = PatternStr("currency", data_key="Currency")
    reference_number = _text("ReferenceNumber")
    company_name = _text("CompanyName")
    tax_number = _text("TaxNumber")
    sex = _text("Sex")
    initials = _text("Initials")
    surname = _text("SurName")
    address = _text("Address")
    address2 = _text("Address2")
    zip_code = _text("ZipCode")
    city = _text("City")
    state = _text("State")
    country = PatternStr("country", data_key="Country")
    email_address = _text("EmailAddress")
    authorisation = YesNo(data_key="Authorisation")
    payment_method = _text("PaymentMethod")
    pay_date = IsoDate(optional=True, data_key="PayDate")
    transaction_id = _text("TransactionID")
    sdd_batch_id = PatternStr("optional_batch_id", data_key="SDDBatchID")
    description = _text("Description")
    comment = _text("Comment")
    sent_date = LocalDateTime(data_key="SentDate")
    created = LocalDateTime(data_key="Created")
    modified = LocalDateTime(data_key="Modified")
    lines = fields.List(fields.Nested(InvoiceLineSchema), data_key="InvoiceLines", required=True,
                        validate=Length(min=1, error="At least one invoice line."))

    @validates_schema(skip_on_field_errors=False)
    def _signs(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        errors = _check_signs(data, credit=data.get("status") == domain.INVOICE_CREDIT)
        if errors:
            raise ValidationError(errors)


class IssuedInvoiceSchema(InvoiceSchema):
    """``invoice.issued``: sent or later (2, 3, 4), a credit invoice (8), or sent and cancelled
    (9) before the relay published it: it must still reach Exact for its credit note to cancel."""

    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True, validate=_not_concept)
    status = Choice(("2", "3", "4", "8", "9"), convert=int, data_key="Status", required=True)


class ChangedInvoiceSchema(InvoiceSchema):
    """``invoice.changed``: any status but concept (0)."""

    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True, validate=_not_concept)
    status = Choice(("1", "2", "3", "4", "8", "9"), convert=int, data_key="Status", required=True)


class CreditedInvoiceSchema(HostFactObject):
    target = domain.CreditedInvoice
    identifier = IntStr(data_key="Identifier", required=True)
    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True)
    date = IsoDate(data_key="Date")
    amount_incl = DecimalStr("money", data_key="AmountIncl")


class InvoiceRelatedSchema(Strict):
    target = domain.InvoiceRelated
    debtor = fields.Nested(DebtorSchema, required=True)
    product_groups = fields.Dict(
        keys=fields.String(validate=Length(min=1)),
        values=fields.List(fields.String(validate=Length(min=1))),
        required=True,
    )
    credits = fields.Nested(CreditedInvoiceSchema, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _unique_groups(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        for code, names in (data.get("product_groups") or {}).items():
            if len(set(names)) != len(names):
                raise ValidationError({"product_groups": {code: ["Group names repeat."]}})

    def convert(self, data: dict[str, Any]) -> dict[str, Any]:
        data["product_groups"] = {k: tuple(v) for k, v in data["product_groups"].items()}
        return data


# --------------------------------------------------------------------------- purchases


class PurchaseInvoiceLineSchema(HostFactObject):
    target = domain.PurchaseInvoiceLine
    identifier = IntStr(data_key="Identifier")
    number = DecimalStr("decimal", data_key="Number", required=True)
    description = _text("Description", required=True)
    price_excl = DecimalStr("decimal", data_key="PriceExcl", required=True)
    tax_percentage = DecimalStr("percentage", data_key="TaxPercentage", required=True)


class PurchaseInvoiceSchema(HostFactObject):
    """``creditinvoice/show``."""

    target = domain.PurchaseInvoice
    identifier = IntStr(data_key="Identifier", required=True)
    credit_invoice_code = PatternStr("code", data_key="CreditInvoiceCode", required=True)
    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True)
    creditor_id = IntStr(data_key="Creditor", required=True)
    creditor_code = PatternStr("code", data_key="CreditorCode", required=True)
    status = Choice(("1", "2", "3", "8"), convert=int, data_key="Status", required=True)
    date = IsoDate(data_key="Date", required=True)
    term = IntStr(data_key="Term", required=True)
    pay_before = IsoDate(optional=True, data_key="PayBefore")
    amount_excl = DecimalStr("money", data_key="AmountExcl", required=True)
    amount_tax = DecimalStr("money", data_key="AmountTax", required=True)
    amount_incl = DecimalStr("money", data_key="AmountIncl", required=True)
    amount_paid = DecimalStr("money", data_key="AmountPaid")
    currency = PatternStr("currency", data_key="Currency")
    authorisation = YesNo(data_key="Authorisation")
    private = DecimalStr("money", data_key="Private")
    private_percentage = DecimalStr("percentage", data_key="PrivatePercentage")
    reference_number = _text("ReferenceNumber")
    description = _text("Description")
    pay_date = IsoDate(optional=True, data_key="PayDate")
    created = LocalDateTime(data_key="Created")
    modified = LocalDateTime(data_key="Modified")
    lines = fields.List(fields.Nested(PurchaseInvoiceLineSchema), data_key="InvoiceLines",
                        required=True, validate=Length(min=1, error="At least one invoice line."))

    @validates_schema(skip_on_field_errors=False)
    def _signs(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        errors = _check_signs(data, credit=data.get("status") == domain.PURCHASE_CREDIT)
        if errors:
            raise ValidationError(errors)


class PurchaseInvoiceRelatedSchema(Strict):
    target = domain.PurchaseInvoiceRelated
    creditor = fields.Nested(CreditorSchema, required=True)


# --------------------------------------------------------------------------- direct debit


class SddElementSchema(HostFactObject):
    target = domain.SddElement
    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True)
    debtor_code = PatternStr("code", data_key="DebtorCode", required=True)
    amount = DecimalStr("money_positive", data_key="Amount", required=True)
    status = Choice(("draft", "success", "failed", "cancelled"), data_key="Status", required=True)
    invoice_id = IntStr(data_key="InvoiceID")
    debtor_id = IntStr(data_key="Debtor")
    mandate_id = _text("MandateID")
    mandate_type = Choice(("", "FRST", "RCUR", "OOFF"), data_key="MandateType")
    reason = _text("Reason")


class SddBatchSchema(HostFactObject):
    target = domain.SddBatch
    batch_id = PatternStr("batch_id", data_key="BatchID", required=True)
    date = IsoDate(data_key="Date", required=True)
    status = Choice(("downloaded", "processed"), data_key="Status", required=True)
    count = IntStr(data_key="Count", required=True)
    amount = DecimalStr("money_positive", data_key="Amount", required=True)
    download_date = LocalDateTime(data_key="DownloadDate")
    sdd_id = _text("SDD_ID")
    sdd_iban = _text("SDD_IBAN")
    sdd_bic = _text("SDD_BIC")
    elements = fields.List(fields.Nested(SddElementSchema), data_key="Elements", required=True,
                           validate=Length(min=1, error="At least one element."))


class SddReversalSchema(HostFactObject):
    target = domain.SddReversal
    invoice_id = IntStr(data_key="Identifier")
    invoice_code = PatternStr("code", data_key="InvoiceCode", required=True)
    debtor_id = IntStr(data_key="Debtor")
    debtor_code = PatternStr("code", data_key="DebtorCode", required=True)
    batch_id = PatternStr("batch_id", data_key="BatchID", required=True)
    amount = DecimalStr("money_positive", data_key="Amount", required=True)
    reason = _text("Reason", required=True)
    action = _text("Action")
    date = IsoDate(optional=True, data_key="Date")
