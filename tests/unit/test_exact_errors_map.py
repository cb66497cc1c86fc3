"""Exact's answers mapped to the bridge's errors (reference §4.2), on real Response objects."""

from __future__ import annotations

import json

import pytest
import requests

from hfexact.errors import (
    AuthorizationLost,
    ConfigError,
    ExactRejected,
    RateLimited,
    TransientError,
)
from hfexact.exact.errors_map import (
    exact_message,
    map_request_exception,
    map_response,
    map_token_response,
    retry_at_429,
)

NOW = 1683879505.0


def response(status: int, body: object = b"", headers: dict[str, str] | None = None) -> (
        requests.Response):
    r = requests.Response()
    r.status_code = status
    if isinstance(body, bytes):
        r._content = body
    else:
        r._content = json.dumps(body).encode("utf-8")
        r.headers["Content-Type"] = "application/json; charset=utf-8"
    r.headers.update(headers or {})
    return r


def odata_error(text: str) -> dict[str, object]:
    return {"error": {"code": "", "message": {"lang": "", "value": text}}}


def mapped(r: requests.Response) -> Exception | None:
    return map_response(r, endpoint="POST salesentry/SalesEntries", division=123456, now=NOW)


class TestSuccess:
    @pytest.mark.parametrize("status", [200, 201, 204])
    def test_success_is_no_error(self, status: int) -> None:
        """2xx JSON and empty 204 answers are successes."""
        body: object = {"d": {}} if status != 204 else b""
        assert mapped(response(status, body)) is None


class TestValidation:
    def test_validation_500_is_permanent_with_exact_text(self) -> None:
        """A 500 with Exact's error envelope is a rejection with the text exactly as written."""
        text = "Verplicht: Factuur voor\r\nOngeldige referentie: Btw-code"
        err = mapped(response(500, odata_error(text)))
        assert isinstance(err, ExactRejected)
        assert err.exact_message == text
        assert err.status == 500
        assert err.endpoint == "POST salesentry/SalesEntries"
        assert text in str(err)

    def test_generic_500_is_transient(self) -> None:
        """Exact's generic "A problem has occurred" 500 may pass: transient."""
        generic = "A problem has occurred. The cause of this issue will be investigated as soon "\
                  "as possible."
        assert type(mapped(response(500, odata_error(generic)))) is TransientError

    def test_500_without_envelope_is_transient(self) -> None:
        """A bare 500 is not a validation error."""
        assert type(mapped(response(500, b"Internal Server Error"))) is TransientError

    @pytest.mark.parametrize("status", [400, 404, 405, 409])
    def test_client_errors_are_permanent(self, status: int) -> None:
        """400/404/405 (and other 4xx) are rejections carrying Exact's message."""
        err = mapped(response(status, odata_error("Error in query syntax.")))
        assert isinstance(err, ExactRejected)
        assert err.status == status
        assert err.exact_message == "Error in query syntax."

    def test_403_names_the_reason_header(self) -> None:
        """A 403 carries Exact's Reason header in the message."""
        err = mapped(response(403, b"Forbidden - User division is not within division scope",
                              {"Reason": "NoDivisionAccess"}))
        assert isinstance(err, ExactRejected)
        assert err.status == 403
        assert "NoDivisionAccess" in err.exact_message
        assert "division scope" in err.exact_message


class TestTransient:
    @pytest.mark.parametrize("status", [502, 503, 504])
    def test_outages_are_transient(self, status: int) -> None:
        """503 and friends are worth a retry."""
        assert type(mapped(response(status, b"Server Unavailable"))) is TransientError

    @pytest.mark.parametrize("status", [200, 503])
    def test_html_maintenance_page_is_transient(self, status: int) -> None:
        """An HTML page instead of JSON (maintenance) is transient, even with status 200."""
        page = b"<!DOCTYPE html><html><body>Onderhoud: Exact Online is even niet beschikbaar"
        err = mapped(response(status, page, {"Content-Type": "text/html; charset=utf-8"}))
        assert type(err) is TransientError
        assert "HTML" in str(err)

    def test_html_sniffed_without_content_type(self) -> None:
        """An HTML body is recognised even without a content type."""
        assert type(mapped(response(200, b"\n  <html><body>maint</body></html>"))) is (
            TransientError)

    def test_redirect_is_transient(self) -> None:
        """A redirect (to a login or maintenance page) is not followed and not a success."""
        assert type(mapped(response(302, b"", {"Location": "https://x/"}))) is TransientError

    def test_request_exceptions(self) -> None:
        """Timeouts and connection errors are transient; a broken URL is configuration."""
        for exc in (requests.ReadTimeout("read"), requests.ConnectTimeout("c"),
                    requests.ConnectionError("refused"),
                    requests.exceptions.ChunkedEncodingError("x")):
            assert type(map_request_exception(exc, endpoint="GET x")) is TransientError
        assert isinstance(map_request_exception(requests.exceptions.InvalidURL("u"),
                                                endpoint="GET x"), ConfigError)


class TestAuthAndLimits:
    def test_401_is_authorization_lost(self) -> None:
        """A 401 the client could not cure by refreshing is an authorization loss."""
        assert isinstance(mapped(response(401, b"")), AuthorizationLost)

    def test_429_minutely_reset(self) -> None:
        """A minutely 429 waits for the minutely reset, given in epoch ms."""
        err = mapped(response(429, b"", {"X-RateLimit-Minutely-Limit": "60",
                                         "X-RateLimit-Minutely-Remaining": "0",
                                         "X-RateLimit-Minutely-Reset": "1683879540000"}))
        assert isinstance(err, RateLimited)
        assert err.retry_at == 1683879540.0
        assert err.division == 123456

    def test_429_daily_reset(self) -> None:
        """A daily 429 carries the daily reset: wait for it."""
        r = response(429, b"", {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset": "1683936000000"})
        assert retry_at_429(r, NOW) == 1683936000.0

    def test_429_both_windows_takes_the_spent_one(self) -> None:
        """With both windows reported, the one with nothing left decides."""
        r = response(429, b"", {"X-RateLimit-Minutely-Remaining": "0",
                                "X-RateLimit-Minutely-Reset": "1683879540000",
                                "X-RateLimit-Remaining": "4000",
                                "X-RateLimit-Reset": "1683936000000"})
        assert retry_at_429(r, NOW) == 1683879540.0

    def test_429_without_headers_waits_a_minute(self) -> None:
        """An empty 429 (as seen in 2019) waits at least a minute."""
        assert retry_at_429(response(429, b""), NOW) >= NOW + 60


class TestTokenEndpoint:
    def test_ok(self) -> None:
        """A token answer with an access token is fine."""
        ok = response(200, {"access_token": "a", "token_type": "bearer", "expires_in": "600",
                            "refresh_token": "r"})
        assert map_token_response(ok, now=NOW) is None

    @pytest.mark.parametrize("body", [
        {"error": "unauthorized_client", "error_description": "Old refresh token used."},
        {"error": "invalid_request", "error_description": "The refresh token expired at "
                                                          "10/11/2022 9:18:20 PM and it is now "
                                                          "10/28/2022 4:15:50 PM."},
        {"error": "invalid_grant", "error_description": "The user is not active"},
        {"error": "invalid_request"},
    ])
    def test_dead_grants_lose_authorization(self, body: dict[str, str]) -> None:
        """Refused refresh tokens need a person: AuthorizationLost with Exact's words."""
        err = map_token_response(response(401 if "Old" in str(body) else 400, body), now=NOW)
        assert isinstance(err, AuthorizationLost)
        assert body["error"] in str(err)
        assert "hfexact auth login" in str(err)

    def test_early_refresh_is_transient(self) -> None:
        """"Access Token not expired" means: too early, not dead."""
        err = map_token_response(response(401, {"error": "invalid_request",
                                                "error_description": "Access Token not expired"}),
                                 now=NOW)
        assert type(err) is TransientError

    def test_token_outage_is_transient(self) -> None:
        """A 503 or an HTML page from the token endpoint is transient."""
        assert type(map_token_response(response(503, b"down"), now=NOW)) is TransientError
        assert type(map_token_response(response(200, b"<html>maint</html>"), now=NOW)) is (
            TransientError)


def test_exact_message_variants() -> None:
    """The message is found in the envelope; other bodies have none."""
    assert exact_message(response(500, odata_error("Verplicht: Dagboek"))) == "Verplicht: Dagboek"
    assert exact_message(response(500, {"error": {"message": "plain"}})) == "plain"
    assert exact_message(response(500, b"\xff\xfe")) is None
