"""Pools and retry policies shared by the asset groups.

Model-role errors a retry cannot fix (an invalid answer after its repair request, a spent budget) fail
the step without retries; these policies are for transient faults only.
"""

import dagster as dg

LLM_POOL = "filmaster_llm"  # concurrency pool: keeps parallel runs from flooding a text endpoint
LLM_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# A video backend error is retried with backoff; if it persists only this scene's run fails.
CLIP_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
