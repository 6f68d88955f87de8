"""The same research agent on LlamaIndex's `FunctionAgent`, with routed-llm as its LLM.

    python examples/research_agent_llamaindex.py [--out DIR]

One memory carries the history across the phases (plan, search, read, extract,
summarize, answer); `llm.session(...)` keeps the provider pin, since an LLM never sees the workflow
Context. Swap `search`/`fetch` for real tools and nothing else changes. With no API key
set, it runs against the built-in emulator and says so first.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from _backend import backend
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.llms.routed import RoutedLLM, get_routing_handler

from routed_llm.demo import corpus
from routed_llm.demo.report import step_table, summarize, totals_text
from routed_llm.demo.research import PHASES, QUESTION, TOPIC
from routed_llm.trace import read_trace


def search(query: str) -> list[dict[str, str]]:
    """Search the research library. Returns the top documents as id, title and snippet."""
    return corpus.search(query)


def fetch(doc_id: str) -> str:
    """Fetch the full text of one document of the research library by its id (or title)."""
    return corpus.fetch(doc_id)


async def run(router_kwargs: dict[str, object], trace: Path) -> None:
    llm = RoutedLLM(flagship="gpt-5", **router_kwargs)    # was: OpenAI(model="gpt-5")
    agent = FunctionAgent(tools=[search, fetch], llm=llm,
                          system_prompt="You are a careful research assistant. Cite document ids.")
    memory = ChatMemoryBuffer.from_defaults(token_limit=100_000)   # the history across phases
    with get_routing_handler(trace_path=str(trace)) as handler, llm.session("research-llamaindex"):
        for phase, template in PHASES:
            handle = agent.run(template.format(question=QUESTION, topic=TOPIC), memory=memory)
            result = await handle
            print(f"  {phase:<9} {str(result)[:70]!r}")
    await llm.router.aclose()
    summary = summarize(read_trace(trace))
    print()
    print(step_table(summary.steps))
    print(totals_text(summary))
    assert summary.total.cost == handler.total_cost, "trace and handler totals disagree"
    print(f"trace: {trace}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="routed-llm-demo/llamaindex")
    args = parser.parse_args()
    trace = Path(args.out) / "trace.jsonl"
    trace.parent.mkdir(parents=True, exist_ok=True)
    trace.unlink(missing_ok=True)
    with backend() as (router_kwargs, banner):
        print(banner)
        asyncio.run(run(router_kwargs, trace))


if __name__ == "__main__":
    main()
