"""Provider-native error responses (status, body, headers) for both wires."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

Wire = Literal["openai", "anthropic"]
ErrorKind = Literal["invalid_request", "auth", "not_found", "rate_limit", "server", "overloaded", "permission",
                    "quota"]

_ANTHROPIC_TYPES: Mapping[ErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "auth": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "rate_limit": "rate_limit_error",
    "server": "api_error",
    "overloaded": "overloaded_error",
    "quota": "billing_error",
}
_OPENAI_TYPES: Mapping[ErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "auth": "invalid_request_error",
    "permission": "invalid_request_error",
    "not_found": "invalid_request_error",
    "rate_limit": "requests",
    "server": "server_error",
    "overloaded": "server_error",
    "quota": "insufficient_quota",
}


class WireError(Exception):
    """An error answer. ``code``/``param`` only appear on the OpenAI wire."""

    def __init__(
        self,
        status: int,
        kind: ErrorKind,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self, wire: Wire, request_id: str) -> dict[str, Any]:
        if wire == "anthropic":
            return {
                "type": "error",
                "error": {"type": _ANTHROPIC_TYPES[self.kind], "message": self.message},
                "request_id": request_id,
            }
        return {
            "error": {
                "message": self.message,
                "type": _OPENAI_TYPES[self.kind],
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, *, code: str | None = None, param: str | None = None) -> WireError:
    return WireError(400, "invalid_request", message, code=code, param=param)


def auth_error(wire: Wire, *, missing: bool) -> WireError:
    if wire == "anthropic":
        return WireError(401, "auth", "x-api-key header is required" if missing else "invalid x-api-key")
    if missing:
        return WireError(
            401,
            "auth",
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    return WireError(401, "auth", "Incorrect API key provided.", code="invalid_api_key")


def model_not_found(wire: Wire, model: str) -> WireError:
    if wire == "anthropic":
        return WireError(404, "not_found", f"model: {model}")
    return WireError(
        404,
        "not_found",
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def rate_limited(wire: Wire, model: str, retry_after: float | None) -> WireError:
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = str(max(0, math.ceil(retry_after)))
        headers["retry-after-ms"] = str(max(0, round(retry_after * 1000)))
    wait = f" Please try again in {retry_after:g}s." if retry_after is not None else ""
    if wire == "anthropic":
        msg = f"This request would exceed your organization's rate limit for {model}.{wait}"
        return WireError(429, "rate_limit", msg, headers=headers)
    msg = f"Rate limit reached for {model} in organization org-emulator on requests per min (RPM): Limit 60, Used 60, Requested 1.{wait}"
    return WireError(429, "rate_limit", msg, code="rate_limit_exceeded", headers=headers)


def out_of_quota(wire: Wire) -> WireError:
    if wire == "anthropic":
        return WireError(402, "quota", "Your credit balance is too low to access the Anthropic API. "
                                       "Please go to Plans & Billing to upgrade or purchase credits.")
    return WireError(429, "quota", "You exceeded your current quota, please check your plan and billing details.",
                     code="insufficient_quota")


def server_error(wire: Wire, status: int = 500) -> WireError:
    if wire == "anthropic":
        return WireError(status, "server", "Internal server error")
    return WireError(status, "server", "The server had an error while processing your request. Sorry about that!")


def overloaded(wire: Wire) -> WireError:
    if wire == "anthropic":
        return WireError(529, "overloaded", "Overloaded")
    return WireError(503, "overloaded", "The engine is currently overloaded, please try again later.")
