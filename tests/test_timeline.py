"""OTIO delivery: real clips and stems in, a timeline and four export formats out, read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf

from filmcraft.contracts import AudioCue, CueSheet, EditDecision, PictureLock, ReviewNote
from filmcraft.media import run_ffmpeg
from filmcraft.timeline import VIDEO_TRACK_NAME, build_timeline, timeline_decisions, to_frames
from filmcraft.timeline_export import EXPORT_FORMATS, export_timeline, missing_media, write_timeline

FPS = 24


def _clip(path: Path, seconds: float, pattern: str = "testsrc") -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"{pattern}=size=160x90:rate={FPS}:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], "rendering a test clip")
    return path


def _wav(path: Path, seconds: float, freq: float) -> Path:
    t = np.arange(int(seconds * 48000)) / 48000
    sf.write(path, (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 48000)
    return path


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    d = tmp_path_factory.mktemp("film")
    a = _clip(d / "s01_sh01.mp4", 3.0)
    b = _clip(d / "s01_sh02.mp4", 4.0, "smptebars")
    # Two stems share the basename "s01.wav" to exercise otioz's unique-basename rule.
    (d / "amb").mkdir()
    (d / "mus").mkdir()
    amb = _wav(d / "amb" / "s01.wav", 1.5, 220)  # shorter than its cue: looped
    mus = _wav(d / "mus" / "s01.wav", 6.0, 330)
    vo = _wav(d / "vo_s01_sh01.wav", 1.2, 440)
    fol = _wav(d / "step.wav", 0.5, 880)
    decisions = [
        EditDecision(shot_id="s01_sh01", scene_id="s01", clip_path=str(a), decision="trim",
                     source_in=0.5, source_out=2.5, record_in=0.0),
        # accelerated: 3.0 s of media in 2.0 s of screen time
        EditDecision(shot_id="s01_sh02", scene_id="s01", clip_path=str(b), decision="accelerate",
                     source_in=0.5, source_out=3.5, speed=1.5, record_in=2.0),
    ]
    lock = PictureLock(film_id="t1", width=160, height=90, fps=FPS, decisions=decisions,
                       runtime_s=4.0, video_path=str(a))
    cues = CueSheet(film_id="t1", runtime_s=4.0, cues=[
        AudioCue(cue_id="amb_s01", stem="ambience", source_path=str(amb), record_in=0.0, duration=4.0,
                 loop=True, scene_id="s01", description="room tone", library_id="lib_amb_1"),
        AudioCue(cue_id="mus_s01", stem="music", source_path=str(mus), record_in=0.25, duration=3.7,
                 scene_id="s01", description="tense strings", library_id="lib_mus_1"),
        AudioCue(cue_id="vo_s01_sh01", stem="vo", source_path=str(vo), record_in=0.3, duration=1.2,
                 scene_id="s01", shot_id="s01_sh01", text="It was late."),
        AudioCue(cue_id="fol_1", stem="foley", source_path=str(fol), record_in=1.01, duration=0.5,
                 scene_id="s01", shot_id="s01_sh01", description="footstep"),
        AudioCue(cue_id="fol_2", stem="foley", source_path=str(fol), record_in=2.6, duration=0.5,
                 scene_id="s01", shot_id="s01_sh02", description="footstep"),
    ])
    notes = [
        ReviewNote(category="pacing", timecode=2.5, text="The second shot drags."),
        ReviewNote(category="structure", shot_id="s01_sh02", text="Open on the bars?"),
    ]
    return d, lock, cues, notes


def _clip_starts(track: otio.schema.Track) -> list[tuple[str, float, float]]:
    return [(c.name, track.range_of_child(c).start_time.to_seconds(), c.duration().to_seconds())
            for c in track.find_clips()]


def test_layout_positions_and_speed(film):
    _, lock, cues, notes = film
    tl = build_timeline("Test film", lock, cues, notes, {"mix_report": "/studio/t1/mix.json"})
    names = [t.name for t in tl.tracks]
    kinds = [t.kind for t in tl.tracks]
    assert names == [VIDEO_TRACK_NAME, "ambience", "music", "vo", "foley", "sfx"]
    assert kinds == ["Video"] + ["Audio"] * 5
    frame = 1 / FPS

    video = tl.tracks[0]
    starts = _clip_starts(video)
    for (name, start, dur), d in zip(starts, lock.decisions):
        assert name == d.shot_id
        assert abs(start - d.record_in) <= frame and abs(dur - d.duration) <= frame
    fast = video.find_clips()[1]
    warps = [e for e in fast.effects if isinstance(e, otio.schema.LinearTimeWarp)]
    assert len(warps) == 1 and warps[0].time_scalar == pytest.approx(1.5)
    # media consumed = screen duration x speed = source_out - source_in
    consumed = fast.source_range.duration.to_seconds() * warps[0].time_scalar
    assert consumed == pytest.approx(3.0, abs=frame)
    assert not video.find_clips()[0].effects
    # available range is the clip's real length (3 s and 4 s renders)
    assert video.find_clips()[1].media_reference.available_range.duration.to_seconds() == pytest.approx(4.0, abs=frame)
    assert timeline_decisions(tl)[1].record_in == pytest.approx(2.0, abs=frame)

    by_stem = {t.name: t for t in tl.tracks[1:]}
    for cue in cues.cues:
        pieces = [(n, s, d) for n, s, d in _clip_starts(by_stem[cue.stem]) if n.startswith(cue.cue_id)]
        assert abs(pieces[0][1] - cue.record_in) <= frame
        assert abs(pieces[-1][1] + pieces[-1][2] - (cue.record_in + cue.duration)) <= frame
    # the 1.5 s ambience loops over a 4 s cue -> three passes, each within the media
    amb = by_stem["ambience"].find_clips()
    assert len(amb) == 3 and all(c.metadata["filmaster"]["loop"] for c in amb)
    assert all(c.source_range.end_time_exclusive() <= c.media_reference.available_range.end_time_exclusive() for c in amb)
    vo_meta = by_stem["vo"].find_clips()[0].metadata["filmaster"]
    assert vo_meta["text"] == "It was late." and vo_meta["shot_id"] == "s01_sh01"
    assert by_stem["sfx"].find_clips() == []

    markers = tl.tracks.markers
    assert [m.metadata["filmaster"]["category"] for m in markers] == ["pacing", "structure"]
    assert markers[0].marked_range.start_time.to_seconds() == pytest.approx(2.5, abs=frame)
    assert markers[1].marked_range.start_time.to_seconds() == pytest.approx(2.0, abs=frame)  # shot s01_sh02
    meta = tl.metadata["filmaster"]
    assert meta["film_id"] == "t1" and meta["runtime_s"] == 4.0 and meta["mix_report"] == "/studio/t1/mix.json"
    assert tl.duration().to_seconds() == pytest.approx(4.0, abs=frame)
    assert missing_media(tl) == []


def test_every_export_reads_back(film, tmp_path):
    _, lock, cues, notes = film
    tl = build_timeline("Test film", lock, cues, notes)
    n_clips = {t.name: len(t.find_clips()) for t in tl.tracks}
    for fmt, (_, suffix) in EXPORT_FORMATS.items():
        out = export_timeline(tl, fmt, tmp_path / f"film{suffix}")
        assert out.stat().st_size > 0
        back = otio.adapters.read_from_file(str(out))
        if fmt == "edl":
            assert len(back.tracks) == 1 and back.tracks[0].kind == "Video"
            assert len(back.tracks[0].find_clips()) == n_clips[VIDEO_TRACK_NAME]
            assert "M2" in out.read_text()  # the speed change survives as a motion effect
            continue
        assert len(back.tracks) == len(tl.tracks), fmt
        assert [len(t.find_clips()) for t in back.tracks] == list(n_clips.values()), fmt
        assert back.duration().to_seconds() == pytest.approx(4.0, abs=1 / FPS)
    # the otioz bundle really holds the media (both same-named stems included)
    import zipfile

    names = zipfile.ZipFile(tmp_path / "film.otioz").namelist()
    assert sum(n.startswith("media/") for n in names) == 6
    assert "pathurl>file://" in (tmp_path / "film.xml").read_text()
    # no temp files left beside the outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.edl", "film.otio", "film.otioz", "film.xml"]


def test_write_timeline_round_trip_and_missing(film, tmp_path):
    d, lock, cues, _ = film
    tl = build_timeline("Test film", lock, cues)
    path = write_timeline(tl, tmp_path / "t1.otio")
    back = otio.adapters.read_from_file(str(path))
    assert back.metadata["filmaster"]["film_id"] == "t1"
    # relocate: a reference to a file that is gone is reported
    back.tracks[0].find_clips()[0].media_reference.target_url = str(d / "gone.mp4")
    assert missing_media(back) == [str(d / "gone.mp4")]


def test_bad_inputs_are_named(film, tmp_path):
    d, lock, cues, _ = film
    with pytest.raises(ValueError, match="choose one of otio, otioz, fcp7xml, edl"):
        export_timeline(build_timeline("x", lock, cues), "aaf2", tmp_path / "x.aaf")
    with pytest.raises(ValueError, match="credential"):
        build_timeline("x", lock, cues, extra_metadata={"openai_api_key": "sk-123"})
    bad = lock.model_copy(update={"decisions": [lock.decisions[0].model_copy(update={"source_out": 9.0})]})
    with pytest.raises(ValueError, match="s01_sh01"):
        build_timeline("x", bad, cues)
    gone = lock.model_copy(update={"decisions": [lock.decisions[0].model_copy(update={"clip_path": str(d / "nope.mp4")})]})
    with pytest.raises(ValueError, match="nope.mp4"):
        build_timeline("x", gone, cues)
    overlap = lock.model_copy(update={"decisions": [lock.decisions[0], lock.decisions[1].model_copy(update={"record_in": 1.0})]})
    with pytest.raises(ValueError, match="record order"):
        build_timeline("x", overlap, cues)


def test_overlapping_cues_spill_into_lanes(film):
    _, lock, cues, _ = film
    extra = AudioCue(cue_id="fol_3", stem="foley", source_path=cues.cues[3].source_path, record_in=1.2,
                     duration=0.4, description="cloth")
    tl = build_timeline("x", lock, cues.model_copy(update={"cues": [*cues.cues, extra]}))
    names = [t.name for t in tl.tracks]
    assert names == [VIDEO_TRACK_NAME, "ambience", "music", "vo", "foley", "foley 2", "sfx"]
    lane2 = tl.tracks[5]
    assert [c.name for c in lane2.find_clips()] == ["fol_3"]
    assert lane2.range_of_child(lane2.find_clips()[0]).start_time.value == to_frames(1.2, FPS)


def test_media_references_are_file_urls_and_old_bare_paths_still_read(film, tmp_path):
    """Strict consumers reject bare paths: every reference is an absolute, percent-encoded file:// URL;
    the otioz bundle points inside itself; a timeline written with bare paths reads and exports as URLs."""
    import shutil
    import zipfile

    from filmcraft.timeline import media_path

    d, lock, cues, _ = film
    odd = tmp_path / "a folder é#1"
    odd.mkdir()
    moved = Path(shutil.copy(lock.decisions[0].clip_path, odd / "shot one.mp4"))
    lock = lock.model_copy(update={"decisions": [lock.decisions[0].model_copy(update={"clip_path": str(moved)}),
                                                 lock.decisions[1]]})
    tl = build_timeline("x", lock, cues)
    refs = [c.media_reference for c in tl.find_clips()]
    assert all(r.target_url == Path(media_path(r)).as_uri() and r.target_url.startswith("file:///") for r in refs)
    assert refs[0].target_url.endswith("/a%20folder%20%C3%A9%231/shot%20one.mp4")
    assert media_path(refs[0]) == moved and missing_media(tl) == []
    assert timeline_decisions(tl)[0].clip_path == str(moved)

    for fmt in ("otio", "fcp7xml"):
        out = export_timeline(tl, fmt, tmp_path / f"x{EXPORT_FORMATS[fmt][1]}")
        assert "a%20folder%20%C3%A9%231/shot%20one.mp4" in out.read_text(), fmt
        assert "a folder é#1" not in out.read_text(), fmt
    export_timeline(tl, "otioz", tmp_path / "x.otioz")
    inner = otio.adapters.read_from_string(zipfile.ZipFile(tmp_path / "x.otioz").read("content.otio").decode(),
                                           adapter_name="otio_json")
    assert {c.media_reference.target_url.split("/")[0] for c in inner.find_clips()} == {"media"}

    # a timeline from before: bare paths, as the project wrote them
    old = build_timeline("x", lock, cues)
    for clip in old.find_clips():
        clip.media_reference.target_url = str(media_path(clip.media_reference))
    assert missing_media(old) == [] and timeline_decisions(old)[0].clip_path == str(moved)
    back = otio.adapters.read_from_file(str(export_timeline(old, "otio", tmp_path / "old.otio")))
    assert all(c.media_reference.target_url.startswith("file:///") for c in back.find_clips())
    assert old.find_clips()[0].media_reference.target_url == str(moved)  # the caller's timeline is untouched


def test_a_dissolve_is_an_otio_transition_with_the_conforms_handles(film, tmp_path):
    from filmcraft.conform import plan_segments

    _, lock, cues, _ = film
    lock = lock.model_copy(update={"decisions": [
        lock.decisions[0], lock.decisions[1].model_copy(update={"transition": "dissolve"})]})
    segments = plan_segments(lock.decisions, FPS)
    assert segments[1].head and segments[0].tail  # both shots have handles here
    tl = build_timeline("x", lock, cues)
    video = tl.tracks[0]
    trans = [i for i in video if isinstance(i, otio.schema.Transition)]
    assert len(trans) == 1 and trans[0].transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    assert (trans[0].in_offset.value, trans[0].out_offset.value) == (segments[1].head, segments[0].tail)
    assert video.index(trans[0]) == 1  # between the two shots
    # the transition takes no room: the shots keep their record positions and the film its length
    assert [s for _, s, _ in _clip_starts(video)] == pytest.approx([0.0, 2.0], abs=1 / FPS)
    assert tl.duration().to_seconds() == pytest.approx(4.0, abs=1 / FPS)
    for fmt in ("otio", "fcp7xml", "edl"):
        back = otio.adapters.read_from_file(str(export_timeline(tl, fmt, tmp_path / f"d{EXPORT_FORMATS[fmt][1]}")))
        got = [i for i in back.video_tracks()[0] if isinstance(i, otio.schema.Transition)]
        assert len(got) == 1, fmt
        assert got[0].duration().value == segments[1].head + segments[0].tail, fmt
    # OTIO's in_offset is the part before the cut ("amount of the previous clip this transition overlaps"),
    # lent by the incoming shot's head handle: the FCP 7 XML dissolve starts that far before the cut
    import xml.etree.ElementTree as ET

    item = next(ET.parse(tmp_path / "d.xml").getroot().iter("transitionitem"))
    cut = to_frames(2.0, FPS)
    assert (int(item.findtext("start")), int(item.findtext("end"))) == (cut - segments[1].head, cut + segments[0].tail)
    assert item.findtext("alignment") == "center"
    # the incoming shot from its first frame: no head handle, the dissolve starts on the edit ("start"),
    # not from black as the adapter would call a zero in_offset
    one_sided = lock.model_copy(update={"decisions": [
        lock.decisions[0], lock.decisions[1].model_copy(update={"source_in": 0.0, "source_out": 3.0})]})
    assert plan_segments(one_sided.decisions, FPS)[1].head == 0
    xml = export_timeline(build_timeline("x", one_sided, cues), "fcp7xml", tmp_path / "one_sided.xml")
    item = next(ET.parse(xml).getroot().iter("transitionitem"))
    assert (item.findtext("alignment"), int(item.findtext("start"))) == ("start", cut)
    back = otio.adapters.read_from_file(str(xml))
    (got,) = [i for i in back.video_tracks()[0] if isinstance(i, otio.schema.Transition)]
    assert (got.in_offset.value, got.out_offset.value) == (0, segments[0].tail)


def test_fades_and_dips_are_transitions_in_every_export(film, tmp_path):
    """A fade up from black, a dip to black and a fade out to black, as the editor chose them, are OTIO
    transitions over the conform's frames, Cross Dissolves from and to black in the FCP 7 XML (parsed)
    and D events from and to BL in the EDL; the clips keep the choice, its reason and the split edit."""
    import xml.etree.ElementTree as ET

    from filmcraft.conform import plan_segments

    _, lock, cues, _ = film
    a, b = lock.decisions
    lock = lock.model_copy(update={"decisions": [
        a.model_copy(update={"transition": "fade", "transition_s": 0.5, "transition_reason": "settle in"}),
        b.model_copy(update={"transition": "fade", "transition_s": 0.5, "fade_out_s": 0.75, "sound_lead_s": 0.4,
                             "transition_reason": "time passes", "split_edit_reason": "J-cut: the sea leads"})]})
    seg = plan_segments(lock.decisions, FPS)
    assert (seg[0].fade_in, seg[0].fade_out, seg[1].fade_in, seg[1].fade_out) == (12, 6, 6, 18)
    tl = build_timeline("x", lock, cues)
    video = tl.tracks[0]
    kinds = [(i.metadata["filmaster"]["kind"], i.in_offset.value, i.out_offset.value) if isinstance(i, otio.schema.Transition)
             else type(i).__name__ for i in video]
    assert kinds == [("fade_from_black", 0, 12), "Clip", ("dip_out", 6, 0), "Gap", ("dip_in", 0, 6), "Clip",
                     ("fade_to_black", 18, 0)]
    # no transition takes room: the shots keep their record positions and the film its length
    assert [s for _, s, _ in _clip_starts(video)] == pytest.approx([0.0, 2.0], abs=1 / FPS)
    assert tl.duration().to_seconds() == pytest.approx(4.0, abs=1 / FPS)
    meta = video.find_clips()[1].metadata["filmaster"]
    assert meta["transition_reason"] == "time passes" and meta["fade_out_s"] == 0.75
    assert meta["split_edit"] == {"lead_s": 0.4, "trail_s": 0.0, "reason": "J-cut: the sea leads"}
    assert timeline_decisions(tl)[1].sound_lead_s == 0.4

    xml = ET.parse(export_timeline(tl, "fcp7xml", tmp_path / "fades.xml")).getroot()
    items = [e for e in xml.iter("track")][0]  # the first (video) track
    got = [(t.findtext("alignment"), int(t.findtext("start")), int(t.findtext("end")), t.findtext("effect/effectid"))
           for t in items.iter("transitionitem")]
    assert got == [("start-black", 0, 12, "Cross Dissolve"), ("end-black", 42, 48, "Cross Dissolve"),
                   ("start-black", 48, 54, "Cross Dissolve"), ("end-black", 78, 96, "Cross Dissolve")]
    # the built-in effect by its own name, as importers look it up (the film's label stays in the .otio)
    assert {(t.findtext("effect/name"), t.findtext("effect/effectcategory"))
            for t in items.iter("transitionitem")} == {("Cross Dissolve", "Dissolve")}
    # the clips need no handles for these: their in and out points are the cut's own
    ins = [(int(c.findtext("in")), int(c.findtext("out"))) for c in items.iter("clipitem")]
    assert ins == [(12, 60), (12, 60)]
    back = otio.adapters.read_from_file(str(tmp_path / "fades.xml"))
    assert len([i for i in back.video_tracks()[0] if isinstance(i, otio.schema.Transition)]) == 4

    edl = export_timeline(tl, "edl", tmp_path / "fades.edl").read_text()
    events = [line.split() for line in edl.splitlines() if line[:3].isdigit()]
    dissolves = [(e[1][:7], e[4]) for e in events if e[3] == "D"]  # reel names are truncated to 8
    assert dissolves == [("s01sh01", "012"), ("BL", "006"), ("s01sh02", "006"), ("BL", "018")], edl
    # without the head fade (which otio's own EDL reader refuses at the very start of a track) it reads back
    no_head = lock.model_copy(update={"decisions": [lock.decisions[0].model_copy(update={"transition": "cut"}),
                                                    lock.decisions[1]]})
    back = otio.adapters.read_from_file(str(export_timeline(build_timeline("x", no_head, cues), "edl",
                                                            tmp_path / "no_head.edl")))
    assert len([i for i in back.video_tracks()[0] if isinstance(i, otio.schema.Transition)]) == 3


def test_the_delivered_mix_plays_and_the_stems_wait_disabled(film, tmp_path):
    """The cues carry no gains, so the film's sound is the mastered mix: first audio track, enabled;
    the stems are there to edit, disabled, in the .otio and the FCP 7 XML."""
    d, lock, cues, _ = film
    mix = _wav(d / "mix.wav", 5.0, 110)  # longer than the 4 s film: the clip stops at the runtime
    tl = build_timeline("x", lock, cues, mix_path=str(mix))
    audio = tl.audio_tracks()
    assert [t.name for t in audio] == ["final mix", "ambience", "music", "vo", "foley", "sfx"]
    assert audio[0].enabled and not any(t.enabled for t in audio[1:])
    (clip,) = audio[0].find_clips()
    assert clip.media_reference.target_url == mix.as_uri()
    assert audio[0].range_of_child(clip).start_time.value == 0
    assert clip.duration().to_seconds() == pytest.approx(4.0, abs=1 / FPS)
    import xml.etree.ElementTree as ET

    # the fcp_xml adapter neither writes nor reads a track's enabled flag: the export writes it
    xml = export_timeline(tl, "fcp7xml", tmp_path / "m.xml")
    flags = [t.findtext("enabled") for t in ET.parse(xml).getroot().findall("project/children/sequence/media/audio/track")]
    assert flags == ["TRUE"] + ["FALSE"] * 5
    assert len(otio.adapters.read_from_file(str(xml)).audio_tracks()) == 6
    back = otio.adapters.read_from_file(str(export_timeline(tl, "otio", tmp_path / "m.otio")))
    assert [t.enabled for t in back.audio_tracks()] == [True] + [False] * 5
    short = _wav(d / "short_mix.wav", 3.0, 110)  # a short mix plays out as it ends
    assert build_timeline("x", lock, cues, mix_path=str(short)).audio_tracks()[0].duration().to_seconds() == \
        pytest.approx(3.0, abs=1 / FPS)


def test_a_preview_film_at_12_fps_exports_in_24_fps_timecode(film, tmp_path):
    """SMPTE timecode cannot count 12 fps (the eval preview's rate): fcp7xml and edl count the same
    instants at 24 fps; the .otio keeps the film's own rate."""
    _, lock, cues, notes = film
    tl = build_timeline("Preview", lock.model_copy(update={"fps": 12}), cues, notes)
    edl = export_timeline(tl, "edl", tmp_path / "p.edl")
    xml = export_timeline(tl, "fcp7xml", tmp_path / "p.xml")
    for path in (edl, xml):
        back = otio.adapters.read_from_file(str(path))
        assert back.duration().rate == 24
        assert back.duration().to_seconds() == pytest.approx(tl.duration().to_seconds(), abs=1 / 12)
    own = otio.adapters.read_from_file(str(export_timeline(tl, "otio", tmp_path / "p.otio")))
    assert own.duration().rate == 12


def test_the_scene_grade_rides_the_clips_and_every_export(film, tmp_path):
    """Each picture clip names its look and the film folder's .cube (a file:// URL); the EDL carries them
    as comment lines under the event, the FCP 7 XML as the clip item's master comments."""
    import shutil
    import xml.etree.ElementTree as ET

    from filmcraft.luts import lut_path

    d, lock, cues, _ = film
    cube = tmp_path / "film folder" / "luts" / "night_blue.cube"
    cube.parent.mkdir(parents=True)
    shutil.copyfile(lut_path("night_blue"), cube)
    graded = [lock.decisions[0].model_copy(update={"grade": "night_blue", "lut_path": str(cube)}), lock.decisions[1]]
    tl = build_timeline("Graded", lock.model_copy(update={"decisions": graded}), cues)
    first, second = (c.metadata["filmaster"] for c in tl.tracks[0].find_clips())
    assert first["grade"] == "night_blue" and first["lut"] == cube.as_uri() and "%20" in first["lut"]
    assert second["grade"] == "neutral" and second["lut"] is None
    assert tl.metadata["filmaster"]["luts"] == {"night_blue": cube.as_uri()}
    back = timeline_decisions(otio.adapters.read_from_file(str(write_timeline(tl, tmp_path / "g.otio"))))
    assert back[0].grade == "night_blue" and back[0].lut_path == str(cube) and back[1].lut_path is None

    edl = export_timeline(tl, "edl", tmp_path / "g.edl").read_text().splitlines()
    events = [i for i, line in enumerate(edl) if line[:3].isdigit()]
    under_first = edl[events[0]:events[1]]
    assert "* GRADE: night_blue" in under_first and f"* LUT: {cube.as_uri()}" in under_first
    assert not any("LUT" in line for line in edl[events[1]:])
    # the cmx_3600 reader keeps them on the clip (an EDL round trip does not lose the look)
    edl_back = otio.adapters.read_from_file(str(tmp_path / "g.edl")).tracks[0].find_clips()[0]
    assert f"LUT: {cube.as_uri()}" in edl_back.metadata["cmx_3600"]["comments"]

    xml = ET.parse(export_timeline(tl, "fcp7xml", tmp_path / "g.xml")).getroot()
    items = {c.findtext("name"): c for c in xml.iter("clipitem") if c.findtext("name", "").startswith("s01_sh")}
    assert items["s01_sh01"].findtext("comments/mastercomment1") == "Grade: night_blue"
    assert items["s01_sh01"].findtext("comments/mastercomment2") == f"LUT: {cube.as_uri()}"
    assert items["s01_sh02"].find("comments") is None
    # the .otio itself has no export notes in it
    assert "cmx_3600" not in tl.tracks[0].find_clips()[0].metadata
