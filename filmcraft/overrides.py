"""Scene overrides: a film-maker's edits to single scene blocks, kept apart from the director's output.

``<film>/scene_overrides.json`` maps scene ids to the fields to replace, e.g.::

    {"s02": {"time_of_day": "night", "mood": "tense",
             "sound_sketch": {"ambience": "rain on tin roofs", "music_mood": "tense", "effects": ["thunder"]}}}

Only the overridden scene's downstream work is redone: its block's content changes, the others' do not.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from filmcraft.contracts import SceneBlock, SceneBlocks, SceneContinuity, SceneToShoot, shot_id
from filmcraft.director.lexicon import TIME_HEADING

EDITABLE = sorted(set(SceneBlock.model_fields) - {"scene_id", "index"})
NAMED = ("heading", "location", "mood", "narrative_objective")  # text a scene cannot do without
MAX_OVERRIDES_BYTES = 1_000_000  # a film-maker's edits to a few scenes, not a data dump


class OverrideError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:  # json keeps the last silently: an edit the film-maker made would be lost
        raise ValueError(f"key(s) {', '.join(dup)} appear more than once in one object")
    return dict(pairs)


def load_overrides(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    if not path.is_file() or path.stat().st_size > MAX_OVERRIDES_BYTES:
        raise OverrideError(f"{path} is not a file of at most {MAX_OVERRIDES_BYTES:,} bytes: "
                            "keep only the fields you change, or delete the file")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except RecursionError as exc:
        raise OverrideError(f"{path} nests JSON too deeply: fix or delete the file") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSONDecodeError, duplicate keys
        raise OverrideError(f"{path} is not valid UTF-8 JSON ({exc}): fix or delete the file") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise OverrideError(f"{path} must be an object of scene id -> {{field: value}}, e.g. "
                            '{"s02": {"time_of_day": "night"}}')
    return data


def restated_heading(heading: str, location: str | None, time_of_day: str | None) -> str:
    """The slug line after an edit of the scene's place or time: "EXT. HARBOUR - DAWN" with time_of_day
    night becomes "EXT. HARBOUR - NIGHT", so labels and prompts say what the scene now is."""
    head, sep, time_part = heading.rpartition(" - ")
    if not sep:
        head, time_part = heading, ""
    prefix, _, place = head.partition(" ") if head.upper().startswith(("INT.", "EXT.", "INT/EXT.")) else ("", "", head)
    place = location.upper() if location else place
    time_part = TIME_HEADING.get(time_of_day, time_of_day.upper()) if time_of_day else time_part
    return " ".join(p for p in (prefix, place) if p) + (f" - {time_part}" if time_part else "")


def apply_overrides(blocks: SceneBlocks, overrides: dict[str, dict], source: str = "scene_overrides.json") -> SceneBlocks:
    by_id = {b.scene_id: b for b in blocks.scenes}
    unknown = sorted(set(overrides) - set(by_id))
    if unknown:
        raise OverrideError(f"{source} names scene(s) {', '.join(unknown)}, but the film has "
                            f"{', '.join(by_id)}: use one of those ids")
    scenes = []
    for block in blocks.scenes:
        fields = overrides.get(block.scene_id)
        if not fields:
            scenes.append(block)
            continue
        bad = sorted(set(fields) - set(EDITABLE))
        if bad:
            raise OverrideError(f"{source}: {block.scene_id} cannot override {', '.join(bad)}; "
                                f"editable fields: {', '.join(EDITABLE)}")
        blank = [k for k in NAMED if k in fields and isinstance(fields[k], str) and not fields[k].strip()]
        if blank:
            raise OverrideError(f"{source}: {block.scene_id}.{blank[0]} is blank: give it a value or remove the key")
        edit = dict(fields)
        place, time = edit.get("location"), edit.get("time_of_day")
        if "heading" not in edit and (isinstance(place, str) or isinstance(time, str)):
            edit["heading"] = restated_heading(block.heading, place if isinstance(place, str) else None,
                                               time if isinstance(time, str) else None)
        try:
            merged = SceneBlock.model_validate({**block.model_dump(), **edit})
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise OverrideError(f"{source}: {block.scene_id}.{where}: {err['msg']}") from exc
        # shot ids are partition-stable names: re-stamp them if the shot list was replaced
        shots = [s.model_copy(update={"shot_id": shot_id(block.index, j)}) for j, s in enumerate(merged.shots, 1)]
        if not shots:
            raise OverrideError(f"{source}: {block.scene_id}.shots is empty: a scene needs at least one shot")
        scenes.append(merged.model_copy(update={"shots": shots}))
    return blocks.model_copy(update={"scenes": scenes})


def edit_override(path: Path, blocks: SceneBlocks, scene: str, fields: dict | None = None,
                  clear: bool = False) -> dict[str, dict]:
    """Set (merge ``fields`` into) or ``clear`` one scene's override in the film's overrides file, after
    checking the result applies; returns all overrides. A refused edit leaves the file as it was."""
    from filmcraft.store import file_lock, write_text

    if scene not in {b.scene_id for b in blocks.scenes}:
        raise OverrideError(f"film {blocks.film_id!r} has scenes {', '.join(b.scene_id for b in blocks.scenes)}; "
                            f"slot {scene} is unused: edit one of those")
    # two scenes edited at once both land, also when their runs are on different hosts
    with file_lock(path.with_name(f".{path.name}.lock"), across_hosts=True):
        overrides = load_overrides(path)
        if clear:
            overrides.pop(scene, None)
        if fields:
            overrides[scene] = {**overrides.get(scene, {}), **fields}
        apply_overrides(blocks, overrides, str(path))  # refuse before anything is written
        write_text(path, json.dumps(overrides, indent=2, ensure_ascii=False) + "\n")
    return overrides


def scenes_to_shoot(blocks: SceneBlocks, overrides: dict[str, dict],
                    source: str = "scene_overrides.json") -> list[SceneToShoot]:
    """Every scene with its overrides applied and its continuity, in film order."""
    scenes = apply_overrides(blocks, overrides, source).scenes
    out = []
    for i, block in enumerate(scenes):
        continuity = SceneContinuity.following(scenes[i - 1] if i else None, last_scene=i == len(scenes) - 1)
        out.append(SceneToShoot(block=block, continuity=continuity))
    return out


def scene_to_shoot(blocks: SceneBlocks, overrides: dict[str, dict], scene: str,
                   source: str = "scene_overrides.json") -> SceneToShoot:
    """One scene slot of the film; a slot the film does not use is refused naming the ones it has."""
    for item in scenes_to_shoot(blocks, overrides, source):
        if item.block.scene_id == scene:
            return item
    raise OverrideError(f"film {blocks.film_id!r} has scenes {', '.join(b.scene_id for b in blocks.scenes)}; "
                        f"slot {scene} is unused: request only those slots")
