"""A research agent on LangChain's `create_agent`, with routed-llm as its model.

    python examples/research_agent_langchain.py [--out DIR]

One thread, one user turn per phase (plan, search, read, extract, summarize, answer), so the
checkpointer keeps the history and routed-llm keeps the thread's provider pin while each step goes
to the model that fits it. The only routed-llm lines are the model and the callback; swap
`search`/`fetch` for real tools (a web-search tool, a page fetcher) and nothing else changes.
With no API key set, it runs against the built-in emulator and says so first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _backend import backend
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_routed_llm import RoutedChatModel, get_routing_callback
from langgraph.checkpoint.memory import InMemorySaver

from routed_llm.demo import corpus
from routed_llm.demo.report import step_table, summarize, totals_text
from routed_llm.demo.research import PHASES, QUESTION, TOPIC
from routed_llm.trace import read_trace


@tool
def search(query: str) -> list[dict[str, str]]:
    """Search the research library. Returns the top documents as id, title and snippet."""
    return corpus.search(query)


@tool
def fetch(doc_id: str) -> str:
    """Fetch the full text of one document of the research library by its id (or title)."""
    return corpus.fetch(doc_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="routed-llm-demo/langchain")
    args = parser.parse_args()
    trace = Path(args.out) / "trace.jsonl"
    trace.parent.mkdir(parents=True, exist_ok=True)
    trace.unlink(missing_ok=True)
    with backend() as (router_kwargs, banner):
        print(banner)
        llm = RoutedChatModel(flagship="gpt-5", router_kwargs=router_kwargs)   # was: ChatOpenAI(model="gpt-5")
        agent = create_agent(llm, tools=[search, fetch], checkpointer=InMemorySaver(),
                             system_prompt="You are a careful research assistant. Cite document ids.")
        config = {"configurable": {"thread_id": "research-langchain"}}
        with get_routing_callback(trace_path=trace) as cb:
            for phase, template in PHASES:
                state = agent.invoke(
                    {"messages": [{"role": "user", "content": template.format(question=QUESTION, topic=TOPIC)}]},
                    config,
                )
                print(f"  {phase:<9} {state['messages'][-1].text[:70]!r}")
    summary = summarize(read_trace(trace))
    print()
    print(step_table(summary.steps))
    print(totals_text(summary))
    assert summary.total.cost == cb.total_cost, "trace and callback totals disagree"
    print(f"trace: {trace}")


if __name__ == "__main__":
    main()
