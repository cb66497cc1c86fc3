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
