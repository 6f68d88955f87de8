"""SessionManager: session identity, the provider pin, and the caller <-> provider id map.

    mgr = SessionManager(open_store(None), catalog=catalog)
    sid = mgr.resolve_id(request)
    pinned = mgr.pinned_provider(sid, request)          # None: route freely, then mgr.pin(sid, p)
    outgoing = mgr.prepare(sid, request, model)         # ids and reasoning for this model
    response = mgr.commit(sid, provider_response, model)  # caller ids, mapping persisted

Nothing is written to the id map before a step succeeds: ``prepare`` only reads, ``commit``
writes. Caller ids are minted here (see :mod:`routed_llm.sessions.ids`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from routed_llm.catalog import Catalog, ModelSpec, Wire
from routed_llm.errors import ConfigError, SessionStoreError
from routed_llm.messages import ProviderResponse, Request
from routed_llm.sessions.ids import fingerprint, mint_caller_id
from routed_llm.sessions.rewrite import (
    is_new_user_turn,
    request_ids,
    response_ids,
    rewrite_request,
    rewrite_response,
)
from routed_llm.sessions.store import DEFAULT_TTL_S, IdEntry, Move, SessionStore

_PENDING_LIMIT = 10_000
_MINT_ATTEMPTS = 8


class SessionManager:
    """Per-session provider pin and tool-call id map over a :class:`SessionStore`.

    Args:
        store: where sessions live (``open_store(...)``).
        pin_ttl_s: a session (pin, id map, moves, spend) expires this long after its last step.
        reroute_on_new_turn: a new user turn with no open tool loop may choose any provider.
        catalog: tells each provider's wire protocol (default: the shipped catalog).
        wires: provider -> "openai" / "anthropic", overriding the catalog.
    """

    def __init__(
        self,
        store: SessionStore,
        *,
        pin_ttl_s: float = DEFAULT_TTL_S,
        reroute_on_new_turn: bool = False,
        catalog: Catalog | None = None,
        wires: Mapping[str, Wire] | None = None,
    ) -> None:
        if pin_ttl_s <= 0:
            raise ConfigError("pin_ttl_s must be a positive number of seconds", key="pin_ttl_s")
        self.store = store
        self.pin_ttl_s = float(pin_ttl_s)
        self.reroute_on_new_turn = reroute_on_new_turn
        self._catalog = catalog
        self._wires = dict(wires or {})
        self._pending: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._pending_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"SessionManager(store={self.store!r}, pin_ttl_s={self.pin_ttl_s}, "
            f"reroute_on_new_turn={self.reroute_on_new_turn})"
        )

    # ----------------------------------------------------------------- identity
    @staticmethod
    def resolve_id(request: Request) -> str:
        """``request.session_id`` when set, else a fingerprint of the opening messages."""
        if request.session_id:
            return request.session_id
        return fingerprint(request.messages)

    def wire(self, provider: str) -> Wire:
        wire = self._wires.get(provider)
        if wire is not None:
            return wire
        catalog = self._catalog or Catalog.load_default()
        spec = catalog.providers.get(provider)
        if spec is None:
            raise ConfigError(
                f"provider {provider!r} is not in the session manager's catalog; pass "
                "SessionManager(catalog=...) or wires={provider: 'openai' | 'anthropic'}",
                key="catalog",
            )
        self._wires[provider] = spec.wire
        return spec.wire

    # ----------------------------------------------------------------- pin
    def pinned_provider(self, session_id: str, request: Request) -> str | None:
        pin = self.store.get_pin(session_id)
        if pin is not None and self._free_turn(request):
            self.store.clear_pin_if(session_id, pin)
            return None
        return pin

    async def apinned_provider(self, session_id: str, request: Request) -> str | None:
        pin = await self.store.aget_pin(session_id)
        if pin is not None and self._free_turn(request):
            await self.store.aclear_pin_if(session_id, pin)
            return None
        return pin

    def _free_turn(self, request: Request) -> bool:
        return self.reroute_on_new_turn and is_new_user_turn(request.messages)

    def pin(self, session_id: str, provider: str) -> str:
        """Pin ``provider`` unless another step (maybe another process) pinned first; the holder."""
        return self.store.pin_if_absent(session_id, provider, self.pin_ttl_s)

    async def apin(self, session_id: str, provider: str) -> str:
        return await self.store.apin_if_absent(session_id, provider, self.pin_ttl_s)

    def move(self, session_id: str, from_provider: str, to_provider: str) -> str:
        """Move the pin after a cross-provider failover (compare-and-set); the holder."""
        return self.store.move_pin(session_id, from_provider, to_provider, self.pin_ttl_s, time.time())

    async def amove(self, session_id: str, from_provider: str, to_provider: str) -> str:
        return await self.store.amove_pin(session_id, from_provider, to_provider, self.pin_ttl_s, time.time())

    def moves(self, session_id: str) -> list[Move]:
        return self.store.moves(session_id)

    async def amoves(self, session_id: str) -> list[Move]:
        return await self.store.amoves(session_id)

    # ----------------------------------------------------------------- outgoing requests
    def prepare(self, session_id: str, request: Request, model: ModelSpec) -> Request:
        """A new Request for ``model``: tool-call ids in its provider's terms, reasoning blocks
        only for the model that wrote them, thinking off when the history needs it off."""
        ids = request_ids(request)
        known = self.store.lookup_callers(session_id, ids) if ids else {}
        return rewrite_request(session_id, request, model, self.wire(model.provider), known)

    async def aprepare(self, session_id: str, request: Request, model: ModelSpec) -> Request:
        ids = request_ids(request)
        known = await self.store.alookup_callers(session_id, ids) if ids else {}
        return rewrite_request(session_id, request, model, self.wire(model.provider), known)

    # ----------------------------------------------------------------- responses
    def caller_id(self, session_id: str, provider: str, provider_id: str) -> str:
        """The caller id for a streamed provider id; ``commit`` later persists the same one."""
        held = self.store.lookup_issued(session_id, provider, [provider_id]).get(provider_id)
        return held if held is not None else self._pending_id(session_id, provider, provider_id)

    async def acaller_id(self, session_id: str, provider: str, provider_id: str) -> str:
        held = (await self.store.alookup_issued(session_id, provider, [provider_id])).get(provider_id)
        return held if held is not None else self._pending_id(session_id, provider, provider_id)

    def _pending_id(self, session_id: str, provider: str, provider_id: str) -> str:
        key = (session_id, provider, provider_id)
        with self._pending_lock:
            caller = self._pending.get(key)
            if caller is None:
                caller = self._pending[key] = mint_caller_id()
                while len(self._pending) > _PENDING_LIMIT:
                    self._pending.popitem(last=False)
            return caller

    def _proposals(self, session_id: str, provider: str, provider_ids: Sequence[str]) -> list[IdEntry]:
        with self._pending_lock:
            return [
                (self._pending.get((session_id, provider, pid)) or mint_caller_id(), provider, pid)
                for pid in provider_ids
            ]

    def _settle(
        self, session_id: str, proposals: list[IdEntry], held: Sequence[str | None], out: dict[str, str]
    ) -> list[IdEntry]:
        """Record the callers the store holds; return the proposals whose caller id was taken."""
        retry: list[IdEntry] = []
        with self._pending_lock:
            for (_caller, provider, pid), holder in zip(proposals, held, strict=True):
                if holder is None:
                    retry.append((mint_caller_id(), provider, pid))
                else:
                    out[pid] = holder
                    self._pending.pop((session_id, provider, pid), None)
        return retry

    def commit(self, session_id: str, response: ProviderResponse, model: ModelSpec) -> ProviderResponse:
        """Persist caller ids for the response's new tool calls; the response in caller ids."""
        pids = response_ids(response)
        proposals = self._proposals(session_id, model.provider, pids)
        out: dict[str, str] = {}
        for _ in range(_MINT_ATTEMPTS):
            held = self.store.map_ids(session_id, proposals, self.pin_ttl_s)
            proposals = self._settle(session_id, proposals, held, out)
            if not proposals:
                return rewrite_response(response, out)
        raise SessionStoreError(f"could not mint a free caller id for session {session_id!r}")

    async def acommit(self, session_id: str, response: ProviderResponse, model: ModelSpec) -> ProviderResponse:
        pids = response_ids(response)
        proposals = self._proposals(session_id, model.provider, pids)
        out: dict[str, str] = {}
        for _ in range(_MINT_ATTEMPTS):
            held = await self.store.amap_ids(session_id, proposals, self.pin_ttl_s)
            proposals = self._settle(session_id, proposals, held, out)
            if not proposals:
                return rewrite_response(response, out)
        raise SessionStoreError(f"could not mint a free caller id for session {session_id!r}")
