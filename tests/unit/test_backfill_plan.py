"""The backfill planner: the arithmetic of Exact's daily limit, its inputs, the CLI, the pacing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hfexact.backfill.pacing import Counter, PacedProcessor, eta_text, keeps
from hfexact.backfill.plan import CallCosts, Limits, make_plan, share_of
from hfexact.backfill.sources import code_masks, counts_from_php, limits_from_store, parse_json
from hfexact.cli import cli
from hfexact.errors import ConfigError, ContractError, RateLimited
from hfexact.processing_types import MessageMeta, Outcome
from hfexact.store import Budget, open_store

#: 2026-11-28 16:30:00 UTC
NOW = dt.datetime(2026, 11, 28, 16, 30, tzinfo=dt.UTC).timestamp()
MIDNIGHT = dt.datetime(2026, 11, 29, tzinfo=dt.UTC).timestamp()

#: what `backfill.php --since 2000-01-01 --dry-run --json` printed for the stand-in's sample data
PHP_JSON = {
    "since": "2000-01-01", "dry_run": True, "export_history": 0,
    "types": {
        "debtors": {"found": 3, "queued": 3, "already_queued": 0, "already_exported": 0,
                    "skipped": 0},
        "creditors": {"found": 1, "queued": 1, "already_queued": 0, "already_exported": 0,
                      "skipped": 0},
        "invoices": {"found": 6, "queued": 0, "already_queued": 5, "already_exported": 0,
                     "skipped": 1},
        "purchase_invoices": {"found": 0, "queued": 0, "already_queued": 0,
                              "already_exported": 0, "skipped": 0},
    },
}


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


class TestShares:
    def test_default_headroom_leaves_a_fifth_of_every_window(self) -> None:
        """60/minute and 5,000/day at 20 % headroom: the backfill uses 48 and 4,000."""
        plan = make_plan({"invoices": 1}, Limits(), headroom=0.2, now=NOW)
        assert (plan.per_minute, plan.per_day) == (48, 4000)

    def test_share_is_at_least_one_call(self) -> None:
        """Even a tiny limit leaves the backfill one call a window."""
        assert share_of(1, 0.5) == 1

    def test_worker_keeps_what_the_plan_leaves(self) -> None:
        """The paced client keeps 12 of every 60 a minute and 1,000 of 5,000 a day."""
        assert keeps(Limits(), 0.2) == (12, 1000)
        assert keeps(Limits(minute_limit=100, day_limit=9000), 0.25) == (25, 2250)

    @pytest.mark.parametrize("headroom", [-0.1, 1.0, 1.5])
    def test_headroom_outside_zero_to_one_is_refused(self, headroom: float) -> None:
        """A share of 100 % (or more, or negative) would leave the backfill nothing."""
        with pytest.raises(ValueError, match="headroom"):
            make_plan({"invoices": 1}, Limits(), headroom=headroom, now=NOW)


class TestCalls:
    def test_calls_are_records_times_calls_each(self) -> None:
        """400 debtors (2 each), 12,000 invoices and 300 purchase invoices (1 each)."""
        plan = make_plan({"debtors": 400, "invoices": 12_000, "purchase_invoices": 300},
                         Limits(), headroom=0.2, now=NOW)
        assert plan.calls_by_type == {"debtors": 800, "creditors": 0, "invoices": 12_000,
                                      "purchase_invoices": 300}
        assert plan.calls == 13_100

    def test_parties_cost_one_call_when_exact_assigns_codes(self) -> None:
        """Without a code mask there is nothing to look up before the POST."""
        costs = CallCosts.for_masks(debtor_mask=False, creditor_mask=False)
        plan = make_plan({"debtors": 10, "creditors": 5}, Limits(), headroom=0.2, now=NOW,
                         costs=costs)
        assert plan.calls == 15

    def test_unknown_type_and_negative_counts_are_refused(self) -> None:
        """A typo in a type or a negative count is an error, not a silent zero."""
        with pytest.raises(ValueError, match="unknown record types: invoice"):
            make_plan({"invoice": 1}, Limits(), headroom=0.2, now=NOW)
        with pytest.raises(ValueError, match="negative"):
            make_plan({"invoices": -1}, Limits(), headroom=0.2, now=NOW)

    def test_nothing_waiting_finishes_now(self) -> None:
        """No records: zero calls, zero days, done at once."""
        plan = make_plan({}, Limits(), headroom=0.2, now=NOW)
        assert (plan.calls, plan.days, plan.finish_at) == (0, 0, NOW)


class TestFinish:
    def test_fits_in_today(self) -> None:
        """1,000 calls at 48 a minute from 16:30: done at 16:50:50, the same day."""
        plan = make_plan({"invoices": 1000}, Limits(), headroom=0.2, now=NOW)
        assert plan.days == 1
        assert plan.finish_at == pytest.approx(NOW + 1000 / 48 * 60)

    def test_spans_days(self) -> None:
        """13,100 calls: 4,000 today, 4,000 on each of two days, 1,100 on the fourth."""
        plan = make_plan({"debtors": 400, "invoices": 12_000, "purchase_invoices": 300},
                         Limits(), headroom=0.2, now=NOW)
        assert plan.today == 4000
        assert plan.days == 4
        assert plan.finish_at == pytest.approx(MIDNIGHT + 2 * 86400 + 1100 / 48 * 60)
        assert plan.finish.strftime("%Y-%m-%d %H:%M") == "2026-12-01 00:22"

    def test_exact_multiple_of_a_day_ends_on_that_day(self) -> None:
        """8,000 calls after today's 4,000 end on the second day, not at a third's start."""
        plan = make_plan({"invoices": 12_000}, Limits(), headroom=0.2, now=NOW)
        assert plan.days == 3
        assert plan.finish_at == pytest.approx(MIDNIGHT + 86400 + 4000 / 48 * 60)

    def test_what_today_left_counts(self) -> None:
        """2,000 calls used today already: today's share is 5,000 - 2,000 - 1,000 kept."""
        limits = Limits(day_remaining=3000, day_reset_at=MIDNIGHT, known=True)
        plan = make_plan({"invoices": 5000}, limits, headroom=0.2, now=NOW)
        assert plan.today == 2000
        assert plan.days == 2
        assert plan.finish_at == pytest.approx(MIDNIGHT + 3000 / 48 * 60)

    def test_today_spent_beyond_the_headroom_gives_nothing_today(self) -> None:
        """Fewer calls left than the headroom: the backfill starts after the reset."""
        limits = Limits(day_remaining=900, day_reset_at=MIDNIGHT, known=True)
        plan = make_plan({"invoices": 100}, limits, headroom=0.2, now=NOW)
        assert plan.today == 0
        assert plan.days == 1
        assert plan.finish_at == pytest.approx(MIDNIGHT + 100 / 48 * 60)

    def test_late_in_the_day_the_minute_rate_caps_today(self) -> None:
        """At 23:50 UTC ten minutes at 48 a minute are left: 480 calls today."""
        plan = make_plan({"invoices": 1000}, Limits(), headroom=0.2, now=at("2026-11-28 23:50"))
        assert plan.today == 480
        assert plan.finish_at == pytest.approx(MIDNIGHT + 520 / 48 * 60)

    def test_larger_limits_read_from_exact_shorten_the_plan(self) -> None:
        """A division with 100/minute and 9,000/day finishes 12,000 calls in two days."""
        limits = Limits(minute_limit=100, day_limit=9000, day_remaining=9000,
                        day_reset_at=MIDNIGHT, known=True)
        plan = make_plan({"invoices": 12_000}, limits, headroom=0.2, now=NOW)
        assert (plan.per_minute, plan.per_day, plan.today) == (80, 7200, 7200)
        assert plan.days == 2

    def test_defaults_are_named_in_the_notes(self) -> None:
        """Without stored headers the plan says it assumed Exact's defaults."""
        plan = make_plan({"invoices": 1}, Limits(), headroom=0.2, now=NOW)
        assert any("assumed Exact's defaults" in n for n in plan.notes)
        known = make_plan({"invoices": 1}, Limits(known=True), headroom=0.2, now=NOW)
        assert not any("assumed" in n for n in known.notes)


class TestSources:
    def test_php_dry_run_counts_what_would_be_queued(self) -> None:
        """``queued`` counts; ``already_queued`` only when asked for."""
        assert counts_from_php(PHP_JSON) == {"debtors": 3, "creditors": 1, "invoices": 0,
                                             "purchase_invoices": 0}
        assert counts_from_php(PHP_JSON, include_queued=True)["invoices"] == 5

    def test_php_json_without_types_is_a_config_error(self) -> None:
        """Output that is not the dry run's JSON says how to get it."""
        with pytest.raises(ConfigError, match="--dry-run --json"):
            counts_from_php({"since": "2000-01-01"})

    def test_last_json_line_is_read_after_progress_output(self) -> None:
        """Notices before the JSON object do not matter."""
        assert parse_json("debtors 3/3\n" + json.dumps(PHP_JSON), "x") == PHP_JSON

    def test_limits_come_from_the_stored_budget(self, tmp_path: Path) -> None:
        """What Exact's headers last said is what the plan uses; a passed reset refills."""
        store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}", clock=lambda: NOW)
        try:
            assert limits_from_store(store, 1, NOW) == Limits()
            store.record_budget(1, Budget(100, 40, NOW + 30, 9000, 1234, MIDNIGHT))
            limits = limits_from_store(store, 1, NOW)
            assert (limits.minute_limit, limits.day_limit, limits.day_remaining) == (
                100, 9000, 1234)
            assert limits.known
            assert limits_from_store(store, 1, MIDNIGHT + 5).day_remaining == 9000
        finally:
            store.close()

    def test_code_masks_come_from_the_stored_settings(self, tmp_path: Path) -> None:
        """An empty mask means Exact assigns the codes (no lookup before the POST)."""
        store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
        try:
            assert code_masks(store, "hf-main") is None
            store.save_settings("hf-main", {"debtor_code_mask": "1###",
                                            "creditor_code_mask": ""}, version="v1")
            assert code_masks(store, "hf-main") == (True, False)
        finally:
            store.close()


class TestPlanCommand:
    @pytest.fixture(name="env")
    def env_fixture(self, tmp_path: Path) -> dict[str, str]:
        return {"HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
                "HFEXACT_EXACT_DIVISION": "123456"}

    def test_counts_from_options_as_json(self, env: dict[str, str]) -> None:
        """--json prints the plan: calls per type, the shares, days and finish."""
        result = CliRunner().invoke(cli, ["backfill", "plan", "--debtors", "400",
                                          "--invoices", "12000", "--json"], env=env)
        assert result.exit_code == 0, result.output
        plan = json.loads(result.output)
        assert plan["calls"] == 12_800
        assert (plan["per_minute"], plan["per_day"], plan["division"]) == (48, 4000, 123456)
        assert plan["limits"]["from_exact"] is False

    def test_counts_from_the_php_json_file(self, env: dict[str, str], tmp_path: Path) -> None:
        """--php-json reads the dry run's output; options override single types."""
        path = tmp_path / "dry.json"
        path.write_text("debtors 3/3\n" + json.dumps(PHP_JSON), encoding="utf-8")
        result = CliRunner().invoke(cli, ["backfill", "plan", "--php-json", str(path),
                                          "--invoices", "100", "--json"], env=env)
        assert result.exit_code == 0, result.output
        plan = json.loads(result.output)
        assert plan["records"] == {"debtors": 3, "creditors": 1, "invoices": 100,
                                   "purchase_invoices": 0}
        assert plan["calls"] == 3 * 2 + 1 * 2 + 100

    def test_table_names_the_calls_days_and_finish(self, env: dict[str, str]) -> None:
        """The human output has the total, the shares and the expected finish."""
        result = CliRunner().invoke(cli, ["backfill", "plan", "--invoices", "9000",
                                          "--headroom", "0.1"], env={**env, "COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "9,000 calls over" in result.output
        assert "54/minute, 4,500/day" in result.output
        assert "expected finish" in result.output

    def test_budget_stored_by_the_worker_is_used(self, env: dict[str, str]) -> None:
        """Limits the worker recorded from Exact's headers replace the defaults."""
        store = open_store(env["HFEXACT_STORE_URL"])
        reset = (int(dt.datetime.now(dt.UTC).timestamp()) // 86400 + 1) * 86400.0
        store.record_budget(123456, Budget(100, 100, None, 9000, 9000, reset))
        store.close()
        result = CliRunner().invoke(cli, ["backfill", "plan", "--invoices", "10", "--json"],
                                    env=env)
        plan = json.loads(result.output)
        assert plan["limits"] == {"minute": 100, "day": 9000, "day_remaining": 9000,
                                  "from_exact": True}
        assert plan["per_day"] == 7200

    def test_without_counts_it_is_a_usage_error(self, env: dict[str, str]) -> None:
        """Nothing said about what waits: exit 2 with the ways to say it."""
        result = CliRunner().invoke(cli, ["backfill", "plan"], env=env)
        assert result.exit_code == 2
        assert "--since DATE" in result.output

    def test_headroom_out_of_range_is_refused(self, env: dict[str, str]) -> None:
        """A headroom of 1 leaves nothing for the backfill: a configuration error."""
        result = CliRunner().invoke(cli, ["backfill", "plan", "--invoices", "1",
                                          "--headroom", "1"], env=env)
        assert result.exit_code != 0
        assert isinstance(result.exception, ConfigError)


META = MessageMeta(message_id="m", content_type="application/json", routing_key="x",
                   headers={}, redelivered=False)


class Scripted:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def process(self, body: bytes, meta: MessageMeta) -> Outcome:
        if self.error is not None:
            raise self.error
        return Outcome(status="done", event_type="invoice.issued", hostfact_code="F1",
                       exact_id="e", details={}, results=())


class TestPacedProcessor:
    def test_counts_booked_and_dead_lettered_events(self) -> None:
        """An outcome and a permanent failure are both handled (the loop settles them)."""
        counter = Counter()
        seen: list[int] = []
        PacedProcessor(Scripted(), counter, on_handled=lambda: seen.append(1)).process(b"", META)
        with pytest.raises(ContractError):
            PacedProcessor(Scripted(ContractError({"x": ["bad"]})), counter).process(b"", META)
        assert counter.handled == 2
        assert seen == [1]

    def test_daily_window_spent_is_reported_once_per_refusal(self) -> None:
        """A RateLimited until the daily reset marks the share spent and calls back."""
        counter = Counter()
        spent: list[float] = []
        error = RateLimited("spent", retry_at=NOW + 3600, division=1)
        paced = PacedProcessor(Scripted(error), counter, on_spent=spent.append,
                               clock=lambda: NOW)
        with pytest.raises(RateLimited):
            paced.process(b"", META)
        assert spent == [NOW + 3600]
        assert counter.spent_until == NOW + 3600
        assert counter.handled == 0

    def test_minute_window_is_not_the_end_of_the_day(self) -> None:
        """A RateLimited until the next minute is only a pause."""
        counter = Counter()
        spent: list[Any] = []
        paced = PacedProcessor(Scripted(RateLimited("minute", retry_at=NOW + 40, division=1)),
                               counter, on_spent=spent.append, clock=lambda: NOW)
        with pytest.raises(RateLimited):
            paced.process(b"", META)
        assert spent == []
        assert counter.spent_until is None

    def test_eta_follows_the_budget(self) -> None:
        """8,000 invoice calls from 16:30 at the default share end the next day."""
        text = eta_text(8000, 1.0, Limits(), 0.2, NOW)
        assert text == "finish by budget 2026-11-29 01:23 UTC"
        assert eta_text(0, 1.0, Limits(), 0.2, NOW) == "done"
