"""Benchmark cases: the shipped 20, the movieprompts format, and errors that name the field and line."""

from __future__ import annotations

import json

import pytest

from evaluation.benchmark import SIZES, benchmark_request, entity_coverage, parse_variants
from evaluation.cases import DEFAULT_CASES, case_slug, film_id_for, load_cases, split_film_id
from filmaster_assets.cli import main
from filmcraft.contracts import FILM_ID_RE, SceneBlock, SceneBlocks, ShotPrompt, SoundSketch


def test_shipped_cases_are_ten_long_and_ten_short_with_cast_and_places():
    cases = load_cases()
    assert len(cases) == 20 and len({c.case_id for c in cases}) == 20
    long = [c for c in cases if c.length == "long"]
    short = [c for c in cases if c.length == "short"]
    assert len(long) == 10 and len(short) == 10
    assert all(85 <= len(c.text.split()) <= 120 for c in long)  # "about 100 words"
    assert all(10 <= len(c.text.split()) <= 20 for c in short)  # "about 15 words"
    for c in cases:
        assert c.characters and c.locations and c.source == "filmaster"
        # each named character is in the text (first name at least)
        assert all(name.split()[-1] in c.text for name in c.characters), c.case_id
        for v in ("full", "no_rag", "no_rhythm"):
            assert FILM_ID_RE.match(film_id_for(c.case_id, v))


def test_movieprompts_format_loads(shared_data):
    path = shared_data / "movieprompts" / "movieprompts.jsonl"
    cases = load_cases(path)
    assert len(cases) == 10 and all(c.source == "movieprompts" and c.length == "long" for c in cases)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert cases[0].case_id == case_slug(first["id"]) and cases[0].characters == tuple(first["Character"])
    assert cases[0].locations == ()
    assert len(load_cases(path, limit=2)) == 2


def _file(tmp_path, *lines: object) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return str(path)


GOOD = {"id": "a", "text": "Mara lights the lamp.", "characters": ["Mara"], "locations": ["lighthouse"]}


def test_missing_field_names_field_line_and_both_formats(tmp_path):
    path = _file(tmp_path, GOOD, "", {"id": "b", "text": "x y z", "characters": ["Tom"]})
    with pytest.raises(ValueError, match=r"cases.jsonl:3: missing field 'locations' \(FilMaster format needs "
                                         r"id, text, characters, locations; the other accepted format is id, MovieScript, Character\)"):
        load_cases(path)
    path = _file(tmp_path, {"id": "Deadpool", "MovieScript": "A story."})
    with pytest.raises(ValueError, match=r"cases.jsonl:1: missing field 'Character' \(movieprompts format"):
        load_cases(path)


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "text": ', "not valid JSON"),
    ('["a", "b"]', "expected a JSON object"),
    ({**GOOD, "characters": "Mara"}, "'characters' must be a list of names"),
    ({**GOOD, "locations": []}, "'locations' is empty"),
    ({**GOOD, "text": "  "}, "'text' must be a non-empty string"),
    ({**GOOD, "id": "///"}, "has no letters or digits"),
    ({**GOOD, "length": "medium"}, "use \"long\" or \"short\""),
])
def test_bad_lines_are_named(tmp_path, line, message):
    with pytest.raises(ValueError, match=message):
        load_cases(_file(tmp_path, GOOD | {"id": "first"}, line))


def test_file_level_errors(tmp_path):
    with pytest.raises(ValueError, match="already used on line 1"):
        load_cases(_file(tmp_path, GOOD, GOOD))
    with pytest.raises(ValueError, match="holds no cases"):
        load_cases(_file(tmp_path, "", "  "))
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes('{"id": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        load_cases(bad)
    with pytest.raises(ValueError, match="no such file"):
        load_cases(tmp_path / "none.jsonl")
    assert load_cases(_file(tmp_path, GOOD))[0].length == "short"  # inferred from 4 words


def test_cli_reports_a_missing_field_before_any_film(tmp_path, capsys):
    path = _file(tmp_path, {"id": "x", "text": "A story.", "locations": ["harbour"]})
    assert main(["eval", "--cases", path, "--studio", str(tmp_path / "studio")]) == 2
    err = capsys.readouterr().err
    assert "cases.jsonl:1: missing field 'characters'" in err
    assert not (tmp_path / "studio").exists()  # nothing made
    assert main(["eval", "--cases", _file(tmp_path, GOOD), "--variants", "full,no_music"]) == 2
    assert "unknown no_music" in capsys.readouterr().err


def test_cli_llm_judge_needs_an_endpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FILMASTER_VISION_BASE_URL", raising=False)
    assert main(["eval", "--cases", _file(tmp_path, GOOD), "--judge", "llm"]) == 2
    assert "FILMASTER_VISION_BASE_URL" in capsys.readouterr().err


def test_film_ids_round_trip_and_requests_use_the_size():
    assert split_film_id(film_id_for("keeper", "no_rhythm")) == ("keeper", "no_rhythm")
    assert split_film_id("bench-no-rag-case-no_rag") == ("no-rag-case", "no_rag")
    assert split_film_id("keeper-full") is None and split_film_id("bench-keeper") is None
    assert case_slug("Despicable Me 4!") == "despicable-me-4"
    case = load_cases(DEFAULT_CASES, limit=1)[0]
    req = benchmark_request(case, "no_rag", "tiny")
    assert (req.width, req.height, req.fps, req.max_scenes, req.max_shots_per_scene) == (320, 180, 12, 2, 2)
    assert req.variant == "no_rag" and req.film_id == "bench-keeper-no_rag"
    assert benchmark_request(case, "full", "preview").width == SIZES["preview"]["width"] == 640
    assert parse_variants(" full, no_rag ,full") == ["full", "no_rag"]
    with pytest.raises(ValueError, match="unknown variant"):
        film_id_for("keeper", "no_sound")


def test_entity_coverage_by_hand():
    sketch = SoundSketch(ambience="wind", music_mood="calm", effects=[])
    blocks = SceneBlocks(film_id="x", title="t", scenes=[SceneBlock(
        scene_id="s01", index=1, heading="INT. CHURCH - TOWER ROOM", location="church", time_of_day="night",
        characters=["Anselm"], key_visual_elements=["clock"], narrative_objective="Anselm mends the clock",
        mood="calm", sound_sketch=sketch, shots=[ShotPrompt(shot_id="s01_sh01", kind="primary", prompt="Anselm at work")])])
    # Anselm yes, Lina no, "church tower" yes (both words), "the governor" no, "smithy" no -> 2 of 5
    assert entity_coverage(["Anselm", "Lina", "church tower", "the governor", "smithy"], blocks) == 0.4
    assert entity_coverage([], blocks) is None
