"""Shared fixtures of the LlamaIndex adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.instrumentation import get_dispatcher
from llamaindex_fakes import Capture


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]
