"""Sound group: three-scale sound design on the picture lock, then the loudness mix."""

from pathlib import Path

import dagster as dg

from filmaster_assets.metadata import contract_version, file_metadata, image_preview, table
from filmaster_assets.partitions import film_partitions
from filmaster_assets.policies import service_pool
from filmcraft.assembly import MissingSceneWork, effective_blocks, shot_plans_by_id
from filmcraft.budget import Budget
from filmcraft.contracts import (CueSheet, FilmRequest, MixReport, PictureLock, SceneBlocks, SceneClips, ScenePlan,
                                 SceneToShoot)
from resources.embeddings import EmbeddingResource
from resources.studio import StudioResource
from resources.voice import VoiceResource
from resources.vision import VisionModelResource

_common = dict(partitions_def=film_partitions, group_name="sound")


@dg.asset(**_common, pool=service_pool("vision", "voice", "embeddings"), deps=["audio_library_index"])
def sound_design(picture_lock: PictureLock, film_request: FilmRequest, scene_blocks: SceneBlocks,
                 scene_block: dict[str, SceneToShoot], shot_plans: dict[str, ScenePlan], clips: dict[str, SceneClips],
                 studio: StudioResource, embeddings: EmbeddingResource, voice: VoiceResource,
                 vision: VisionModelResource) -> dg.Output[CueSheet]:
    """Cue sheet: scene ambience + music (retrieved), shot voice-over, intra-shot foley + SFX (spotted from the
    shot plans offline, or by the multimodal vision role from each shot's keyframe)."""
    from corpus_ingest.audio import library_search
    from filmcraft.sound_design import design_sound, vision_spotter

    files = studio.film(film_request.film_id)
    try:
        blocks = effective_blocks(scene_blocks, scene_block)
        plans = shot_plans_by_id(scene_blocks, shot_plans)
    except MissingSceneWork as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    search = library_search(studio.library(), embeddings.embedder())
    judge = vision.judge(studio.studio(), role="foley/SFX spotter", budget=Budget(files.root, film_request))
    keyframes = {c.shot_id: Path(c.keyframe_path) for scene in clips.values() for c in scene.clips if c.keyframe_path}
    spotter = None if judge is None else vision_spotter(judge, lambda plan: keyframes[plan.shot_id])
    cues = design_sound(picture_lock, blocks, plans, search, voice.voice(), files.vo_dir, spotter)
    per_stem = {s: sum(1 for c in cues.cues if c.stem == s) for s in ("ambience", "music", "vo", "foley", "sfx")}
    return dg.Output(cues, data_version=contract_version(cues), metadata={
        **{f"{s}_cues": n for s, n in per_stem.items()},
        "foley_sfx_spotting": "vision model on keyframes" if spotter else "offline, from shot plans",
        "cue_sheet": table(["cue", "stem", "in (s)", "dur (s)", "scene/shot", "description"],
                              [[c.cue_id, c.stem, f"{c.record_in:.2f}", f"{c.duration:.2f}",
                                c.shot_id or c.scene_id or "", c.description[:80]] for c in cues.cues])})


@dg.asset(**_common)
def mix(context: dg.AssetExecutionContext, sound_design: CueSheet, studio: StudioResource) -> dg.Output[MixReport]:
    """Five stems normalised to their loudness targets, background cleared under the voice, mastered."""
    from filmcraft.mix_plot import mix_plot
    from filmcraft.mixer import mix as run_mix

    files = studio.film(context.partition_key)
    report = run_mix(sound_design, files.mix_dir)
    plot = mix_plot(report, files.mix_plot)

    def fmt(v):
        return "silent" if v is None else f"{v:.2f}"
    return dg.Output(report, data_version=contract_version(report, files.mix), metadata={
        **file_metadata(files.mix), "master_lufs": round(report.master_lufs, 2),
        "master_true_peak_dbtp": round(report.master_true_peak_dbtp, 2),
        "master_target_lufs": report.master_target_lufs,
        "levels": image_preview(plot, max_width=960), "levels_path": dg.MetadataValue.path(str(plot)),
        "stems": table(["stem", "target LUFS", "measured LUFS", "true peak dBTP"],
                          [[s.stem, fmt(s.target_lufs), fmt(s.measured_lufs), fmt(s.true_peak_dbtp)]
                           for s in report.stems])})
