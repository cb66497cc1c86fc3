"""OAuth2 as Exact runs it: codes, rotating refresh tokens, the 570 s rule, the daily cap."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import REDIRECT, authorize, control, login


def token_call(base: str, **form: str) -> requests.Response:
    return requests.post(base + "/api/oauth2/token", data=form, timeout=5)


def refresh(base: str, token: str) -> requests.Response:
    return token_call(base, grant_type="refresh_token", refresh_token=token, client_id="demo",
                      client_secret="demo")


class TestAuthorize:
    def test_redirects_with_code_and_state(self, base: str) -> None:
        """The auth endpoint consents at once and returns code and state to the redirect URI."""
        response = requests.get(base + "/api/oauth2/auth", params={
            "client_id": "demo", "redirect_uri": REDIRECT, "response_type": "code",
            "state": "abc"}, allow_redirects=False, timeout=5)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith(REDIRECT + "?")
        assert "state=abc" in location
        assert "code=" in location

    def test_unknown_client_gets_error_page(self, base: str) -> None:
        """An unregistered client id gets an HTML error page, no redirect."""
        response = requests.get(base + "/api/oauth2/auth", params={
            "client_id": "nope", "redirect_uri": REDIRECT, "response_type": "code"},
            allow_redirects=False, timeout=5)
        assert response.status_code == 400
        assert "text/html" in response.headers["Content-Type"]

    def test_non_loopback_redirect_refused_for_demo(self, base: str) -> None:
        """The demo client accepts loopback redirect URIs only."""
        response = requests.get(base + "/api/oauth2/auth", params={
            "client_id": "demo", "redirect_uri": "https://evil.example/cb",
            "response_type": "code"}, allow_redirects=False, timeout=5)
        assert response.status_code == 400


class TestTokens:
    def test_token_response_shape(self, base: str) -> None:
        """expires_in is the string "600" and token_type is bearer."""
        tokens = login(base)
        assert tokens["expires_in"] == "600"
        assert tokens["token_type"] == "bearer"
        assert "!" in tokens["refresh_token"]

    def test_code_is_single_use(self, base: str) -> None:
        """A second exchange of the same code is a 400."""
        code = authorize(base)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "client_id": "demo", "client_secret": "demo"}
        assert token_call(base, **form).status_code == 200
        assert token_call(base, **form).status_code == 400

    def test_code_expires_after_three_minutes(self, base: str) -> None:
        """A code older than 180 s is refused."""
        code = authorize(base)
        control(base, "clock", {"advance": 181})
        response = token_call(base, grant_type="authorization_code", code=code,
                              redirect_uri=REDIRECT, client_id="demo", client_secret="demo")
        assert response.status_code == 400

    def test_wrong_secret_is_invalid_request(self, base: str) -> None:
        """Wrong client credentials: 400 invalid_request, as Exact answers."""
        code = authorize(base)
        response = token_call(base, grant_type="authorization_code", code=code,
                              redirect_uri=REDIRECT, client_id="demo", client_secret="x")
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_request"}

    def test_refresh_rotates_and_old_token_dies(self, base: str) -> None:
        """Each refresh returns a new refresh token; the old one then gives Exact's 401."""
        first = login(base)
        control(base, "clock", {"advance": 571})
        second = refresh(base, first["refresh_token"])
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        control(base, "clock", {"advance": 571})
        reused = refresh(base, first["refresh_token"])
        assert reused.status_code == 401
        assert reused.json() == {"error": "unauthorized_client",
                                 "error_description": "Old refresh token used."}

    def test_refresh_within_570_seconds_is_refused(self, base: str) -> None:
        """A refresh 569 s after the last token: 401 "Access Token not expired"; token kept."""
        tokens = login(base)
        control(base, "clock", {"advance": 569})
        early = refresh(base, tokens["refresh_token"])
        assert early.status_code == 401
        assert early.json()["error_description"] == "Access Token not expired"
        control(base, "clock", {"advance": 2})
        assert refresh(base, tokens["refresh_token"]).status_code == 200

    def test_refresh_token_expires_after_30_days_unused(self, base: str) -> None:
        """An unused refresh token dies after 30 days with Exact's invalid_request text."""
        tokens = login(base)
        control(base, "clock", {"advance": 30 * 86400 + 1})
        response = refresh(base, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
        assert response.json()["error_description"].startswith("The refresh token expired at ")

    def test_access_token_expires_after_600_seconds(self, base: str) -> None:
        """The access token works until 600 s, then the API answers 401."""
        tokens = login(base)
        headers = {"Authorization": "Bearer " + tokens["access_token"],
                   "Accept": "application/json"}
        me = base + "/api/v1/current/Me"
        assert requests.get(me, headers=headers, timeout=5).status_code == 200
        control(base, "clock", {"advance": 601})
        assert requests.get(me, headers=headers, timeout=5).status_code == 401

    def test_unknown_access_token_is_401(self, base: str) -> None:
        """A made-up bearer token is refused."""
        response = requests.get(base + "/api/v1/current/Me", timeout=5, headers={
            "Authorization": "Bearer nope", "Accept": "application/json"})
        assert response.status_code == 401

    def test_daily_cap_of_token_calls(self, base: str) -> None:
        """The 201st token call of a day is refused with 429."""
        statuses = [token_call(base, grant_type="refresh_token", refresh_token="x",
                               client_id="demo", client_secret="demo").status_code
                    for _ in range(200)]
        assert set(statuses) == {400}
        over = token_call(base, grant_type="refresh_token", refresh_token="x",
                          client_id="demo", client_secret="demo")
        assert over.status_code == 429

    def test_basic_auth_client_credentials_accepted(self, base: str) -> None:
        """Client credentials may come as HTTP Basic (requests-oauthlib's default)."""
        code = authorize(base)
        response = requests.post(base + "/api/oauth2/token", auth=("demo", "demo"), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            timeout=5)
        assert response.status_code == 200
