"""The Emulator: a strict loopback stand-in for OpenAI-wire and Anthropic-wire providers."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import string
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from routed_llm.testing import anthropic_wire, openai_wire
from routed_llm.testing.behaviour import plan
from routed_llm.testing.caching import PromptCache
from routed_llm.testing.errors import (
    Wire,
    WireError,
    auth_error,
    bad_request,
    model_not_found,
    out_of_quota,
    overloaded,
    rate_limited,
    server_error,
)
from routed_llm.testing.faults import Fault, FaultBook, FaultKind, RandomFaults, check_kinds
from routed_llm.testing.ids import IdRegistry
from routed_llm.testing.models import EmulatedModel, default_models
from routed_llm.testing.signing import Signer
from routed_llm.testing.transport import Handler, LoopbackServer

if TYPE_CHECKING:
    from routed_llm.catalog import Catalog

log = logging.getLogger("routed_llm.testing.emulator")
_PATH = re.compile(r"^/([A-Za-z0-9_.-]+)/v1/(chat/completions|messages|models)$")
_ALNUM = string.ascii_letters + string.digits
DEFAULT_RANDOM_KINDS: tuple[FaultKind, ...] = ("rate_limit", "server_error", "drop_stream", "malformed_tool_json", "timeout")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator received (bodies never hold API keys; headers are not kept)."""

    provider: str
    wire: Wire | None
    model: str | None
    path: str
    stream: bool
    status: int
    body: Mapping[str, Any] | None
    fault: FaultKind | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer decided but not yet sent: the status to record, and how to send it."""

    status: int
    send: Callable[[], None]


def _rand(n: int) -> str:
    return "".join(_ALNUM[b % 62] for b in secrets.token_bytes(n))


def _loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    if not host.startswith("127."):
        raise ValueError(f"the emulator only listens on loopback (127.0.0.0/8), not {host!r}")
    return host


class Emulator:
    """A loopback server speaking OpenAI Chat Completions and Anthropic Messages.

    ``api_keys`` maps provider -> the one key it accepts (others accept any non-empty key).
    ``time_scale`` multiplies each model's ttft and token pacing (0 = instant). ``strict=False``
    turns off the issued-id checks (format and pairing rules stay). ``secret`` signs thinking
    blocks (random per emulator by default). ``max_recorded`` bounds ``requests`` (oldest dropped).
    """

    def __init__(
        self,
        models: Iterable[EmulatedModel] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 0.0,
        api_keys: Mapping[str, str] | None = None,
        strict: bool = True,
        secret: bytes | None = None,
        anthropic_cache_min_tokens: int = 1024,
        max_recorded: int = 10_000,
    ) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self._host = _loopback(host)
        self._port = port
        self._time_scale = float(time_scale)
        self._strict = strict
        self._api_keys = dict(api_keys or {})
        self._models: dict[tuple[str, str], EmulatedModel] = {}
        self._providers: dict[str, Wire] = {}
        for model in default_models() if models is None else models:
            self._add_model(model)
        unknown = set(self._api_keys) - set(self._providers)
        if unknown:
            raise ValueError(f"api_keys names providers without models: {sorted(unknown)}")
        self._signer = Signer(secret if secret is not None else secrets.token_bytes(32))
        self._ids = IdRegistry()
        self._cache = PromptCache(anthropic_min_tokens=anthropic_cache_min_tokens)
        self._faults = FaultBook()
        self._requests: deque[RecordedRequest] = deque(maxlen=max_recorded)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    def _add_model(self, model: EmulatedModel) -> None:
        wire = self._providers.setdefault(model.provider, model.wire)
        if wire != model.wire:
            raise ValueError(f"provider {model.provider!r} speaks {wire!r}, but model {model.name!r} says {model.wire!r}")
        if (model.provider, model.name) in self._models:
            raise ValueError(f"model {model.provider}/{model.name} is defined twice")
        self._models[(model.provider, model.name)] = model

    # ---------------------------------------------------------------------------- lifecycle

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = LoopbackServer((self._host, self._port), self._dispatch)
        self._port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="routed-llm-emulator", daemon=True
        )
        self._thread.start()
        log.info("emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until ``stop()`` is called (from another thread or a signal handler)."""
        self._stopping.wait()

    # ----------------------------------------------------------------------------- addresses

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def base_url(self, provider: str) -> str:
        """What the provider's SDK takes as ``base_url``."""
        wire = self._providers.get(provider)
        if wire is None:
            raise KeyError(f"unknown provider {provider!r}; the emulator serves {sorted(self._providers)}")
        return f"{self.url}/{provider}/v1" if wire == "openai" else f"{self.url}/{provider}"

    def base_urls(self) -> dict[str, str]:
        return {p: self.base_url(p) for p in self._providers}

    def catalog(self, catalog: Catalog | None = None) -> Catalog:
        """``catalog`` (default: the package catalog) with its providers pointed at this emulator."""
        from routed_llm.catalog import load_catalog

        cat = catalog if catalog is not None else load_catalog()
        return cat.with_base_urls({p: u for p, u in self.base_urls().items() if p in cat.providers})

    @property
    def models(self) -> Mapping[str, EmulatedModel]:
        """``"provider/name"`` -> model."""
        return {f"{p}/{n}": m for (p, n), m in self._models.items()}

    def _model_key(self, model: str) -> str:
        """``"provider/name"`` for ``model`` given as a bare name (when unambiguous) or provider/name."""
        matches = [f"{p}/{n}" for (p, n) in self._models if n == model or f"{p}/{n}" == model]
        if len(matches) != 1:
            known = sorted({n for _, n in self._models})
            if not matches:
                raise KeyError(f"unknown model {model!r}; the emulator serves {known}")
            raise KeyError(f"model name {model!r} is served by several providers; say which: {matches}")
        return matches[0]

    @property
    def providers(self) -> Mapping[str, Wire]:
        return dict(self._providers)

    @property
    def time_scale(self) -> float:
        return self._time_scale

    @property
    def strict(self) -> bool:
        return self._strict

    # --------------------------------------------------------------------------------- faults

    def fault(self, model: str, fault: Fault, times: int | None = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests to ``model`` (None: until cleared).

        ``model`` is the wire name ("gpt-5-mini"), or "provider/name" where names collide.
        """
        self._faults.add(self._model_key(model), fault, times)

    def random_faults(
        self,
        rate: float,
        seed: int = 0,
        kinds: Iterable[str] = DEFAULT_RANDOM_KINDS,
        *,
        retry_after: float = 0.1,
        timeout_s: float = 5.0,
        after_chunks: int = 2,
    ) -> None:
        """Fail a ``rate`` share of requests (any model without a queued fault) with one of ``kinds``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._faults.set_random(RandomFaults(rate, seed, check_kinds(kinds), retry_after, timeout_s, after_chunks))

    def clear_faults(self) -> None:
        self._faults.clear()

    def down(self, provider: str) -> None:
        """Every request to ``provider`` fails (503 on the OpenAI wire, 529 on the Anthropic wire)."""
        if provider not in self._providers:
            raise KeyError(f"unknown provider {provider!r}; the emulator serves {sorted(self._providers)}")
        self._faults.down(provider)

    def up(self, provider: str | None = None) -> None:
        self._faults.up(provider)

    # ------------------------------------------------------------------------------ records

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def issuer(self, call_id: str) -> str | None:
        """The provider that issued tool-call id ``call_id``, if any."""
        return self._ids.issuer(call_id)

    def reset(self) -> None:
        """Forget faults, outages, recorded requests, cache entries and issued ids."""
        self._faults.clear()
        self._faults.up()
        self.clear_requests()
        self._cache.clear()
        self._ids.clear()

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(rec)

    def _sleep(self, seconds: float) -> bool:
        """Sleep; False when the emulator is stopping."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(seconds)

    # ------------------------------------------------------------------------------ dispatch

    def _dispatch(self, h: Handler, method: str) -> None:
        """Answer one request. The request is recorded before any byte of the answer is sent."""
        path = urlsplit(h.path).path.rstrip("/")
        m = _PATH.match(path)
        provider = m.group(1) if m else ""
        wire = self._providers.get(provider)
        ctx: dict[str, Any] = {"model": None, "stream": False, "body": None, "fault": None}
        error: str | None = None
        request_id = "req_" + _rand(24)
        reply: Reply
        try:
            raw = h.read_body() if method == "POST" else b""
            if m is None or wire is None:
                raise WireError(404, "not_found", f"Not found: {method} {path}")
            endpoint = m.group(2)
            if endpoint == "models" and method == "GET":
                self._auth(h, provider, wire)
                listing = self._model_list(provider, wire)
                reply = Reply(200, lambda: h.send_json(200, listing, self._headers(wire, request_id)))
            else:
                if method != "POST" or endpoint != ("chat/completions" if wire == "openai" else "messages"):
                    raise WireError(404, "not_found", f"Not found: {method} {path} (provider {provider!r} speaks the {wire} wire)")
                if self._faults.is_down(provider):
                    raise overloaded(wire)
                self._auth(h, provider, wire)
                body = self._json(raw)
                ctx.update(body=body, stream=body.get("stream") is True, model=body.get("model"))
                reply = self._answer(h, provider, wire, body, raw, ctx, request_id)
        except WireError as exc:
            error = exc.message
            reply = self._error_reply(h, wire or ("anthropic" if path.endswith("/messages") else "openai"), exc, request_id)
        except Exception as exc:  # the emulator answers 500 rather than dropping the socket
            log.exception("emulator bug while answering %s", path)
            error = f"emulator error: {type(exc).__name__}"
            reply = self._error_reply(h, wire or "openai", server_error(wire or "openai"), request_id)
        self._record(RecordedRequest(provider, wire, ctx["model"] if isinstance(ctx["model"], str) else None,
                                     path, ctx["stream"], reply.status, ctx["body"], ctx["fault"], error))
        try:
            reply.send()
        except OSError:
            h.close_connection = True
        except Exception:
            log.exception("emulator bug while sending the answer to %s", path)
            h.abort()

    def _error_reply(self, h: Handler, wire: Wire, exc: WireError, request_id: str, delay: float = 0.0) -> Reply:
        def send() -> None:
            if delay and not self._sleep(delay):
                h.abort()
                return
            h.send_json(exc.status, exc.body(wire, request_id), {**self._headers(wire, request_id), **exc.headers})

        return Reply(exc.status, send)

    @staticmethod
    def _headers(wire: Wire, request_id: str) -> dict[str, str]:
        return {"request-id": request_id} if wire == "anthropic" else {"x-request-id": request_id}

    def _auth(self, h: Handler, provider: str, wire: Wire) -> None:
        given = h.headers.get("x-api-key") if wire == "anthropic" else None
        if not given:
            auth = h.headers.get("Authorization") or ""
            given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not given:
            raise auth_error(wire, missing=True)
        expected = self._api_keys.get(provider)
        if expected is not None and not hmac.compare_digest(given.encode(), expected.encode()):
            raise auth_error(wire, missing=False)

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("We could not parse the JSON body of your request. (The body must be valid JSON.)") from exc
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    def _model_list(self, provider: str, wire: Wire) -> dict[str, Any]:
        names = [m.name for m in self._models.values() if m.provider == provider]
        if wire == "anthropic":
            data = [{"type": "model", "id": n, "display_name": n, "created_at": "2025-01-01T00:00:00Z"} for n in names]
            return {"data": data, "has_more": False, "first_id": names[0] if names else None, "last_id": names[-1] if names else None}
        return {"object": "list", "data": [{"id": n, "object": "model", "created": 1735689600, "owned_by": provider} for n in names]}

    def _answer(self, h: Handler, provider: str, wire: Wire, body: dict[str, Any], raw: bytes,
                ctx: dict[str, Any], request_id: str) -> Reply:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise bad_request("model: Field required" if wire == "anthropic" else "you must provide a model parameter",
                              code=None if wire == "anthropic" else "missing_required_parameter", param="model")
        model = self._models.get((provider, name))
        if model is None:
            raise model_not_found(wire, name)
        fault = self._faults.take(f"{provider}/{name}", hashlib.sha256(raw).digest())
        ctx["fault"] = fault.kind if fault is not None else None
        kind = fault.kind if fault is not None else None
        if fault is not None and kind == "timeout":
            seconds = fault.seconds

            def hang() -> None:
                self._sleep(seconds)
                h.abort()

            return Reply(0, hang)
        if fault is not None and kind not in ("slow_first_byte", "drop_stream", "malformed_tool_json"):
            exc = self._fault_error(wire, name, fault)
            return self._error_reply(h, wire, exc, request_id)
        extra_wait = fault.seconds if fault is not None and kind == "slow_first_byte" else 0.0
        if wire == "openai":
            conv = openai_wire.parse(body, provider=provider, model=model, registry=self._ids, strict=self._strict)
        else:
            conv = anthropic_wire.parse(body, provider=provider, model=model, registry=self._ids, strict=self._strict,
                                        signer=self._signer)
        out = plan(conv, model, issue_id=lambda i: self._ids.issue(provider, wire, conv.seed + b"#%d" % i),
                   malformed=kind == "malformed_tool_json")
        headers = self._headers(wire, request_id)
        drop = fault.after_chunks if fault is not None and kind == "drop_stream" else None
        per_token = self._time_scale / model.tokens_per_s
        first_byte = extra_wait + model.ttft_ms / 1000 * self._time_scale
        if wire == "openai":
            usage = openai_wire.usage(conv, out, self._cache.openai(provider, name, conv.segments), provider)
            response_id = "chatcmpl-" + _rand(29)
            frames = openai_wire.stream(conv, out, usage, response_id) if conv.stream else None
            payload = None if conv.stream else openai_wire.completion(conv, out, usage, response_id)
        else:
            usage = anthropic_wire.usage(conv, out, self._cache.anthropic(provider, name, conv.segments))
            message_id = "msg_01" + _rand(22)
            frames = anthropic_wire.stream(conv, out, usage, message_id, self._signer) if conv.stream else None
            payload = None if conv.stream else anthropic_wire.message(conv, out, usage, message_id, self._signer)

        def send() -> None:
            if not self._sleep(first_byte):
                h.abort()
            elif frames is not None:
                h.send_stream(frames, headers, seconds_per_token=per_token, drop_after=drop, sleep=self._sleep)
            elif not self._sleep(out.output_tokens * per_token) or drop is not None:
                h.abort()
            else:
                h.send_json(200, payload, headers)

        return Reply(200 if frames is not None or drop is None else 0, send)

    @staticmethod
    def _fault_error(wire: Wire, model: str, fault: Fault) -> WireError:
        if fault.kind == "rate_limit":
            return rate_limited(wire, model, fault.retry_after)
        if fault.kind == "server_error":
            return server_error(wire, fault.status or 500)
        if fault.kind == "overloaded":
            return overloaded(wire)
        if fault.kind == "quota":
            return out_of_quota(wire)
        return auth_error(wire, missing=False)
