"""``hfexact auth login`` and ``hfexact auth status``."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from hfexact.cli import AppContext
from hfexact.exact.login import LoginFailed, login
from hfexact.logs import configure
from hfexact.store import open_configured_store


def _when(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = epoch - time.time()
    rel = f"in {int(left)} s" if left >= 0 else f"{int(-left)} s ago"
    return f"{moment} ({rel})"


@click.group("auth")
@click.pass_obj
def auth_group(app: AppContext) -> None:
    """Connect Exact Online (OAuth2 consent) and show the connection's state."""
    settings = app.settings
    configure(settings.log_format, settings.log_level)


@auth_group.command("login")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@click.option("--division", type=int, default=None,
              help="Remember this Exact division (administration) for the connection.")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds to wait for the browser's redirect.")
@click.option("--save-secret", is_flag=True,
              help="Keep the client secret in the store (encrypted when a secret key is set).")
@click.option("--force-login", is_flag=True, help="Ask Exact to show its login page again.")
@click.pass_obj
def login_cmd(app: AppContext, no_browser: bool, division: int | None, timeout: float,
              save_secret: bool, force_login: bool) -> int:
    """Print the consent address, catch the redirect and store the tokens."""
    settings = app.settings
    settings.require("exact_client_id", "exact_redirect_uri")
    store = open_configured_store(settings)
    try:
        outcome = login(settings, store, echo=click.echo, open_browser=not no_browser,
                        timeout=timeout, division=division, save_secret=save_secret,
                        force_login=force_login)
    except LoginFailed as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    finally:
        store.close()
    current = outcome.me.get("CurrentDivision")
    click.echo(f"Connected as {outcome.me.get('FullName') or outcome.me.get('UserName') or '?'}; "
               f"division open in Exact: {current}")
    if outcome.division is not None:
        click.echo(f"Division {outcome.division} stored for this connection.")
        if current is not None and int(current) != outcome.division:
            click.echo(f"note: the user has division {current} open in Exact; the bridge books "
                       f"into {outcome.division} regardless.")
    elif settings.exact_division is None and not settings.divisions:
        click.echo("note: set HFEXACT_EXACT_DIVISION (or pass --division) so the bridge never "
                   "relies on the user's current division.")
    if not store.encrypts_secrets:
        click.echo("warning: tokens are stored unencrypted; set HFEXACT_SECRET_KEY or "
                   "HFEXACT_SECRET_KEY_FILE", err=True)
    return 0


@auth_group.command("refresh")
@click.pass_obj
def refresh_cmd(app: AppContext) -> int:
    """Refresh the tokens now if Exact allows it (a heartbeat for quiet installations)."""
    from hfexact.exact.oauth import OAuthClient, OAuthConfig
    from hfexact.exact.tokens import TokenManager

    settings = app.settings
    settings.require("exact_client_id")
    store = open_configured_store(settings)
    try:
        tokens = TokenManager(OAuthClient(OAuthConfig.from_settings(settings, store)), store)
        if tokens.refresh_if_allowed():
            click.echo(f"refreshed; the access token expires {_when(tokens.current().expires_at)}")
        else:
            click.echo("not refreshed: Exact allows a refresh 570 s after the last one")
    finally:
        store.close()
    return 0


@auth_group.command("status")
@click.pass_obj
def status_cmd(app: AppContext) -> int:
    """Token expiry, refresh token present and encrypted, division."""
    settings = app.settings
    settings.require("exact_client_id")
    assert settings.exact_client_id is not None
    client_id = settings.exact_client_id
    store = open_configured_store(settings)
    try:
        info = store.token_info(client_id)
        stored_division = store.get_division(client_id)
        secret_encrypted = store.client_secret_encrypted(client_id)
        encrypts = store.encrypts_secrets
    finally:
        store.close()
    click.echo(f"client id:        {client_id}")
    click.echo(f"Exact base URL:   {settings.exact_base_url}")
    division = settings.exact_division or stored_division
    source = "settings" if settings.exact_division else ("stored at login" if stored_division
                                                         else "not set")
    click.echo(f"division:         {division if division is not None else '-'} ({source})")
    if settings.divisions:
        mapped = ", ".join(f"{k}={v}" for k, v in sorted(settings.divisions.items()))
        click.echo(f"installations:    {mapped}")
    if secret_encrypted is not None:
        click.echo(f"client secret:    stored, {'encrypted' if secret_encrypted else 'PLAIN'}")
    if info is None:
        click.echo("tokens:           none; run `hfexact auth login`")
        return 1
    click.echo(f"access token:     expires {_when(info.expires_at)}")
    click.echo(f"issued:           {_when(info.issued_at)}")
    click.echo(f"next refresh:     {_when(max(info.expires_at - 30, info.issued_at + 570))}")
    state = "encrypted at rest" if info.encrypted else "stored UNENCRYPTED"
    click.echo(f"refresh token:    {'present' if info.refresh_token_present else 'missing'}, "
               f"{state}")
    if not encrypts or not info.encrypted:
        click.echo("warning: set HFEXACT_SECRET_KEY or HFEXACT_SECRET_KEY_FILE (mode 0600) to "
                   "encrypt tokens at rest; they are re-encrypted on the next refresh", err=True)
    return 0
