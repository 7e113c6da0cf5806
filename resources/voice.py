"""The voice-over role: an OpenAI-compatible speech endpoint, or eSpeak NG from its wheel."""

from __future__ import annotations

from resources.endpoint import EndpointResource, FailFast


class VoiceResource(EndpointResource):
    model: str = "gpt-4o-mini-tts"

    def voice(self):
        if self.is_offline:
            from filmcraft.voice import EspeakVoice

            return EspeakVoice()
        from resources.openai_media import OpenAIVoice

        # a model-role fault fails the step without a step retry (the request's retries are spent)
        return FailFast(OpenAIVoice(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries))
