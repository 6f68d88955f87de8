from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import SecretStr

from routed_llm.catalog import Catalog
from routed_llm.errors import AuthenticationError, ConfigError
from routed_llm.messages import Message, Request
from routed_llm.providers import ProviderAdapter, make_adapter
from routed_llm.providers._common import retry_after_seconds, scrub
from routed_llm.providers.base import effective_timeout

KEY = "sk-live-abcdefghijklmnopqrstuvwxyz123456"


def test_importing_providers_imports_no_sdk() -> None:
    code = (
        "import sys, routed_llm.providers, routed_llm.providers.openai, routed_llm.providers.anthropic;"
        "print('openai' in sys.modules, 'anthropic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_importing_the_router_loads_no_sdk_pydantic_or_asyncio() -> None:
    """The quick start's import stays light: pydantic (SecretStr) loads with the first key and
    asyncio with the first async call, the provider SDKs with the first call to their provider."""
    code = (
        "import sys; from routed_llm import Router;"
        "print(*(m in sys.modules for m in ('openai', 'anthropic', 'pydantic', 'asyncio', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"] * 5


def test_missing_key_names_provider_and_env(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        make_adapter(catalog.provider("anthropic"), None)
    assert "ANTHROPIC_API_KEY" in str(info.value) and "anthropic" in str(info.value)
    assert info.value.provider == "anthropic"


def test_key_from_env_and_repr_hides_it(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    a = make_adapter(catalog.provider("openai"), None)
    assert isinstance(a, ProviderAdapter)
    assert KEY not in repr(a) and KEY not in str(vars(a))
    assert "openai" in repr(a)


def test_clients_once_without_sdk_retries(catalog: Catalog) -> None:
    for name in ("openai", "anthropic"):
        a = make_adapter(catalog.provider(name), SecretStr(KEY))
        first = a._sync()  # type: ignore[attr-defined]
        assert a._sync() is first  # type: ignore[attr-defined]
        assert first.max_retries == 0
        assert a._async().max_retries == 0  # type: ignore[attr-defined]
        a.close()


async def test_aclose(catalog: Catalog) -> None:
    a = make_adapter(catalog.provider("anthropic"), SecretStr(KEY))
    a._async()  # type: ignore[attr-defined]
    await a.aclose()
    await a.aclose()


def test_bad_timeout(catalog: Catalog) -> None:
    with pytest.raises(ConfigError):
        make_adapter(catalog.provider("openai"), SecretStr(KEY), default_timeout=0)


def test_effective_timeout() -> None:
    req = Request((Message.user("hi"),), timeout=5.0)
    assert effective_timeout(req, 2.0, 60.0) == 2.0
    assert effective_timeout(req, None, 60.0) == 5.0
    assert effective_timeout(Request((Message.user("hi"),)), None, 60.0) == 60.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_http_date() -> None:
    value = retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert value == 0.0


def test_scrub() -> None:
    text = f"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY} x-api-key: abc123secret"
    clean = scrub(text, "abc123secret")
    assert KEY not in clean and "abc123secret" not in clean
    assert "[redacted]" in clean
