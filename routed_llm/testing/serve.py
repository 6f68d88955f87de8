"""Run the emulator in the foreground (``python -m routed_llm.testing``, ``routed-llm emulator``)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import TextIO

from routed_llm.testing.emulator import Emulator
from routed_llm.testing.models import EmulatedModel


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    time_scale: float = 0.0,
    models: Iterable[EmulatedModel] | None = None,
    api_keys: Mapping[str, str] | None = None,
    strict: bool = True,
    secret: bytes | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), printing each provider's base URL first."""
    emu = Emulator(models, host=host, port=port, time_scale=time_scale, api_keys=api_keys, strict=strict, secret=secret)
    stream = out if out is not None else sys.stdout
    emu.start()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def _term(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _term)
    try:
        print(f"routed-llm emulator on {emu.url} (time_scale={time_scale:g}, strict={strict})", file=stream)
        for provider, url in emu.base_urls().items():
            print(f"  {provider:<12} {emu.providers[provider]:<10} {url}", file=stream)
        print("Ctrl-C to stop.", file=stream, flush=True)
        emu.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
