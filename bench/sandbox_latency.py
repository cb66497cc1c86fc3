"""Latency of the Exact sandbox itself: p50/p99 of POSTing a 5-line sales entry.

Runs the sandbox as a subprocess (so client and server do not share a GIL), logs in with the
demo client, and posts N entries over real HTTP. Prints the numbers; not a test.

    .venv/bin/python bench/sandbox_latency.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from urllib.parse import parse_qs, urlsplit

import requests

from hfexact.sandbox.server import spawn_sandbox

REDIRECT = "http://127.0.0.1:8599/cb"


def main(n: int = 500) -> None:
    proc = spawn_sandbox(args=("--minutely", "1000000", "--daily", "10000000"))
    base = proc.base_url
    try:
        location = requests.get(base + "/api/oauth2/auth", params={
            "client_id": "demo", "redirect_uri": REDIRECT, "response_type": "code"},
            allow_redirects=False, timeout=5).headers["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        token = requests.post(base + "/api/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "demo", "client_secret": "demo"}, timeout=5).json()["access_token"]
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                "Prefer": "return=representation"})
        api = base + "/api/v1/123456/"
        gl = {r["Code"]: r["ID"] for r in session.get(
            api + "financial/GLAccounts", params={"$select": "ID,Code"}, timeout=5
        ).json()["d"]["results"]}
        customer = session.post(api + "crm/Accounts", json={
            "Name": "Bench BV", "Status": "C"}, timeout=5).json()["d"]["ID"]
        lines = [{"GLAccount": gl[code], "AmountFC": "12.34", "VATCode": "2",
                  "Description": f"regel {i}"}
                 for i, code in enumerate(("8000", "8010", "8020", "8010", "8000"))]
        samples = []
        for i in range(n):
            body = {"Journal": "70", "Customer": customer, "YourRef": f"B{i}",
                    "SalesEntryLines": lines}
            start = time.perf_counter()
            response = session.post(api + "salesentry/SalesEntries", json=body, timeout=10)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 201, response.text
        samples.sort()
        p50 = statistics.median(samples)
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        print(f"POST 5-line sales entry, n={n}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
              f"max {samples[-1]:.2f} ms")
    finally:
        proc.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
