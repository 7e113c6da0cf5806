"""Deliver group: the final MP4 and the editable multi-track OTIO timeline."""


from pathlib import Path

import dagster as dg

from filmaster_assets.common import data_version, effective_blocks, file_metadata, layout
from filmaster_assets.defs.cut.assets import audience_review, picture_lock
from filmaster_assets.defs.sound.assets import mix, sound_design
from filmaster_assets.partitions import film_partitions
from filmcraft.contracts import AudienceReview, CueSheet, PictureLock
from filmcraft.media import probe
from filmcraft.store import read_model
from resources.models import StudioResource

_common = dict(partitions_def=film_partitions, group_name="deliver")


@dg.asset(**_common, deps=[picture_lock, mix], code_version="1")
def final_film(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """final.mp4: the picture lock with the mastered mix (H.264 + AAC)."""
    from filmcraft.conform import mux_final

    files = layout(studio, context.partition_key)
    mux_final(files.picture_lock_video, files.mix, files.final)
    info = probe(files.final)
    if not (info.has_video and info.has_audio):
        raise dg.Failure(f"{files.final} is missing a {'video' if not info.has_video else 'audio'} stream")
    return dg.MaterializeResult(
        metadata={**file_metadata(files.final, info.duration_s), "video": f"{info.video_codec} {info.width}x{info.height}",
                  "audio": info.audio_codec or ""},
        data_version=data_version(files.final),
    )


@dg.asset(**_common, deps=[picture_lock, sound_design, mix, audience_review], code_version="1")
def otio_timeline(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """timeline.otio: one picture track and five audio tracks, review notes as markers."""
    from filmcraft.timeline import build_timeline, missing_media, write_timeline

    film_id = context.partition_key
    files = layout(studio, film_id)
    lock = read_model(files.picture_lock, PictureLock)
    cues = read_model(files.cue_sheet, CueSheet)
    review = read_model(files.audience_review, AudienceReview)
    title = effective_blocks(files).title
    timeline = build_timeline(title, lock, cues, review.notes,
                              extra_metadata={"film_id": film_id, "mix_report": str(files.mix_report)})
    missing = missing_media(timeline)
    if missing:
        raise dg.Failure(f"timeline references {len(missing)} missing media file(s), first: {missing[0]}")
    write_timeline(timeline, files.timeline)
    return dg.MaterializeResult(
        metadata={**file_metadata(files.timeline), "video_tracks": len(timeline.video_tracks()),
                  "audio_tracks": len(timeline.audio_tracks()),
                  "clips": sum(len(list(t.find_clips())) for t in timeline.tracks),
                  "markers": len(timeline.tracks.markers)},
        data_version=data_version(files.timeline),
    )
