"""Which lane an event takes, and that a lane runs its events one after another in order."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from hfexact.amqp.consumer import Lanes, lane_key

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


def example(kind: str, name: str) -> bytes:
    return (EXAMPLES / kind / name).read_bytes()


class TestLaneKey:
    def test_a_debtors_events_share_a_key(self) -> None:
        """The debtor event and that debtor's invoices, credit and reversal: one key."""
        keys = {
            lane_key(example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit.json"),
                     "a"),
            lane_key(example("invoice.issued", "credit-invoice-status-8.json"), "b"),
            lane_key(example("invoice.changed", "cancelled-after-credit.json"), "c"),
            lane_key(example("sdd.reversed", "insufficient-funds.json"), "d"),
        }
        assert keys == {b"DebtorCode:DB0017"}

    def test_a_creditors_events_share_a_key(self) -> None:
        assert lane_key(example("creditor.upserted", "dutch-datacenter.json"), "a") == \
            lane_key(example("purchase_invoice.received", "dutch-datacenter-21-percent.json"),
                     "b") == b"CreditorCode:CD0003"

    def test_different_debtors_differ(self) -> None:
        assert lane_key(example("invoice.issued", "consumer-unit-price-four-decimals.json"),
                        "a") == b"DebtorCode:DB0018"

    def test_without_a_party_the_message_id_decides(self) -> None:
        """Not JSON, or no party: the event's own id (a duplicate delivery takes its lane)."""
        assert lane_key(b"{not json", "m-1") == b"m-1"
        assert lane_key(json.dumps({"data": {"BatchID": "SDD1"}}).encode(), "m-2") == b"m-2"
        assert lane_key(b"", None) == b""

    def test_an_escaped_quote_stays_inside_the_code(self) -> None:
        body = json.dumps({"data": {"DebtorCode": 'D"1'}}).encode()
        assert lane_key(body, "x") == b'DebtorCode:D\\"1'


class TestLanes:
    def test_one_key_runs_in_order_on_one_thread(self) -> None:
        lanes = Lanes(4)
        try:
            seen: list[tuple[int, str]] = []
            futures = [lanes.submit(b"DebtorCode:DB1",
                                    lambda i=i: seen.append((i, threading.current_thread().name)))
                       for i in range(20)]
            for f in futures:
                f.result(timeout=5)
            assert [i for i, _ in seen] == list(range(20))
            assert len({name for _, name in seen}) == 1
        finally:
            lanes.close()

    def test_different_keys_run_at_the_same_time(self) -> None:
        """Two lanes, two keys that hash apart: both sleeps overlap."""
        lanes = Lanes(2)
        try:
            keys = [f"DebtorCode:DB{n}".encode() for n in range(16)]
            threads: dict[bytes, str] = {}
            for key in keys:
                threads[key] = lanes.submit(key, lambda: threading.current_thread().name
                                            ).result(timeout=5)
            a, b = next((x, y) for x in keys for y in keys if threads[x] != threads[y])
            started = time.monotonic()
            futures = [lanes.submit(k, lambda: time.sleep(0.3)) for k in (a, b)]
            for f in futures:
                f.result(timeout=5)
            assert time.monotonic() - started < 0.55
        finally:
            lanes.close()

    def test_an_error_is_the_futures(self) -> None:
        lanes = Lanes(1)
        try:
            future = lanes.submit(b"x", lambda: 1 / 0)
            with pytest.raises(ZeroDivisionError):
                future.result(timeout=5)
            assert lanes.submit(b"x", lambda: "next").result(timeout=5) == "next"
        finally:
            lanes.close()

    def test_at_least_one_lane(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            Lanes(0)
