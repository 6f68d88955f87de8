"""langchain-tests' standard integration suite, run against the provider emulator.

The emulator is deterministic and does not understand language: it calls the tools named in the
newest user message and otherwise answers with plausible filler. Tests whose assertion needs real
understanding of the prompt are marked xfail with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from lc_support import emulated_model_params
from routed_llm.testing import Emulator

from langchain_routed_llm import RoutedChatModel

_EMULATOR: Emulator | None = None


def _emulator() -> Emulator:
    global _EMULATOR
    if _EMULATOR is None:
        _EMULATOR = Emulator().start()
    return _EMULATOR


@pytest.fixture(scope="module", autouse=True)
def _running_emulator() -> Iterator[Emulator]:
    global _EMULATOR
    emu = _emulator()
    yield emu
    emu.stop()
    _EMULATOR = None


NEEDS_UNDERSTANDING = "the emulator does not understand language; {what}"


class TestRoutedChatModelIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return RoutedChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return emulated_model_params(_emulator())

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gpt-5-mini"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        return {
            "invoke": ["reasoning_output", "cache_read_input", "cache_creation_input"],
            "stream": ["reasoning_output", "cache_read_input", "cache_creation_input"],
        }

    def _call(self, model: BaseChatModel, messages: list[Any], stream: bool) -> AIMessage:
        if not stream:
            return model.invoke(messages)  # type: ignore[return-value]
        full = None
        for chunk in model.stream(messages):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full  # type: ignore[return-value]

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = RoutedChatModel(**self.chat_model_params, model="claude-sonnet-4-5",
                              thinking={"budget_tokens": 1024})  # type: ignore[arg-type]
        return self._call(llm, [HumanMessage("Think it through: what is 17 * 23?")], stream)

    def _long_prefix(self) -> list[Any]:
        return [SystemMessage("You are a meticulous assistant. " + "Follow the house style guide. " * 400)]

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        llm = RoutedChatModel(**self.chat_model_params, model="claude-haiku-4-5")
        prefix = self._long_prefix()
        self._call(llm, [*prefix, HumanMessage("first question")], stream)
        return self._call(llm, [*prefix, HumanMessage("second question")], stream)

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> AIMessage:
        llm = RoutedChatModel(**self.chat_model_params, model="claude-haiku-4-5")
        return self._call(llm, [*self._long_prefix(), HumanMessage("a new question")], stream)

    # ------------------------------------------------------------------ what the emulator cannot do
    @pytest.mark.xfail(reason=NEEDS_UNDERSTANDING.format(
        what="'What is the value of magic_function(3)?' must be read as the argument input=3"), strict=True)
    @pytest.mark.parametrize("model", [{}, {"output_version": "v1"}], indirect=True)
    def test_tool_calling(self, model: BaseChatModel) -> None:
        super().test_tool_calling(model)

    @pytest.mark.xfail(reason=NEEDS_UNDERSTANDING.format(
        what="'magic_function(3)' must be read as the argument input=3"), strict=True)
    async def test_tool_calling_async(self, model: BaseChatModel) -> None:
        await super().test_tool_calling_async(model)

    @pytest.mark.xfail(reason=NEEDS_UNDERSTANDING.format(
        what="the prompt never names get_weather; picking it for 'What is the weather' needs understanding"),
        strict=True)
    @pytest.mark.parametrize("model", [{}, {"output_version": "v1"}], indirect=True)
    def test_agent_loop(self, model: BaseChatModel) -> None:
        super().test_agent_loop(model)

    @pytest.mark.xfail(reason=NEEDS_UNDERSTANDING.format(
        what="json_mode must follow the keys (setup, punchline) described in the prose prompt"), strict=True)
    def test_json_mode(self, model: BaseChatModel) -> None:
        super().test_json_mode(model)

    @pytest.mark.xfail(reason=NEEDS_UNDERSTANDING.format(
        what="the customer name 你好 must be copied from the prose prompt into the tool arguments"), strict=True)
    def test_unicode_tool_call_integration(
        self, model: BaseChatModel, *, tool_choice: str | None = None, force_tool_call: bool = True
    ) -> None:
        super().test_unicode_tool_call_integration(model, tool_choice=tool_choice, force_tool_call=force_tool_call)

    @pytest.mark.xfail(reason="downloads its test image from wikimedia.org and the tests run offline "
                              "(inline images are covered in test_lc_emulated.py)", strict=False)
    def test_image_inputs(self, model: BaseChatModel) -> None:
        super().test_image_inputs(model)

    @pytest.mark.xfail(reason="downloads its test image from wikimedia.org and the tests run offline "
                              "(inline images are covered in test_lc_emulated.py)", strict=False)
    def test_image_tool_message(self, model: BaseChatModel) -> None:
        super().test_image_tool_message(model)
