"""``hfexact demo``: the whole product on one machine, start to finish, then cleaned up.

HostFact stand-in (sample company) -> hooks -> outbox -> ``relay.php`` -> RabbitMQ -> worker ->
Exact sandbox; then bank payments in the sandbox (full, partial, overpaid, a purchase invoice;
the direct-debit batch pays its invoices on the batch date) -> payment poller -> RabbitMQ ->
``results.php`` -> HostFact. It ends with a table of every HostFact record, its Exact account
code or entry number and its payment state in HostFact, the counts and the time taken.

Needs RabbitMQ (``HFEXACT_AMQP_URL``, default the local broker) and PHP with the bridge's
packages; everything else it makes itself in a temporary directory, with a fresh queue prefix,
and removes again, so it can run any number of times.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pika.exceptions
import requests
from rich.console import Console

from hfexact.cli import AppContext
from hfexact.demo_exact import DIVISION
from hfexact.demo_php import PHP_BRIDGE, DemoStepFailed, log_records
from hfexact.demo_plan import Payment, plan_payments
from hfexact.demo_report import Counts, Row, build_rows, count, counts_table, table
from hfexact.demo_world import DemoConfig, DemoWorld
from hfexact.errors import BridgeError, ConfigError
from hfexact.store import Binding

#: the output's width when it is not a terminal (the table needs about this much)
WIDTH = 120


@dataclass
class DemoOutcome:
    rows: list[Row]
    counts: Counts
    elapsed: float
    made: dict[str, Any]
    payments: list[Payment]
    hostfact: dict[str, Any]
    sandbox: dict[str, Any]
    bindings: dict[str, list[Binding]]
    steps: list[tuple[str, float]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def differences(self) -> list[str]:
        found: list[str] = self.facts.get("reconcile", {}).get("differences", [])
        return found


Progress = Callable[[str], None]


def _counted(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing"


def run_demo(world: DemoWorld, progress: Progress, note: Progress | None = None) -> DemoOutcome:
    """Run the whole story in ``world`` (which the caller closes); ``progress`` gets each
    step's label before it runs, ``note`` a line on what it did."""
    tell = note or (lambda _text: None)
    started = time.monotonic()
    steps: list[tuple[str, float]] = []
    facts: dict[str, Any] = {}
    last = [started]

    def step(label: str) -> None:
        now = time.monotonic()
        if steps:
            steps[-1] = (steps[-1][0], now - last[0])
        last[0] = now
        steps.append((label, 0.0))
        progress(label)

    step("checking RabbitMQ and PHP")
    world.check_broker()
    world.check_php()
    step("starting the Exact sandbox")
    base_url = world.start_sandbox()
    world.capture_logs()
    tell(f"{base_url}, division {DIVISION}, fair-use limit {world.minutely} calls a "
         "minute (Exact's default is 60)")
    step("declaring the topology (hfexact topology declare)")
    topo = world.declare_topology()
    tell(f"{len(topo.exchanges)} exchanges, {len(topo.queues)} queues under "
         f"{world.prefix}.*")
    step("opening the store")
    world.open_store()
    step("connecting Exact: OAuth consent (hfexact auth login)")
    me = world.connect_exact()
    tell(f"connected as {me.get('FullName') or me.get('UserName') or '?'}; tokens stored "
         "encrypted")
    step("installing the bridge into HostFact (php bin/install.php)")
    world.install_hostfact()
    hostfact = world.hostfact()

    step(f"creating the sample company in HostFact ({world.config.invoices} invoices)")
    made = hostfact.build_company(invoices=world.config.invoices, today=world.config.today)
    tell(f"{len(made['debtors'])} debtors, {len(made['invoices'])} invoices + credit invoice "
         f"{made['credit_invoice']}, batch {made['sdd_batch']}, "
         f"{len(made['purchase_invoices'])} purchase invoices; settings saved")

    step("relaying HostFact's events to RabbitMQ (php bin/relay.php --once)")
    relay = hostfact.relay()
    passes = log_records(relay.stderr, "relay.pass_finished")
    facts["relay"] = {"published": sum(int(r.get("published", 0)) for r in passes)}
    tell(f"{facts['relay']['published']} events published with publisher confirms")

    step("exporting to Exact (hfexact worker --burst)")
    stats = world.work()
    facts["worker"] = dict(stats.outcomes)
    tell(f"{stats.handled} events handled: {_counted(stats.outcomes)}")
    left = world.queue_depths()
    if left[world.settings.amqp_prefix + ".exact"]:
        raise DemoStepFailed(f"the worker stopped with events still queued: {left}")

    step("in Exact: the accountant processes the entries and matches the credit note; "
         "the bank feed arrives")
    world.exact.process_entries()
    today = _today(world)
    bindings = {kind: world.bindings(kind) for kind in
                ("debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch")}
    before = hostfact.report()
    payments = plan_payments(before, bindings, today)
    for payment in payments:
        world.exact.bank_payment(payment.entry_number, payment.amount, payment.date)
    by_code = {b.hostfact_code: b for b in bindings["invoice"]}
    credited, credit = by_code.get(made["credited_invoice"]), by_code.get(made["credit_invoice"])
    if credited is not None and credit is not None:
        amount = next(str(i["AmountIncl"]) for i in before["invoices"]
                      if i["InvoiceCode"] == made["credited_invoice"])
        world.exact.match_credit_note(credited, credit, amount, today.isoformat())
    kinds = Counter(p.how if p.kind == "sales" else "purchase invoice" for p in payments)
    tell(f"{len(payments)} bank payments ({_counted(kinds)}); credit note "
         f"{made['credit_invoice']} matched with {made['credited_invoice']}")

    step("reading payments from Exact (hfexact payments poll)")
    poll = world.poll_payments()
    waits = [d.wait_until for d in poll.divisions if d.skipped and d.wait_until]
    if waits:  # the exports used the minute: poll again when the window resets, as --watch does
        pause = max(0.0, min(max(waits) - time.time(), 65.0))
        tell(f"{poll.divisions[0].skipped}; polling again in {pause:.0f} s")
        time.sleep(pause + 0.5)
        poll = world.poll_payments()
    if poll.errors:
        raise DemoStepFailed("the payment poll failed: " + "; ".join(poll.errors))
    facts["poll"] = {"results": poll.results, "exact_calls": poll.exact_calls}
    published: Counter[str] = Counter()
    for division in poll.divisions:
        published.update(division.results)
    tell(f"{_counted(published)} published with {poll.exact_calls} Exact call(s)")

    step("applying the results in HostFact (php bin/results.php --once)")
    outcomes = Counter(world.apply_results())
    facts["results"] = dict(outcomes)
    tell(f"HostFact: {_counted(outcomes)}")

    step("comparing HostFact with Exact's open items (hfexact payments poll --reconcile)")
    check = world.reconcile_payments()
    facts["reconcile"] = {"compared": check.compared, "differences": [
        f"{d.subject.invoice_code}: {d.note}" for d in check.differences]}
    tell(f"{check.compared} exported invoices compared: {len(check.differences)} differences")

    step("collecting what happened")
    report = hostfact.report()
    rows = build_rows(report, bindings)
    counts = count(rows, world.dead_letters())
    sandbox = world.exact.state()
    facts["exact_calls"] = sum(int(v) for v in sandbox["counters"]["calls"].values())
    steps[-1] = (steps[-1][0], time.monotonic() - last[0])
    return DemoOutcome(rows=rows, counts=counts, elapsed=time.monotonic() - started, made=made,
                       payments=payments, hostfact=report, sandbox=sandbox, bindings=bindings,
                       steps=steps, facts=facts)


def _today(world: DemoWorld) -> dt.date:
    if world.config.today:
        return dt.date.fromisoformat(world.config.today)
    return dt.datetime.now(dt.UTC).date()


def run_and_print(world: DemoWorld, console: Console) -> DemoOutcome:
    counter = [0]

    def progress(label: str) -> None:
        counter[0] += 1
        console.print(f"[bold cyan]{counter[0]:>2}.[/] {label}", highlight=False)

    def note(text: str) -> None:
        console.print(f"    [dim]{text}[/]", highlight=False)

    outcome = run_demo(world, progress, note)
    console.print()
    console.print(table(outcome.rows))
    extra = {"Exact calls": outcome.facts.get("exact_calls", "?"),
             "payments registered in Exact": len(outcome.payments),
             "payment results published": outcome.facts.get("poll", {}).get("results", "?"),
             "differences HostFact/Exact": len(outcome.differences)}
    console.print(counts_table(outcome.counts, outcome.elapsed, extra))
    for difference in outcome.differences:
        console.print(f"[yellow]HostFact and Exact disagree:[/] {difference}")
    return outcome


@click.command("demo")
@click.option("--invoices", type=click.IntRange(10, 500), default=50, show_default=True,
              help="How many sales invoices the sample company sends.")
@click.option("--keep", is_flag=True, help="Keep the demo's directory (logs, databases).")
@click.option("--php-bridge", "php_bridge", type=click.Path(file_okay=False, exists=True,
              path_type=Path), default=PHP_BRIDGE, show_default=True,
              help="The php-bridge directory of this checkout.")
@click.pass_context
def demo_cmd(ctx: click.Context, invoices: int, keep: bool, php_bridge: Path) -> None:
    """Run the whole bridge on this machine with sample data, show the outcome, clean up.

    Exit 0 when every record reached Exact and nothing was dead-lettered; 1 when a step failed
    (the message says which and what to do); 2 when the configuration has problems.
    """
    code = _demo(ctx.obj, invoices, keep, php_bridge)
    if code:
        ctx.exit(code)


def _demo(app: AppContext, invoices: int, keep: bool, php_bridge: Path) -> int:
    console = Console(highlight=False)
    if not console.is_terminal:  # a pipe or a log: wide enough for the table's every column
        console = Console(highlight=False, width=WIDTH)
    try:
        base = app.settings
    except ConfigError as exc:
        console.print("[red]error:[/] the configuration has problems:\n  - "
                      + "\n  - ".join(exc.problems))
        return 2
    world = DemoWorld(base, DemoConfig(invoices=invoices, php_bridge=php_bridge, keep=keep))
    console.print("[bold]hostfact-exact-bridge demo[/]: HostFact stand-in -> relay -> RabbitMQ "
                  "-> worker -> Exact sandbox -> payments -> HostFact")
    console.print(f"    [dim]directory {world.directory}, queue prefix {world.prefix}, broker "
                  f"{_broker(base.amqp_url)}[/]")
    try:
        outcome = run_and_print(world, console)
    except (BridgeError, OSError, requests.RequestException, pika.exceptions.AMQPError) as exc:
        console.print(f"[red]demo failed:[/] {_words(exc)}")
        for line in world.log_tail():
            console.print(f"  log: {line[:300]}", markup=False)
        return 1
    finally:
        problems = world.close()
        for problem in problems:
            console.print(f"[yellow]cleanup:[/] {problem}")
        console.print("kept " + str(world.directory) if keep else "cleaned up", style="dim")
    if outcome.counts.dead_letters:
        console.print(f"[red]{outcome.counts.dead_letters} dead letters[/]: see `hfexact dlq "
                      "list` in a real installation")
        return 1
    if outcome.counts.exported != outcome.counts.records:
        console.print("[red]not every record reached Exact[/]")
        return 1
    if outcome.differences:
        console.print("[red]the reconciliation found differences[/]")
        return 1
    console.print(f"[green]done[/] in {outcome.elapsed:.1f} s")
    return 0


def _broker(url: str) -> str:
    from hfexact.amqp.connection import describe

    return describe(url)


def _words(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return "; ".join(exc.problems)
    return str(exc) or type(exc).__name__
