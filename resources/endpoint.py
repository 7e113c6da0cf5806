"""What every model-role resource shares: an OpenAI-compatible endpoint (empty base URL: the embedded
offline backend) and failures that no step retry repeats.

Each role resource is configured from environment variables by ``resources.build_resources``; API keys
are passed as ``EnvVar`` so their values never appear in run config or the UI.

A model-role request owns its whole retry budget (``resources.openai_backends.RoleEndpoint``): by the
time a ``ModelRoleError`` or a ``BudgetExceeded`` reaches a step, retrying is over or cannot help, so
``FailFast`` turns both into a ``dg.Failure(allow_retries=False)``: the asset's RetryPolicy (kept for
crashed step processes) does not send the same requests again.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Optional

import dagster as dg

from filmcraft.budget import BudgetExceeded
from resources.openai_backends import ModelRoleError


def budget_failure(exc: BudgetExceeded) -> dg.Failure:
    """A spent budget fails the step at once: the asset's RetryPolicy cannot help, only a larger budget can."""
    return dg.Failure(description=str(exc), allow_retries=False,
                      metadata={"budget": exc.budget, "limit": float(exc.limit), "used": float(exc.used)})


class ModelRoleFailure(ModelRoleError, dg.Failure):
    """A model role's fault as a step failure that is not retried; still a ``ModelRoleError`` for callers
    outside a run (the CLI's search)."""

    def __init__(self, exc: ModelRoleError):
        ModelRoleError.__init__(self, exc.role, exc.fault, exc.requests, exc.status)
        metadata = {"role": exc.role}
        if exc.requests is not None:
            metadata["requests_sent"] = exc.requests
        if exc.status is not None:
            metadata["http_status"] = exc.status
        dg.Failure.__init__(self, description=str(exc), metadata=metadata, allow_retries=False)


@contextmanager
def fail_fast():
    """Inside: a ``BudgetExceeded`` or ``ModelRoleError`` leaves as a step failure that is not retried."""
    try:
        yield
    except BudgetExceeded as exc:
        raise budget_failure(exc) from None
    except ModelRoleFailure:
        raise
    except ModelRoleError as exc:
        raise ModelRoleFailure(exc) from None


class FailFast:
    """A model client as stages see it: every attribute and method call runs inside ``fail_fast``.
    Transparent otherwise: ``isinstance`` sees the wrapped client's class."""

    def __init__(self, model):
        self._model = model

    @property
    def __class__(self):  # noqa: D105 (isinstance(wrapped, OpenAIVisionJudge) holds, as unittest.mock does)
        return type(self._model)

    def __getattr__(self, name):
        with fail_fast():
            value = getattr(self._model, name)  # properties (an embedder's dim) may send requests too
        if not callable(value):
            return value

        def call(*args, **kwargs):
            with fail_fast():
                return value(*args, **kwargs)
        return call


FailFastOnBudget = FailFast  # the name it had while it covered budgets only


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
