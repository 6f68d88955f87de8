"""Token estimates without a tokenizer download.

Providers report exact usage after a call; before it we only need an estimate good enough to check
context windows and to price the step for the policy. ~4 bytes a token holds for English on the
GPT and Claude tokenizers; code and non-Latin scripts run denser, so UTF-8 bytes (not characters)
are counted, which over-estimates rather than under-estimates.
"""

from __future__ import annotations

from collections.abc import Iterable

from routed_llm.messages import ImagePart, Message, ReasoningPart, Request, TextPart

BYTES_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
IMAGE_TOKENS = 765


def estimate_text_tokens(text: str) -> int:
    if not text:
        return 0
    return -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN)


def estimate_message_tokens(message: Message) -> int:
    n = MESSAGE_OVERHEAD_TOKENS
    for part in message.content:
        if isinstance(part, TextPart):
            n += estimate_text_tokens(part.text)
        elif isinstance(part, ReasoningPart):
            n += estimate_text_tokens(part.text)
        elif isinstance(part, ImagePart):
            n += IMAGE_TOKENS
    for call in message.tool_calls:
        n += estimate_text_tokens(call.name) + estimate_text_tokens(call.raw_arguments or str(dict(call.arguments)))
    return n


def estimate_messages_tokens(messages: Iterable[Message]) -> int:
    return sum(estimate_message_tokens(m) for m in messages)


def estimate_request_tokens(request: Request) -> int:
    """Estimated prompt tokens of ``request``: messages plus tool schemas."""
    n = estimate_messages_tokens(request.messages)
    for tool in request.tools:
        n += estimate_text_tokens(tool.name) + estimate_text_tokens(tool.description)
        n += estimate_text_tokens(str(dict(tool.parameters)))
    return n
