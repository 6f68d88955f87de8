"""Every exception class the SDKs export maps to a specific routed-llm error (or is listed as generic)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType

import anthropic
import httpx2
import openai
import pytest

from routed_llm.catalog import Catalog, ProviderSpec
from routed_llm.errors import (
    AuthenticationError,
    ContextWindowError,
    MalformedResponseError,
    ProviderBadRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitError,
    RetryableError,
    ServerError,
)
from routed_llm.providers import anthropic as anthropic_adapter
from routed_llm.providers import openai as openai_adapter

KEY = "sk-ant-api03-SECRETSECRETSECRET0123456789"
Mapper = Callable[[BaseException, ProviderSpec, str], ProviderError]


def _status_of(cls: type[BaseException], sdk: ModuleType) -> int:
    for klass in cls.__mro__:
        value = klass.__dict__.get("status_code")
        if isinstance(value, int):
            return value
        if klass is sdk.InternalServerError:
            return 500
    return 418


def make_error(cls: type[BaseException], sdk: ModuleType, *, status: int | None = None, message: str = "boom",
               headers: dict[str, str] | None = None) -> BaseException:
    """An instance of SDK exception ``cls`` as the SDK would raise it (a real httpx2 response)."""
    request = httpx2.Request("POST", "https://api.test/v1/x", headers={"Authorization": f"Bearer {KEY}", "x-api-key": KEY})
    code = status if status is not None else _status_of(cls, sdk)
    body = {"error": {"type": "x_error", "message": message}} if sdk is anthropic else {"message": message, "code": None}
    response = httpx2.Response(code, headers=headers or {}, request=request, json=body)
    if issubclass(cls, sdk.APIConnectionError):
        return cls(request=request)  # type: ignore[call-arg]
    if issubclass(cls, sdk.APIStatusError):
        try:
            return cls(message, response=response, body=body)  # type: ignore[call-arg]
        except TypeError:
            return cls(response=response, body=body)  # type: ignore[call-arg]
    if issubclass(cls, sdk.APIResponseValidationError):
        return cls(response=response, body=body)  # type: ignore[call-arg]
    for args, kwargs in (((message,), {}), ((), {}), ((), {"completion": None})):
        try:
            return cls(*args, **kwargs)
        except (TypeError, AttributeError):
            continue
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    return exc


def sdk_classes(sdk: ModuleType, base: type[BaseException]) -> list[type[BaseException]]:
    out = {id(o): o for _, o in inspect.getmembers(sdk, inspect.isclass) if issubclass(o, base)}
    return sorted(out.values(), key=lambda c: c.__name__)


def expected_for(exc: BaseException, sdk: ModuleType) -> type[ProviderError] | None:
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeoutError
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderConnectionError
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        if status == 402:
            return QuotaExceededError
        if status == 429:
            return RateLimitError
        if status in (401, 403):
            return AuthenticationError
        if status >= 500:
            return ServerError
        if status == 408:
            return ProviderTimeoutError
        if status == 499:
            return ProviderConnectionError
        return ProviderBadRequestError
    if isinstance(exc, sdk.APIResponseValidationError):
        return MalformedResponseError
    return None


CASES = [
    pytest.param(openai, openai.OpenAIError, openai_adapter.map_openai_error, openai_adapter.INTENTIONALLY_GENERIC,
                 "openai", id="openai"),
    pytest.param(anthropic, anthropic.AnthropicError, anthropic_adapter.map_anthropic_error,
                 anthropic_adapter.INTENTIONALLY_GENERIC, "anthropic", id="anthropic"),
]


@pytest.mark.parametrize(("sdk", "base", "mapper", "generic", "provider_name"), CASES)
def test_every_sdk_exception_is_mapped(
    catalog: Catalog, sdk: ModuleType, base: type[BaseException], mapper: Mapper, generic: frozenset[str], provider_name: str
) -> None:
    provider = catalog.provider(provider_name)
    classes = sdk_classes(sdk, base)
    assert len(classes) > 10
    unmapped = []
    for cls in classes:
        exc = make_error(cls, sdk, message=f"bad things; key {KEY}")
        mapped = mapper(exc, provider, "some-model")
        assert isinstance(mapped, ProviderError), cls
        assert (mapped.provider, mapped.model) == (provider_name, "some-model"), cls
        assert KEY not in str(mapped), cls
        if type(mapped) is ProviderError and cls.__name__ not in generic:
            unmapped.append(cls.__name__)
        want = expected_for(exc, sdk)
        if want is not None and not (want is ProviderBadRequestError and isinstance(mapped, ContextWindowError)):
            assert type(mapped) is want, (cls, type(mapped))
        if isinstance(exc, sdk.APIStatusError):
            assert mapped.status == exc.status_code or (mapped.status == 529 and provider_name == "anthropic"), cls
    assert not unmapped, f"SDK exceptions falling to the generic ProviderError: {unmapped}"
    # the generic list names only real classes
    assert generic <= {c.__name__ for c in classes} | {"_AmbiguousModuleClientUsageError"}


@pytest.mark.parametrize(("sdk", "base", "mapper", "generic", "provider_name"), CASES)
def test_status_details(
    catalog: Catalog, sdk: ModuleType, base: type[BaseException], mapper: Mapper, generic: frozenset[str], provider_name: str
) -> None:
    provider = catalog.provider(provider_name)
    rl = mapper(make_error(sdk.RateLimitError, sdk, headers={"retry-after-ms": "2500", "retry-after": "3"}), provider, "m")
    assert isinstance(rl, RateLimitError) and rl.retry_after == 2.5 and rl.retryable and rl.status == 429
    rl = mapper(make_error(sdk.RateLimitError, sdk, headers={"retry-after": "7"}), provider, "m")
    assert isinstance(rl, RateLimitError) and rl.retry_after == 7.0
    auth = mapper(make_error(sdk.AuthenticationError, sdk, message=f"Incorrect API key provided: {KEY}"), provider, "m")
    assert isinstance(auth, AuthenticationError) and not auth.retryable
    assert provider.api_key_env in str(auth) and provider_name in str(auth) and KEY not in str(auth)
    assert "Bearer" not in str(auth)
    perm = mapper(make_error(sdk.PermissionDeniedError, sdk), provider, "m")
    assert isinstance(perm, AuthenticationError) and perm.status == 403
    bad = mapper(make_error(sdk.BadRequestError, sdk, message="temperature must be <= 1"), provider, "m")
    assert isinstance(bad, ProviderBadRequestError) and "temperature must be <= 1" in str(bad)
    srv = mapper(make_error(sdk.InternalServerError, sdk, status=503), provider, "m")
    assert isinstance(srv, ServerError) and srv.status == 503


def test_context_window_openai(catalog: Catalog) -> None:
    provider = catalog.provider("openai")
    request = httpx2.Request("POST", "https://api.test/v1/x")
    body = {"message": "This model's maximum context length is 8192 tokens.", "code": "context_length_exceeded"}
    exc = openai.BadRequestError("x", response=httpx2.Response(400, request=request, json=body), body=body)
    assert isinstance(openai_adapter.map_openai_error(exc, provider, "m"), ContextWindowError)
    body = {"message": "Prompt contains 40000 tokens, too large for model with 32768 maximum context length"}
    exc = openai.BadRequestError("x", response=httpx2.Response(400, request=request, json=body), body=body)
    assert isinstance(openai_adapter.map_openai_error(exc, provider, "m"), ContextWindowError)


def test_context_window_anthropic(catalog: Catalog) -> None:
    exc = make_error(anthropic.BadRequestError, anthropic, message="prompt is too long: 210000 tokens > 200000 maximum")
    mapped = anthropic_adapter.map_anthropic_error(exc, catalog.provider("anthropic"), "m")
    assert isinstance(mapped, ContextWindowError) and mapped.status == 400


def test_overloaded_is_server_error(catalog: Catalog) -> None:
    mapped = anthropic_adapter.map_anthropic_error(make_error(anthropic.OverloadedError, anthropic),
                                                   catalog.provider("anthropic"), "m")
    assert isinstance(mapped, ServerError) and mapped.status == 529


def test_transport_errors_leaking_from_streams(catalog: Catalog) -> None:
    provider = catalog.provider("anthropic")
    dropped = httpx2.RemoteProtocolError("peer closed connection without sending complete message body")
    assert isinstance(anthropic_adapter.map_anthropic_error(dropped, provider, "m"), ProviderConnectionError)
    assert isinstance(anthropic_adapter.map_anthropic_error(httpx2.ReadTimeout("t"), provider, "m"), ProviderTimeoutError)
    assert isinstance(openai_adapter.map_openai_error(TimeoutError(), provider, "m"), ProviderTimeoutError)
    assert isinstance(openai_adapter.map_openai_error(ConnectionResetError(), provider, "m"), ProviderConnectionError)
    generic = openai_adapter.map_openai_error(ValueError("x"), provider, "m")
    assert type(generic) is ProviderError


def test_sdk_retryable_and_credentials(catalog: Catalog) -> None:
    provider = catalog.provider("anthropic")
    assert type(anthropic_adapter.map_anthropic_error(anthropic.RetryableError("x"), provider, "m")) is RetryableError
    cred = anthropic_adapter.map_anthropic_error(anthropic.CredentialsError("no creds"), provider, "m")
    assert isinstance(cred, AuthenticationError) and "ANTHROPIC_API_KEY" in str(cred)


def test_passthrough_of_our_errors(catalog: Catalog) -> None:
    err = MalformedResponseError("x", provider="openai", model="m")
    assert openai_adapter.map_openai_error(err, catalog.provider("openai"), "m") is err



def test_out_of_quota_is_its_own_error(catalog: Catalog) -> None:
    """OpenAI's 429 insufficient_quota and Anthropic's 402 billing error are not rate limits: the
    account will not recover by retrying, so they map to QuotaExceededError (not retryable)."""
    request = httpx2.Request("POST", "https://api.test/v1/x")
    body = {"message": "You exceeded your current quota, please check your plan.", "code": "insufficient_quota"}
    exc = openai.RateLimitError("x", response=httpx2.Response(429, request=request, json=body), body=body)
    mapped = openai_adapter.map_openai_error(exc, catalog.provider("openai"), "gpt-5")
    assert isinstance(mapped, QuotaExceededError) and not mapped.retryable and mapped.status == 429
    assert "out of quota" in str(mapped) and "openai" in str(mapped)
    for status, message in ((402, "Your account has a billing problem"),
                            (400, "Your credit balance is too low to access the Anthropic API.")):
        sdk_exc = make_error(anthropic.APIStatusError, anthropic, status=status, message=message)
        mapped = anthropic_adapter.map_anthropic_error(sdk_exc, catalog.provider("anthropic"), "m")
        assert isinstance(mapped, QuotaExceededError), (status, mapped)
    plain = make_error(anthropic.RateLimitError, anthropic, message="rate limited")
    assert isinstance(anthropic_adapter.map_anthropic_error(plain, catalog.provider("anthropic"), "m"), RateLimitError)
