"""The reliability rig: real worker processes, the real broker and store, the Exact sandbox.

A ``Rig`` is one scenario's world: a fresh AMQP prefix on the machine's RabbitMQ (or a private
node), a fresh store (a PostgreSQL schema or a SQLite file, secrets encrypted with a Fernet key),
the session's sandbox reset with its own OAuth client, and a directory that collects the JSON
logs of every process the scenario starts. Workers are ``hfexact worker`` subprocesses started
with the same environment an operator would set.

``Rig.verify(workload)`` checks the end state the bridge promises and returns the counts:
every expected HostFact record exactly once in the sandbox (accounts by ``SearchCode``, sales
and purchase entries by ``YourRef``, the batch's journal entry by its lines), or its event in the
dead-letter queue with a reason; no binding left pending; ``<P>.exact`` and its retry queues
empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import requests

from hfexact.amqp import topology
from hfexact.amqp.failures import H_ERROR, H_REASON
from hfexact.config import Settings
from hfexact.processing import build_processor
from hfexact.processing_types import MessageMeta
from hfexact.store import Store, TokenSet, open_store
from tests.integration.test_processing_samples import log_in
from tests.reliability.workload import Event, Workload

VENV_BIN = Path(sys.executable).parent
HFEXACT = str(VENV_BIN / "hfexact")
CLIENT_ID = "hfx-reliability"


# -- the sandbox --------------------------------------------------------------------------------

class Sandbox:
    """Control API of a sandbox subprocess (``hfexact.sandbox.server.spawn_sandbox``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def post(self, name: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self.http.post(f"{self.base_url}/sandbox/{name}", json=dict(body or {}),
                                  timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base_url}/sandbox/state", timeout=60)
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def reset(self, *, minutely: int = 1_000_000, daily: int = 10_000_000) -> None:
        self.post("reset")
        self.limits(minutely=minutely, daily=daily)

    def limits(self, **limits: int) -> Any:
        return self.post("limits", limits)

    def fault(self, method: str, path: str, count: int = 1, **kind: Any) -> Any:
        return self.post("faults", {"method": method, "path": path, "count": count, **kind})

    def advance(self, seconds: float) -> float:
        return float(self.post("clock", {"advance": seconds})["offset"])

    def counters(self) -> dict[str, Any]:
        counters: dict[str, Any] = self.state()["counters"]
        return counters


# -- processes ----------------------------------------------------------------------------------

@dataclass
class Proc:
    """A child process whose stdout and stderr go to a log file of the rig."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def kill9(self) -> bool:
        """SIGKILL; True when it was still running."""
        if not self.alive:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)
        return True

    def term(self, timeout: float = 30.0) -> int:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return -9

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def crash_points(self) -> list[str]:
        """The crash points this process died at (the fault hook writes one line first)."""
        return [line.split()[1] for line in self.text().splitlines()
                if line.startswith("hfexact-crashpoint ")]

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


# -- the rig ------------------------------------------------------------------------------------

@dataclass
class Verdict:
    """The end state, counted."""

    events: int
    expected: int
    exported_once: int
    dead_lettered: int
    lost: list[str]
    duplicated: list[str]
    pending_bindings: list[str]
    wrong: list[str]
    queue_depths: dict[str, int]
    dead_letters: dict[str, dict[str, str]]
    unexpected_dead: list[str]

    def counts(self) -> dict[str, int]:
        return {"events": self.events, "exported_once": self.exported_once,
                "dead_lettered": self.dead_lettered, "lost": len(self.lost),
                "duplicated": len(self.duplicated)}

    def assert_exactly_once(self) -> None:
        assert not self.lost, f"lost: {self.lost[:20]}"
        assert not self.duplicated, f"duplicated in Exact: {self.duplicated[:20]}"
        assert not self.wrong, f"wrong content in Exact: {self.wrong[:20]}"
        assert not self.pending_bindings, f"left pending: {self.pending_bindings[:20]}"
        assert not self.unexpected_dead, f"dead-lettered unexpectedly: {self.unexpected_dead}"
        assert not any(self.queue_depths.values()), f"left in queues: {self.queue_depths}"


@dataclass
class Rig:
    sandbox: Sandbox
    amqp_url: str
    admin_url: str
    prefix: str
    store_url: str
    secret_key: str
    client_secret: str
    log_dir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    retry_base: float = 0.2
    retry_max: float = 2.0

    # -- configuration --------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a worker: what an operator sets, nothing else from ours."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HFEXACT_", "PYTEST", "COV_"))}
        env.update({
            "HFEXACT_AMQP_URL": self.amqp_url,
            "HFEXACT_AMQP_PREFIX": self.prefix,
            "HFEXACT_STORE_URL": self.store_url,
            "HFEXACT_EXACT_BASE_URL": self.sandbox.base_url,
            "HFEXACT_EXACT_CLIENT_ID": CLIENT_ID,
            "HFEXACT_EXACT_CLIENT_SECRET": self.client_secret,
            "HFEXACT_EXACT_REDIRECT_URI": "http://127.0.0.1:8599/callback",
            "HFEXACT_EXACT_DIVISION": "123456",
            "HFEXACT_DIVISIONS": "hf-two=234567",
            "HFEXACT_SECRET_KEY": self.secret_key,
            "HFEXACT_LOG_FORMAT": "json",
            "HFEXACT_LOG_LEVEL": "info",
            "HFEXACT_RETRY_BASE_SECONDS": str(self.retry_base),
            "HFEXACT_RETRY_MAX_SECONDS": str(self.retry_max),
            "HFEXACT_MAX_ATTEMPTS": "40",
            "HFEXACT_HTTP_TIMEOUT_SECONDS": "10",
        })
        env.update(self.env_extra)
        env.update(extra)
        return env

    def settings(self, **extra: str) -> Settings:
        return Settings.from_env(self.env(**extra))

    def open_store(self) -> Store:
        return open_store(self.store_url, secret_key=self.secret_key.encode())

    @property
    def names(self) -> topology.Names:
        return topology.Names(self.prefix)

    def ladder(self) -> tuple[int, ...]:
        return topology.retry_ladder_ms(self.retry_base, self.retry_max)

    # -- set-up ----------------------------------------------------------------------------------
    def login(self) -> None:
        """``hfexact auth login`` against the sandbox: tokens (encrypted) into the store."""
        store = self.open_store()
        try:
            log_in(self.settings(), store)
        finally:
            store.close()

    def apply_settings(self, events: Iterable[Event]) -> None:
        """Process the installations' settings.changed in-process (the operator saved the
        settings page before the first export)."""
        processor = build_processor(self.settings())
        try:
            for event in events:
                outcome = processor.process(event.body, MessageMeta(
                    message_id=event.event_id, routing_key=event.type))
                assert outcome.results[0].body["data"]["valid"] is True, outcome.results
        finally:
            processor.close()

    def accountant_put(self, kind: str, hostfact_id: str, changes: Mapping[str, Any],
                       installation: str = "hf-main") -> None:
        """A person changes the Exact account of a HostFact record (REST PUT, as Exact's UI
        would), with the bridge's own connection."""
        from hfexact.exact.client import ExactClient

        settings = self.settings()
        store = self.open_store()
        try:
            binding = store.get_binding(installation, kind, hostfact_id)
            assert binding is not None, f"no binding for {kind} {hostfact_id}"
            assert binding.exact_id, f"no account for {kind} {hostfact_id}"
            client = ExactClient(settings, store)
            try:
                client.put(settings.division_for(installation),
                           f"crm/Accounts(guid'{binding.exact_id}')", dict(changes))
            finally:
                client.close()
        finally:
            store.close()

    def declare(self) -> None:
        with self.admin() as channel:
            topology.declare(channel, self.prefix, retry_delays_ms=self.ladder())

    @contextlib.contextmanager
    def admin(self) -> Iterator[Any]:
        connection = pika.BlockingConnection(pika.URLParameters(self.admin_url))
        try:
            yield connection.channel()
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    def publish(self, events: Iterable[Event], *, url: str | None = None) -> int:
        """Publish as the relay does: persistent, mandatory, confirmed."""
        connection = pika.BlockingConnection(pika.URLParameters(url or self.admin_url))
        sent = 0
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            for event in events:
                channel.basic_publish(
                    self.names.events, event.type, event.body,
                    pika.BasicProperties(delivery_mode=2, content_type=event.content_type,
                                         message_id=event.event_id, type=event.type),
                    mandatory=True)
                sent += 1
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()
        return sent

    # -- workers ---------------------------------------------------------------------------------
    def start_worker(self, *args: str, name: str = "worker", **env: str) -> Proc:
        """``hfexact worker ARGS`` as a child process; output to a log file of the rig."""
        index = len(self.procs)
        log = self.log_dir / f"{index:03d}-{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen([HFEXACT, "worker", *args], stdout=handle,
                                 stderr=subprocess.STDOUT, env=self.env(**env),
                                 start_new_session=True)
        handle.close()
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def run_cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        index = len(self.procs)
        result = subprocess.run([HFEXACT, *args], capture_output=True, text=True,
                                env=self.env(), timeout=timeout, check=False)
        (self.log_dir / f"{index:03d}-cli-{args[0]}.log").write_text(
            result.stdout + result.stderr, encoding="utf-8")
        return result

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.alive:
                proc.term(20)

    def depths(self) -> dict[str, int]:
        names = [self.names.exact] + [self.names.retry_queue(d) for d in self.ladder()]
        out: dict[str, int] = {}
        with self.admin() as channel:
            for name in names:
                out[name] = int(channel.queue_declare(name, passive=True).method.message_count)
        return out

    def drained(self) -> bool:
        return not any(self.depths().values())

    def drain(self, timeout: float = 120.0, *, workers: int = 1) -> None:
        """Burst workers (no faults) until ``<P>.exact`` and its retries are empty."""
        deadline = time.monotonic() + timeout
        while True:
            procs = [self.start_worker("--burst", name="drain") for _ in range(workers)]
            for proc in procs:
                proc.wait(max(1.0, deadline - time.monotonic()))
            if self.drained():
                return
            assert time.monotonic() < deadline, f"not drained: {self.depths()}"

    # -- the end state ---------------------------------------------------------------------------
    def dead_letters(self) -> list[tuple[str, dict[str, Any]]]:
        """(message id, headers) of every letter in ``<P>.exact.dead``, left in place."""
        out: list[tuple[str, dict[str, Any]]] = []
        connection = pika.BlockingConnection(pika.URLParameters(self.admin_url))
        try:
            channel = connection.channel()
            while True:
                method, props, _body = channel.basic_get(self.names.exact_dead, auto_ack=False)
                if method is None:
                    break
                out.append((str(props.message_id), dict(props.headers or {})))
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()  # unacked letters go back to the queue
        return out

    def verify(self, work: Workload, *, extra_events: int = 0) -> Verdict:
        state = self.sandbox.state()
        letters = self.dead_letters()
        dead: dict[str, dict[str, str]] = {}
        for message_id, headers in letters:
            # our own letters carry x-hfexact-*; the broker's (delivery limit) x-first-death-*
            dead[message_id] = {
                "error": str(headers.get(H_ERROR) or headers.get("x-first-death-reason") or ""),
                "reason": str(headers.get(H_REASON) or headers.get("x-first-death-reason")
                              or ""),
            }
        events = work.by_id()
        record_of = {e.event_id: e.record for e in events.values() if e.record is not None}
        dead_records = {record_of[i] for i in dead if i in record_of}

        found = _found(state, work)
        lost: list[str] = []
        duplicated: list[str] = []
        wrong: list[str] = []
        once = 0
        for key, expected in work.expected.items():
            hits = found.get(key, [])
            label = f"{expected.kind} {expected.code} ({expected.installation})"
            if len(hits) > 1:
                duplicated.append(f"{label} x{len(hits)}")
            elif not hits:
                if key not in dead_records:
                    lost.append(label)
            else:
                once += 1
                if expected.name is not None and hits[0].get("Name") != expected.name:
                    wrong.append(f"{label}: Name {hits[0].get('Name')!r} != {expected.name!r}")
        unexpected_dead = [f"{i} {dead[i]['error']}: {dead[i]['reason'][:200]}" for i in dead
                           if i not in work.bad]
        for event_id, word in work.bad.items():
            letter = dead.get(event_id)
            if letter is None:
                lost.append(f"bad event {event_id} ({word}) not in the dead-letter queue")
            elif not letter["reason"] or (word.lower() not in (letter["reason"] + " "
                                          + letter["error"]).lower()):
                wrong.append(f"bad event {event_id}: reason {letter['reason']!r} lacks {word!r}")
        pending = self._pending(work)
        return Verdict(
            events=len(work.events) + extra_events, expected=len(work.expected),
            exported_once=once, dead_lettered=len(dead), lost=lost, duplicated=duplicated,
            pending_bindings=pending, wrong=wrong, queue_depths=self.depths(),
            dead_letters=dead, unexpected_dead=unexpected_dead,
        )

    def _pending(self, work: Workload) -> list[str]:
        store = self.open_store()
        try:
            out = []
            for installation in {x.installation for x in work.expected.values()}:
                for kind in {x.kind for x in work.expected.values()}:
                    for binding in store.list_bindings(installation, kind, state="pending"):
                        out.append(f"{installation} {kind} {binding.hostfact_code}")
            return out
        finally:
            store.close()


def _found(state: dict[str, Any], work: Workload) -> dict[tuple[str, str, str], list[
        dict[str, Any]]]:
    """Per expected record, the matching rows in the sandbox."""
    from hfexact.core.accounts import search_code

    divisions = state["divisions"]
    index: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
    for division_key, tables in divisions.items():
        division = int(division_key)
        for row in tables.get("crm/Accounts", []):  # debtor and creditor codes differ
            index.setdefault((division, "account", str(row.get("SearchCode") or "").strip()),
                             []).append(row)
        for row in tables.get("salesentry/SalesEntries", []):
            index.setdefault((division, "invoice", str(row.get("YourRef"))), []).append(row)
        for row in tables.get("purchaseentry/PurchaseEntries", []):
            index.setdefault((division, "purchase_invoice", str(row.get("YourRef"))),
                             []).append(row)
        entries: dict[str, set[str]] = {}
        for row in tables.get("generaljournalentry/GeneralJournalEntryLines", []):
            batch = str(row.get("Description") or "").split(" ", 1)[0]
            if batch.startswith("SDD"):
                entries.setdefault(batch, set()).add(str(row.get("EntryID")))
        for batch, ids in entries.items():
            index[(division, "sdd_batch", batch)] = [{"EntryID": i} for i in sorted(ids)]
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for key, expected in work.expected.items():
        if expected.kind in ("debtor", "creditor"):
            lookup = (expected.division, "account", search_code(expected.code))
        else:
            lookup = (expected.division, expected.kind, str(expected.ref))
        out[key] = index.get(lookup, [])
    return out


# -- helpers ------------------------------------------------------------------------------------

def age_tokens(rig: Rig, age: float) -> TokenSet:
    """The last consent happened ``age`` seconds ago, for the sandbox and for the store."""
    store = rig.open_store()
    try:
        tokens = store.load_tokens(CLIENT_ID)
        assert tokens is not None
        aged = TokenSet(tokens.access_token, tokens.refresh_token,
                        expires_at=tokens.expires_at - age, issued_at=tokens.issued_at - age)
        store.save_tokens(CLIENT_ID, aged)
    finally:
        store.close()
    rig.sandbox.advance(age + 1)  # one second more: the worker never refreshes too early
    return aged


def token_calls(rig: Rig) -> int:
    return int(rig.sandbox.counters()["token_calls"])




def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.2,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        time.sleep(step)


def outcomes_in_logs(procs: Iterable[Proc]) -> Counter[str]:
    """Outcome labels of every ``event.*`` log line the workers wrote."""
    counts: Counter[str] = Counter()
    for proc in procs:
        for record in json_lines(proc.log):
            if str(record.get("event", "")).startswith("event.") and "outcome" in record:
                counts[str(record["outcome"])] += 1
    return counts


def json_lines(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                yield json.loads(line)
