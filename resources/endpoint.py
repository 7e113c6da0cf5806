"""What every model-role resource shares: an OpenAI-compatible endpoint (empty base URL: the embedded
offline backend) and budgets that fail a step at once.

Each role resource is configured from environment variables by ``resources.build_resources``; API keys
are passed as ``EnvVar`` so their values never appear in run config or the UI.
"""

from __future__ import annotations

from typing import Optional

import dagster as dg

from filmcraft.budget import BudgetExceeded


def budget_failure(exc: BudgetExceeded) -> dg.Failure:
    """A spent budget fails the step at once: the asset's RetryPolicy cannot help, only a larger budget can."""
    return dg.Failure(description=str(exc), allow_retries=False,
                      metadata={"budget": exc.budget, "limit": float(exc.limit), "used": float(exc.used)})


class FailFastOnBudget:
    """A model client as stages see it, with BudgetExceeded from any of its methods turned into a
    non-retried step failure."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        value = getattr(self._model, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except BudgetExceeded as exc:
                raise budget_failure(exc) from None
        return call


class EndpointResource(dg.ConfigurableResource):
    base_url: Optional[str] = None  # empty -> the embedded offline backend
    model: str = ""
    api_key: Optional[str] = None
    timeout_s: float = 120.0
    max_retries: int = 3

    @property
    def is_offline(self) -> bool:
        return not self.base_url

    def backend_name(self) -> str:
        return "offline" if self.is_offline else f"openai-compatible:{self.model}"
