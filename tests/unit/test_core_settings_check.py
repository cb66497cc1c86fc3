"""Export settings checked against a division's master data: every problem, in plain words."""

from __future__ import annotations

from decimal import Decimal

from hfexact.contract.domain import EnabledKinds, GlMapping, Journals, VatCodeSet
from hfexact.core.settings_check import (
    GlAccountInfo,
    JournalInfo,
    MasterData,
    VatCodeInfo,
    check_settings,
)
from tests.unit.test_core_samples import settings

D = Decimal


def master(**over: object) -> MasterData:
    gl = {
        code: GlAccountInfo(f"guid-{code}", code, kind)
        for code, kind in [("8000", 110), ("8010", 110), ("8020", 110), ("4000", 120),
                           ("4010", 111), ("1105", 90), ("1300", 20), ("1600", 22),
                           ("1500", 24)]
    }
    values: dict[str, object] = {
        "division": 123456,
        "gl_accounts": gl,
        "journals": {"70": JournalInfo("70", 20), "60": JournalInfo("60", 22),
                     "90": JournalInfo("90", 90)},
        "vat_codes": {"0": VatCodeInfo("0", D(0)), "1": VatCodeInfo("1", D(9)),
                      "2": VatCodeInfo("2", D(21)), "3": VatCodeInfo("3", D(21)),
                      "4": VatCodeInfo("4", D(9)), "6": VatCodeInfo("6", D(0)),
                      "7": VatCodeInfo("7", D(0))},
        "payment_conditions": frozenset({"IN", "30"}),
    }
    values.update(over)
    return MasterData(**values)  # type: ignore[arg-type]


class TestCheckSettings:
    def test_the_design_example_is_valid(self) -> None:
        """The settings of the design document pass against a matching division."""
        assert check_settings(settings(), master()) == []

    def test_every_problem_is_listed(self) -> None:
        """Several mistakes give several problems, each naming the code and the fix."""
        s = settings(
            revenue_gl=GlMapping("1300", {"Hosting": "9999"}),
            journals=Journals(sales="60", purchase="60", memorial="90"),
        )
        problems = check_settings(s, master())
        text = "\n".join(problems)
        assert "GL account 1300 is a receivables (debtors) (20) account" in text
        assert "GL account 9999 does not exist" in text
        assert "sales journal: journal 60 is a purchase (22) journal" in text
        assert len(problems) == 3

    def test_vat_account_is_refused_as_revenue(self) -> None:
        """A VAT account on a sales line is Exact's 'Ongeldig: Grootboekrekeningtype'."""
        problems = check_settings(settings(revenue_gl=GlMapping("1500", {})), master())
        assert any("1500" in p and "VAT" in p for p in problems)

    def test_purchase_account_must_not_be_revenue_or_balance(self) -> None:
        """Cost lines cannot book on revenue, payables or bank."""
        problems = check_settings(settings(purchase_gl=GlMapping("8000", {"X": "1600"})),
                                  master())
        assert len(problems) == 2

    def test_missing_vat_codes_and_wrong_percentage(self) -> None:
        """Unknown VAT codes are named; a domestic code with the wrong rate too."""
        s = settings(vat_codes={"21": VatCodeSet("1", "6", "2", "8")})
        problems = check_settings(s, master())
        assert any("VAT code 8 does not exist" in p for p in problems)
        assert any("VAT code 1 is 9% in Exact, not 21%" in p for p in problems)

    def test_payment_condition_in_must_exist(self) -> None:
        """Direct debit needs payment condition IN in the division."""
        problems = check_settings(settings(), master(payment_conditions=frozenset({"30"})))
        assert problems == ["direct-debit payment condition IN does not exist in Exact "
                            "division 123456"]

    def test_intermediate_account_cannot_be_receivables(self) -> None:
        """The direct-debit intermediate account must not be the debtors account."""
        s = settings(sdd=type(settings().sdd)("1300", "90", "IN"))
        assert any("direct-debit intermediate" in p for p in check_settings(s, master()))

    def test_blocked_items_are_problems(self) -> None:
        """Blocked GL accounts and journals cannot be booked on."""
        m = master(journals={"70": JournalInfo("70", 20, blocked=True),
                             "60": JournalInfo("60", 22), "90": JournalInfo("90", 90)})
        assert any("blocked" in p for p in check_settings(settings(), m))

    def test_switched_off_kinds_are_not_checked(self) -> None:
        """With purchases off, a broken purchase setting is no problem."""
        s = settings(
            enabled=EnabledKinds(True, True, True, False, True, True),
            purchase_gl=GlMapping("9999", {}),
        )
        assert check_settings(s, master()) == []

    def test_division_without_receivables_account_cannot_take_batches(self) -> None:
        """Direct-debit lines need the division's debtors account."""
        gl = {k: v for k, v in master().gl_accounts.items() if v.type != 20}
        problems = check_settings(settings(), master(gl_accounts=gl))
        assert any("receivables" in p for p in problems)

    def test_invalid_mask_is_a_problem(self) -> None:
        """A mask without places is reported, not crashed on."""
        problems = check_settings(settings(debtor_code_mask="1000"), master())
        assert any("debtor number mask" in p for p in problems)

    def test_receivables_gl_is_the_lowest_unblocked_type_20(self) -> None:
        """The division's debtors account is found by type."""
        m = master()
        found = m.receivables_gl()
        assert found is not None
        assert found.code == "1300"
