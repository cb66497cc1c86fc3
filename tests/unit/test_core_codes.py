"""Debtor/creditor number masks turn HostFact codes into Exact account codes."""

from __future__ import annotations

import pytest

from hfexact.core.codes import (
    collision_message,
    exact_code_field,
    hostfact_number,
    map_code,
    parse_mask,
)
from hfexact.errors import TranslationError


class TestMapCode:
    @pytest.mark.parametrize(
        ("code", "mask", "expected"),
        [
            ("DB00001", "1###", "1001"),  # the seed's own examples
            ("DB0002", "1###", "1002"),
            ("DB0003", "1###", "1003"),
            ("DB0999", "1###", "1999"),
            ("CD0001", "2###", "2001"),
            ("DB7", "1###", "1007"),  # fewer digits than places: the number counts
            ("DB0042", "1[0-9][0-9][0-9]", "1042"),  # the alternative spelling of a place
            ("DB0042", "1#[0-9]#", "1042"),  # both spellings mixed
            ("DB12345", "######", "012345"),  # only places
            ("DB0042", "9#0#", "9402"),  # literal digits between places
            ("42", "1###", "1042"),  # a bare number
        ],
    )
    def test_mask_maps_the_number_into_the_places(
        self, code: str, mask: str, expected: str
    ) -> None:
        """The HostFact number fills the mask's digit places from the right."""
        assert map_code(code, mask) == expected

    @pytest.mark.parametrize("mask", [None, "", "   "])
    def test_no_mask_leaves_the_code_to_exact(self, mask: str | None) -> None:
        """Without a mask Exact assigns the next code: nothing is mapped."""
        assert map_code("DB0001", mask) is None

    def test_code_with_too_many_significant_digits_is_refused_naming_the_lookalike(
        self,
    ) -> None:
        """DB1001 does not fit 1###: HostFact would make it 1001, the code of DB0001."""
        with pytest.raises(TranslationError) as info:
            map_code("DB1001", "1###")
        text = str(info.value)
        assert "DB1001" in text
        assert "1###" in text
        assert "1001" in text
        assert "DB0001" in text

    def test_zero_padding_beyond_the_places_still_fits(self) -> None:
        """Leading zeros are not significant: DB000000001 fits 1###."""
        assert map_code("DB000000001", "1###") == "1001"

    def test_code_without_a_number_is_refused(self) -> None:
        """A mask needs a number to place; a code ending in letters cannot be mapped."""
        with pytest.raises(TranslationError, match="does not end in a number"):
            map_code("DBABC", "1###")


class TestParseMask:
    @pytest.mark.parametrize("mask", ["1#A#", "1-###", "###x"])
    def test_non_digit_literals_are_refused(self, mask: str) -> None:
        """Exact account codes are numeric, so a mask may hold only digits and places."""
        with pytest.raises(TranslationError, match="may hold only digits"):
            parse_mask(mask)

    def test_mask_without_places_is_refused(self) -> None:
        """A mask of literals only would give every debtor the same code."""
        with pytest.raises(TranslationError, match="no digit places"):
            parse_mask("1000")

    def test_mask_longer_than_exact_code_is_refused(self) -> None:
        """Exact codes hold at most 18 characters."""
        with pytest.raises(TranslationError, match="18"):
            parse_mask("#" * 19)

    def test_places_are_counted_in_both_spellings(self) -> None:
        """'#' and '[0-9]' are both one place."""
        assert parse_mask("1#[0-9]#").places == 3


class TestHelpers:
    def test_hostfact_number_is_the_trailing_digit_run(self) -> None:
        """The number is the digits the code ends in, zeros kept."""
        assert hostfact_number("DB00001") == "00001"
        assert hostfact_number("K2-0042") == "0042"

    def test_exact_code_field_is_right_aligned_to_18(self) -> None:
        """Exact stores account codes right-aligned in 18 characters."""
        assert exact_code_field("1001") == " " * 14 + "1001"
        assert len(exact_code_field("1")) == 18

    def test_exact_code_field_refuses_longer_codes(self) -> None:
        """A code over 18 characters cannot be an Exact account code."""
        with pytest.raises(TranslationError):
            exact_code_field("1" * 19)

    def test_collision_message_names_both_hostfact_codes(self) -> None:
        """The operator sees which two HostFact records compete for one Exact code."""
        text = collision_message("debtor", "DB001", "1001", "DB0001")
        assert "DB001" in text
        assert "DB0001" in text
        assert "1001" in text
