"""routed-llm: task-aware model routing for agents.

Each call is classified (reasoning, code, creative, rewrite, chat, extraction, summarize,
translation), sent to the model that fits within the session's pinned provider, retried and failed
over, and reported with its routing decision and its cost next to the flagship's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routed_llm.catalog import Catalog, ModelSpec, ProviderSpec, load_catalog
from routed_llm.errors import (
    AllAttemptsFailedError,
    AuthenticationError,
    BudgetExceededError,
    ConfigError,
    ContextWindowError,
    InvalidRequestError,
    NoRouteError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    RoutedLLMError,
    SessionStoreError,
    StreamInterruptedError,
)
from routed_llm.events import Attempt, Listener, RoutingDecision, StepCost
from routed_llm.labels import LABELS, Label
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    Request,
    ResponseFormat,
    RoutingOptions,
    TextPart,
    Thinking,
    ToolCall,
    ToolSpec,
    Usage,
)
from routed_llm.response import Response, StreamChunk

if TYPE_CHECKING:
    from routed_llm.router import Router

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The Router pulls in the policy, classifier and session layers; load them on first use so
    # `import routed_llm` stays cheap.
    if name == "Router":
        from routed_llm.router import Router

        return Router
    raise AttributeError(f"module 'routed_llm' has no attribute {name!r}")


__all__ = [
    "LABELS",
    "AllAttemptsFailedError",
    "Attempt",
    "AuthenticationError",
    "BudgetExceededError",
    "Catalog",
    "ConfigError",
    "ContextWindowError",
    "ImagePart",
    "InvalidRequestError",
    "Label",
    "Listener",
    "Message",
    "ModelSpec",
    "NamedTool",
    "NoRouteError",
    "ProviderError",
    "ProviderSpec",
    "QuotaExceededError",
    "RateLimitError",
    "ReasoningPart",
    "Request",
    "Response",
    "ResponseFormat",
    "RoutedLLMError",
    "Router",
    "RoutingDecision",
    "RoutingOptions",
    "SessionStoreError",
    "StepCost",
    "StreamChunk",
    "StreamInterruptedError",
    "TextPart",
    "Thinking",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "__version__",
    "load_catalog",
]
