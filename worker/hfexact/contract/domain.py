"""Typed, frozen value objects for every event and result in ``schemas/``.

The JSON keeps HostFact's own field names (``DebtorCode``, ``InvoiceLines[].PriceExcl``); these
classes carry the same facts under snake_case names (``debtor_code``, ``price_excl``), with
money and quantities as :class:`~decimal.Decimal`, dates as :class:`datetime.date`, HostFact ids
and status codes as ``int`` and HostFact's ``"yes"``/``"no"`` flags as ``bool``.
HostFact's empty strings stay empty strings for text; an empty date becomes ``None``.

Nothing here does I/O; ``hfexact.contract.parse_event`` builds these objects from bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

#: HostFact invoice status codes (``invoice/show`` ``Status``)
INVOICE_CONCEPT = 0
INVOICE_QUEUED = 1
INVOICE_SENT = 2
INVOICE_PARTLY_PAID = 3
INVOICE_PAID = 4
INVOICE_CREDIT = 8
INVOICE_CANCELLED = 9

#: HostFact purchase-invoice (``creditinvoice/show``) status codes
PURCHASE_NOT_RECEIVED = 0
PURCHASE_UNPAID = 1
PURCHASE_PARTLY_PAID = 2
PURCHASE_PAID = 3
PURCHASE_CREDIT = 8
PURCHASE_CANCELLED = 9

EVENT_TYPES: tuple[str, ...] = (
    "debtor.upserted",
    "debtor.archived",
    "creditor.upserted",
    "invoice.issued",
    "invoice.changed",
    "purchase_invoice.received",
    "sdd_batch.downloaded",
    "sdd.reversed",
    "settings.changed",
)
RESULT_TYPES: tuple[str, ...] = (
    "export.succeeded",
    "export.failed",
    "payment.matched",
    "payment.partial",
    "payment.reopened",
    "settings.validated",
)
ALL_TYPES: tuple[str, ...] = EVENT_TYPES + RESULT_TYPES

ExportKind = Literal[
    "debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch", "sdd_reversal"
]
PaymentKind = Literal["sales", "purchase"]


# --------------------------------------------------------------------------- HostFact objects


@dataclass(frozen=True, slots=True)
class Group:
    """A HostFact group membership (``Groups[]`` of a debtor or creditor)."""

    id: int
    name: str  # GroupName


@dataclass(frozen=True, slots=True)
class Debtor:
    """``debtor/show``. ``debtor.archived`` may carry only ``identifier`` and ``debtor_code``."""

    identifier: int
    debtor_code: str
    status: int = 1  # 0/1 active, 9 removed
    company_name: str = ""
    company_number: str = ""  # KvK
    legal_form: str = ""
    tax_number: str = ""  # VAT number, e.g. NL123456789B01
    sex: str = ""
    initials: str = ""  # first name
    surname: str = ""  # SurName
    address: str = ""
    address2: str = ""
    zip_code: str = ""
    city: str = ""
    state: str = ""
    country: str = ""  # ISO 3166-1 alpha-2; "" only in a minimal debtor.archived
    email_address: str = ""  # may hold several addresses separated by ";"
    phone_number: str = ""
    mobile_number: str = ""
    website: str = ""
    invoice_method: int | None = None
    invoice_term: int | None = None  # -1 = HostFact's default term
    taxable: str = ""  # "auto" / "yes" / "no"
    account_number: str = ""  # IBAN
    account_bic: str = ""
    account_name: str = ""
    invoice_authorisation: bool = False  # direct-debit mandate given
    mandate_id: str = ""
    mandate_date: dt.date | None = None
    groups: tuple[Group, ...] = ()
    created: dt.datetime | None = None  # HostFact local time, naive
    modified: dt.datetime | None = None

    @property
    def is_company(self) -> bool:
        return bool(self.company_name.strip())


@dataclass(frozen=True, slots=True)
class Creditor:
    """``creditor/show``."""

    identifier: int
    creditor_code: str
    company_name: str = ""
    my_customer_code: str = ""
    company_number: str = ""
    tax_number: str = ""
    sex: str = ""
    initials: str = ""
    surname: str = ""
    address: str = ""
    address2: str = ""
    zip_code: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    email_address: str = ""
    phone_number: str = ""
    authorisation: bool = False
    account_number: str = ""
    account_bic: str = ""
    account_name: str = ""
    term: int | None = None
    groups: tuple[Group, ...] = ()
    created: dt.datetime | None = None
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One ``InvoiceLines[]`` entry of ``invoice/show``.

    ``number`` is the quantity and ``price_excl`` the unit price, both with HostFact's decimals;
    ``discount_percentage`` and ``tax_percentage`` are 0-100.
    """

    number: Decimal
    description: str
    price_excl: Decimal
    tax_percentage: Decimal
    identifier: int | None = None
    date: dt.date | None = None
    number_suffix: str = ""
    product_code: str = ""  # "" when the line has no product
    discount_percentage: Decimal = Decimal(0)
    discount_percentage_type: str = "line"
    periodic_id: int | None = None
    periods: Decimal | None = None
    periodic: str = ""  # "" once, d, w, m, k, h, j, t
    start_period: dt.date | None = None
    end_period: dt.date | None = None
    product_type: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    """``invoice/show``: a sales invoice, or a credit invoice (status 8, negative amounts)."""

    identifier: int
    invoice_code: str
    debtor_id: int  # Debtor
    debtor_code: str
    status: int
    date: dt.date
    term: int
    amount_excl: Decimal
    amount_tax: Decimal
    amount_incl: Decimal
    lines: tuple[InvoiceLine, ...]
    amount_paid: Decimal = Decimal("0.00")
    discount: Decimal = Decimal(0)  # % on the total
    vat_calc_method: str = "excl"
    pay_before: dt.date | None = None
    sub_status: str = ""
    currency: str = "EUR"  # HostFact 6 has none; the bridge always means EUR
    # debtor snapshot at invoicing
    reference_number: str = ""
    company_name: str = ""
    tax_number: str = ""
    sex: str = ""
    initials: str = ""
    surname: str = ""
    address: str = ""
    zip_code: str = ""
    city: str = ""
    country: str = ""
    email_address: str = ""
    # payment
    authorisation: bool = False  # direct debit
    payment_method: str = ""
    pay_date: dt.date | None = None
    transaction_id: str = ""
    sdd_batch_id: str = ""  # SDDBatchID, read from HostFact's table by the bridge
    description: str = ""
    sent_date: dt.datetime | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None

    @property
    def is_credit(self) -> bool:
        return self.status == INVOICE_CREDIT


@dataclass(frozen=True, slots=True)
class CreditedInvoice:
    """``related.credits``: the invoice a credit invoice credits (HostFact's own fields)."""

    identifier: int
    invoice_code: str
    date: dt.date | None = None
    amount_incl: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InvoiceRelated:
    """What the bridge adds to ``invoice.issued`` / ``invoice.changed``."""

    debtor: Debtor
    product_groups: Mapping[str, tuple[str, ...]]  # ProductCode -> group names
    credits: CreditedInvoice | None = None  # only on credit invoices; None when unlinked


@dataclass(frozen=True, slots=True)
class PurchaseInvoiceLine:
    """``creditinvoice/show`` ``InvoiceLines[]`` (no product code, no GL)."""

    number: Decimal
    description: str
    price_excl: Decimal
    tax_percentage: Decimal
    identifier: int | None = None


@dataclass(frozen=True, slots=True)
class PurchaseInvoice:
    """``creditinvoice/show``: a purchase invoice (status 8 = credit, negative amounts)."""

    identifier: int
    credit_invoice_code: str  # CreditInvoiceCode, HostFact's own number, e.g. CF0001
    invoice_code: str  # InvoiceCode: the supplier's invoice number
    creditor_id: int  # Creditor
    creditor_code: str
    status: int
    date: dt.date
    term: int
    amount_excl: Decimal
    amount_tax: Decimal
    amount_incl: Decimal
    lines: tuple[PurchaseInvoiceLine, ...]
    amount_paid: Decimal = Decimal("0.00")
    currency: str = "EUR"
    authorisation: bool = False
    private: Decimal = Decimal("0.00")
    private_percentage: Decimal = Decimal(0)
    reference_number: str = ""
    description: str = ""
    pay_date: dt.date | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None

    @property
    def is_credit(self) -> bool:
        return self.status == PURCHASE_CREDIT


@dataclass(frozen=True, slots=True)
class PurchaseInvoiceRelated:
    """What the bridge adds to ``purchase_invoice.received``."""

    creditor: Creditor


@dataclass(frozen=True, slots=True)
class SddElement:
    """One row of ``HostFact_SDD_BatchElements`` joined with its invoice."""

    invoice_code: str
    debtor_code: str
    amount: Decimal  # > 0
    status: str  # draft / success / failed / cancelled
    invoice_id: int | None = None  # InvoiceID
    debtor_id: int | None = None  # Debtor
    mandate_id: str = ""
    mandate_type: str = ""  # FRST / RCUR / OOFF
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SddBatch:
    """A direct-debit batch as ``HostFact_SDD_Batches`` holds it (``sdd_batch.downloaded``)."""

    batch_id: str  # SDD + YYYYMMDD
    date: dt.date
    status: str  # downloaded / processed
    count: int
    amount: Decimal
    elements: tuple[SddElement, ...]
    download_date: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SddReversal:
    """``sdd.reversed``: the facts of HostFact's ``invoice_direct_debit_has_reversal`` hook."""

    invoice_code: str
    debtor_code: str
    batch_id: str
    amount: Decimal  # > 0: the amount that came back
    reason: str
    invoice_id: int | None = None  # Identifier
    debtor_id: int | None = None  # Debtor
    action: str = ""
    date: dt.date | None = None


# --------------------------------------------------------------------------- settings.changed


@dataclass(frozen=True, slots=True)
class EnabledKinds:
    debtors: bool
    creditors: bool
    invoices: bool
    purchase_invoices: bool
    sdd_batches: bool
    payments: bool


@dataclass(frozen=True, slots=True)
class Journals:
    sales: str
    purchase: str
    memorial: str


@dataclass(frozen=True, slots=True)
class GlMapping:
    """A default GL account code plus overrides by group name."""

    default: str
    by_group: Mapping[str, str]  # by_product_group (revenue) or by_creditor_group (purchase)


@dataclass(frozen=True, slots=True)
class VatCodeSet:
    """Exact VAT codes for one HostFact ``TaxPercentage`` by customer kind."""

    domestic: str
    eu_business: str
    eu_consumer: str
    non_eu: str


@dataclass(frozen=True, slots=True)
class SddSettings:
    intermediate_gl: str
    journal: str
    payment_condition: str


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """The ``settings.changed`` payload, with Exact codes as the operator typed them."""

    enabled: EnabledKinds
    debtor_code_mask: str
    creditor_code_mask: str
    journals: Journals
    revenue_gl: GlMapping
    purchase_gl: GlMapping
    vat_codes: Mapping[str, VatCodeSet]  # key: TaxPercentage as a string, e.g. "21"
    purchase_vat_codes: Mapping[str, str]
    sdd: SddSettings
    home_country: str = "NL"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ExportSucceeded:
    """``export.succeeded``: a HostFact record now exists in Exact."""

    kind: ExportKind
    hostfact_id: int
    hostfact_code: str
    exact_id: str  # Exact GUID of the account / entry
    division: int
    entry_number: int | None = None  # bookings: Exact EntryNumber
    account_code: str | None = None  # debtors/creditors: Exact account Code (unpadded)
    event_id: str | None = None  # the event that caused it


@dataclass(frozen=True, slots=True)
class ExportFailed:
    """``export.failed``: the record could not be exported; ``reason`` is plain English."""

    kind: ExportKind
    hostfact_id: int
    hostfact_code: str
    reason: str
    exact_message: str = ""  # Exact's own text (often Dutch), "" when Exact was not asked
    division: int | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentMatched:
    """``payment.matched``: the invoice is paid in full in Exact (HostFact: markaspaid)."""

    kind: PaymentKind
    hostfact_id: int
    invoice_code: str
    amount: Decimal
    pay_date: dt.date
    division: int
    entry_number: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentPartial:
    """``payment.partial``: ``amount`` received now, ``amount_open`` still open (partpayment)."""

    kind: PaymentKind
    hostfact_id: int
    invoice_code: str
    amount: Decimal
    amount_open: Decimal
    pay_date: dt.date
    division: int
    entry_number: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentReopened:
    """``payment.reopened``: the item is open again in Exact (markasunpaid)."""

    kind: PaymentKind
    hostfact_id: int
    invoice_code: str
    amount_open: Decimal
    reason: str
    division: int
    entry_number: int | None = None


@dataclass(frozen=True, slots=True)
class SettingsValidated:
    """``settings.validated``: the worker checked a ``settings.changed`` against Exact."""

    installation: str
    settings_version: str  # the id of the settings.changed event
    valid: bool
    problems: tuple[str, ...]


# --------------------------------------------------------------------------- the envelope

EventData = (
    Debtor | Creditor | Invoice | PurchaseInvoice | SddBatch | SddReversal | ExportSettings
)
ResultData = (
    ExportSucceeded | ExportFailed | PaymentMatched | PaymentPartial | PaymentReopened
    | SettingsValidated
)
Related = InvoiceRelated | PurchaseInvoiceRelated | None


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message: event (``source_system == "hostfact"``) or result (``"hfexact"``).

    ``raw`` is the parsed JSON document as received (for logs and dead letters).
    """

    id: str
    type: str
    version: int
    occurred_at: dt.datetime  # timezone-aware
    installation: str
    source_system: str
    data: EventData | ResultData
    related: Related
    raw: Mapping[str, Any]

    @classmethod
    def of(cls, message_type: str, loaded: Mapping[str, Any],
           document: Mapping[str, Any]) -> Envelope:
        """The Envelope of a document its type's envelope schema (or compiled plan) loaded."""
        return cls(
            id=loaded["id"],
            type=message_type,
            version=loaded["version"],
            occurred_at=loaded["occurred_at"],
            installation=loaded["source"]["installation"],
            source_system=loaded["source"]["system"],
            data=loaded["data"],
            related=loaded["related"],
            raw=document,
        )
