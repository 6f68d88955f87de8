"""LangChain adapter of routed-llm: ``RoutedChatModel`` routes each agent step to the model that fits it."""

from __future__ import annotations

from langchain_routed_llm.callbacks import RoutingCallbackHandler, StepRecord, get_routing_callback
from langchain_routed_llm.chat_models import DECISION_EVENT, STEP_COST_EVENT, RoutedChatModel

__version__ = "0.1.0"

__all__ = [
    "DECISION_EVENT",
    "STEP_COST_EVENT",
    "RoutedChatModel",
    "RoutingCallbackHandler",
    "StepRecord",
    "__version__",
    "get_routing_callback",
]
