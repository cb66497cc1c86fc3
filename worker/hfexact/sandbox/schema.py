"""Exact's entity types as the sandbox serves them: property names, EDM kinds, writability.

Property lists follow Exact's REST reference (as quoted in public clients' docblocks); a
property not listed here is unknown to the sandbox and gives HTTP 400 when selected, filtered,
ordered on or posted. ``w`` marks properties a client may send on POST/PUT; everything else is
GET-only and silently ignored when posted, as Exact ignores read-only properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EDM = {
    "guid": "Edm.Guid", "str": "Edm.String", "int16": "Edm.Int16", "int32": "Edm.Int32",
    "int64": "Edm.Int64", "double": "Edm.Double", "bool": "Edm.Boolean",
    "datetime": "Edm.DateTime", "byte": "Edm.Byte",
}


@dataclass(frozen=True)
class Nav:
    """A navigation property: served as ``{"__deferred": {"uri": ...}}`` unless expanded."""

    name: str
    target: str  # entity set path of the related records, e.g. "salesentry/SalesEntryLines"
    parent_field: str  # property of the related records that holds this record's key


@dataclass(frozen=True)
class EntityType:
    name: str  # e.g. "Exact.Web.Api.Models.Account"
    key: str
    fields: dict[str, str]
    writable: frozenset[str]
    navs: dict[str, Nav] = field(default_factory=dict)

    def kind(self, prop: str) -> str | None:
        return self.fields.get(prop)

    def has(self, prop: str) -> bool:
        return prop in self.fields or prop in self.navs


def entity_type(name: str, key: str, spec: str, navs: tuple[Nav, ...] = ()) -> EntityType:
    fields: dict[str, str] = {}
    writable: set[str] = set()
    for token in spec.split():
        prop, kind, *flags = token.split(":")
        if kind not in EDM:
            raise ValueError(f"unknown kind {kind} for {prop}")
        fields[prop] = kind
        if flags and "w" in flags[0]:
            writable.add(prop)
    return EntityType(name, key, fields, frozenset(writable), {n.name: n for n in navs})


_M = "Exact.Web.Api.Models."

ACCOUNT = entity_type(_M + "Account", "ID", """
    ID:guid Code:str:w Name:str:w Status:str:w IsSupplier:bool:w IsSales:bool IsPurchase:bool
    Blocked:bool:w AddressLine1:str:w AddressLine2:str:w AddressLine3:str:w City:str:w
    Postcode:str:w State:str:w Country:str:w CountryName:str Email:str:w Phone:str:w
    Website:str:w VATNumber:str:w ChamberOfCommerce:str:w SearchCode:str:w Language:str:w
    Remarks:str:w PaymentConditionSales:str:w PaymentConditionPurchase:str:w
    SalesVATCode:str:w PurchaseVATCode:str:w GLAccountSales:guid:w GLAccountPurchase:guid:w
    GLAR:guid:w GLAP:guid:w Accountant:guid:w AccountManager:guid:w Classification:guid:w
    CodeAtSupplier:str:w Fax:str:w MainContact:guid:w Parent:guid:w InvoiceAccount:guid:w
    IsAccountant:byte IsReseller:bool:w Reseller:guid:w PriceList:guid:w StartDate:datetime:w
    EndDate:datetime:w BRIN:guid BSN:str RSIN:str Type:str Division:int32 Created:datetime
    Modified:datetime Classification1:guid Classification2:guid Classification3:guid
    Classification4:guid Classification5:guid Classification6:guid Classification7:guid
    Classification8:guid
""", (Nav("BankAccounts", "crm/BankAccounts", "Account"),))

BANK_ACCOUNT = entity_type(_M + "BankAccount", "ID", """
    ID:guid Account:guid:w BankAccount:str:w IBAN:str:w BICCode:str:w Main:bool:w
    Description:str:w Division:int32 Created:datetime Modified:datetime
""")

_ENTRY_COMMON = """
    EntryID:guid Journal:str:w JournalDescription:str EntryDate:datetime:w DueDate:datetime:w
    PaymentCondition:str:w PaymentConditionDescription:str YourRef:str:w Description:str:w
    PaymentReference:str:w InvoiceNumber:int32:w EntryNumber:int32:w Currency:str:w
    ReportingYear:int16:w ReportingPeriod:int16:w VATAmountFC:double:w VATAmountDC:double
    AmountFC:double AmountDC:double Status:int16 StatusDescription:str Type:int32
    TypeDescription:str Document:guid:w Reversal:bool:w Division:int32 Created:datetime
    Modified:datetime ExternalLinkReference:str:w ExternalLinkDescription:str:w
    BatchNumber:int32 ProcessNumber:int32 OrderNumber:int32:w Rate:double
"""

SALES_ENTRY = entity_type(_M + "SalesEntry", "EntryID", _ENTRY_COMMON + """
    Customer:guid:w CustomerName:str GAccountAmountFC:double DeliveryDate:datetime:w
    Notes:str:w
""", (Nav("SalesEntryLines", "salesentry/SalesEntryLines", "EntryID"),))

PURCHASE_ENTRY = entity_type(_M + "PurchaseEntry", "EntryID", _ENTRY_COMMON + """
    Supplier:guid:w SupplierName:str PaymentConditionSupplier:str
""", (Nav("PurchaseEntryLines", "purchaseentry/PurchaseEntryLines", "EntryID"),))

_LINE_COMMON = """
    ID:guid EntryID:guid:w LineNumber:int32 GLAccount:guid:w GLAccountCode:str
    GLAccountDescription:str AmountFC:double:w AmountDC:double VATAmountFC:double:w
    VATAmountDC:double VATBaseAmountFC:double VATBaseAmountDC:double VATCode:str:w
    VATCodeDescription:str VATPercentage:double:w Description:str:w Quantity:double:w
    CostCenter:str:w CostUnit:str:w Project:guid:w Notes:str:w From:datetime:w To:datetime:w
    Type:int32 Division:int32
"""

SALES_LINE = entity_type(_M + "SalesEntryLine", "ID", _LINE_COMMON)
PURCHASE_LINE = entity_type(_M + "PurchaseEntryLine", "ID", _LINE_COMMON + """
    VATNonDeductiblePercentage:double:w PrivateUsePercentage:double:w
""")

GENERAL_JOURNAL_ENTRY = entity_type(_M + "GeneralJournalEntry", "EntryID", """
    EntryID:guid JournalCode:str:w JournalDescription:str EntryNumber:int32:w Currency:str:w
    ExchangeRate:double:w FinancialYear:int16:w FinancialPeriod:int16:w Reversal:bool:w
    Status:int16 StatusDescription:str Type:int32 TypeDescription:str Division:int32
    Created:datetime Modified:datetime
""", (Nav("GeneralJournalEntryLines", "generaljournalentry/GeneralJournalEntryLines",
          "EntryID"),))

GENERAL_JOURNAL_LINE = entity_type(_M + "GeneralJournalEntryLine", "ID", """
    ID:guid EntryID:guid:w LineNumber:int32 GLAccount:guid:w GLAccountCode:str
    GLAccountDescription:str Account:guid:w AccountCode:str AccountName:str AmountFC:double:w
    AmountDC:double AmountVATFC:double:w VATCode:str:w Date:datetime:w Description:str:w
    OurRef:int32:w Notes:str:w Quantity:double:w CostCenter:str:w CostUnit:str:w
    Project:guid:w Document:guid:w Division:int32
""")

BANK_ENTRY = entity_type(_M + "BankEntry", "EntryID", """
    EntryID:guid JournalCode:str:w JournalDescription:str EntryNumber:int32:w Currency:str:w
    FinancialYear:int16:w FinancialPeriod:int16:w OpeningBalanceFC:double:w
    ClosingBalanceFC:double:w BankStatementDocument:guid:w Status:int16 StatusDescription:str
    Division:int32 Created:datetime Modified:datetime
""", (Nav("BankEntryLines", "financialtransaction/BankEntryLines", "EntryID"),))

BANK_LINE = entity_type(_M + "BankEntryLine", "ID", """
    ID:guid EntryID:guid:w LineNumber:int32 GLAccount:guid:w GLAccountCode:str
    GLAccountDescription:str Account:guid:w AccountCode:str AccountName:str AmountFC:double:w
    AmountDC:double AmountVATFC:double:w VATCode:str:w Date:datetime:w Description:str:w
    OurRef:int32:w Notes:str:w ExchangeRate:double:w OffsetID:guid Project:guid:w
    Document:guid:w Division:int32
""")

GL_ACCOUNT = entity_type(_M + "GLAccount", "ID", """
    ID:guid Code:str:w Description:str:w Type:int32:w TypeDescription:str BalanceSide:str:w
    BalanceType:str:w VATCode:str:w VATDescription:str IsBlocked:bool:w Matching:bool:w
    Division:int32 Created:datetime Modified:datetime
""")

JOURNAL = entity_type(_M + "Journal", "ID", """
    ID:guid Code:str:w Description:str:w Type:int32:w TypeDescription:str GLAccount:guid:w
    GLAccountCode:str GLAccountDescription:str Currency:str:w AllowVAT:bool:w AutoSave:bool:w
    IsBlocked:bool:w Division:int32 Created:datetime Modified:datetime
""")

VAT_CODE = entity_type(_M + "VATCode", "ID", """
    ID:guid Code:str:w Description:str:w Percentage:double Type:str:w VATTransactionType:str:w
    IsBlocked:bool:w Charged:bool:w GLToPay:guid:w GLToPayCode:str GLToClaim:guid:w
    GLToClaimCode:str Division:int32 Created:datetime Modified:datetime
""")

PAYMENT_CONDITION = entity_type(_M + "PaymentCondition", "ID", """
    ID:guid Code:str:w Description:str:w PaymentDays:int32:w PaymentEndOfMonths:int32:w
    PaymentMethod:str:w PaymentMethodDescription:str DiscountPercentage:double:w
    DiscountPaymentDays:int32:w Division:int32 Created:datetime Modified:datetime
""")

_OPEN_ITEM_LIST = """
    HID:int64 AccountId:guid AccountCode:str AccountName:str Amount:double
    AmountInTransit:double CurrencyCode:str Description:str DueDate:datetime
    EntryNumber:int32 Id:guid InvoiceDate:datetime InvoiceNumber:int32 JournalCode:str
    JournalDescription:str YourRef:str
"""
RECEIVABLES_LIST = entity_type(_M + "ReceivablesList", "HID", _OPEN_ITEM_LIST,
                               (Nav("Notes", "read/financial/Notes", "HID"),))
PAYABLES_LIST = entity_type(_M + "PayablesList", "HID", _OPEN_ITEM_LIST + " ApprovalStatus:int16",
                            (Nav("Notes", "read/financial/Notes", "HID"),))

_TERM = """
    ID:guid Account:guid AccountCode:str AccountName:str AmountDC:double AmountFC:double
    Currency:str Description:str Division:int32 DueDate:datetime EndDate:datetime
    EndPeriod:int16 EndYear:int16 EntryDate:datetime EntryID:guid EntryNumber:int32
    GLAccount:guid GLAccountCode:str GLAccountDescription:str InvoiceDate:datetime
    InvoiceNumber:int32 IsFullyPaid:bool Journal:str JournalDescription:str
    LastPaymentDate:datetime PaymentCondition:str PaymentConditionDescription:str
    PaymentDays:int32 PaymentMethod:str PaymentReference:str:w RateFC:double Source:int32
    Status:int16 TransactionAmountDC:double TransactionAmountFC:double
    TransactionDueDate:datetime TransactionEntryID:guid TransactionID:guid
    TransactionIsReversal:bool TransactionReportingPeriod:int16 TransactionReportingYear:int16
    TransactionStatus:int16 TransactionType:int32 YourRef:str Created:datetime Modified:datetime
"""
RECEIVABLE = entity_type(_M + "Receivable", "ID", _TERM)
PAYMENT_TERM = entity_type(_M + "PaymentTerm", "Timestamp",
                           _TERM + " Timestamp:int64 LineType:int16")

ME = entity_type("Exact.Web.Api.System.Me", "UserID", """
    UserID:guid AccountingDivision:int32 CurrentDivision:int32 CustomerCode:str
    DivisionCustomer:guid DivisionCustomerCode:str DivisionCustomerName:str
    DivisionCustomerVatNumber:str Email:str FirstName:str LastName:str FullName:str
    UserName:str Language:str LanguageCode:str Legislation:int64 ServerTime:str
    ServerUtcOffset:double
""")

HRM_DIVISION = entity_type(_M + "HRM.Division", "Code", """
    Code:int32 ArchiveDate:datetime BlockingStatus:int32 Country:str CountryDescription:str
    Created:datetime Creator:guid CreatorFullName:str Currency:str CurrencyDescription:str
    Customer:guid CustomerCode:str CustomerName:str Description:str HID:int64 Main:bool
    Modified:datetime Modifier:guid ModifierFullName:str OBNumber:str SiretNumber:str
    StartDate:datetime Status:int16 TaxOfficeNumber:str TaxReferenceNumber:str TemplateCode:str
    VATNumber:str Website:str
""")
