"""The core end to end: Router -> policy -> executor -> real openai/anthropic SDKs -> emulator."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from routed_llm import (
    AllAttemptsFailedError,
    AuthenticationError,
    BudgetExceededError,
    ConfigError,
    InvalidRequestError,
    Message,
    Request,
    RoutingOptions,
    StreamInterruptedError,
    ToolSpec,
)
from routed_llm.costs import price
from routed_llm.execute import RetryPolicy
from routed_llm.router import Router
from routed_llm.sessions import MemoryStore
from routed_llm.testing import Emulator, Fault

SEARCH = ToolSpec("search", "Search the web", {"type": "object", "properties": {"query": {"type": "string"}},
                                               "required": ["query"]})
FETCH = ToolSpec("fetch", "Fetch a page", {"type": "object", "properties": {"url": {"type": "string"}},
                                          "required": ["url"]})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "MISTRAL_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def only(emulator: Emulator, provider: str, **kw: object) -> Router:
    """A router that has a key for one provider only, so every step lands on it."""
    return Router(catalog=emulator.catalog(), api_keys={provider: f"k-{provider}"}, classifier="rules",
                  retry=kw.pop("retry", RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)), **kw)  # type: ignore[arg-type]


def ask(text: str, **kw: object) -> Request:
    return Request((Message.user(text),), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_each_wire_answers_with_usage_and_catalog_priced_cost(emulator: Emulator, provider: str) -> None:
    router = only(emulator, provider)
    response = router.invoke(ask("Summarize in one line: the meeting moved to Tuesday at 3pm.", session_id=provider))
    d = response.decision
    assert response.text and d.provider == provider
    model = router.catalog.model(d.model)
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert d.cost == price(response.usage, model) == response.cost.cost
    assert d.baseline_cost == price(response.usage, router.flagship)
    assert d.label == "summarize" and d.path in ("rules", "keyword", "learned")
    assert [a.ok for a in d.attempts] == [True]


async def test_async_and_stream_paths(emulator: Emulator) -> None:
    router = only(emulator, "anthropic")
    response = await router.ainvoke(ask("Translate to French: good morning", session_id="a"))
    assert response.decision.provider == "anthropic"
    chunks = [c async for c in router.astream(ask("Tell me a short story about a cat", session_id="b"))]
    final = chunks[-1].response
    assert final is not None and "".join(c.text for c in chunks[:-1]) == final.text
    sync_chunks = list(router.stream(ask("Tell me a short story about a dog", session_id="c")))
    assert sync_chunks[-1].response is not None and sync_chunks[-1].response.decision.stream


class _AsyncOnlyHealthStore(MemoryStore):
    """A store whose sync endpoint-health calls fail: the async path must use the async twins
    (with Redis, a sync call blocks the event loop for a round trip)."""

    def _sync(self, *a: object) -> None:
        raise AssertionError("sync endpoint-health call on the async path")

    async def acooldowns(self, keys: Sequence[str]) -> dict[str, float]:
        return MemoryStore.cooldowns(self, keys)

    async def aset_cooldown(self, key: str, until: float) -> None:
        MemoryStore.set_cooldown(self, key, until)

    async def arecord_failure(self, key: str, window_s: float) -> int:
        return MemoryStore.record_failure(self, key, window_s)

    async def areset_failures(self, key: str) -> None:
        MemoryStore.reset_failures(self, key)

    cooldowns = set_cooldown = record_failure = reset_failures = _sync  # type: ignore[assignment]


async def test_async_path_makes_no_sync_health_calls(emulator: Emulator) -> None:
    router = only(emulator, "openai", sessions=_AsyncOnlyHealthStore())
    first = await router.ainvoke(ask("hello, how are you?", session_id="a"))
    emulator.fault(first.decision.model, Fault.server_error(500), times=1)
    again = await router.ainvoke(ask("hello, how are you?", session_id="a"))
    assert [a.ok for a in again.decision.attempts] == [False, True]
    chunks = [c async for c in router.astream(ask("Tell me a short story about a cat", session_id="b"))]
    assert chunks[-1].response is not None


class _CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def cooldowns(self, keys: Sequence[str]) -> dict[str, float]:
        self.reads += 1
        return super().cooldowns(keys)


def test_a_step_reads_the_cooldowns_once(emulator: Emulator) -> None:
    """The router reads every endpoint's cooldown to route; the executor reuses that snapshot
    rather than asking the store (a Redis round trip) again. A pinned model skips routing, so there
    the executor reads them."""
    store = _CountingStore()
    router = only(emulator, "openai", sessions=store)
    router.invoke(ask("hello, how are you?", session_id="c"))
    assert store.reads == 1
    router.invoke(ask("hello", session_id="c", options=RoutingOptions(model="gpt-5-nano")))
    assert store.reads == 2


@pytest.mark.parametrize("out_of_quota", ["openai", "anthropic"])
def test_an_account_out_of_quota_fails_over_to_the_other_provider(emulator: Emulator, out_of_quota: str) -> None:
    """Through real HTTP: the provider says the account is out of credit (OpenAI 429
    insufficient_quota, Anthropic 402); that provider is not retried, the step moves to the other
    one, and the next steps skip the cooling provider."""
    other = "anthropic" if out_of_quota == "openai" else "openai"
    router = Router(catalog=emulator.catalog(), api_keys={out_of_quota: "k1", other: "k2"}, classifier="rules",
                    retry=RetryPolicy(base_delay_s=0.01, max_delay_s=0.05))
    for model in router.catalog.models_of(out_of_quota):
        emulator.fault(model.key, Fault.quota(), times=None)
    d = router.invoke(ask("hello, how are you?", session_id="q", options=RoutingOptions(label="chat"))).decision
    tried = [(a.provider, a.error_type) for a in d.attempts if a.provider == out_of_quota]
    if tried:  # the session pinned the out-of-quota provider first
        assert tried[0] == (out_of_quota, "QuotaExceededError") and d.provider_moved_from == out_of_quota
        assert all(t in ("QuotaExceededError", "QuotaExceeded") for _, t in tried)
        assert sum(1 for _, t in tried if t == "QuotaExceededError") == 1  # not retried
    assert d.provider == other
    later = router.invoke(ask("hello again", session_id="q2", options=RoutingOptions(label="chat"))).decision
    assert later.provider == other and not [a for a in later.attempts if a.error_type == "QuotaExceededError"]


def test_429_retry_after_is_waited_for_then_retried(emulator: Emulator) -> None:
    router = only(emulator, "openai")
    model = router.invoke(ask("hi there", session_id="s")).decision.model
    emulator.fault(model, Fault.rate_limit(retry_after=1), times=1)
    t0 = time.perf_counter()
    response = router.invoke(ask("hi there", session_id="s"))
    assert time.perf_counter() - t0 >= 0.95
    attempts = response.decision.attempts
    assert [(a.model, a.ok) for a in attempts] == [(model, False), (model, True)]
    assert attempts[0].status == 429 and attempts[0].retry_after == pytest.approx(1.0)


def test_500_storm_lands_on_fallback_and_endpoint_cools_down(emulator: Emulator) -> None:
    router = only(emulator, "openai", retry=RetryPolicy(max_retries=1, base_delay_s=0.01, cooldown_after_failures=4))
    first = router.invoke(ask("hello, how are you?", session_id="storm")).decision
    primary = first.model
    emulator.fault(primary, Fault.server_error(500), times=None)
    d = router.invoke(ask("hello, how are you?", session_id="storm")).decision
    assert d.model != primary and d.fallback
    assert [a.model for a in d.attempts][:2] == [primary, primary]
    assert d.attempts[-1].ok and d.attempts[-1].model == d.model
    d2 = router.invoke(ask("hello, how are you?", session_id="storm")).decision
    d3 = router.invoke(ask("hello, how are you?", session_id="storm")).decision
    # after cooldown_after_failures failures the primary is cooling down: not tried at all
    assert primary not in [a.model for a in d3.attempts if a.error_type != "CoolingDown"]
    assert primary not in d3.chain or d3.attempts[0].error_type == "CoolingDown" or d3.chain[0] != f"openai/{primary}"
    assert d2.model != primary


def test_stream_fails_over_before_first_chunk(emulator: Emulator) -> None:
    router = only(emulator, "openai", retry=RetryPolicy(max_retries=0))
    primary = router.invoke(ask("Write a haiku about rain", session_id="st")).decision.model
    emulator.fault(primary, Fault.server_error(503), times=1)
    chunks = list(router.stream(ask("Write a haiku about rain", session_id="st")))
    final = chunks[-1].response
    assert final is not None and final.model != primary
    assert "".join(c.text for c in chunks[:-1]) == final.text


def test_stream_failing_after_first_chunk_raises_without_duplicate_text(emulator: Emulator) -> None:
    router = only(emulator, "openai")
    primary = router.invoke(ask("Write a detailed essay about the sea", session_id="d")).decision.model
    emulator.fault(primary, Fault.drop_stream(after_chunks=2), times=1)
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError):
        for chunk in router.stream(ask("Write a detailed essay about the sea", session_id="d")):
            seen.append(chunk.text or chunk.reasoning)
    assert 1 <= len(seen) <= 2
    streams = [r for r in emulator.requests if r.stream]
    assert len(streams) == 1  # nothing was replayed


def test_401_stops_at_once_naming_provider_and_env_var_never_the_key() -> None:
    secret = "sk-ant-SECRET-do-not-print-4242"
    with Emulator(api_keys={"anthropic": "sk-ant-the-right-one"}) as emu:
        router = Router(catalog=emu.catalog(), api_keys={"anthropic": secret}, classifier="rules")
        with pytest.raises(AuthenticationError) as info:
            router.invoke(ask("hello", session_id="x"))
        text = str(info.value)
        assert "anthropic" in text and "ANTHROPIC_API_KEY" in text
        assert secret not in text and secret not in repr(router)
        assert len(emu.requests) == 1


def test_request_over_context_window_goes_to_a_larger_window_model(emulator: Emulator) -> None:
    router = Router(catalog=emulator.catalog(), api_keys={"deepseek": "emulator-key", "mistral": "emulator-key", "openai": "emulator-key"},
                    classifier="rules")
    big = "word " * 120_000  # ~150k tokens: beyond the 128k windows of deepseek and mistral
    d = router.invoke(ask("Summarize this: " + big, session_id="big")).decision
    assert router.catalog.model(d.model).context_window > 150_000
    assert "context window 128000" in str(d.explanation)


def test_context_length_error_from_the_provider_escalates_to_a_larger_window() -> None:
    """The catalog says 400k but the server enforces 8k (a stale catalog, a self-hosted model):
    the provider's context-length error moves the step to a model with a larger window."""
    from dataclasses import replace as dc_replace

    from routed_llm.testing import EmulatedModel

    small = {"gpt-5", "gpt-5-mini", "gpt-5-nano"}
    models = [dc_replace(m, context_window=8_000, max_output_tokens=4_000) if m.name in small else m
              for m in EmulatedModel.from_catalog(Router().catalog)]
    with Emulator(models=models) as emu:
        router = Router(catalog=emu.catalog(), api_keys={"openai": "emulator-key"}, classifier="rules")
        text = "Summarize this: " + "word " * 12_000
        d = router.invoke(ask(text, session_id="esc")).decision
        assert d.attempts[0].model in small and d.attempts[0].error_type == "ContextWindowError"
        assert len(d.attempts) == 2 and d.model not in small
        assert router.catalog.model(d.model).context_window > 400_000


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tool_calls_round_trip_with_ids_intact_including_parallel(emulator: Emulator, provider: str) -> None:
    router = only(emulator, provider)
    history = [Message.user("Use search and fetch in parallel to look up the weather in Paris")]
    first = router.invoke(Request(tuple(history), tools=(SEARCH, FETCH), session_id=f"tools-{provider}"))
    calls = first.message.tool_calls
    assert [c.name for c in calls] == ["search", "fetch"] and len({c.id for c in calls}) == 2
    assert all(len(c.id) == 9 and c.id.isalnum() for c in calls)
    history.append(first.message)
    # answer out of order: the pairing is by id, not position
    for call in reversed(calls):
        history.append(Message.tool(call.id, f"{call.name} result for {dict(call.arguments)}"))
    second = router.invoke(Request(tuple(history), tools=(SEARCH, FETCH), session_id=f"tools-{provider}"))
    assert not second.message.tool_calls and "tool results" in second.text
    assert all(r.status == 200 for r in emulator.requests)


def test_budget_refuses_before_spending(emulator: Emulator) -> None:
    router = only(emulator, "openai", budget_per_session="0.000001")
    with pytest.raises(BudgetExceededError, match="budget"):
        router.invoke(ask("Explain quantum computing in detail", session_id="b", max_tokens=4000))
    assert emulator.requests == []


def test_all_failing_raises_one_error_listing_every_attempt(emulator: Emulator) -> None:
    router = only(emulator, "anthropic", retry=RetryPolicy(max_retries=0, cooldown_after_failures=99))
    emulator.down("anthropic")
    with pytest.raises(AllAttemptsFailedError) as info:
        router.invoke(ask("hi", session_id="down"))
    assert len(info.value.attempts) >= 2
    assert all(a.provider == "anthropic" for a in info.value.attempts)


def test_bad_input_names_the_field(emulator: Emulator, tmp_path: Path) -> None:
    router = only(emulator, "openai")
    with pytest.raises(InvalidRequestError) as empty:
        router.invoke(Request(()))
    assert empty.value.field == "messages"
    with pytest.raises(ConfigError, match="unknown model 'gpt-17'"):
        router.invoke(ask("hi", options=RoutingOptions(model="gpt-17")))
    with pytest.raises(ConfigError, match="label"):
        router.invoke(ask("hi", options=RoutingOptions(label="poetry")))
    bad = tmp_path / "catalog.toml"
    bad.write_text('[providers.p]\nwire = "openai"\nbase_url = "http://127.0.0.1:1/v1"\napi_key_env = "K"\n'
                   '[models.m]\nprovider = "p"\nprice = { input = -1, output = 1 }\ncontext_window = 10\n')
    with pytest.raises(ConfigError, match=r"models\.m\.price\.input"):
        Router(catalog=bad)
    policy = tmp_path / "policy.toml"
    policy.write_text('[labels.poetry]\nfloor = 0.5\n')
    with pytest.raises(ConfigError, match="poetry"):
        Router(catalog=emulator.catalog(), policy=policy)
    assert emulator.requests == []


def test_listeners_receive_decision_and_cost(emulator: Emulator) -> None:
    seen: list[object] = []

    class Listener:
        def on_decision(self, decision: object) -> None:
            seen.append(decision)

        def on_step_cost(self, cost: object) -> None:
            seen.append(cost)

    router = only(emulator, "openai", listeners=[Listener()])
    response = router.invoke(ask("hello", session_id="l"))
    assert seen == [response.decision, response.cost]
    assert router.totals("l") == (response.cost.cost, response.cost.baseline_cost)
    assert response.cost.session_total == response.cost.cost


def test_pinned_model_skips_classification(emulator: Emulator) -> None:
    router = only(emulator, "anthropic")
    d = router.invoke(ask("hello", options=RoutingOptions(model="claude-sonnet-4-5"))).decision
    assert d.path == "pinned" and d.model == "claude-sonnet-4-5"
    assert Decimal(0) < (d.cost or Decimal(0))


def test_capability_labels_bypass_classification_when_configured(emulator: Emulator) -> None:
    from routed_llm import ImagePart

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    request = Request((Message.user([ImagePart(data=png), *Message.user("Write code that parses this").content]),),
                      session_id="cap")
    plain = only(emulator, "openai").invoke(request).decision
    assert plain.path != "pinned" and plain.required_capabilities == ("vision",)
    bypass = only(emulator, "openai", capability_labels={"vision": "chat"}).invoke(request).decision
    assert bypass.label == "chat" and bypass.path == "pinned"
    with pytest.raises(ConfigError, match="capability_labels"):
        only(emulator, "openai", capability_labels={"smell": "chat"})


def test_batch_classifies_in_one_call_and_keeps_order(emulator: Emulator) -> None:
    router = only(emulator, "openai")
    calls: list[int] = []
    original = router.classifier.classify_many

    def counting(texts: list[str]) -> list[object]:
        calls.append(len(texts))
        return original(texts)  # type: ignore[return-value]

    router.classifier.classify_many = counting  # type: ignore[method-assign, assignment]
    prompts = ["Translate to German: good night", "Summarize: the meeting moved to Tuesday.",
               "Write a poem about autumn", "hello!"]
    responses = router.batch([ask(p, session_id=f"b{i}") for i, p in enumerate(prompts)])
    assert calls == [4]
    assert [r.decision.session_id for r in responses] == ["b0", "b1", "b2", "b3"]
    assert responses[0].decision.label == "translation" and responses[1].decision.label == "summarize"


def test_reclassify_user_turn_reuses_the_turn_label_for_tool_steps(emulator: Emulator) -> None:
    calls: list[str] = []
    router = only(emulator, "openai", reclassify="user_turn")
    original = router.classifier.classify

    def counting(text: str) -> object:
        calls.append(text)
        return original(text)

    router.classifier.classify = counting  # type: ignore[method-assign, assignment]
    history = [Message.user("Use search to find the latest release notes")]
    first = router.invoke(Request(tuple(history), tools=(SEARCH,), session_id="turn"))
    history += [first.message, *[Message.tool(c.id, "def main():\n    return 1\n") for c in first.message.tool_calls]]
    second = router.invoke(Request(tuple(history), tools=(SEARCH,), session_id="turn"))
    assert len(calls) == 1 and second.decision.label == first.decision.label
    history += [second.message, Message.user("Now translate that into French")]
    router.invoke(Request(tuple(history), tools=(SEARCH,), session_id="turn"))
    assert len(calls) == 2
