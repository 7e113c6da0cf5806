"""The one film-request parser: the CLI's flags, a request file dropped in the studio, and the Dagster
launchpad's config all become a ``FilmRequest`` here, with the same checks and the same messages.

Each message names the input the way its caller shows it (``names`` maps request fields to flag or
config names) and says how to fix it; nothing is written for a refused request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Mapping, Optional

from pydantic import ValidationError

from filmcraft.budget import budget_defaults_from_env
from filmcraft.contracts import FilmRequest

MAX_REQUEST_BYTES = 1_000_000  # a theme and a few settings; FilmRequest caps the text at 20,000 characters


class RequestError(ValueError):
    """A film request that cannot be made; the message names the input and the fix."""


def default_film_id(text: str) -> str:
    """A readable, stable film id from the theme: its first words and a short hash."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    stem = "-".join(words)[:40].strip("-") or "film"
    return f"{stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:6]}"


def llm_configured(environ: Optional[Mapping[str, str]] = None) -> bool:
    """With a text model configured, any audience name gets a profile (the model writes it)."""
    environ = os.environ if environ is None else environ
    return bool((environ.get("FILMASTER_LLM_BASE_URL") or "").strip())


def parse_request(fields: Mapping[str, Any], names: Optional[Mapping[str, str]] = None,
                  environ: Optional[Mapping[str, str]] = None) -> FilmRequest:
    """Validate request fields (``None`` means not given). Budgets left out come from the environment;
    a missing film id is made from the theme; the reference folder is checked image by image."""
    from filmcraft.director.audience import get_profile
    from filmcraft.references.user_images import ReferenceImageError, check_reference_folder

    names = names or {}

    def name(field: str) -> str:
        return names.get(field, field)

    if not isinstance(fields, Mapping):
        raise RequestError("a request is one JSON object of request fields (film_id, text, audience, ...)")
    try:
        raw: dict[str, Any] = budget_defaults_from_env(environ)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    raw.update({k: v for k, v in fields.items() if v is not None})
    refs = raw.get("refs_dir")
    if refs:
        folder = Path(str(refs)).expanduser()
        if not folder.is_dir():
            raise RequestError(f"{name('refs_dir')} {refs}: not a folder (expected characters/ and locations/ inside)")
        try:  # every image now, not a scene's camera step after the script is written
            check_reference_folder(folder)
        except ReferenceImageError as exc:
            raise RequestError(f"{name('refs_dir')}: {exc}") from None
        raw["refs_dir"] = str(folder.resolve())
    if not raw.get("film_id") and isinstance(raw.get("text"), str) and raw["text"].strip():
        raw["film_id"] = default_film_id(raw["text"].strip())
    try:
        req = FilmRequest.model_validate(raw)
    except ValidationError as exc:
        # field and reason only: pydantic's own text repeats the input, which may be a pasted API key
        raise RequestError("; ".join(
            f"{name(str(e['loc'][0])) if e['loc'] else 'request'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False))) from None
    try:
        get_profile(req.audience)
    except ValueError as exc:
        if not llm_configured(environ):
            raise RequestError(f"{name('audience')}: {exc}") from None
    return req


def read_request_file(path: Path, environ: Optional[Mapping[str, str]] = None) -> FilmRequest:
    """A request file dropped in the studio's requests folder, validated like any other request."""
    if path.is_symlink() or not path.is_file():
        raise RequestError("it is a symbolic link or not a regular file: drop the request file itself")
    with open(path, "rb") as fh:
        data = fh.read(MAX_REQUEST_BYTES + 1)
    if len(data) > MAX_REQUEST_BYTES:
        raise RequestError(f"it is over {MAX_REQUEST_BYTES:,} bytes: a request holds a theme of at most 20,000 characters")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RequestError(f"it is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    except RecursionError:
        raise RequestError("its JSON nests too deeply: write one object of request fields") from None
    except json.JSONDecodeError as exc:
        raise RequestError(f"it is not valid JSON ({exc}): write one object of request fields") from None
    return parse_request(raw, environ=environ)


def request_fields(req: FilmRequest) -> dict[str, Any]:
    """The request as launch config: every field but the film id, which is the film partition."""
    return req.model_dump(mode="json", exclude={"film_id"})
