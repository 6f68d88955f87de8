"""Start the provider emulator in a separate process, so the server does not share the GIL with
the client being measured."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def emulator_process(time_scale: float = 0.0) -> Iterator[str]:
    """Yield the emulator's root URL (http://127.0.0.1:PORT); provider paths hang below it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "routed_llm.testing", "--port", str(port), "--time-scale", str(time_scale)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the emulator did not start within 20 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class RemoteEmulator:
    """The bit of the Emulator interface Router.for_emulator needs, for a server in another process."""

    def __init__(self, root: str, catalog_wires: dict[str, str]) -> None:
        self.root = root
        self._wires = catalog_wires

    def base_url(self, provider: str) -> str:
        if self._wires.get(provider) == "anthropic":
            return f"{self.root}/{provider}"
        return f"{self.root}/{provider}/v1"
