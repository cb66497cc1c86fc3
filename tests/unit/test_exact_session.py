"""The Exact client's HTTP session reads the environment's proxy and CA settings once."""

from __future__ import annotations

import pytest

from hfexact.exact.client import _session_for


def test_proxy_and_ca_bundle_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY and REQUESTS_CA_BUNDLE still apply, read at construction."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/custom-ca.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = _session_for("https://start.exactonline.nl")
    assert session.proxies["https"] == "http://proxy.example:3128"
    assert session.verify == "/etc/ssl/custom-ca.pem"
    assert session.trust_env is False


def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host listed in NO_PROXY gets no proxy (the sandbox on loopback, say)."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = _session_for("http://127.0.0.1:8080")
    assert "http" not in session.proxies
    assert session.verify is True


def test_one_kept_connection_per_lane() -> None:
    """16 lanes calling at once, twice: the second round reuses the first round's 16
    connections (requests' default pool keeps 10 and would open 6 anew)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    accepted: list[object] = []
    inside = threading.Barrier(16, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Exact

        def setup(self) -> None:
            accepted.append(self.client_address)
            super().setup()

        def do_GET(self) -> None:
            inside.wait()  # all 16 requests are in flight together
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    session = _session_for(url, connections=16)
    try:
        for _ in range(2):
            calls = [threading.Thread(target=session.get, args=(url,)) for _ in range(16)]
            for call in calls:
                call.start()
            for call in calls:
                call.join(timeout=15)
        assert len(accepted) == 16
    finally:
        session.close()
        server.shutdown()
        server.server_close()
