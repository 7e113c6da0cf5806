"""Script group: the four-step chain from theme to scene blocks, plus the audience profile."""


import dagster as dg

from filmaster_assets.common import data_version, layout, md_table
from filmaster_assets.partitions import film_partitions
from filmcraft import stages
from filmcraft.budget import Budget
from filmcraft.contracts import (DetailedStoryboard, FilmRequest, SceneBlocks, SimplifiedStoryboard, Synopsis)
from filmcraft.store import read_model, write_model
from resources.models import StudioResource, TextModelResource

LLM_POOL = "filmaster_llm"  # concurrency pool: keeps parallel runs from flooding an endpoint
LLM_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

_common = dict(partitions_def=film_partitions, group_name="script")
_llm = dict(pool=LLM_POOL, retry_policy=LLM_RETRY)


@dg.asset(**_common, code_version="1")
def film_request(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """The validated request (theme, audience, refs, format) written by the CLI or the request sensor."""
    files = layout(studio, context.partition_key)
    if not files.request.exists():
        raise dg.Failure(f"no request.json for film {context.partition_key!r} in {files.root}: "
                         "create films with `filmaster make` or drop a request file in the requests folder")
    req = read_model(files.request, FilmRequest)
    return dg.MaterializeResult(
        metadata={"theme": req.text[:300], "words": len(req.text.split()), "audience": req.audience,
                  "format": f"{req.width}x{req.height}@{req.fps}", "refs_dir": req.refs_dir or "generated cards"},
        data_version=data_version(files.request),
    )


@dg.asset(**_common, **_llm, deps=[film_request], code_version="1")
def synopsis(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    files = layout(studio, context.partition_key)
    req = read_model(files.request, FilmRequest)
    syn = stages.synopsis(req, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.synopsis, syn)
    return dg.MaterializeResult(
        metadata={"title": syn.title, "logline": syn.logline, "genre": syn.genre, "mood": syn.mood,
                  "characters": ", ".join(c.name for c in syn.characters),
                  "locations": ", ".join(loc.name for loc in syn.locations),
                  "backend": text_model.backend_name()},
        data_version=data_version(files.synopsis),
    )


@dg.asset(**_common, **_llm, deps=[synopsis], code_version="1")
def simplified_storyboard(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    files = layout(studio, context.partition_key)
    syn = read_model(files.synopsis, Synopsis)
    board = stages.simplified_storyboard(syn, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.simplified_storyboard, board)
    return dg.MaterializeResult(
        metadata={"beats": len(board.causal_chain),
                  "causal_chain": md_table(["#", "kind", "beat", "because"],
                                           [[i, b.kind, b.text, b.cause] for i, b in enumerate(board.causal_chain, 1)])},
        data_version=data_version(files.simplified_storyboard),
    )


@dg.asset(**_common, **_llm, deps=[simplified_storyboard], code_version="1")
def detailed_storyboard(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    files = layout(studio, context.partition_key)
    syn = read_model(files.synopsis, Synopsis)
    simple = read_model(files.simplified_storyboard, SimplifiedStoryboard)
    board = stages.detailed_storyboard(syn, simple, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.detailed_storyboard, board)
    return dg.MaterializeResult(
        metadata={"scenes": len(board.scenes), "shots": sum(len(s.shots) for s in board.scenes),
                  "storyboard": md_table(["scene", "location", "time", "shot kind", "description"],
                                         [[s.index, s.location, s.time_of_day, sh.kind, sh.description]
                                          for s in board.scenes for sh in s.shots])},
        data_version=data_version(files.detailed_storyboard),
    )


@dg.asset(**_common, **_llm, deps=[detailed_storyboard], code_version="1")
def scene_blocks(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    """Scene blocks: the unit of retrieval, re-planning and rendering. Their count picks the scene slots."""
    film_id = context.partition_key
    files = layout(studio, film_id)
    syn = read_model(files.synopsis, Synopsis)
    simple = read_model(files.simplified_storyboard, SimplifiedStoryboard)
    detailed = read_model(files.detailed_storyboard, DetailedStoryboard)
    req = read_model(files.request, FilmRequest)
    blocks = stages.scene_blocks(film_id, syn, simple, detailed, text_model.chat_model(studio.studio(), Budget.for_film(files.root)),
                                 max_scenes=req.max_scenes, max_shots=req.max_shots_per_scene)
    write_model(files.scene_blocks, blocks)
    return dg.MaterializeResult(
        metadata={"scene_count": len(blocks.scenes), "shot_count": sum(len(s.shots) for s in blocks.scenes),
                  "scene_slots": ", ".join(s.scene_id for s in blocks.scenes),
                  "scene_blocks": md_table(
                      ["scene", "heading", "characters", "objective", "mood", "shots", "ambience", "music"],
                      [[s.scene_id, s.heading, ", ".join(s.characters), s.narrative_objective, s.mood, len(s.shots),
                        s.sound_sketch.ambience, s.sound_sketch.music_mood] for s in blocks.scenes])},
        data_version=data_version(files.scene_blocks),
    )


@dg.asset(**_common, **_llm, deps=[film_request], code_version="1")
def audience_profile(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    """The simulated target audience whose preferences drive the fine cut."""
    files = layout(studio, context.partition_key)
    req = read_model(files.request, FilmRequest)
    profile = stages.audience_profile(req.audience, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.audience_profile, profile)
    return dg.MaterializeResult(
        metadata={"profile": profile.name, "description": profile.description,
                  "shot_length_s": f"{profile.shot_length_s[0]}-{profile.shot_length_s[1]}",
                  "runtime_s": f"{profile.runtime_s[0]}-{profile.runtime_s[1]}"},
        data_version=data_version(files.audience_profile),
    )
