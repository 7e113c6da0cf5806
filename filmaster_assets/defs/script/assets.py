"""Script group: the film request, the four-step chain from theme to scene blocks, the audience profile,
the film's reference images (once per character and location), and the film-maker's scene overrides (a
file they edit, shown as an external asset)."""

from typing import Optional

import dagster as dg

from filmaster_assets.metadata import contract_version, image_preview, table
from filmaster_assets.partitions import film_partitions
from filmaster_assets.policies import IMAGE_POOL, IMAGE_RETRY, LLM_POOL, LLM_RETRY
from filmcraft import stages
from filmcraft.budget import Budget
from filmcraft.contracts import (BUDGET_FIELDS, AudienceProfile, DetailedStoryboard, FilmReferenceImages, FilmRequest,
                                 SceneBlocks, SimplifiedStoryboard, Synopsis)
from filmcraft.request import RequestError, parse_request, request_fields
from filmcraft.store import read_model
from resources.image import ImageResource
from resources.studio import StudioResource
from resources.text import TextModelResource

_common = dict(partitions_def=film_partitions, group_name="script")
_llm = dict(pool=LLM_POOL, retry_policy=LLM_RETRY)

scene_overrides = dg.AssetSpec(
    "scene_overrides", partitions_def=film_partitions, group_name="script",
    description="<film>/scene_overrides.json: the film-maker's edits to single scene blocks, e.g. "
                '{"s02": {"time_of_day": "night"}}. Only the edited scenes are shot again.')


class FilmRequestConfig(dg.Config):
    """A film's theme and settings; validated by the same parser as `filmaster make` and request files.
    Leave `text` empty to make the film again from its stored request."""

    text: str = ""
    audience: Optional[str] = None
    refs_dir: Optional[str] = None
    width: Optional[int] = None
    height: Optional[int] = None
    fps: Optional[int] = None
    seed: Optional[int] = None
    top_k: Optional[int] = None
    max_scenes: Optional[int] = None
    max_shots_per_scene: Optional[int] = None
    variant: Optional[str] = None
    candidates: Optional[int] = None
    llm_token_budget: Optional[int] = None
    video_seconds_budget: Optional[float] = None


def _request(film_id: str, config: FilmRequestConfig, studio: StudioResource) -> FilmRequest:
    fields = config.model_dump(exclude_none=True)
    if not fields.get("text", "").strip():
        stored = studio.film(film_id).request
        if not stored.is_file():
            raise dg.Failure(f"film {film_id!r} has no request yet: give its theme in the `text` config field "
                             "(or use `filmaster make`, or drop a request file in the studio's .requests folder)",
                             allow_retries=False)
        fields = request_fields(read_model(stored, FilmRequest))
    try:
        return parse_request({**fields, "film_id": film_id})
    except RequestError as exc:
        raise dg.Failure(f"film request for {film_id!r}: {exc}", allow_retries=False) from None


@dg.asset(**_common)
def film_request(context: dg.AssetExecutionContext, config: FilmRequestConfig,
                 studio: StudioResource) -> dg.Output[FilmRequest]:
    """The validated request: theme, audience, references, format, budgets."""
    req = _request(context.partition_key, config, studio)
    # one take per shot is what every film made before candidates existed asked for: it stays current
    same = set(BUDGET_FIELDS) | ({"candidates"} if req.candidates == 1 else set())
    return dg.Output(req, data_version=contract_version(req, exclude=same), metadata={
        "theme": req.text[:300], "words": len(req.text.split()), "audience": req.audience,
        "format": f"{req.width}x{req.height}@{req.fps}", "candidates": req.candidates, "refs_dir": req.refs_dir or "generated cards"})


def _writer(text_model: TextModelResource, studio: StudioResource, film_request: FilmRequest):
    """The text role for this film, spending its LLM token budget."""
    return text_model.chat_model(studio.studio(), Budget(studio.film(film_request.film_id).root, film_request))


@dg.asset(**_common, **_llm)
def synopsis(film_request: FilmRequest, studio: StudioResource, text_model: TextModelResource) -> dg.Output[Synopsis]:
    syn = stages.synopsis(film_request, _writer(text_model, studio, film_request))
    return dg.Output(syn, data_version=contract_version(syn), metadata={
        "title": syn.title, "logline": syn.logline, "genre": syn.genre, "mood": syn.mood,
        "characters": ", ".join(c.name for c in syn.characters),
        "locations": ", ".join(loc.name for loc in syn.locations), "backend": text_model.backend_name()})


@dg.asset(**_common, **_llm)
def simplified_storyboard(film_request: FilmRequest, synopsis: Synopsis, studio: StudioResource,
                          text_model: TextModelResource) -> dg.Output[SimplifiedStoryboard]:
    board = stages.simplified_storyboard(synopsis, _writer(text_model, studio, film_request))
    return dg.Output(board, data_version=contract_version(board), metadata={
        "beats": len(board.causal_chain),
        "causal_chain": table(["#", "kind", "beat", "because"],
                                 [[i, b.kind, b.text, b.cause] for i, b in enumerate(board.causal_chain, 1)])})


@dg.asset(**_common, **_llm)
def detailed_storyboard(film_request: FilmRequest, synopsis: Synopsis, simplified_storyboard: SimplifiedStoryboard,
                        studio: StudioResource, text_model: TextModelResource) -> dg.Output[DetailedStoryboard]:
    board = stages.detailed_storyboard(synopsis, simplified_storyboard, _writer(text_model, studio, film_request))
    return dg.Output(board, data_version=contract_version(board), metadata={
        "scenes": len(board.scenes), "shots": sum(len(s.shots) for s in board.scenes),
        "storyboard": table(["scene", "location", "time", "shot kind", "description"],
                               [[s.index, s.location, s.time_of_day, sh.kind, sh.description]
                                for s in board.scenes for sh in s.shots])})


@dg.asset(**_common, **_llm)
def scene_blocks(film_request: FilmRequest, synopsis: Synopsis, simplified_storyboard: SimplifiedStoryboard,
                 detailed_storyboard: DetailedStoryboard, studio: StudioResource,
                 text_model: TextModelResource) -> dg.Output[SceneBlocks]:
    """Scene blocks: the unit of retrieval, re-planning and rendering. Their count picks the scene slots."""
    blocks = stages.scene_blocks(film_request.film_id, synopsis, simplified_storyboard, detailed_storyboard,
                                 _writer(text_model, studio, film_request), max_scenes=film_request.max_scenes,
                                 max_shots=film_request.max_shots_per_scene)
    return dg.Output(blocks, data_version=contract_version(blocks), metadata={
        "scene_count": len(blocks.scenes), "shot_count": sum(len(s.shots) for s in blocks.scenes),
        "scene_slots": ", ".join(s.scene_id for s in blocks.scenes),
        "scene_blocks": table(
            ["scene", "heading", "characters", "objective", "mood", "shots", "ambience", "music"],
            [[s.scene_id, s.heading, ", ".join(s.characters), s.narrative_objective, s.mood, len(s.shots),
              s.sound_sketch.ambience, s.sound_sketch.music_mood] for s in blocks.scenes])})


@dg.asset(**_common, **_llm)
def audience_profile(film_request: FilmRequest, studio: StudioResource,
                     text_model: TextModelResource) -> dg.Output[AudienceProfile]:
    """The simulated target audience whose preferences drive the fine cut."""
    profile = stages.audience_profile(film_request.audience, _writer(text_model, studio, film_request))
    return dg.Output(profile, data_version=contract_version(profile), metadata={
        "profile": profile.name, "description": profile.description,
        "shot_length_s": f"{profile.shot_length_s[0]}-{profile.shot_length_s[1]}",
        "runtime_s": f"{profile.runtime_s[0]}-{profile.runtime_s[1]}"})


@dg.asset(**_common, pool=IMAGE_POOL, retry_policy=IMAGE_RETRY, deps=["scene_overrides"])
def reference_images(film_request: FilmRequest, synopsis: Synopsis, scene_blocks: SceneBlocks,
                     studio: StudioResource, image: ImageResource) -> dg.Output[FilmReferenceImages]:
    """One image per character and location the film's scenes name and the user gave no image of, from the
    image role (FILMASTER_IMAGE_*), asked once for the whole film and content-addressed (a re-run asks
    nothing); every clip featuring them is given them. Offline, the scenes' painted cards stay."""
    from filmcraft.overrides import OverrideError, load_overrides, scenes_to_shoot
    from filmcraft.model_references import film_reference_images
    from filmcraft.references.user_images import ReferenceImageError

    files = studio.film(film_request.film_id)
    try:
        # the scenes as they will be shot: an overridden location needs its own image
        scenes = [s.block for s in scenes_to_shoot(scene_blocks, load_overrides(files.scene_overrides),
                                                    str(files.scene_overrides))]
        refs = film_reference_images(film_request.film_id, scenes, synopsis, film_request.refs_dir,
                                     image.image_model(), studio.studio(), files.reference_images_dir,
                                     film_request.width, film_request.height)
    except (OverrideError, ReferenceImageError) as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    made = [r for r in refs.references if r.source == "model"]
    count = {source: sum(r.source == source for r in refs.references) for source in ("user", "model", "card")}
    # whether an image was new or cached is not part of what it is: a re-run keeps the clips fresh
    steady = refs.model_copy(update={"references": [r.model_copy(update={"cached": False}) for r in refs.references]})
    sheet = refs.contact_sheet_path
    return dg.Output(refs, data_version=contract_version(steady, *(r.path for r in made)), metadata={
        "image_model": image.backend_name(),
        "references": ("from the image model" if refs.image_model else
                       "painted cards (offline: no FILMASTER_IMAGE_BASE_URL)"),
        "user_images": count["user"], "model_images": count["model"], "painted_cards": count["card"],
        "requested": sum(not r.cached for r in made), "from_cache": sum(r.cached for r in made),
        "images": table(["name", "kind", "source", "cached/new", "prompt"],
                        [[r.name, r.kind, r.source, ("cached" if r.cached else "new") if r.source == "model" else "",
                          r.prompt] for r in refs.references]),
        **({"contact_sheet": image_preview(sheet, max_width=960),
            "contact_sheet_path": dg.MetadataValue.path(sheet)} if sheet else {})})
