"""The routed-llm error tree, grouped by what a caller can do about each error.

    RoutedLLMError
    ├── ConfigError                 fix the catalog / policy / router config (names the key)
    ├── InvalidRequestError         fix the request (names the field); never retried
    ├── BudgetExceededError         the session budget would be exceeded; raise it or stop
    ├── SessionStoreError           the session store (e.g. Redis) is unreachable
    ├── ClassifierUnavailableError  an optional classifier backend is not installed (names the extra)
    ├── NoRouteError                no model satisfies the constraints of this step (names each reason)
    └── ProviderError               a provider call failed (carries provider, model, status)
        ├── RetryableError          worth retrying or failing over
        │   ├── RateLimitError          429; ``retry_after`` seconds when the provider said so
        │   ├── ServerError             5xx / overloaded
        │   ├── ProviderTimeoutError    the call timed out
        │   ├── ProviderConnectionError the connection failed or dropped
        │   └── MalformedResponseError  the provider answered something unparseable (bad tool JSON)
        ├── ContextWindowError      the prompt is too long for the model; escalate to a larger window
        ├── AuthenticationError     401/403: the key is missing or wrong (names the env var, never the key)
        ├── QuotaExceededError      the account is out of quota/credit: fail over to another provider
        ├── ProviderBadRequestError 400/404/422 the provider refused the request as such
        ├── StreamInterruptedError  a stream broke after text reached the caller; not repeated
        └── AllAttemptsFailedError  every endpoint of the chain failed; ``attempts`` lists each
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routed_llm.events import Attempt
    from routed_llm.messages import Usage


class RoutedLLMError(Exception):
    """Base of every error routed-llm raises."""


class ConfigError(RoutedLLMError, ValueError):
    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message if key is None or key in message else f"{key}: {message}")
        self.key = key


class InvalidRequestError(RoutedLLMError, ValueError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BudgetExceededError(RoutedLLMError):
    def __init__(self, message: str, *, session_id: str | None = None) -> None:
        super().__init__(message)
        self.session_id = session_id


class SessionStoreError(RoutedLLMError):
    pass


class ClassifierUnavailableError(RoutedLLMError, ImportError):
    pass


class ProviderError(RoutedLLMError):
    """``usage`` is set when the failed call was still billed (e.g. a malformed answer)."""

    retryable = False
    usage: Usage | None = None

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status


class RetryableError(ProviderError):
    retryable = True


class RateLimitError(RetryableError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(RetryableError):
    pass


class ProviderTimeoutError(RetryableError):
    pass


class ProviderConnectionError(RetryableError):
    pass


class MalformedResponseError(RetryableError):
    pass


class ContextWindowError(ProviderError):
    pass


class AuthenticationError(ProviderError):
    pass


class QuotaExceededError(ProviderError):
    """The provider account has no quota or credit left (OpenAI's 429 ``insufficient_quota``,
    Anthropic's 402 ``billing_error``): retrying that provider cannot help, so the chain moves on
    to another provider and the provider's models cool down."""


class ProviderBadRequestError(ProviderError):
    pass


class StreamInterruptedError(ProviderError):
    """A stream failed after its first chunk reached the caller. Nothing is replayed."""


class AllAttemptsFailedError(ProviderError):
    def __init__(self, message: str, *, attempts: Sequence[Attempt]) -> None:
        lines = [message]
        for i, a in enumerate(attempts, 1):
            lines.append(f"  {i}. {a.provider}/{a.model}: {a.error_type} {a.error or ''}".rstrip())
        super().__init__("\n".join(lines))
        self.attempts = tuple(attempts)


class NoRouteError(RoutedLLMError):
    """No model satisfies the step's constraints; the message names each filtered model's reason
    and the key to change (capabilities, context window, pinned provider, missing API keys)."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
