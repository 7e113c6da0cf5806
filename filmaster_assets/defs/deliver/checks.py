"""Delivery quality gates: final.mp4 has picture and sound and runs as long as the picture lock
(blocking: FilmEval does not judge a broken film); every media file the timeline references exists."""

import dagster as dg

from filmaster_assets.partitions import film_partitions
from filmcraft.conform import delivery_problems
from filmcraft.contracts import DeliveredFilm, PictureLock
from resources.studio import StudioResource


@dg.asset_check(asset="final_film", partitions_def=film_partitions, blocking=True, additional_ins={"picture_lock": dg.AssetIn("picture_lock")},
                description="final.mp4 has a video and an audio stream, the picture lock's runtime, and its decoded "
                            "AAC peaks at or below -1 dBTP.")
def final_film_streams(final_film: DeliveredFilm, picture_lock: PictureLock) -> dg.AssetCheckResult:
    problems = delivery_problems(final_film, picture_lock)
    return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "video": final_film.video_codec or "missing", "audio": final_film.audio_codec or "missing",
        "duration_s": round(final_film.duration_s, 3), "picture_lock_runtime_s": round(picture_lock.runtime_s, 3),
        "audio_true_peak_dbtp": final_film.audio_true_peak_dbtp if final_film.audio_true_peak_dbtp is not None else "n/a",
        "problems": "; ".join(problems) or "none"})


@dg.asset_check(asset="otio_timeline", partitions_def=film_partitions, description="Every media file the OTIO timeline references is on disk.")
def timeline_media_present(context: dg.AssetCheckExecutionContext, studio: StudioResource) -> dg.AssetCheckResult:
    import opentimelineio as otio

    from filmcraft.timeline_export import missing_media

    path = studio.film(context.partition_key).timeline
    timeline = otio.adapters.read_from_file(str(path))
    missing = missing_media(timeline)
    return dg.AssetCheckResult(passed=not missing, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "timeline": dg.MetadataValue.path(str(path)), "clips": sum(1 for _ in timeline.find_clips()),
        "missing": len(missing), "first_missing": missing[0] if missing else "none"})
