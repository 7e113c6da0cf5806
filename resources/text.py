"""The text roles (writer, story editor, storyboard artist, scene structurer, cinematographer, audience,
analyst): an OpenAI-compatible chat model, or the offline director when no endpoint is set."""

from __future__ import annotations

from typing import Optional

from filmcraft.budget import Budget
from filmcraft.store import Studio
from resources.endpoint import EndpointResource, FailFast


class TextModelResource(EndpointResource):
    """Writer, cinematographer, audience, analyst, editor roles."""

    model: str = "gpt-4o-mini"
    seed: int = 0

    def chat_model(self, studio: Studio, budget: Optional[Budget] = None):
        """``budget``: the film's LLM token budget, checked before and charged after each real request."""
        if self.is_offline:
            return None  # stages fall back to the offline director
        from resources.openai_backends import OpenAIChatModel

        model = OpenAIChatModel(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries, self.seed,
                                studio, budget)
        return FailFast(model)  # a model-role fault or a spent budget fails the step without a step retry
