"""The server itself: lifecycle, keep-alive, load, entry points, latency emulation."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import anthropic_for, client_for

import routed_llm.testing as testing_pkg
from routed_llm.testing import EmulatedModel, Emulator, default_models

ROOT = Path(__file__).resolve().parents[2]
HI: list[Any] = [{"role": "user", "content": "hello"}]


def test_package_import_is_light() -> None:
    code = "import sys, routed_llm.testing as t; print('routed_llm.testing.emulator' in sys.modules, 'http.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "False"]
    assert testing_pkg.Emulator is Emulator


def test_base_urls_and_lifecycle() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        emu.base_url("openai")
    with emu:
        assert emu.base_url("openai") == f"http://127.0.0.1:{emu.port}/openai/v1"
        assert emu.base_url("anthropic") == f"http://127.0.0.1:{emu.port}/anthropic"
        assert set(emu.base_urls()) == {"openai", "anthropic", "deepseek", "mistral", "gemini"}
        with pytest.raises(KeyError):
            emu.base_url("nope")
        cat = emu.catalog()
        assert cat.provider("deepseek").base_url == emu.base_url("deepseek")
    assert not emu.running
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host="0.0.0.0")


def test_default_models_come_from_the_catalog() -> None:
    models = {m.name: m for m in default_models()}
    haiku = models["claude-haiku-4-5"]
    assert haiku.wire == "anthropic" and haiku.reasoning and haiku.context_window == 200_000
    assert models["gpt-4.1"].wire == "openai" and not models["gpt-4.1"].reasoning
    assert not models["deepseek-reasoner"].tools


def test_connections_are_kept_alive(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    body = json.dumps({"model": "gpt-4.1-mini", "messages": HI})
    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    conn.request("POST", "/openai/v1/chat/completions", body, headers)
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    start = time.perf_counter()
    for _ in range(50):
        conn.request("POST", "/openai/v1/chat/completions", body, headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    per_call = (time.perf_counter() - start) / 50
    assert conn.sock is sock  # one socket for all calls
    assert per_call < 0.01
    conn.close()


def test_sdk_call_is_fast(emu: Emulator) -> None:
    client = client_for(emu, "openai")
    client.chat.completions.create(model="gpt-4.1-mini", messages=HI)
    start = time.perf_counter()
    for _ in range(30):
        client.chat.completions.create(model="gpt-4.1-mini", messages=HI)
    assert (time.perf_counter() - start) / 30 < 0.05


async def _raw_call(port: int, body: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: emu\r\nAuthorization: Bearer x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    await reader.readexactly(length)
    writer.close()
    return int(head.split(b" ")[1])


async def test_holds_500_concurrent_connections() -> None:
    slow = EmulatedModel("slow-model", "openai", "openai", 100_000, 4000, ttft_ms=300, tokens_per_s=2000)
    with Emulator([slow], time_scale=1.0) as emu:
        body = json.dumps({"model": "slow-model", "messages": HI}).encode()
        start = time.monotonic()
        statuses = await asyncio.gather(*[_raw_call(emu.port, body) for _ in range(500)])
        elapsed = time.monotonic() - start
    assert statuses == [200] * 500
    assert 0.3 <= elapsed < 5  # all 500 waited their ttft at the same time


def test_latency_follows_ttft_and_tokens_per_s() -> None:
    model = EmulatedModel("paced", "anthropic", "anthropic", 100_000, 4000, ttft_ms=200, tokens_per_s=500)
    with Emulator([model], time_scale=1.0) as emu:
        client = anthropic_for(emu)
        start = time.monotonic()
        with client.messages.stream(model="paced", max_tokens=500, messages=HI) as stream:
            first = None
            for _ in stream.text_stream:
                first = first or time.monotonic() - start
            final = stream.get_final_message()
        total = time.monotonic() - start
    assert first is not None and 0.2 <= first < 1.0
    assert total >= 0.2 + final.usage.output_tokens / 500 * 0.8
    with Emulator([model], time_scale=0.0) as fast:
        start = time.monotonic()
        anthropic_for(fast).messages.create(model="paced", max_tokens=500, messages=HI)
        assert time.monotonic() - start < 0.2


def test_stop_interrupts_hanging_requests() -> None:
    from routed_llm.testing import Fault

    emu = Emulator().start()
    emu.fault("gpt-5-mini", Fault.timeout(30))
    client = client_for(emu, "openai")
    import threading

    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="gpt-5-mini", messages=HI)
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.1)
    start = time.monotonic()
    emu.stop()
    t.join(5)
    assert not t.is_alive() and errors and time.monotonic() - start < 3


def test_module_entry_point_serves_and_prints_urls() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "routed_llm.testing", "--port", "0", "--api-key", "openai=sk-test"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        head = proc.stdout.readline()
        lines = [proc.stdout.readline() for _ in range(5)]
        assert head.startswith("routed-llm emulator on http://127.0.0.1:")
        url = next(line.split()[-1] for line in lines if line.split()[0] == "openai")
        import openai

        client = openai.OpenAI(base_url=url, api_key="sk-test", max_retries=0, http_client=openai.DefaultHttpxClient())
        assert client.chat.completions.create(model="gpt-4.1", messages=HI).choices[0].message.content
    finally:
        proc.terminate()
        proc.wait(5)
    assert proc.returncode == 0
    assert proc.stderr is not None and "sk-test" not in proc.stderr.read()


def test_plugin_fixture_resets_state(emulator: Emulator) -> None:
    assert emulator.requests == []
    client_for(emulator, "openai").chat.completions.create(model="gpt-4.1", messages=HI)
    assert len(emulator.requests) == 1


def test_custom_providers_and_colliding_model_names() -> None:
    import openai

    from routed_llm.testing import Fault

    models = [EmulatedModel("llama", "vllm-a", "openai", 32_000, 4000), EmulatedModel("llama", "vllm-b", "openai", 32_000, 4000)]
    with Emulator(models) as emu:
        with pytest.raises(KeyError, match="several providers"):
            emu.fault("llama", Fault.server_error())
        emu.fault("vllm-a/llama", Fault.server_error())
        with pytest.raises(openai.InternalServerError):
            client_for(emu, "vllm-a").chat.completions.create(model="llama", messages=HI)
        assert client_for(emu, "vllm-b").chat.completions.create(model="llama", messages=HI).choices[0].message.content
        assert set(emu.models) == {"vllm-a/llama", "vllm-b/llama"}
