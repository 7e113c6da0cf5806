"""Pools and retry policies shared by the asset groups.

A model-role request owns its whole retry budget (``resources.openai_backends.RoleEndpoint``: transient
faults retried with backoff, ``FILMASTER_<ROLE>_MAX_RETRIES`` times). Every model-role error that
reaches a step (the budget spent, a fault no retry fixes, an invalid answer after its one repair
request, a spent film budget) fails the step with ``allow_retries=False`` (``resources.endpoint.FailFast``),
so these policies never send a model request again for it. They remain for the faults a step retry
can fix: a step process that crashed or was killed (multiprocess executor), a full disk freed in the
meantime. A re-run step asks the endpoint only for answers it does not have yet: answers and clips
already received are content-addressed in the studio, so the worst case is the request that was in
flight when the process died, sent once more with its own budget.
"""

import os

import dagster as dg

LLM_POOL = "filmaster_llm"  # concurrency pool: keeps parallel runs from flooding a text endpoint
# Concurrency pool of the image role (reference_images): films made side by side share one image service's
# rate limit. Limit it per instance: `dagster instance concurrency set filmaster_image 1` (README).
IMAGE_POOL = "filmaster_image"


def video_pool() -> str | None:
    """The pool of the video service the clips go to, one per service (``filmaster_video_kling``, ...), so
    a limit set for one service (``dagster instance concurrency set filmaster_video_kling 2``) caps its
    concurrent clips across all runs; none for the offline previs, which renders on this machine's CPU.
    Read from the environment when the definitions load, as the resources are."""
    if not os.environ.get("FILMASTER_VIDEO_BASE_URL", "").strip():
        return None
    return f"filmaster_video_{os.environ.get('FILMASTER_VIDEO_BACKEND', '').strip() or 'openai'}"


# The other roles that call a service when configured. A Dagster step has one pool, so a step that calls
# several services is capped on the first of them that is configured, the scarcest first (multimodal judge,
# then speech, then embeddings); its calls to the others are not capped by it (README "Run it on a cluster").
# Offline, a role runs on this machine's CPU and its steps get no pool, as the offline previs gets none.
_ROLE_ENV = {"vision": "VISION", "voice": "TTS", "embeddings": "EMBED"}


def service_pool(*roles: str) -> str | None:
    """The pool of the first of ``roles`` pointed at a service (``FILMASTER_<ROLE>_BASE_URL`` set):
    ``filmaster_vision``, ``filmaster_voice`` or ``filmaster_embeddings``, so a limit set for it
    (``dagster instance concurrency set filmaster_vision 2``) caps that service's concurrent steps across
    all runs; None when every one of them is offline. Read when the definitions load, as video_pool."""
    for role in roles:
        if os.environ.get(f"FILMASTER_{_ROLE_ENV[role]}_BASE_URL", "").strip():
            return f"filmaster_{role}"
    return None


# One step retry for a crashed step process; model-role faults are never step-retried (see above).
LLM_RETRY = dg.RetryPolicy(max_retries=1, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# Clips: the same; a clip whose endpoint fails for good fails only this scene's run.
CLIP_RETRY = dg.RetryPolicy(max_retries=1, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# Reference images: the same; an image the service failed for good fails this film's script run.
IMAGE_RETRY = dg.RetryPolicy(max_retries=1, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
