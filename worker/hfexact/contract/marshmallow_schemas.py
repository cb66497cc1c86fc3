"""marshmallow schemas of every message type: envelope, ``settings.changed`` and the results.

``ENVELOPE_SCHEMAS[type]`` loads a whole message (a parsed JSON object) into a dict of typed
values (``data``/``related`` already domain objects); ``hfexact.contract.parse`` wraps it into an
:class:`~hfexact.contract.domain.Envelope`. Errors are marshmallow's field-keyed messages, with
HostFact's keys (``{"data": {"InvoiceLines": {0: {"Number": [...]}}}}``).
These mirror ``schemas/``; the agreement test runs both on every example.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length

from hfexact.contract import domain
from hfexact.contract.fields import (
    Choice,
    Const,
    DecimalStr,
    IntStr,
    IsoDate,
    PatternStr,
    StrictBool,
    Text,
    Timestamp,
    UuidStr,
)
from hfexact.contract.object_schemas import (
    ArchivedDebtorSchema,
    ChangedInvoiceSchema,
    CreditorSchema,
    DebtorSchema,
    InvoiceRelatedSchema,
    IssuedInvoiceSchema,
    PurchaseInvoiceRelatedSchema,
    PurchaseInvoiceSchema,
    SddBatchSchema,
    SddReversalSchema,
    Strict,
)

# --------------------------------------------------------------------------- settings.changed


def _code(**kwargs: Any) -> PatternStr:
    return PatternStr("exact_code", required=True, **kwargs)


class EnabledSchema(Strict):
    target = domain.EnabledKinds
    debtors = StrictBool(required=True)
    creditors = StrictBool(required=True)
    invoices = StrictBool(required=True)
    purchase_invoices = StrictBool(required=True)
    sdd_batches = StrictBool(required=True)
    payments = StrictBool(required=True)


class JournalsSchema(Strict):
    target = domain.Journals
    sales = _code()
    purchase = _code()
    memorial = _code()


class RevenueGlSchema(Strict):
    target = domain.GlMapping
    default = _code()
    by_group = fields.Dict(keys=fields.String(), values=_code(), data_key="by_product_group",
                           required=True)


class PurchaseGlSchema(Strict):
    target = domain.GlMapping
    default = _code()
    by_group = fields.Dict(keys=fields.String(), values=_code(), data_key="by_creditor_group",
                           required=True)


class VatCodeSetSchema(Strict):
    target = domain.VatCodeSet
    domestic = _code()
    eu_business = _code()
    eu_consumer = _code()
    non_eu = _code()


class SddSettingsSchema(Strict):
    target = domain.SddSettings
    intermediate_gl = _code()
    journal = _code()
    payment_condition = _code()


class ExportSettingsSchema(Strict):
    """``settings.changed`` ``data``."""

    target = domain.ExportSettings
    enabled = fields.Nested(EnabledSchema, required=True)
    debtor_code_mask = PatternStr("code_mask", required=True)
    creditor_code_mask = PatternStr("code_mask", required=True)
    journals = fields.Nested(JournalsSchema, required=True)
    revenue_gl = fields.Nested(RevenueGlSchema, required=True)
    purchase_gl = fields.Nested(PurchaseGlSchema, required=True)
    vat_codes = fields.Dict(keys=PatternStr("percentage"), values=fields.Nested(VatCodeSetSchema),
                            required=True, validate=Length(min=1))
    purchase_vat_codes = fields.Dict(keys=PatternStr("percentage"), values=_code(),
                                     required=True, validate=Length(min=1))
    sdd = fields.Nested(SddSettingsSchema, required=True)
    home_country = PatternStr("country")


# --------------------------------------------------------------------------- results

_EXPORT_KINDS = ("debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch", "sdd_reversal")
_PAYMENT_KINDS = ("sales", "purchase")


class ExportSucceededSchema(Strict):
    target = domain.ExportSucceeded
    kind = Choice(_EXPORT_KINDS, required=True)
    hostfact_id = IntStr(required=True)
    hostfact_code = PatternStr("code", required=True)
    exact_id = UuidStr(required=True)
    division = IntStr(required=True)
    entry_number = IntStr(allow_none=True)
    account_code = fields.String(allow_none=True, validate=Length(min=1))
    event_id = UuidStr(allow_none=True)


class ExportFailedSchema(Strict):
    target = domain.ExportFailed
    kind = Choice(_EXPORT_KINDS, required=True)
    hostfact_id = IntStr(required=True)
    hostfact_code = PatternStr("code", required=True)
    reason = Text(required=True, validate=Length(min=1))
    exact_message = Text(required=True)
    division = IntStr(allow_none=True)
    event_id = UuidStr(allow_none=True)


class PaymentMatchedSchema(Strict):
    target = domain.PaymentMatched
    kind = Choice(_PAYMENT_KINDS, required=True)
    hostfact_id = IntStr(required=True)
    invoice_code = PatternStr("code", required=True)
    amount = DecimalStr("money", required=True)
    pay_date = IsoDate(required=True)
    division = IntStr(required=True)
    entry_number = IntStr(allow_none=True)


class PaymentPartialSchema(Strict):
    target = domain.PaymentPartial
    kind = Choice(_PAYMENT_KINDS, required=True)
    hostfact_id = IntStr(required=True)
    invoice_code = PatternStr("code", required=True)
    amount = DecimalStr("money_positive", required=True)
    amount_open = DecimalStr("money_positive", required=True)
    pay_date = IsoDate(required=True)
    division = IntStr(required=True)
    entry_number = IntStr(allow_none=True)


class PaymentReopenedSchema(Strict):
    target = domain.PaymentReopened
    kind = Choice(_PAYMENT_KINDS, required=True)
    hostfact_id = IntStr(required=True)
    invoice_code = PatternStr("code", required=True)
    amount_open = DecimalStr("money_positive", required=True)
    reason = Text(required=True, validate=Length(min=1))
    division = IntStr(required=True)
    entry_number = IntStr(allow_none=True)


class SettingsValidatedSchema(Strict):
    target = domain.SettingsValidated
    installation = PatternStr("installation", required=True)
    settings_version = Text(required=True, validate=Length(min=1))
    valid = StrictBool(required=True)
    problems = fields.List(Text(validate=Length(min=1)), required=True)

    @validates_schema(skip_on_field_errors=False)
    def _problems_match_valid(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        valid, problems = data.get("valid"), data.get("problems")
        if valid is True and problems:
            raise ValidationError({"problems": ["Valid settings have no problems."]})
        if valid is False and problems is not None and not problems:
            raise ValidationError({"problems": ["Invalid settings name at least one problem."]})


# --------------------------------------------------------------------------- envelopes


class EventSourceSchema(Strict):
    system = Choice(("hostfact",), required=True)
    installation = PatternStr("installation", required=True)


class ResultSourceSchema(Strict):
    system = Choice(("hfexact",), required=True)
    installation = PatternStr("installation", required=True)


class NoRelatedSchema(Strict):
    """``related`` of a type the bridge adds nothing to: ``{}`` or absent."""

    @post_load
    def _nothing(self, data: dict[str, Any], **kwargs: Any) -> None:
        return None


class EnvelopeSchema(Strict):
    """Fields every message has; ``type``, ``source``, ``data``, ``related`` are per type."""

    id = UuidStr(required=True)
    version = Const(1, required=True)
    occurred_at = Timestamp(required=True)


class InvoiceEnvelopeSchema(EnvelopeSchema):
    """A credit invoice (Status 8) names what it credits; only a credit invoice does."""

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _credits(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        if not isinstance(original, Mapping):
            return
        payload, related = original.get("data"), original.get("related")
        if not isinstance(related, Mapping):
            return
        credit = isinstance(payload, Mapping) and payload.get("Status") == "8"
        if credit and "credits" not in related:
            raise ValidationError({"related": {"credits": [
                "Missing: a credit invoice (Status 8) names the credited invoice (or null)."
            ]}})
        if not credit and "credits" in related:
            raise ValidationError({"related": {"credits": [
                "Only a credit invoice (Status 8) names a credited invoice."
            ]}})


def _envelope(
    message_type: str,
    data: type[Schema],
    related: type[Schema] | None = None,
    *,
    base: type[Schema] = EnvelopeSchema,
) -> Schema:
    source = EventSourceSchema if message_type in domain.EVENT_TYPES else ResultSourceSchema
    declared: dict[str, fields.Field[Any]] = {
        "type": Choice((message_type,), required=True),
        "source": fields.Nested(source, required=True),
        "data": fields.Nested(data, required=True),
        "related": (
            fields.Nested(related, required=True) if related
            else fields.Nested(NoRelatedSchema, load_default=None, allow_none=False)
        ),
    }
    name = "".join(part.title() for part in message_type.replace("_", ".").split(".")) + "Envelope"
    return base.from_dict(declared, name=name)()


ENVELOPE_SCHEMAS: dict[str, Schema] = {
    "debtor.upserted": _envelope("debtor.upserted", DebtorSchema),
    "debtor.archived": _envelope("debtor.archived", ArchivedDebtorSchema),
    "creditor.upserted": _envelope("creditor.upserted", CreditorSchema),
    "invoice.issued": _envelope("invoice.issued", IssuedInvoiceSchema, InvoiceRelatedSchema,
                                base=InvoiceEnvelopeSchema),
    "invoice.changed": _envelope("invoice.changed", ChangedInvoiceSchema, InvoiceRelatedSchema,
                                 base=InvoiceEnvelopeSchema),
    "purchase_invoice.received": _envelope("purchase_invoice.received", PurchaseInvoiceSchema,
                                           PurchaseInvoiceRelatedSchema),
    "sdd_batch.downloaded": _envelope("sdd_batch.downloaded", SddBatchSchema),
    "sdd.reversed": _envelope("sdd.reversed", SddReversalSchema),
    "settings.changed": _envelope("settings.changed", ExportSettingsSchema),
    "export.succeeded": _envelope("export.succeeded", ExportSucceededSchema),
    "export.failed": _envelope("export.failed", ExportFailedSchema),
    "payment.matched": _envelope("payment.matched", PaymentMatchedSchema),
    "payment.partial": _envelope("payment.partial", PaymentPartialSchema),
    "payment.reopened": _envelope("payment.reopened", PaymentReopenedSchema),
    "settings.validated": _envelope("settings.validated", SettingsValidatedSchema),
}
assert set(ENVELOPE_SCHEMAS) == set(domain.ALL_TYPES)
