"""Exact's business-validation texts (Dutch, the language of an NL division's user).

Marked [ref] where reference §4.3 quotes Exact; the others follow Exact's
``<Kind>: <field label>`` pattern with the Dutch label of the field and are the sandbox's
best reading (docs/sandbox.md lists them).
"""

MANDATORY = "Verplicht: {}"  # [ref] pattern
INVALID = "Ongeldig: {}"  # [ref] pattern
INVALID_REFERENCE = "Ongeldige referentie: {}"  # [ref] pattern
EXISTS = "Bestaat reeds: {}"  # [ref] pattern

NAME_REQUIRED = MANDATORY.format("Naam")
JOURNAL_REQUIRED = MANDATORY.format("Dagboek")  # [ref]
CUSTOMER_REQUIRED = MANDATORY.format("Klant")
SUPPLIER_REQUIRED = MANDATORY.format("Leverancier")
RELATION_REQUIRED = MANDATORY.format("Relatie")
GL_REQUIRED = MANDATORY.format("Grootboekrekening")
AMOUNT_REQUIRED = MANDATORY.format("Bedrag")
LINES_REQUIRED = MANDATORY.format("Regels")
PAYMENT_CONDITION_REQUIRED = MANDATORY.format("Betalingsconditie")  # [ref]

JOURNAL_UNKNOWN = INVALID_REFERENCE.format("Journals")  # [ref] (journal GUID or unknown code)
JOURNAL_WRONG_TYPE = INVALID.format("Dagboek")  # [ref]
CUSTOMER_UNKNOWN = INVALID_REFERENCE.format("Klant")
SUPPLIER_UNKNOWN = INVALID_REFERENCE.format("Leverancier")
RELATION_UNKNOWN = INVALID_REFERENCE.format("Relatie")
CUSTOMER_NOT_CUSTOMER = INVALID.format("Klant (Type)")  # [ref]
SUPPLIER_NOT_SUPPLIER = INVALID.format("Leverancier (Type)")
GL_UNKNOWN = INVALID_REFERENCE.format("Grootboekrekening")
GL_WRONG_TYPE = INVALID.format("Grootboekrekeningtype")  # [ref]
GL_BLOCKED = "Blocked: Ledger account: {code} - {description}"  # [ref]
VAT_UNKNOWN = INVALID_REFERENCE.format("Btw-code")  # [ref]
VAT_NOT_ALLOWED = "Niet toegestaan: Btw-code"  # [ref]
PAYMENT_CONDITION_UNKNOWN = INVALID_REFERENCE.format("Betalingsconditie")  # [ref]
COUNTRY_UNKNOWN = INVALID_REFERENCE.format("Land")
STATUS_INVALID = INVALID.format("Status")
CODE_EXISTS = EXISTS.format("Code")
CODE_TOO_LONG = INVALID.format("Code")
ENTRY_NUMBER_IN_USE = "In gebruik: Boekstuknummer"  # [ref]
ALREADY_PROCESSED = "Reeds verwerkt"  # [ref, reported]
ENTRY_ALREADY_MATCHED = "Reeds afgeletterd"
NOT_BALANCED = "Ongeldig: Boeking is niet in balans"
BANK_BALANCE = "Ongeldig: Eindsaldo"
RELATION_IN_USE = "Niet toegestaan: Relatie is in gebruik"
CURRENCY_UNKNOWN = INVALID_REFERENCE.format("Valuta")
ENTRY_UNKNOWN = INVALID_REFERENCE.format("Boeking")
