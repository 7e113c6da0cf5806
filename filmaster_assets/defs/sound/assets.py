"""Sound group: three-scale sound design on the picture lock, then the loudness mix."""


from pathlib import Path

import dagster as dg

from filmaster_assets.common import data_version, effective_blocks, file_metadata, layout, md_table
from filmaster_assets.defs.corpus.assets import audio_library_index, library_layout
from filmaster_assets.defs.cut.assets import load_plans, picture_lock
from filmaster_assets.partitions import film_partitions
from filmcraft.budget import Budget
from filmcraft.contracts import CueSheet, PictureLock
from filmcraft.store import read_model, write_model
from resources.models import EmbeddingResource, StudioResource, VoiceResource
from resources.vision import VisionModelResource

_common = dict(partitions_def=film_partitions, group_name="sound")


@dg.asset(**_common, deps=[picture_lock, audio_library_index], code_version="1")
def sound_design(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource,
                 voice: VoiceResource, vision: VisionModelResource) -> dg.MaterializeResult:
    """Cue sheet: scene ambience + music (retrieved), shot voice-over, intra-shot foley + SFX (spotted from the
    shot plans offline, or by the multimodal vision role from each shot's keyframe)."""
    from corpus_ingest.audio import search_audio
    from filmcraft.sound_design import design_sound, vision_spotter

    files = layout(studio, context.partition_key)
    lock = read_model(files.picture_lock, PictureLock)
    blocks = effective_blocks(files)
    embedder = embeddings.embedder()
    libs = library_layout(studio)

    def search(query: str, kind: str, k: int):
        # library manifests keep paths relative to the library folder, so a studio can move
        hits = search_audio(libs.audio_library_index, embedder, query, k=k, kind=kind)
        return [h.model_copy(update={"asset": h.asset.model_copy(update={"path": str(libs.audio_library / h.asset.path)})})
                if not Path(h.asset.path).is_absolute() else h for h in hits]

    judge = vision.judge(studio.studio(), role="foley/SFX spotter", budget=Budget.for_film(files.root))
    spotter = None if judge is None else vision_spotter(
        judge, lambda plan: files.scene_dir(plan.scene_id) / "keyframes" / f"{plan.shot_id}.png")
    cues = design_sound(lock, blocks, load_plans(files, blocks), search, voice.voice(), files.vo_dir, spotter)
    write_model(files.cue_sheet, cues)
    per_stem = {s: sum(1 for c in cues.cues if c.stem == s) for s in ("ambience", "music", "vo", "foley", "sfx")}
    return dg.MaterializeResult(
        metadata={**{f"{s}_cues": n for s, n in per_stem.items()},
                  "foley_sfx_spotting": "vision model on keyframes" if spotter else "offline, from shot plans",
                  "cue_sheet": md_table(["cue", "stem", "in (s)", "dur (s)", "scene/shot", "description"],
                                        [[c.cue_id, c.stem, f"{c.record_in:.2f}", f"{c.duration:.2f}",
                                          c.shot_id or c.scene_id or "", c.description[:80]] for c in cues.cues])},
        data_version=data_version(files.cue_sheet),
    )


@dg.asset(**_common, deps=[sound_design], code_version="1")
def mix(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """Five stems normalised to their loudness targets, background cleared under the voice, mastered."""
    from filmcraft.mixer import mix as run_mix

    files = layout(studio, context.partition_key)
    cues = read_model(files.cue_sheet, CueSheet)
    report = run_mix(cues, files.mix_dir)
    write_model(files.mix_report, report)

    def fmt(v):
        return "silent" if v is None else f"{v:.2f}"
    return dg.MaterializeResult(
        metadata={**file_metadata(files.mix), "master_lufs": round(report.master_lufs, 2),
                  "master_true_peak_dbtp": round(report.master_true_peak_dbtp, 2),
                  "master_target_lufs": report.master_target_lufs,
                  "stems": md_table(["stem", "target LUFS", "measured LUFS", "true peak dBTP"],
                                    [[s.stem, fmt(s.target_lufs), fmt(s.measured_lufs), fmt(s.true_peak_dbtp)]
                                     for s in report.stems])},
        data_version=data_version(files.mix_report, files.mix),
    )
