"""LlamaIndex adapter of routed-llm: ``RoutedLLM`` routes every agent step to the model that fits."""

from llama_index.llms.routed.base import RoutedLLM
from llama_index.llms.routed.events import RoutingDecisionEvent, StepCostEvent
from llama_index.llms.routed.handler import RoutedStep, RoutingEventHandler, get_routing_handler

__all__ = [
    "RoutedLLM",
    "RoutedStep",
    "RoutingDecisionEvent",
    "RoutingEventHandler",
    "StepCostEvent",
    "get_routing_handler",
]
