"""Sandbox-internal exceptions, each mapped to one Exact response shape by ``app``.

    SandboxFailure
     +-- ApiError          OData envelope {"error":{"code":"","message":{"lang":"","value":...}}}
     |    +-- ValidationFailed   HTTP 500 with Exact's (Dutch) business messages joined by CRLF
     +-- OAuthFailure      token endpoint shape {"error":..., "error_description":...}
     +-- ControlError      /sandbox/ control API: {"error": "..."} with a 4xx status
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class SandboxFailure(Exception):
    """Root of the sandbox's own exceptions."""


class ApiError(SandboxFailure):
    def __init__(self, status: int, message: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class ValidationFailed(ApiError):
    """Business validation: Exact answers HTTP 500 with the messages joined by CRLF."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(500, "\r\n".join(messages))
        self.messages = list(messages)


class OAuthFailure(SandboxFailure):
    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class ControlError(SandboxFailure):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(404, message)
