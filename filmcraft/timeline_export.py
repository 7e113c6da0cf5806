"""Writing a timeline: the export formats through the OTIO adapters, atomically, and where an export
may land. ``filmcraft.timeline`` builds the timeline; this module writes it.

Exports: ``otio`` (otio_json), ``otioz`` (bundle with the media inside), ``fcp7xml`` (fcp_xml) and
``edl`` (cmx_3600; CMX 3600 carries a single video track, so the EDL holds the enabled picture track
only). SMPTE timecode cannot count every rate: fcp7xml and edl count a 12 fps film at 24.
Known adapter limit: otio-cmx3600-adapter 1.0 writes an accelerated shot's M2 speed correctly
but computes its source-out timecode as ``in + duration / speed`` instead of ``* speed``; EDL
readers (including OTIO's) take the speed from the M2 line, so the cut itself survives.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

import opentimelineio as otio

from filmcraft.luts import export_grade_notes
from filmcraft.store import atomic_path
from filmcraft.timeline import _file_url, _media_path

EXPORT_FORMATS: dict[str, tuple[str, str]] = {  # fmt -> (adapter name, file suffix)
    "otio": ("otio_json", ".otio"),
    "otioz": ("otioz", ".otioz"),
    "fcp7xml": ("fcp_xml", ".xml"),
    "edl": ("cmx_3600", ".edl"),
}


def write_timeline(tl: otio.schema.Timeline, path: Path) -> Path:
    """Write ``tl`` as .otio JSON atomically."""
    return export_timeline(tl, "otio", path)

def export_target(out: str | Path | None, fmt: str, film_root: Path, studio_root: Path) -> Path:
    """Where an export of the film in ``film_root`` may be written; ValueError naming --out and the fix.

    Anywhere outside the studio is the user's choice. Inside the studio only this film's folder is
    allowed, so an export never lands over another film or the libraries; the suffix must match the
    format, so it never replaces final.mp4, a stem or a JSON artifact; a symbolic link as the target is
    refused (replacing it would surprise, writing through it could land anywhere).
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown timeline format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    suffix = EXPORT_FORMATS[fmt][1]
    film_root, studio_root = Path(film_root).resolve(), Path(studio_root).resolve()
    if out is None:
        return film_root / f"timeline{suffix}"
    given = Path(os.path.abspath(Path(out).expanduser()))
    if given.is_symlink():
        raise ValueError(f"--out {out} is a symbolic link (to {os.readlink(given)}): give the real file path")
    if given.is_dir():
        raise ValueError(f"--out {out} is a folder: give a file path ending in {suffix}")
    if given.suffix.lower() != suffix:
        raise ValueError(f"--out {out}: the {fmt} format is written as a {suffix} file: end the name with {suffix}")
    if not given.parent.is_dir():
        raise ValueError(f"--out {out}: the folder {given.parent} does not exist: create it first")
    real = given.parent.resolve() / given.name
    if given.is_relative_to(studio_root) or real.is_relative_to(studio_root):
        if not (given.is_relative_to(film_root) and real.is_relative_to(film_root)):
            where = "goes through a link out of" if given.is_relative_to(film_root) else "is in the studio but outside"
            raise ValueError(f"--out {out} {where} the film's folder {film_root}: write inside it or outside the studio")
    return real


TIMECODE_RATES = (24, 25, 30, 48, 50, 60)  # the frame rates SMPTE timecode (fcp7xml, edl) can count


def _at_timecode_rate(tl: otio.schema.Timeline) -> None:
    """Express every time in ``tl`` (a copy) at a timecode rate when its own has none: a 12 fps preview
    film is counted in 24 fps timecode, each frame two timecode frames, the same instants."""
    clip = next(iter(tl.find_clips()), None)
    rate = clip.source_range.duration.rate if clip is not None and clip.source_range else TIMECODE_RATES[0]
    if any(abs(tc - rate) < 1e-9 for tc in TIMECODE_RATES):
        return
    target = next((tc for tc in TIMECODE_RATES if abs(tc / rate - round(tc / rate)) < 1e-9), None)
    if target is None:
        raise ValueError(f"a {rate:g} fps timeline has no SMPTE timecode rate for fcp7xml or edl: export otio or "
                         "otioz, or make the film at 24, 25 or 30 fps")

    def tr(r: otio.opentime.TimeRange) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(r.start_time.rescaled_to(target), r.duration.rescaled_to(target))

    if tl.global_start_time is not None:
        tl.global_start_time = tl.global_start_time.rescaled_to(target)
    for item in [tl.tracks, *tl.tracks.find_children()]:
        if isinstance(item, otio.schema.Transition):
            item.in_offset, item.out_offset = item.in_offset.rescaled_to(target), item.out_offset.rescaled_to(target)
            continue
        if item.source_range is not None:
            item.source_range = tr(item.source_range)
        for marker in item.markers:
            marker.marked_range = tr(marker.marked_range)
        ref = getattr(item, "media_reference", None)
        if ref is not None and ref.available_range is not None:
            ref.available_range = tr(ref.available_range)


def export_timeline(tl: otio.schema.Timeline, fmt: str, out_path: Path) -> Path:
    """Write ``tl`` in ``fmt`` (otio, otioz, fcp7xml, edl) to ``out_path`` atomically."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown timeline format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    adapter, _ = EXPORT_FORMATS[fmt]
    out_path = Path(out_path)
    staging: Path | None = None
    try:
        target = tl
        if fmt == "edl":
            # CMX 3600 holds one video track: export the picture alone (alternate takes are disabled
            # tracks of their own, filmcraft.take_tracks; each event names them in a comment).
            videos = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video and t.enabled]
            if len(videos) != 1:
                raise ValueError(f"an EDL holds exactly one video track; this timeline has {len(videos)} enabled: "
                                 "export fcp7xml or otio instead")
            target = otio.schema.Timeline(name=tl.name, global_start_time=tl.global_start_time,
                                          metadata=copy.deepcopy(tl.metadata))
            target.tracks.append(copy.deepcopy(videos[0]))
        elif fmt in ("fcp7xml", "otio"):
            target = copy.deepcopy(tl)
        if fmt in ("fcp7xml", "edl"):
            _at_timecode_rate(target)
            export_grade_notes(target.find_clips(), fmt)
        if fmt != "otioz":
            for clip in target.find_clips():
                if isinstance(clip.media_reference, otio.schema.ExternalReference):
                    clip.media_reference.target_url = _file_url(clip.media_reference.target_url)
        else:
            missing = missing_media(tl)
            if missing:
                raise ValueError(f"cannot bundle an otioz: {len(missing)} media file(s) are missing, e.g. {missing[0]}; relink or re-render them")
            target, staging = _unique_media_names(tl)
        with atomic_path(out_path) as tmp:
            tmp.unlink()  # the bundle adapters refuse to overwrite an existing file
            otio.adapters.write_to_file(target, str(tmp), adapter_name=adapter)
            if fmt == "fcp7xml":
                _fcp_finish(tmp, target)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return out_path


def _fcp_finish(xml_path: Path, tl: otio.schema.Timeline) -> None:
    """What the fcp_xml adapter leaves out of the FCP 7 XML: each track's enabled flag (else the stems and
    the alternate takes would play over the final mix and the cut), and the built-in effect's own name on
    every transition (the adapter writes the OTIO transition's name, e.g. "dip to black: out s01_sh04 >
    s02_sh01", where importers look for "Cross Dissolve"; the film's label stays in the .otio)."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(xml_path)
    sequence = tree.getroot().find("project/children/sequence")
    if sequence is None:
        raise ValueError(f"{xml_path.name}: the FCP 7 XML has no sequence to mark the disabled tracks in")
    for kind, tracks in (("video", tl.video_tracks()), ("audio", tl.audio_tracks())):
        elements = sequence.findall(f"media/{kind}/track")
        if len(elements) != len(tracks):
            raise ValueError(f"{xml_path.name}: the FCP 7 XML has {len(elements)} {kind} tracks for the timeline's "
                             f"{len(tracks)}: the fcp_xml adapter changed, check its track layout")
        for element, track in zip(elements, tracks):
            flag = element.find("enabled")
            if flag is None:
                flag = ET.SubElement(element, "enabled")
            flag.text = "TRUE" if track.enabled else "FALSE"
    for effect in sequence.iter("effect"):
        if effect.findtext("effecttype") == "transition" and effect.findtext("effectid") == "Cross Dissolve":
            effect.find("name").text = "Cross Dissolve"
            if effect.find("effectcategory") is None:
                ET.SubElement(effect, "effectcategory").text = "Dissolve"
    tree.write(xml_path, encoding="UTF-8", xml_declaration=True)


def _unique_media_names(tl: otio.schema.Timeline) -> tuple[otio.schema.Timeline, Path | None]:
    """otioz stores media by basename; give colliding files unique names via symlinks."""
    target = copy.deepcopy(tl)
    by_name: dict[str, set[str]] = {}
    refs = [c.media_reference for c in target.find_clips() if isinstance(c.media_reference, otio.schema.ExternalReference)]
    for ref in refs:
        path = os.path.abspath(_media_path(ref.target_url))
        by_name.setdefault(os.path.basename(path), set()).add(path)
    clashes = {p for paths in by_name.values() if len(paths) > 1 for p in paths}
    if not clashes:
        return target, None
    staging = Path(tempfile.mkdtemp(prefix="otioz-media-"))
    renamed: dict[str, str] = {}
    for i, path in enumerate(sorted(clashes)):
        parent = Path(path).parent.name or "media"
        link = staging / f"{parent}__{i:03d}__{Path(path).name}"
        os.symlink(path, link)  # zipfile follows the link and stores the real bytes
        renamed[path] = link.as_uri()
    for ref in refs:
        path = os.path.abspath(_media_path(ref.target_url))
        if path in renamed:
            ref.target_url = renamed[path]
    return target, staging


def missing_media(tl: otio.schema.Timeline) -> list[str]:
    """Media references of ``tl`` whose files are not on disk (each listed once, in order)."""
    missing: list[str] = []
    for clip in tl.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.ExternalReference):
            path = _media_path(ref.target_url)
            if not Path(path).is_file() and path not in missing:
                missing.append(path)
        elif isinstance(ref, otio.schema.MissingReference):
            label = f"<missing reference: clip {clip.name}>"
            if label not in missing:
                missing.append(label)
    return missing
