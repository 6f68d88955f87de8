"""The step window: the text a step is classified on.

It is the newest user message plus the tool results that arrived after it (tool messages, and
the "Observation: ..." user messages of text-based ReAct agents), cut head + tail to a token
budget. Only the tail of the conversation is walked and only the kept characters are copied,
so the cost is flat however long the conversation grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from routed_llm.messages import Message, TextPart
from routed_llm.tokens import BYTES_PER_TOKEN, estimate_text_tokens

DEFAULT_BUDGET_TOKENS = 256
ELLIPSIS = "\n…\n"
# Walk back at most this many messages looking for the user turn; a step with more tool results
# than this keeps the newest ones.
MAX_WALK = 512


def _message_text(message: Message, limit: int) -> str:
    """The message's text, head + tail cut to ``limit`` characters without joining huge parts."""
    parts = [p.text for p in message.content if isinstance(p, TextPart)]
    if len(parts) == 1:
        return truncate_chars(parts[0], limit)
    return truncate_chars("".join(truncate_chars(p, limit) for p in parts), limit)


def truncate_chars(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = max(limit // 2, 1)
    return text[:half] + ELLIPSIS + text[-half:]


def truncate_tokens(text: str, budget_tokens: int) -> str:
    """Cut ``text`` head + tail so its estimated tokens fit ``budget_tokens``."""
    if budget_tokens <= 0:
        return ""
    max_bytes = budget_tokens * BYTES_PER_TOKEN
    # A character is at least one byte: slice by characters first so huge inputs cost O(budget).
    text = truncate_chars(text, max_bytes)
    if estimate_text_tokens(text) <= budget_tokens:
        return text
    head_bytes = tail_bytes = (max_bytes - len(ELLIPSIS.encode())) // 2
    raw = text.encode("utf-8", "surrogatepass")
    head = raw[:head_bytes].decode("utf-8", "ignore")
    tail = raw[-tail_bytes:].decode("utf-8", "ignore") if tail_bytes > 0 else ""
    return head + ELLIPSIS + tail


OBSERVATION = "Observation:"


def is_observation(message: Message) -> bool:
    """A ReAct observation: a tool's output that a text-based ReAct agent (LlamaIndex's
    ``ReActAgent``, LangChain's ReAct prompts) sends as a user message starting "Observation:".
    The window treats it as a tool result, not as the user's instruction."""
    if message.role != "user":
        return False
    for part in message.content:
        if isinstance(part, TextPart):
            return part.text.lstrip()[: len(OBSERVATION)].lower() == OBSERVATION.lower()
    return False


def _newest_user_index(messages: Sequence[Message]) -> int | None:
    """The newest user message that is not a ReAct observation (else the newest user message)."""
    stop = max(len(messages) - MAX_WALK, 0)
    newest = None
    for i in range(len(messages) - 1, stop - 1, -1):
        if messages[i].role == "user":
            if not is_observation(messages[i]):
                return i
            if newest is None:
                newest = i
    return newest


def step_window(messages: Sequence[Message], *, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    """The newest user message plus the tool results since it, cut head + tail to ``budget_tokens``.

    ReAct observations count as tool results. Assistant text since the user message is left out. Without a user message the last message
    that has text is used.
    """
    limit = max(budget_tokens, 1) * BYTES_PER_TOKEN
    user_at = _newest_user_index(messages)
    if user_at is None:
        stop = max(len(messages) - MAX_WALK, 0)
        for i in range(len(messages) - 1, stop - 1, -1):
            text = _message_text(messages[i], limit)
            if text.strip():
                return truncate_tokens(text, budget_tokens)
        return ""
    pieces = [_message_text(messages[user_at], limit)]
    tools: list[str] = []
    used = 0
    # Newest tool results first so a long step keeps its latest output, then put them in order.
    for i in range(len(messages) - 1, user_at, -1):
        m = messages[i]
        if (m.role != "tool" and not is_observation(m)) or used >= limit:
            continue
        text = _message_text(m, limit)
        used += len(text)
        tools.append(text)
    pieces.extend(reversed(tools))
    return truncate_tokens("\n\n".join(p for p in pieces if p), budget_tokens)


def turn_key(messages: Sequence[Message]) -> str:
    """A stable key of the current user turn: the newest user message's index and a hash of its
    text. Steps within one turn (tool results arriving) share it; a new user message changes it."""
    user_at = _newest_user_index(messages)
    if user_at is None:
        return "no-user"
    h = hashlib.blake2b(digest_size=12)
    for part in messages[user_at].content:
        if isinstance(part, TextPart):
            h.update(part.text.encode("utf-8", "surrogatepass"))
    return f"{user_at}:{h.hexdigest()}"


def window_key(text: str) -> str:
    """A compact cache key of a window's text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
