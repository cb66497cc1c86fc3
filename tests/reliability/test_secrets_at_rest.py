"""Refresh tokens, access tokens and the client secret are encrypted at rest in the store.

``hfexact auth login`` (in-process, the sandbox consents at once) keeps the tokens and the client
secret in the PostgreSQL store under a Fernet key. Every row of every table is then read raw:
no secret appears in clear, the sealed values carry ``enc:v1:``. A worker without the client
secret in its environment refreshes with the secret from the store and seals the new tokens.
The key file must be readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import requests

from hfexact.exact.login import login
from hfexact.store import open_store
from tests.reliability import report
from tests.reliability.harness import CLIENT_ID, Rig, age_tokens, token_calls
from tests.reliability.workload import generate


def raw_rows(store_url: str) -> list[str]:
    """Every row of every table of the store's schema, as text."""
    out = []
    with psycopg.connect(store_url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # names from the catalogue
                out.append(f"{table}: {row!r}")
    return out


def operator_login(rig: Rig) -> None:
    settings = rig.settings(HFEXACT_EXACT_REDIRECT_URI="http://127.0.0.1:0/callback")
    store = rig.open_store()
    try:  # `hfexact auth login --save-secret`; the sandbox's consent page answers at once
        login(settings, store, echo=lambda _text: None, open_browser=False, timeout=10,
              on_url=lambda url: requests.get(url, timeout=10).raise_for_status(),
              save_secret=True)
    finally:
        store.close()


def test_tokens_and_client_secret_are_sealed_in_the_store(make_rig) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="postgresql", login=False)
    operator_login(rig)
    store = rig.open_store()
    try:
        tokens = store.load_tokens(CLIENT_ID)
        assert tokens is not None
        assert store.load_client_secret(CLIENT_ID) == rig.client_secret
        assert store.client_secret_encrypted(CLIENT_ID) is True
    finally:
        store.close()
    rows = raw_rows(rig.store_url)
    text = "\n".join(rows)
    for secret in (tokens.access_token, tokens.refresh_token, rig.client_secret, rig.secret_key):
        assert secret not in text, "a secret is stored in clear"
    assert text.count("enc:v1:") >= 3, "access token, refresh token and client secret sealed"

    # the worker needs no client secret in its environment: it reads the sealed one
    work = generate(95, size=20, with_batch=False)
    rig.apply_settings(work.settings)
    rig.publish(work.events)
    age_tokens(rig, 571)
    before = token_calls(rig)
    worker = rig.start_worker("--burst", HFEXACT_EXACT_CLIENT_SECRET="")
    assert worker.wait(120) == 0, worker.text()[-2000:]
    verdict = rig.verify(work)
    verdict.assert_exactly_once()
    assert token_calls(rig) - before == 1
    with_key = open_store(rig.store_url, secret_key=rig.secret_key.encode())
    try:
        refreshed = with_key.load_tokens(CLIENT_ID)
    finally:
        with_key.close()
    assert refreshed is not None
    assert refreshed.refresh_token != tokens.refresh_token
    after = "\n".join(raw_rows(rig.store_url))
    assert refreshed.refresh_token not in after
    assert refreshed.access_token not in after
    report.record("secrets at rest", **verdict.counts(), faults=0, sealed_values=after.count(
        "enc:v1:"), clear_secrets=0)


def test_a_key_file_others_can_read_is_refused(make_rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="sqlite")
    key_file = tmp_path / "secret.key"
    key_file.write_text(rig.secret_key + "\n", encoding="ascii")
    key_file.chmod(0o644)
    loose = rig.start_worker("--burst", name="loose-key", HFEXACT_SECRET_KEY="",
                             HFEXACT_SECRET_KEY_FILE=str(key_file))
    assert loose.wait(60) == 2
    assert "chmod 600" in loose.text()
    key_file.chmod(0o600)
    tight = rig.start_worker("--burst", name="tight-key", HFEXACT_SECRET_KEY="",
                             HFEXACT_SECRET_KEY_FILE=str(key_file))
    assert tight.wait(60) == 0, tight.text()[-2000:]
