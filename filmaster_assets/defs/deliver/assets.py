"""Deliver group: the final MP4 and the editable multi-track OTIO timeline."""

from pathlib import Path

import dagster as dg

from filmaster_assets.metadata import contract_version, file_metadata, image_preview
from filmaster_assets.partitions import film_partitions
from filmcraft.contracts import AudienceReview, CueSheet, DeliveredFilm, MixReport, PictureLock, SceneBlocks, SceneClips
from filmcraft.media import probe
from filmcraft.store import sha256_file
from resources.studio import StudioResource

_common = dict(partitions_def=film_partitions, group_name="deliver")


@dg.asset(**_common)
def final_film(context: dg.AssetExecutionContext, picture_lock: PictureLock, mix: MixReport,
               studio: StudioResource) -> dg.Output[DeliveredFilm]:
    """final.mp4: the picture lock with the mastered mix (H.264 + AAC)."""
    from filmcraft.conform import mux_final, transition_moments
    from filmcraft.review import transition_strip

    files = studio.film(context.partition_key)
    peak = mux_final(Path(picture_lock.video_path), Path(mix.master_path), files.final)
    info = probe(files.final)
    film = DeliveredFilm(path=str(files.final), sha256=sha256_file(files.final), bytes=files.final.stat().st_size,
                         duration_s=info.duration_s, video_codec=info.video_codec if info.has_video else None,
                         audio_codec=info.audio_codec if info.has_audio else None, width=info.width, height=info.height,
                         audio_true_peak_dbtp=peak)
    moments = transition_moments(picture_lock.decisions, info.duration_s)
    strip = transition_strip(files.final, moments, files.transition_strip) if moments else None
    return dg.Output(film, data_version=contract_version(film), metadata={
        **file_metadata(files.final, info.duration_s), "video": f"{info.video_codec} {info.width}x{info.height}",
        # each transition and scene change as frames -0.4..+0.4 s around it, as the delivered film plays it
        **({"transitions": image_preview(strip, max_width=1040),
            "transitions_path": dg.MetadataValue.path(str(strip))} if strip else {}),
        "audio": info.audio_codec or "",
        "audio_true_peak_dbtp": dg.MetadataValue.float(peak) if peak is not None else "silent"})


@dg.asset(**_common)
def otio_timeline(context: dg.AssetExecutionContext, picture_lock: PictureLock, sound_design: CueSheet,
                  mix: MixReport, audience_review: AudienceReview, scene_blocks: SceneBlocks,
                  clips: dict[str, SceneClips], studio: StudioResource) -> dg.MaterializeResult:
    """timeline.otio: the picture track, alternate takes as disabled video tracks above it, the delivered
    mix and five (disabled) stem tracks, review notes as markers."""
    from filmcraft.conform import transition_counts
    from filmcraft.take_tracks import add_take_tracks
    from filmcraft.timeline import build_timeline, timeline_transition_counts
    from filmcraft.timeline_export import write_timeline

    film_id = context.partition_key
    files = studio.film(film_id)
    timeline = build_timeline(scene_blocks.title, picture_lock, sound_design, audience_review.notes,
                              extra_metadata={"film_id": film_id, "mix_report": str(files.mix_report)},
                              mix_path=mix.master_path)
    alternates = add_take_tracks(timeline, picture_lock, {c.shot_id: c for scene in clips.values() for c in scene.clips})
    write_timeline(timeline, files.timeline)
    split = transition_counts(picture_lock.decisions)  # a cut is a J- or an L-cut, never both
    return dg.MaterializeResult(
        metadata={**file_metadata(files.timeline), "video_tracks": len(timeline.video_tracks()),
                  "audio_tracks": len(timeline.audio_tracks()),
                  "clips": sum(len(list(t.find_clips())) for t in timeline.tracks),
                  "markers": len(timeline.tracks.markers),
                  # what an editor inherits besides cuts: the transitions, by kind, and the split edits
                  **timeline_transition_counts(timeline),
                  "split_edits": split["j_cuts"] + split["l_cuts"], "j_cuts": split["j_cuts"],
                  "l_cuts": split["l_cuts"],
                  "alternate_take_tracks": alternates,
                  # the looks the picture clips name (their .cube in the film's luts/), graded clips per look
                  "graded_clips": dg.MetadataValue.json(
                      {g: sum(d.grade == g for d in picture_lock.decisions if d.lut_path)
                       for g in sorted({d.grade for d in picture_lock.decisions if d.lut_path})})},
        data_version=dg.DataVersion(sha256_file(files.timeline)[:24]))
