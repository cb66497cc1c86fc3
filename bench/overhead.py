"""Benchmark 2: the worker's own overhead.

a) validate + translate alone, on one core (the process pinned to one CPU): ``parse_event``
   (size, UTF-8, JSON, marshmallow schema, typed domain objects) then the pure core's
   ``sales_entry``, per invoice.issued event; baseline in the same run: ``json.loads`` of the
   same bodies. A pyinstrument profile says where the time goes (self time per module group).
b) the whole worker as it ships (``HFEXACT_WORKER_CONCURRENCY`` lanes, default 8; quorum queue;
   results published with confirms before each ack) + SQLite store + the sandbox with limits
   off, in events per second, as a ratio to a bare pika consume-and-ack loop on the same queue
   (prefetch 1) and to a bare requests POST loop of the same sales entries against the same
   sandbox (one request after another). The three run interleaved in rounds of ``CHUNK``, so
   that drift of the machine hits all three alike; a round is long enough that the worker's
   start and end (fewer events in flight than lanes) weigh little.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pika
import requests

from bench.common import Section, rate, stopwatch
from bench.env import (
    DIV,
    INSTALLATION,
    BenchSandbox,
    Broker,
    bench_settings,
    connect,
    invoices,
    ready_processor,
    scratch_dir,
    settings_data,
    sqlite_url,
)
from hfexact.amqp import topology
from hfexact.config import Settings
from hfexact.contract import domain as d
from hfexact.contract import parse_event
from hfexact.core.lookups import Lookups
from hfexact.core.sales import sales_entry, sales_gl_codes, used_taxrates
from hfexact.cpu import calling_thread_on, choose_cpu
from hfexact.handlers.settings_events import export_settings_from
from hfexact.processing import Processor
from hfexact.processing_types import MessageMeta, Outcome
from hfexact.worker_loop import Worker

CHUNK = 200
REPEATS = 3
GL = {"8000": "00000000-0000-0000-0000-000000008000",
      "8010": "00000000-0000-0000-0000-000000008010",
      "8020": "00000000-0000-0000-0000-000000008020"}


# --------------------------------------------------------------------------- a) validate+translate

def translate(env: d.Envelope, settings: d.ExportSettings, lookups: Lookups) -> dict[str, Any]:
    assert isinstance(env.data, d.Invoice)
    assert isinstance(env.related, d.InvoiceRelated)
    sales_gl_codes(env.data, env.related, settings)
    return sales_entry(env.data, env.related, settings, lookups, customer_id="c",
                       credited_entry_number=None, used_taxrates=used_taxrates(env.raw))


def validate_translate(section: Section, n: int) -> None:
    bodies = invoices(100_000, n, 20)
    settings = export_settings_from(settings_data())
    lookups = Lookups(gl_accounts=GL)
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})  # one core
    try:
        for body in bodies[:200]:  # warm up
            translate(parse_event(body), settings, lookups)
        best = {"json": math.inf, "parse": math.inf, "translate": math.inf, "both": math.inf}
        for _ in range(REPEATS):  # interleaved repeats, the best of each: load spikes drop out
            with stopwatch() as took:
                for body in bodies:
                    json.loads(body)
            best["json"] = min(best["json"], took[0])
            with stopwatch() as took:
                envs = [parse_event(body) for body in bodies]
            best["parse"] = min(best["parse"], took[0])
            with stopwatch() as took:
                for env in envs:
                    translate(env, settings, lookups)
            best["translate"] = min(best["translate"], took[0])
            with stopwatch() as took:
                for body in bodies:
                    translate(parse_event(body), settings, lookups)
            best["both"] = min(best["both"], took[0])
    finally:
        os.sched_setaffinity(0, previous)
    both = rate(n, best["both"])
    json_rate = rate(n, best["json"])
    section.add("validate + translate (one core)", both, "events/s", target="> 5,000/s",
                ok=both > 5000, baseline=f"json.loads {json_rate:,.0f}/s",
                ratio=both / json_rate,
                note=f"{best['both'] / n * 1e6:,.0f} us/event; {len(bodies[0]):,} B invoice, "
                     f"2 lines + debtor snapshot; best of {REPEATS} x {n:,}")
    section.add("  validate only (parse_event)", rate(n, best["parse"]), "events/s",
                note=f"{best['parse'] / n * 1e6:,.0f} us/event")
    section.add("  translate only (core.sales_entry)", rate(n, best["translate"]), "events/s",
                note=f"{best['translate'] / n * 1e6:,.0f} us/event")
    section.detail["validate_translate"] = {
        "events": n, "body_bytes": len(bodies[0]), "json_loads_per_s": json_rate,
        "parse_per_s": rate(n, best["parse"]), "translate_per_s": rate(n, best["translate"]),
        "repeats": REPEATS,
        "both_per_s": both, "profile": profile(bodies[: min(n, 2000)], settings, lookups),
    }


def profile(bodies: Sequence[bytes], settings: d.ExportSettings,
            lookups: Lookups) -> dict[str, Any]:
    """Self time per module group under pyinstrument, in per cent of the profiled time."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for body in bodies:
        translate(parse_event(body), settings, lookups)
    profiler.stop()
    return {"events": len(bodies), **_shares(profiler, PARSE_GROUPS)}


def _shares(profiler: Any, grouping: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Self time per module group and the top functions, in per cent of the profile."""
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    groups: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)
    stack = [root] if root is not None else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        path = _where(frame)
        groups[_group(path, grouping)] += frame.total_self_time
        if frame.total_self_time:
            short = path.split("site-packages/")[-1].split("worker/")[-1]
            functions[f"{frame.function} ({short}:{frame.line_no})"] += frame.total_self_time
    total = sum(groups.values()) or 1.0
    top = sorted(functions.items(), key=lambda kv: -kv[1])[:12]
    return {
        "self_time_share": {k: round(100 * v / total, 1)
                            for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "top_functions_share": {k: round(100 * v / total, 1) for k, v in top},
    }


PARSE_GROUPS = (("marshmallow", "marshmallow (schema load)"),
                ("hfexact/contract", "hfexact.contract (fields, domain objects)"),
                ("hfexact/core", "hfexact.core (translation)"),
                ("json/", "json decode"), ("dataclasses", "dataclasses"))
WORKER_GROUPS = (("socket", "HTTP wait (sandbox answering)"),
                 ("sqlite3", "sqlite3 (execute, commit + fsync)"), ("sqlalchemy", "SQLAlchemy"),
                 ("hfexact/store", "hfexact.store"), ("jsonschema", "jsonschema (results)"),
                 ("marshmallow", "marshmallow (parse)"), ("requests", "requests/urllib3"),
                 ("urllib3", "requests/urllib3"), ("http/", "requests/urllib3"),
                 ("hfexact/contract", "hfexact.contract"), ("structlog", "logging"),
                 ("hfexact/exact", "hfexact.exact (client)"),
                 ("hfexact/handlers", "hfexact.handlers"), ("hfexact/core", "hfexact.core"))


SOCKET = ("recv_into", "recv", "sendall", "connect", "select", "poll")
SQLITE = ("Connection.commit", "Cursor.execute", "Cursor.executemany", "Cursor.fetchall",
          "Cursor.fetchone", "Connection.execute", "Connection.cursor")


def _where(frame: Any) -> str:
    """The file a frame's self time belongs to: built-ins and pyinstrument's ``[self]`` frames
    count for their caller, except socket waits and sqlite3 calls, named as such."""
    while frame is not None:
        path = frame.file_path or ""
        name = frame.function or ""
        if path and not path.startswith("<"):
            return str(path)
        if name.split(".")[-1] in SOCKET:
            return "socket"
        if name in SQLITE:
            return "sqlite3"
        frame = frame.parent
    return ""


def _group(path: str, grouping: Sequence[tuple[str, str]]) -> str:
    for marker, name in grouping:
        if marker in path:
            return name
    return "other"


# --------------------------------------------------------------------------- b) whole worker

class TimedProcessor:
    """The real processor, with when the first event started and the last one ended (the
    worker's lanes call it from several threads)."""

    def __init__(self, inner: Processor) -> None:
        self.inner = inner
        self.first: float | None = None
        self.last = 0.0
        self.inside = 0.0
        self.count = 0
        self._lock = threading.Lock()

    def process(self, body: bytes, meta: MessageMeta) -> Outcome:
        started = time.perf_counter()
        with self._lock:
            if self.first is None or started < self.first:
                self.first = started
        try:
            return self.inner.process(body, meta)
        finally:
            ended = time.perf_counter()
            with self._lock:
                self.last = max(self.last, ended)
                self.inside += ended - started
                self.count += 1


def publish(url: str, exchange: str, bodies: Sequence[bytes]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for body in bodies:
            doc = json.loads(body)
            channel.basic_publish(exchange, doc["type"], body, pika.BasicProperties(
                delivery_mode=2, content_type="application/json", message_id=doc["id"],
                type=doc["type"]), mandatory=True)
    finally:
        connection.close()


def bare_consume(url: str, queue: str, n: int, prefetch: int = 1) -> float:
    """Messages per second of a consume-and-ack loop with nothing in between."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=prefetch)
        first = last = 0.0
        for got, (method, _props, _body) in enumerate(
                channel.consume(queue, inactivity_timeout=30), start=1):
            if method is None:
                raise RuntimeError(f"bare consumer got {got - 1} of {n} messages")
            channel.basic_ack(method.delivery_tag)
            last = time.perf_counter()
            if got == 1:
                first = last
            if got == n:
                break
        channel.cancel()
    finally:
        connection.close()
    return rate(n - 1, last - first)


def bare_posts(base_url: str, token: str, payloads: Sequence[Mapping[str, Any]]) -> float:
    """Sales entries per second of a requests POST loop with nothing in between."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                            "Content-Type": "application/json",
                            "Prefer": "return=representation"})
    url = f"{base_url}/api/v1/{DIV}/salesentry/SalesEntries"
    with session, stopwatch() as took:
        for payload in payloads:
            response = session.post(url, data=json.dumps(payload), timeout=30)
            assert response.status_code == 201, response.text
    return rate(len(payloads), took[0])


def entry_payloads(processor: Processor, bodies: Sequence[bytes]) -> list[dict[str, Any]]:
    """The sales entries the worker would post for ``bodies`` (real GL and account GUIDs)."""
    rows = processor.client.get(DIV, "financial/GLAccounts", {"$select": "ID,Code"})
    lookups = Lookups(gl_accounts={str(r["Code"]).strip(): str(r["ID"]) for r in rows})
    settings = export_settings_from(settings_data())
    out = []
    for body in bodies:
        env = parse_event(body)
        assert isinstance(env.data, d.Invoice)
        binding = processor.store.get_binding(INSTALLATION, "debtor", str(env.data.debtor_id))
        assert binding is not None
        assert binding.exact_id
        out.append(_entry(env, settings, lookups, binding.exact_id))
    return out


def _entry(env: d.Envelope, settings: d.ExportSettings, lookups: Lookups,
           customer: str) -> dict[str, Any]:
    assert isinstance(env.data, d.Invoice)
    assert isinstance(env.related, d.InvoiceRelated)
    return sales_entry(env.data, env.related, settings, lookups, customer_id=customer,
                       credited_entry_number=None, used_taxrates=used_taxrates(env.raw))


def whole_worker(section: Section, n: int) -> None:
    broker = Broker.fresh()
    with BenchSandbox() as sandbox, scratch_dir() as tmp:
        settings = bench_settings(sandbox.base_url, sqlite_url(tmp), amqp_url=broker.url,
                                  amqp_prefix=broker.prefix)
        broker.declare(settings)
        try:
            _whole_worker(section, n, broker, sandbox, settings)
        finally:
            broker.delete(settings)


def _whole_worker(section: Section, n: int, broker: Broker, sandbox: BenchSandbox,
                  settings: Settings) -> None:
    store, client = connect(settings, max_inline_wait=0.0)
    processor = ready_processor(settings, store, client, debtors=20)
    names = topology.Names(broker.prefix)
    url = broker.url
    tokens = store.load_tokens("demo")
    assert tokens is not None
    bodies = iter(_batches(min(CHUNK, n)))

    chunk = min(CHUNK, n)
    rounds = max(1, n // chunk)
    seconds = {"worker": 0.0, "post": 0.0, "pika": 0.0}
    per_round: list[dict[str, float]] = []
    inside = 0.0
    calls = 0
    lanes = settings.worker_concurrency
    cpu = choose_cpu(settings.worker_cpu)  # as `hfexact worker` keeps to one CPU
    for _ in range(rounds):
        # interleaving the three in rounds: a load spike on the shared machine hits all three
        # alike
        post_rate = bare_posts(sandbox.base_url, tokens.access_token,
                               entry_payloads(processor, next(bodies)))
        publish(url, names.events, next(bodies))
        timed = TimedProcessor(processor)
        calls_before = sandbox.calls()
        with calling_thread_on(cpu):
            stats = Worker(settings, timed, idle_seconds=0.2).run(max_messages=chunk)
        assert stats.outcomes.get("done") == chunk, stats
        assert timed.first is not None
        calls += sandbox.calls() - calls_before
        worker_rate = rate(chunk - 1, timed.last - timed.first)
        inside += timed.inside
        publish(url, names.events, next(bodies))
        pika_rate = bare_consume(url, names.exact, chunk)
        for name, value in (("worker", worker_rate), ("post", post_rate), ("pika", pika_rate)):
            seconds[name] += chunk / value
        per_round.append({"worker": worker_rate, "post": post_rate, "pika": pika_rate})
    events = chunk * rounds
    worker_rate = events / seconds["worker"]
    post_rate = events / seconds["post"]
    consume_rate = events / seconds["pika"]
    slower = min(post_rate, consume_rate)
    ratio = worker_rate / slower
    section.add("whole worker (RabbitMQ + SQLite store + sandbox)", worker_rate, "events/s",
                target=">= 0.5 x slower baseline", ok=ratio >= 0.5,
                baseline=f"POST {post_rate:,.0f}/s, pika {consume_rate:,.0f}/s",
                ratio=ratio,
                note=f"{events} invoices, {calls} Exact calls; {1000 / worker_rate:.1f} "
                     f"ms/event with {lanes} lanes (HFEXACT_WORKER_CONCURRENCY) on "
                     f"{'any CPU' if cpu is None else f'CPU {cpu}'} (HFEXACT_WORKER_CPU), "
                     f"each event {1000 * inside / events:.1f} ms in the processor")
    section.add("  bare requests POST loop (same sandbox)", post_rate, "events/s",
                note=f"same sales entries; rounds of {chunk} interleaved with the worker: "
                     + " / ".join(f"{r['post']:,.0f}" for r in per_round))
    section.add("  bare pika consume + ack (same quorum queue)", consume_rate, "events/s",
                note=f"prefetch 1 (the worker's is {lanes}); per round: "
                     + " / ".join(f"{r['pika']:,.0f}" for r in per_round))
    section.detail["whole_worker"] = {
        "events": events, "rounds": rounds, "per_round_per_s": per_round,
        "worker_per_s": worker_rate, "post_baseline_per_s": post_rate,
        "pika_baseline_per_s": consume_rate, "exact_calls": calls,
        "ratio_to_slower_baseline": ratio, "processor_ms_per_event": 1000 * inside / events,
        "store": "sqlite", "concurrency": lanes, "prefetch": lanes, "cpu": cpu,
        "log_level": "info (rendered, to /dev/null)",
        "processor_profile": processor_profile(processor, next(bodies)[:200]),
    }
    processor.close()


def processor_profile(processor: Processor, bodies: Sequence[bytes]) -> dict[str, Any]:
    """Where one processed event's time goes (pyinstrument, wall time incl. waiting)."""
    from pyinstrument import Profiler

    from bench.env import process

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for body in bodies:
        process(processor, body)
    profiler.stop()
    return _shares(profiler, WORKER_GROUPS)


def _batches(n: int) -> Iterator[list[bytes]]:
    first = 200_000
    while True:
        yield invoices(first, n, 20)
        first += n


def run(quick: bool = False) -> Section:
    section = Section("2 worker overhead")
    validate_translate(section, 1000 if quick else 4000)
    whole_worker(section, 200 if quick else 1200)
    return section


__all__ = ["TimedProcessor", "bare_consume", "bare_posts", "publish", "run"]


def _main() -> None:  # pragma: no cover - manual use
    import sys
    result = run(quick="--quick" in sys.argv)
    for row in result.rows:
        print(row)
    print(json.dumps(result.detail, indent=1, default=str))


if __name__ == "__main__":
    _main()

