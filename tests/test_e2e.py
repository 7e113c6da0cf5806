"""The whole graph, end to end, on a tiny film (2 scenes x 2 shots, low resolution), through the
CLI's own path: request -> partitions -> jobs in a persistent instance -> artifacts checked."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

pytestmark = pytest.mark.slow

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


@pytest.fixture(scope="module")
def tiny_film(tmp_path_factory, library_template):
    from tests.crashkit import studio_from_template

    tmp = tmp_path_factory.mktemp("e2e")
    studio_from_template(library_template, tmp / "studio")
    env = {"FILMASTER_HOME": str(tmp / "studio"), "DAGSTER_HOME": str(tmp / "dagster_home")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    (tmp / "dagster_home").mkdir()
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import setup_env
    from filmcraft.contracts import FilmRequest

    studio = setup_env(str(tmp / "studio"))
    req = build_request(THEME, "tiny", None, "general", False, 0)
    req = FilmRequest(**{**req.model_dump(), "width": 320, "height": 180, "fps": 12, "max_scenes": 2,
                         "max_shots_per_scene": 2})
    film_dir = make_film(req, studio)
    yield film_dir
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_outputs_exist(tiny_film):
    for rel in ["final.mp4", "timeline.otio", "scene_blocks.json", "shot_plans.json", "filmeval.json", "mix_report.json",
                *[f"stems/{s}.wav" for s in ("ambience", "music", "vo", "foley", "sfx")]]:
        assert (tiny_film / rel).is_file() and (tiny_film / rel).stat().st_size > 0, rel
    assert len(list((tiny_film / "shots").glob("*.mp4"))) == 4


def test_final_film_has_picture_and_sound(tiny_film):
    from filmcraft.contracts import PictureLock
    from filmcraft.media import probe
    from filmcraft.store import read_model

    info = probe(tiny_film / "final.mp4")
    assert info.has_video and info.has_audio and info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 180)
    lock = read_model(tiny_film / "cut" / "picture_lock.json", PictureLock)
    assert abs(info.duration_s - lock.runtime_s) < 0.25
    # the transitions strip: one row of five frames per change (the general audience fades up and out)
    from PIL import Image

    from filmcraft.conform import transition_moments

    moments = transition_moments(lock.decisions, info.duration_s)
    assert moments[0][0].startswith("s01_sh01: fade up") and "fade out" in moments[-1][0]
    strip = Image.open(tiny_film / "deliver" / "transitions.png").convert("L")
    assert strip.width == 5 * 204 + 4 and strip.height > len(moments) * 100
    assert strip.getpixel((4 + 100, 4 + 50)) < 20  # the fade up's first frame is black


def test_a_made_film_is_current_for_the_cli_and_the_sensors(tiny_film):
    """Dagster's change tracking, as the CLI and the sensors read it: nothing left to make."""
    import dagster as dg

    from filmaster_assets.definitions import defs
    from filmaster_assets.orchestration import post_production_needed, scene_statuses
    from filmcraft.layout import FilmLayout

    instance = dg.DagsterInstance.get()
    graph = defs.get_repository_def().asset_graph
    assert [(s.scene_id, s.current) for s in scene_statuses(instance, graph, FilmLayout(tiny_film))] == \
        [("s01", True), ("s02", True)]
    assert not post_production_needed(instance, graph, tiny_film.name)


def test_scene_blocks_and_plans_are_tiny_and_cite_references(tiny_film):
    blocks = json.loads((tiny_film / "scene_blocks.json").read_text())
    assert [s["scene_id"] for s in blocks["scenes"]] == ["s01", "s02"]
    assert all(len(s["shots"]) == 2 for s in blocks["scenes"])
    plans = json.loads((tiny_film / "shot_plans.json").read_text())
    assert plans["schema_version"] == 1 and plans["film_id"] == tiny_film.name
    assert len(plans["shots"]) == 4 and all(p["cited_references"] for p in plans["shots"])


def test_otio_has_six_tracks_with_existing_media(tiny_film):
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(tiny_film / "timeline.otio"))
    assert len(tl.video_tracks()) == 1
    names = [t.name for t in tl.audio_tracks()]
    # overlapping cues of one stem spill into extra lanes ("foley 2") beside their stem's track
    assert [n for n in names if " " not in n] == ["ambience", "music", "vo", "foley", "sfx"]
    from filmcraft.timeline import media_path

    for clip in tl.find_clips():
        assert clip.media_reference.target_url.startswith("file:///"), clip.media_reference.target_url
        assert media_path(clip.media_reference).is_file(), clip.media_reference.target_url


def test_otio_audio_positions_match_the_cue_sheet_the_mix_rendered(tiny_film):
    """The mixer places each cue at its record_in (tested in test_mixer); the OTIO must agree within a frame."""
    import opentimelineio as otio

    cues = {c["cue_id"]: c for c in json.loads((tiny_film / "sound" / "cue_sheet.json").read_text())["cues"]}
    tl = otio.adapters.read_from_file(str(tiny_film / "timeline.otio"))
    checked = 0
    assert tl.audio_tracks()[0].name == "final mix" and tl.audio_tracks()[0].enabled
    for track in tl.audio_tracks()[1:]:  # the stems (disabled: the final mix plays as the film does)
        assert not track.enabled, track.name
        for clip in track.find_clips():
            meta = clip.metadata["filmaster"]
            if meta.get("loop_pass", 1) > 1:
                continue  # later passes of a looped bed start mid-cue
            start = clip.range_in_parent().start_time.to_seconds()
            assert abs(start - cues[meta["cue_id"]]["record_in"]) <= 1 / 12 + 1e-6, meta["cue_id"]
            checked += 1
    assert checked >= len({c["stem"] for c in cues.values()})


def test_stems_are_at_their_loudness_targets(tiny_film):
    import pyloudnorm as pyln

    report = json.loads((tiny_film / "mix_report.json").read_text())
    for stem in report["stems"]:
        data, rate = sf.read(stem["path"])
        if stem["measured_lufs"] is None:
            continue
        measured = pyln.Meter(rate).integrated_loudness(data)
        assert abs(measured - stem["target_lufs"]) <= 0.5, (stem["stem"], measured)
    data, rate = sf.read(tiny_film / "mix.wav")
    assert abs(pyln.Meter(rate).integrated_loudness(data) - report["master_target_lufs"]) <= 0.5
    # true peak measured here, not by the mixer: 4x oversampled sample peak (ITU-R BS.1770 style)
    from scipy.signal import resample_poly

    true_peak = 20 * np.log10(np.abs(resample_poly(data, 4, 1, axis=0)).max())
    assert true_peak <= -1.0 + 0.05, true_peak


def test_filmeval_has_twelve_criteria_and_derived_metrics(tiny_film):
    scores = json.loads((tiny_film / "filmeval.json").read_text())
    assert len(scores["criteria"]) == 12
    by = {c["criterion"]: c for c in scores["criteria"]}
    assert by["physical_law_compliance"]["score"] is None
    assert scores["camera_language"] is not None and scores["cinematic_rhythm"] is not None


def test_runs_are_recorded_in_the_persistent_instance(tiny_film):
    import dagster as dg

    from filmaster_assets.partitions import FILM_PARTITIONS_NAME

    instance = dg.DagsterInstance.get()
    assert instance.get_dynamic_partitions(FILM_PARTITIONS_NAME) == ["tiny"]
    runs = instance.get_runs()
    assert {r.job_name for r in runs} >= {"script_job", "camera_job", "post_production_job"}


def test_rerun_redoes_no_scene(tiny_film):
    """A second make of the same film keeps every scene's camera work (no new clips materialization,
    no render) and rebuilds only the film-level post-production."""
    import dagster as dg

    from filmaster_assets.cli.film import make_film
    from filmcraft.contracts import FilmRequest
    from filmcraft.store import read_model

    instance = dg.DagsterInstance.get()
    count = lambda key: len(instance.fetch_materializations(dg.AssetKey(key), limit=100).records)
    clips_before, final_before = count("clips"), count("final_film")
    cache = tiny_film.parent / ".cache" / "clips"
    renders_before = len(list(cache.glob("*.mp4")))
    make_film(read_model(tiny_film / "request.json", FilmRequest), tiny_film.parent)
    assert count("clips") == clips_before == 2
    assert count("final_film") == final_before + 1
    assert len(list(cache.glob("*.mp4"))) == renders_before


def test_filmeval_tells_each_defect_apart_on_this_film(tiny_film, tmp_path):
    """The sensitivity suite on a real film of the pipeline: each controlled defect lowers its own
    criterion by at least a point and moves the others by at most half a point (the benchmark
    report, benchmarks/bench_filmeval_sensitivity.py, prints the same matrix for the demo)."""
    from corpus_ingest.embed import MiniLMEmbedder
    from evaluation.film_folder import inputs_from_path
    from evaluation.sensitivity import DEFECTS, matrix_markdown, sensitivity

    inputs = inputs_from_path(tiny_film)
    assert inputs.manifests, "the previs film's clips carry render manifests"
    inputs.embedder = MiniLMEmbedder()
    result = sensitivity(inputs, tmp_path)
    table = matrix_markdown(result)
    # a 2-scene, 4-shot film has one scene pair to put out of order and few cues to put early: there
    # those two defects show at half strength; on the demo (5 scenes) all reach a point (the benchmark)
    small = {"scenes_reversed": "NC", "early_sound": "VAC"}
    failing = [f"{d.name}: {why}" for d in DEFECTS for ok, why in [result.passes(d)]
               if not ok and not (d.name in small and result.deltas[d.name][small[d.name]] <= -0.5
                                  and "moved" not in why.replace(f"{small[d.name]} moved", ""))]
    assert not failing, "\n".join(failing) + "\n" + table
    # what the offline judge cannot perceive stays unscored under every defect
    for name in result.deltas:
        assert all(result.deltas[name][c] is None for c in ("CC", "PLC", "CD")), name


def test_a_film_folder_is_scored_as_it_is_on_disk(tiny_film, tmp_path, capsys):
    """``filmaster eval score``: the folder scores as the pipeline scored it; a bare copy of its video
    scores only what a video shows, and says which plan files the rest needed."""
    import shutil

    from evaluation.criteria import BY_CODE
    from filmaster_assets.cli import main

    def score(*argv: str) -> dict:
        assert main(["eval", "score", *argv, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    made = json.loads((tiny_film / "filmeval.json").read_text())
    capsys.readouterr()
    got = score(str(tiny_film))
    assert [c["score"] for c in got["criteria"]] == [c["score"] for c in made["criteria"]]
    assert got["paper_scale"]["camera_language"] == pytest.approx(got["camera_language"] / 1.5, abs=1e-3)
    bare = tmp_path / "peer_film.mp4"
    shutil.copy(tiny_film / "final.mp4", bare)
    scores = {c["criterion"]: c for c in score(str(bare))["criteria"]}
    assert scores["visual_quality"]["score"] is not None
    assert scores["script_faithfulness"]["score"] is None
    assert "scene_blocks.json" in scores["script_faithfulness"]["reason"]
    # what a video carries is measured from it: the sound track's level, and the cuts in the picture
    mix = json.loads((tiny_film / "mix_report.json").read_text())
    lock = json.loads((tiny_film / "cut" / "picture_lock.json").read_text())
    sound = scores[BY_CODE["VAQ"]]["measurement"]
    assert abs(sound["track_lufs"] - mix["master_lufs"]) < 1.0 and sound["track_true_peak_dbtp"] <= -1.0
    pacing = scores[BY_CODE["NP"]]
    assert pacing["score"] is not None and "general profile" in pacing["reason"]
    # the detector counts hard cuts: a dip to black or a dissolve is none
    hard_cuts = sum(d["transition"] == "cut" for d in lock["decisions"][1:])
    assert abs(pacing["measurement"]["shots"] - (1 + hard_cuts)) <= 1


def test_the_timeline_asset_counts_the_transitions_an_editor_inherits(tiny_film):
    """The otio_timeline page in the UI counts the timeline's transitions by kind and the split edits, as
    the editor chose them on the picture lock; picture_lock's EDL table says which and why (issue #17)."""
    import dagster as dg
    import opentimelineio as otio

    lock = json.loads((tiny_film / "cut" / "picture_lock.json").read_text())
    decisions = lock["decisions"]
    instance = dg.DagsterInstance.get()
    meta = instance.fetch_materializations(dg.AssetKey("otio_timeline"), limit=1).records[0].asset_materialization.metadata
    timeline = otio.adapters.read_from_file(str(tiny_film / "timeline.otio"))
    transitions = [i for t in timeline.video_tracks() for i in t if isinstance(i, otio.schema.Transition)]
    assert meta["transitions"].value == len(transitions)
    # a dissolve without handles on either side is cut, as the conform does
    assert meta["dissolves"].value <= sum(d["transition"] == "dissolve" for d in decisions[1:])
    assert meta["dips_to_black"].value == sum(d["transition"] == "fade" for d in decisions[1:])
    assert meta["fades_from_black"].value == (decisions[0]["transition"] == "fade")
    assert meta["fades_to_black"].value == (decisions[-1]["fade_out_s"] > 0)
    assert meta["split_edits"].value == sum(1 for d in decisions if d["sound_lead_s"] or d["sound_trail_s"])
    # the editor chose every transition and said why (a general audience: a fade up and a fade out)
    assert all(d["transition_reason"] for d in decisions)
    assert decisions[0]["transition"] == "fade" and decisions[-1]["fade_out_s"] > 0
    edl = instance.fetch_materializations(dg.AssetKey("picture_lock"), limit=1).records[0].asset_materialization.metadata
    table = edl["edl"].value
    columns = [c.name for c in table.schema.columns]
    assert columns[columns.index("transition"):][:3] == ["transition", "split edit", "why"] and "take" in columns
    assert table.records[0].data["transition"].startswith("fade up from black")
    assert [r.data["why"] for r in table.records] == [d["transition_reason"] for d in decisions]
    assert edl["fades_from_black"].value == 1 and edl["dips_to_black"].value == meta["dips_to_black"].value
    # the edit analysis page lists each of the editor's choices with its reason
    analysis = instance.fetch_materializations(dg.AssetKey("edit_analysis"), limit=1).records[0].asset_materialization
    chosen = analysis.metadata["transitions"].value.records
    assert [r.data["into"] for r in chosen] == [d["shot_id"] for d in decisions] and all(r.data["reason"] for r in chosen)
    graded = {}
    for d in lock["decisions"]:
        if d["lut_path"]:
            graded[d["grade"]] = graded.get(d["grade"], 0) + 1
    assert meta["graded_clips"].value == graded and sum(graded.values()) == len(lock["decisions"])


def test_each_scene_is_graded_by_its_lut_in_the_cut_the_timeline_and_the_ui(tiny_film, tmp_path):
    """One look per scene, chosen from the shot plans (night harbour, dawn lighthouse), applied by the conform
    to the ungraded previs: the locked picture is the clip through the scene's .cube; the timeline and the
    picture_lock page name it; the keyframes show it."""
    import dagster as dg
    import opentimelineio as otio

    from filmcraft.luts import apply_lut_image, lut_path
    from filmcraft.media import extract_frame

    def rgb(path):
        from PIL import Image

        return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)

    lock = json.loads((tiny_film / "cut" / "picture_lock.json").read_text())
    grades = {d["scene_id"]: d["grade"] for d in lock["decisions"]}
    assert grades["s01"] in ("night_blue", "tense_green", "noir") and grades["s02"] == "dawn_pink", grades
    for d in lock["decisions"]:  # one look per scene, its .cube copied into the film folder
        assert d["grade"] == grades[d["scene_id"]]
        assert d["lut_path"] == str(tiny_film / "luts" / f"{d['grade']}.cube")
        assert (tiny_film / "luts" / f"{d['grade']}.cube").read_bytes() == lut_path(d["grade"]).read_bytes()
    d = lock["decisions"][0]
    mid = (d["source_in"] + d["source_out"]) / 2
    at = d["record_in"] + (mid - d["source_in"]) / d["speed"]
    locked = rgb(extract_frame(tiny_film / "cut" / "picture_lock.mp4", at, tmp_path / "locked.png"))
    raw = extract_frame(d["clip_path"], mid, tmp_path / "raw.png")
    through = rgb(apply_lut_image(raw, d["lut_path"], tmp_path / "through.png"))
    graded_err, ungraded_err = np.abs(locked - through).mean(), np.abs(locked - rgb(raw)).mean()
    print(f"\nlocked frame vs the clip through its LUT: {graded_err:.2f}, vs the ungraded clip: {ungraded_err:.2f}")
    assert graded_err < 4 and ungraded_err > 3 * graded_err, (graded_err, ungraded_err)
    # the keyframe shows the look (the clip's mid-frame through the scene's LUT)
    key = rgb(tiny_film / "scenes" / d["scene_id"] / "keyframes" / f"{d['shot_id']}.png")
    clips = json.loads((tiny_film / "scenes" / d["scene_id"] / "clips.json").read_text())["clips"]
    duration = next(c["duration_s"] for c in clips if c["shot_id"] == d["shot_id"])
    clip_mid = extract_frame(d["clip_path"], duration / 2, tmp_path / "clip_mid.png")
    assert np.abs(key - rgb(apply_lut_image(clip_mid, d["lut_path"], tmp_path / "k.png"))).mean() < 1.5
    # the timeline's picture clips name the look and the film folder's LUT
    tl = otio.adapters.read_from_file(str(tiny_film / "timeline.otio"))
    for clip in tl.video_tracks()[0].find_clips():
        meta = clip.metadata["filmaster"]
        assert meta["lut"] == (tiny_film / "luts" / f"{meta['grade']}.cube").as_uri()
    # the picture_lock page: a grade column in the EDL table, the scenes' grades with why, and the preview
    record = dg.DagsterInstance.get().fetch_materializations(dg.AssetKey("picture_lock"), limit=1).records[0]
    meta = record.asset_materialization.metadata
    edl = meta["edl"].value
    assert [c.name for c in edl.schema.columns][-1] == "grade" and {r.data["grade"] for r in edl.records} == set(grades.values())
    assert {r.data["scene"]: r.data["grade"] for r in meta["grades"].value.records} == grades
    assert meta["grade_preview"].value.startswith("![")
    rough = dg.DagsterInstance.get().fetch_materializations(dg.AssetKey("rough_cut"), limit=1).records[0]
    assert rough.asset_materialization.metadata["grades"].value == grades  # the rough cut is graded alike
