"""Shot takes: a film-maker's record of every take of a shot, kept apart from the director's plan.

``<film>/shot_takes.json`` maps shot ids to their takes and the active one, e.g.::

    {"s01_sh02": {"active": 2, "chosen_by": "film-maker", "takes": [
        {"take": 1, "seed": 0, "source": "original"},
        {"take": 2, "seed": 7, "source": "reshoot", "camera": {"shot_size": "close_up"}, "duration_s": 3.0}]}}

A take is the shot's plan with a few fields replaced (prompt, camera fields, duration) and a seed.
Applying it gives the plan that is rendered; the clip cache key follows that plan and seed, so every
take ever rendered stays in the studio cache and restoring one is a cache hit, not a render.

Candidate takes (``FilmRequest.candidates``) are recorded here too, with the judge's scores, so a
film-maker can list them and restore one the judge did not pick.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Callable, Literal, Optional, Union

from pydantic import Field, ValidationError

from filmcraft.contracts import ANGLES, MOVEMENTS, SHOT_SIZES, CameraSpec, Contract, ShotPlan

MAX_TAKES_BYTES = 1_000_000
# --camera keys a film-maker types -> the CameraSpec field they replace
CAMERA_KEYS = {"size": "shot_size", "shot_size": "shot_size", "movement": "movement", "angle": "angle",
               "lens": "lens_mm", "lens_mm": "lens_mm"}
_VOCAB = {"shot_size": SHOT_SIZES, "movement": MOVEMENTS, "angle": ANGLES}
# Candidate k of a previs shot frames it through a slightly different lens: the previs is
# deterministic, and its seed only moves a handheld camera's shake and weather particles, so a new
# seed alone would render most shots identically.
LENS_STEPS = (1.0, 0.8, 1.25, 0.65)


class TakesError(ValueError):
    pass


class Take(Contract):
    take: int = Field(ge=1)
    seed: int
    source: Literal["original", "candidate", "reshoot"] = "reshoot"
    prompt: Optional[str] = None  # replaces the plan's prompt
    camera: dict[str, Union[str, float]] = {}  # CameraSpec fields replaced (shot_size, movement, angle, lens_mm)
    duration_s: Optional[float] = None  # replaces camera.duration_s
    made_at: str = ""  # UTC, ISO 8601
    clip_key: Optional[str] = None  # the clip's content key in the studio cache (clips/<key>.mp4)
    sha256: Optional[str] = None
    score: Optional[float] = None  # the judge's, for candidates
    reason: str = ""

    def describe(self) -> str:
        parts = [f"seed {self.seed}"]
        if self.prompt is not None:
            parts.append(f"prompt {self.prompt[:40]!r}")
        parts += [f"{k} {v}" for k, v in self.camera.items()]
        if self.duration_s is not None:
            parts.append(f"{self.duration_s:g} s")
        return ", ".join(parts)


class ShotTakes(Contract):
    active: int = Field(ge=1)
    chosen_by: Literal["judge", "film-maker"] = "film-maker"
    takes: list[Take]

    def get(self, take: int) -> Take:
        for t in self.takes:
            if t.take == take:
                return t
        raise TakesError(f"take {take} does not exist; this shot has take(s) "
                         f"{', '.join(str(t.take) for t in self.takes)}")

    @property
    def active_take(self) -> Take:
        return self.get(self.active)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def take_seed(film_seed: int, shot_id: str, take: int) -> int:
    """Take 1 renders with the film's seed (so a film made before takes keeps its clips); later takes
    get a seed derived from the film seed, shot and take number: the same take is the same clip."""
    if take == 1:
        return film_seed
    digest = hashlib.sha256(f"take|{film_seed}|{shot_id}|{take}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def candidate_take(plan: ShotPlan, film_seed: int, k: int, lens_variant: bool) -> Take:
    """Candidate ``k`` (1-based) of a shot: take 1 is the plan as written; later ones a derived seed and,
    when ``lens_variant`` (the previs), a lens LENS_STEPS[k-1] times the planned one."""
    camera: dict[str, Union[str, float]] = {}
    if k > 1 and lens_variant:
        camera["lens_mm"] = round(min(300.0, max(8.0, plan.camera.lens_mm * LENS_STEPS[(k - 1) % len(LENS_STEPS)])), 1)
    return Take(take=k, seed=take_seed(film_seed, plan.shot_id, k), source="original" if k == 1 else "candidate",
                camera=camera)


# --- flags -------------------------------------------------------------------------------

def parse_camera(text: str, flag: str = "--camera") -> dict[str, Union[str, float]]:
    """``size=close_up,movement=push_in`` -> {"shot_size": "close_up", "movement": "push_in"}, each value
    checked against the vocabulary with a message naming the flag and the allowed values."""
    out: dict[str, Union[str, float]] = {}
    for part in [p.strip() for p in (text or "").split(",") if p.strip()]:
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise TakesError(f"{flag} {part!r}: write key=value pairs, e.g. size=close_up,movement=push_in")
        field = CAMERA_KEYS.get(key)
        if field is None:
            raise TakesError(f"{flag}: unknown key {key!r}; use size, movement, angle or lens")
        if field == "lens_mm":
            try:
                lens = float(value.removesuffix("mm"))
            except ValueError:
                raise TakesError(f"{flag} lens={value}: give a focal length in mm, 8..300") from None
            if not 8 <= lens <= 300:
                raise TakesError(f"{flag} lens={value}: give a focal length in mm, 8..300")
            out[field] = lens
            continue
        if value not in _VOCAB[field]:
            what = field.replace("_", " ")
            raise TakesError(f"{flag} {key}={value}: not {'an' if what[0] in 'aeiou' else 'a'} {what}; allowed: "
                             f"{', '.join(_VOCAB[field])}")
        out[field] = value
    if not out and text is not None:
        raise TakesError(f"{flag} is empty: write key=value pairs, e.g. size=close_up,movement=push_in")
    return out


# --- applying a take ---------------------------------------------------------------------

def _first_error(exc: ValidationError) -> tuple[str, str]:
    """Where the first validation error is (``camera.shot_size``) and what it says."""
    err = exc.errors(include_input=False)[0]
    return ".".join(str(p) for p in err["loc"]), err["msg"]


def apply_take(plan: ShotPlan, take: Take, source: str = "shot_takes.json") -> ShotPlan:
    """The plan that is rendered for ``take``: its prompt, camera fields and duration replaced."""
    camera = {**plan.camera.model_dump(), **take.camera}
    if take.duration_s is not None:
        camera["duration_s"] = take.duration_s
    try:
        spec = CameraSpec.model_validate(camera)
    except ValidationError as exc:
        where, msg = _first_error(exc)
        raise TakesError(f"{source}: {plan.shot_id} take {take.take}: camera.{where}: {msg}") from None
    update: dict = {"camera": spec}
    if take.prompt is not None:
        if not take.prompt.strip():
            raise TakesError(f"{source}: {plan.shot_id} take {take.take}: the prompt is blank: give one or leave it out")
        update["prompt"] = take.prompt.strip()
    return plan.model_copy(update=update)


# --- the record --------------------------------------------------------------------------

def load_takes(path: Path) -> dict[str, ShotTakes]:
    if not path.exists():
        return {}
    if not path.is_file() or path.stat().st_size > MAX_TAKES_BYTES:
        raise TakesError(f"{path} is not a file of at most {MAX_TAKES_BYTES:,} bytes: restore it or delete it "
                         "(deleting it makes every shot's first take active again)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TakesError(f"{path} is not valid UTF-8 JSON ({exc}): fix or delete the file") from None
    if not isinstance(data, dict):
        raise TakesError(f'{path} must be an object of shot id -> {{"active": n, "takes": [...]}}')
    out = {}
    for shot, raw in data.items():
        try:
            rec = ShotTakes.model_validate(raw)
        except ValidationError as exc:
            where, msg = _first_error(exc)
            raise TakesError(f"{path}: {shot}.{where}: {msg}: fix or delete the file") from None
        numbers = [t.take for t in rec.takes]
        if len(set(numbers)) != len(numbers) or rec.active not in numbers:
            raise TakesError(f"{path}: {shot}: take numbers must be unique and 'active' ({rec.active}) one of "
                             f"them ({', '.join(map(str, numbers))}): fix or delete the file")
        out[shot] = rec
    return out


def save_takes(path: Path, takes: dict[str, ShotTakes]) -> None:
    from filmcraft.store import write_text

    data = {shot: rec.model_dump(mode="json", exclude_defaults=True) | {"active": rec.active}
            for shot, rec in sorted(takes.items())}
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def edit_takes(path: Path, edit: Callable[[dict[str, ShotTakes]], object]) -> dict[str, ShotTakes]:
    """Read-modify-write the record under a lock (scenes shoot in parallel runs); a refused edit (an
    exception from ``edit``) leaves the file as it was."""
    from filmcraft.store import file_lock

    # camera runs of one film's scenes record here at once, on a cluster from several hosts
    with file_lock(path.with_name(f".{path.name}.lock"), across_hosts=True):
        takes = load_takes(path)
        edit(takes)
        save_takes(path, takes)
    return takes


def new_take(rec: Optional[ShotTakes], plan: ShotPlan, film_seed: int, seed: Optional[int] = None,
             prompt: Optional[str] = None, camera: Optional[dict] = None,
             duration_s: Optional[float] = None) -> ShotTakes:
    """The record with one more take, made active by the film-maker. Changes stack on the active take
    (a reshoot of a close-up with a new seed stays a close-up); no seed given: a new derived one."""
    if duration_s is not None and not 0.5 < duration_s <= 30:  # CameraSpec's range
        raise TakesError(f"--duration {duration_s:g}: a shot lasts more than 0.5 and at most 30 seconds")
    rec = rec or ShotTakes(active=1, takes=[Take(take=1, seed=film_seed, source="original", made_at="")])
    base = rec.active_take
    number = max(t.take for t in rec.takes) + 1
    take = Take(take=number, seed=take_seed(film_seed, plan.shot_id, number) if seed is None else seed,
                source="reshoot", prompt=prompt if prompt is not None else base.prompt,
                camera={**base.camera, **(camera or {})},
                duration_s=duration_s if duration_s is not None else base.duration_s, made_at=now_iso())
    apply_take(plan, take, "--prompt/--camera/--duration")  # refuse before anything is written
    return ShotTakes(active=number, chosen_by="film-maker", takes=[*rec.takes, take])


def restore_take(rec: Optional[ShotTakes], shot: str, take: int, film_seed: int) -> ShotTakes:
    if rec is None:
        if take == 1:
            return ShotTakes(active=1, takes=[Take(take=1, seed=film_seed, source="original")])
        raise TakesError(f"--restore {take}: shot {shot} has only its first take: reshoot it first")
    try:
        rec.get(take)
    except TakesError as exc:
        raise TakesError(f"--restore {take}: shot {shot}: {exc}") from None
    return rec.model_copy(update={"active": take, "chosen_by": "film-maker"})
