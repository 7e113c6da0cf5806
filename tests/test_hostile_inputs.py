"""Hostile-input catalogue (issue #7 item 2): every case is one test with its expected outcome.

Each case feeds one hostile input to the real code path (the CLI's ``main``, the request-drop
sensor, the reference loader, the corpus and audio ingesters, the scene-override loader, the
timeline export) and asserts the real outcome: exit code 2 or a ValueError whose message names
the input and the fix, or quarantined rows with the rest ingested; no traceback, no half-written
file, nothing written outside the studio or the asked-for output folder.

Each case returns what it observed; with ``FILMASTER_HOSTILE_TABLE=<file>`` set, the observations
are appended there as JSON lines (benchmarks/reliability_tables.py turns them into the table in
docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

CASES: list[tuple[str, str, str, Callable]] = []


def case(area: str, expected: str):
    """Register ``fn`` as one catalogue case; its name (without ``case_``) is the test id."""
    def register(fn: Callable) -> Callable:
        CASES.append((area, fn.__name__.removeprefix("case_"), expected, fn))
        return fn
    return register


# --- helpers ---------------------------------------------------------------------------------

class Env:
    """tmp folder + monkeypatch, with the studio and Dagster home inside tmp."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch):
        self.tmp = tmp
        self.studio = tmp / "studio"
        monkeypatch.setenv("FILMASTER_HOME", str(self.studio))
        monkeypatch.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
        self.monkeypatch = monkeypatch

    def cli(self, *argv: str) -> tuple[int, str]:
        """Run ``filmaster ARGV`` in-process; (exit code, stderr). argparse errors exit 2 too."""
        from filmaster_assets.cli import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = exc.code
        text = err.getvalue()
        assert "Traceback" not in text, text
        return int(code), text

    def refused(self, *argv: str, expect: str) -> str:
        code, err = self.cli(*argv)
        assert code == 2, err
        message = err.strip().splitlines()[-1]
        assert expect in message, message
        return f"exit 2: {message.removeprefix('filmaster: error: ')}"


def refusal(exc_type: type[BaseException], fn: Callable, *expect: str) -> str:
    with pytest.raises(exc_type) as info:
        fn()
    message = str(info.value)
    for text in expect:
        assert text in message, message
    return f"{type(info.value).__name__}: {message}"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (8-bit RGB) with one tiny data chunk."""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))


def wav_bytes(samples: np.ndarray, rate: int, subtype: str = "FLOAT") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def tone(seconds: float = 1.0, rate: int = 22050) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def pcm_header(channels: int, rate: int, frames: int, bits: int = 16) -> bytes:
    """A canonical PCM WAV with exactly the header fields given (libsndfile writers refuse odd ones)."""
    block = channels * bits // 8
    data = b"\x00" * (frames * max(block, 1))
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt "
            + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)


def with_rate(wav: bytes, rate: int) -> bytes:
    """Rewrite a canonical WAV header's sample rate (and byte rate) in place."""
    out = bytearray(wav)
    block = struct.unpack("<H", out[32:34])[0]
    out[24:28] = struct.pack("<I", rate)
    out[28:32] = struct.pack("<I", (rate * block) & 0xFFFFFFFF)
    return bytes(out)


def scene_block():
    from filmcraft.contracts import SceneBlock, ShotPrompt, SoundSketch

    return SceneBlock(scene_id="s01", index=1, heading="EXT. HARBOUR - DAY", location="harbour", time_of_day="day",
                      characters=["Anna"], key_visual_elements=[], narrative_objective="reach the boat", mood="calm",
                      shots=[ShotPrompt(shot_id="s01_sh01", kind="primary", prompt="Anna on the quay", characters=["Anna"])],
                      sound_sketch=SoundSketch(ambience="gulls", music_mood="calm"))


def refs_folder(env: Env) -> Path:
    refs = env.tmp / "refs"
    (refs / "characters").mkdir(parents=True)
    (refs / "locations").mkdir()
    return refs


def load_refs(env: Env, refs: Path):
    from filmcraft.references.reference_sets import load_reference_set

    return load_reference_set(scene_block(), refs, env.tmp / "cards", 160, 90)


def cards_written(env: Env) -> list[Path]:
    return sorted((env.tmp / "cards").glob("*")) if (env.tmp / "cards").exists() else []


def ingest_captions(env: Env, name: str, data: bytes, **fields):
    from corpus_ingest.caption_sources import ingest_caption_source
    from corpus_ingest.registry import SourceSpec
    from filmcraft.layout import LibraryLayout

    path = env.tmp / name
    path.write_bytes(data)
    lib = LibraryLayout(env.studio / ".library")
    spec = SourceSpec(kind="captions", name="hostile", path=str(path), **fields)
    return lib, ingest_caption_source(lib, spec)


def caption_outcome(env: Env, name: str, data: bytes, rows: int, quarantined: int, reason: str, **fields) -> str:
    """Ingest, then check the stored tables: ``rows`` kept, ``quarantined`` set aside with ``reason``."""
    import pyarrow.parquet as pq

    lib, report = ingest_captions(env, name, data, **fields)
    folder = lib.source_dir("captions", "hostile")
    kept = pq.read_table(folder / "rows.parquet").to_pylist()
    bad = pq.read_table(folder / "quarantine.parquet").to_pylist()
    assert (report["rows"], report["quarantined"]) == (len(kept), len(bad)) == (rows, quarantined), (report, bad)
    assert all(reason in b["reason"] for b in bad), bad
    return f"{rows} rows ingested, {quarantined} quarantined: {bad[0]['reason']}"


def caption_refused(env: Env, name: str, data: bytes, *expect: str) -> str:
    from filmcraft.layout import LibraryLayout

    observed = refusal(ValueError, lambda: ingest_captions(env, name, data), *expect)
    # nothing half-written: the source has no tables
    folder = LibraryLayout(env.studio / ".library").source_dir("captions", "hostile")
    assert not (folder / "rows.parquet").exists()
    return observed


def audio_outcome(env: Env, bad_name: str, data: bytes, reason: str, kind: str = "auto") -> str:
    """A folder with one good tone and one hostile file: the tone is ingested, the file quarantined."""
    import pyarrow.parquet as pq

    from corpus_ingest.audio_files import ingest_audio_source
    from corpus_ingest.registry import SourceSpec
    from filmcraft.layout import LibraryLayout

    folder = env.tmp / "library"
    folder.mkdir()
    (folder / "good_tone.wav").write_bytes(wav_bytes(tone(), 22050, "PCM_16"))
    (folder / bad_name).write_bytes(data)
    lib = LibraryLayout(env.studio / ".library")
    report = ingest_audio_source(lib, SourceSpec(kind="audio", name="hostile", path=str(folder), audio_kind=kind),
                                 progress=False)
    out = lib.source_dir("audio", "hostile")
    kept = pq.read_table(out / "rows.parquet").to_pylist()
    bad = pq.read_table(out / "quarantine.parquet").to_pylist()
    assert [r["relpath"] for r in kept] == ["good_tone.wav"] and report["rows"] == 1
    assert [b["id"] for b in bad] == [f"hostile:{bad_name}"], bad
    assert reason in bad[0]["reason"], bad[0]["reason"]
    assert all(np.isfinite(r["duration_s"]) and np.isfinite(r["peak_dbfs"]) for r in kept)
    return f"1 file ingested, {bad_name} quarantined: {bad[0]['reason']}"


def overrides_file(env: Env, content: str | bytes) -> Path:
    path = env.tmp / "scene_overrides.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def override_refused(env: Env, content: str | bytes, *expect: str) -> str:
    from filmcraft.contracts import SceneBlocks
    from filmcraft.overrides import OverrideError, apply_overrides, load_overrides

    blocks = SceneBlocks(film_id="harbour", title="Harbour", scenes=[scene_block()])
    path = overrides_file(env, content)
    return refusal(OverrideError, lambda: apply_overrides(blocks, load_overrides(path)), *expect)


def film_with_timeline(env: Env, film_id: str = "harbour"):
    """A made film as export sees it: request.json, final.mp4 and a one-clip timeline.otio."""
    import opentimelineio as otio

    from filmcraft.contracts import FilmRequest
    from filmcraft.layout import FilmLayout
    from filmcraft.store import write_model

    files = FilmLayout(env.studio / film_id)
    write_model(files.request, FilmRequest(film_id=film_id, text="A storm over the harbour."))
    files.final.write_bytes(b"the final film")
    rate = 24
    span = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(48, rate))
    clip = otio.schema.Clip(name="s01_sh01", source_range=span, media_reference=otio.schema.ExternalReference(
        target_url=str(files.final), available_range=span))
    track = otio.schema.Track(name="V1 picture", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name=film_id)
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(files.timeline))
    return files


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def sensor_tick(env: Env, drops: dict[str, bytes | str | Callable[[Path], None]]):
    """Drop files into <studio>/.requests and evaluate the request sensor once."""
    import dagster as dg

    from filmaster_assets.defs.script.sensors import film_request_sensor
    from resources.studio import StudioResource

    folder = env.studio / ".requests"
    folder.mkdir(parents=True)
    (folder / "a_good.json").write_text(json.dumps({"film_id": "harbour", "text": "A storm over the harbour."}))
    for name, content in drops.items():
        if callable(content):
            content(folder / name)
        else:
            (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(env.studio))})
        result = film_request_sensor(ctx)
    # the good request beside the hostile one always gets its partition and run
    assert [r.partition_key for r in result.run_requests] == ["harbour"]
    assert result.run_requests[0].run_config["ops"]["film_request"]["config"]["text"] == "A storm over the harbour."
    return folder


def rejected_reason(folder: Path, name: str, *expect: str) -> str:
    assert not (folder / name).exists() and not (folder / name).is_symlink()
    reason = (folder / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8").strip()
    for text in expect:
        assert text in reason, reason
    return f"rejected/{name}.error.txt: {reason}"


# --- CLI (argv) ------------------------------------------------------------------------------

@case("CLI", "exit 2 naming --out; no traceback")
def case_cli_out_is_a_file(env: Env) -> str:
    (env.tmp / "not_a_folder").write_text("x")
    return env.refused("make", "--text", "a storm", "--out", str(env.tmp / "not_a_folder"), expect="is a file")


@case("CLI", "exit 2 naming --top-k and its range")
def case_cli_top_k_zero(env: Env) -> str:
    return env.refused("make", "--text", "a storm", "--top-k", "0", expect="--top-k")


@case("CLI", "exit 2 from argparse naming --seed")
def case_cli_seed_not_a_number(env: Env) -> str:
    return env.refused("make", "--text", "a storm", "--seed", "abc", expect="--seed")


@case("CLI", "exit 2: not a file (a device would be read forever)")
def case_cli_text_file_is_a_device(env: Env) -> str:
    return env.refused("make", "--text-file", "/dev/zero", expect="not a regular file")


@case("CLI", "exit 2 naming --film-id; no folder made")
def case_cli_film_id_dotdot(env: Env) -> str:
    observed = env.refused("make", "--text", "a storm", "--film-id", "..", expect="--film-id")
    assert not env.studio.exists()
    return observed


@case("CLI", "exit 2 naming the bad image before any run; no studio made")
def case_cli_refs_with_corrupt_image(env: Env) -> str:
    refs = refs_folder(env)
    (refs / "characters" / "anna.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    observed = env.refused("make", "--text", "Anna waits at the harbour", "--refs", str(refs), expect="anna.png")
    assert not env.studio.exists()
    return observed


@case("CLI", "exit 2; no empty film folder left behind")
def case_cli_update_unknown_film(env: Env) -> str:
    env.studio.mkdir()
    observed = env.refused("update", "no-such-film", expect="make it first")
    assert files_under(env.studio) == set()
    return observed


@case("CLI", "exit 2 naming --source; nothing registered")
def case_cli_ingest_source_traversal(env: Env) -> str:
    (env.tmp / "c.csv").write_text("id,text\n1,a man walks\n")
    observed = env.refused("ingest", "captions", str(env.tmp / "c.csv"), "--source", "../evil", expect="--source")
    assert not (env.tmp / "evil").exists() and not env.studio.exists()
    return observed


@case("CLI", "exit 2: empty query")
def case_cli_search_blank_query(env: Env) -> str:
    return env.refused("search", "captions", "   ", expect="QUERY is empty")


@case("CLI", "exit 2: built-in source cannot be removed")
def case_cli_remove_builtin_source(env: Env) -> str:
    return env.refused("corpus", "remove", "captions", "starter", expect="built in")


# --- film request files (<studio>/.requests drop folder; there is no `make --request-file`) ---

@case("request file", "folder named *.json ignored; the good request beside it still runs")
def case_request_folder_named_json(env: Env) -> str:
    folder = sensor_tick(env, {"b_folder.json": lambda p: p.mkdir()})
    assert (folder / "b_folder.json").is_dir() and (folder / "accepted" / "a_good.json").is_file()
    return "ignored (left in place); a_good.json accepted and its run requested"


@case("request file", "rejected with the reason; the tick goes on")
def case_request_nested_100k_deep(env: Env) -> str:
    folder = sensor_tick(env, {"b_deep.json": "[" * 100_000})
    return rejected_reason(folder, "b_deep.json", "nests too deeply")


@case("request file", "rejected; the link's target is neither read as a request nor touched")
def case_request_symlink_to_etc_passwd(env: Env) -> str:
    folder = sensor_tick(env, {"b_link.json": lambda p: p.symlink_to("/etc/passwd")})
    assert Path("/etc/passwd").is_file()
    return rejected_reason(folder, "b_link.json", "symbolic link")


@case("request file", "rejected without reading it all")
def case_request_3mb_file(env: Env) -> str:
    folder = sensor_tick(env, {"b_huge.json": json.dumps({"film_id": "huge", "text": "word " * 600_000})})
    assert not (env.studio / "huge").exists()
    return rejected_reason(folder, "b_huge.json", "over 1,000,000 bytes")


@case("request file", "rejected naming the field; the secret value never appears in the reason")
def case_request_unknown_field_with_secret(env: Env) -> str:
    secret = "sk-hostile-0123456789abcdef"
    folder = sensor_tick(env, {"b_key.json": json.dumps({"film_id": "keyed", "text": "x", "api_key": secret})})
    observed = rejected_reason(folder, "b_key.json", "api_key", "Extra inputs are not permitted")
    assert secret not in observed
    return observed


@case("request file", "rejected naming the broken reference image")
def case_request_refs_with_text_as_png(env: Env) -> str:
    refs = refs_folder(env)
    (refs / "locations" / "harbour.png").write_text("not an image")
    folder = sensor_tick(env, {"b_refs.json": json.dumps({"film_id": "refd", "text": "x", "refs_dir": str(refs)})})
    return rejected_reason(folder, "b_refs.json", "harbour.png", "cannot be decoded")


@case("request file", "rejected naming the field and its range")
def case_request_width_100001(env: Env) -> str:
    folder = sensor_tick(env, {"b_wide.json": json.dumps({"film_id": "wide", "text": "x", "width": 100001})})
    return rejected_reason(folder, "b_wide.json", "width", "64..3840")


# --- reference images ------------------------------------------------------------------------

@case("reference image", "ReferenceImageError naming the file; no card written")
def case_refs_truncated_png(env: Env) -> str:
    refs = refs_folder(env)
    buf = io.BytesIO()
    Image.new("RGB", (200, 120), (200, 30, 30)).save(buf, "PNG")
    (refs / "characters" / "anna.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    from filmcraft.references.user_images import ReferenceImageError

    observed = refusal(ReferenceImageError, lambda: load_refs(env, refs), "anna.png", "truncated", "replace it")
    assert [p.name for p in cards_written(env) if p.name.startswith("character")] == []
    return observed


@case("reference image", "ReferenceImageError: cannot be decoded, replace it")
def case_refs_text_file_named_png(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "locations" / "harbour.png").write_text("hello, I am text")
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "harbour.png", "cannot be decoded")


@case("reference image", "refused from the header alone (no 1.2 GB decode)")
def case_refs_20000x20000_bomb(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "locations" / "harbour.png").write_bytes(png_header_only(20000, 20000))
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "harbour.png", "downscale")


@case("reference image", "ReferenceImageError naming the file")
def case_refs_zero_bytes(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "characters" / "anna.jpg").write_bytes(b"")
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "anna.jpg", "cannot be decoded")


@case("reference image", "refused: resolves outside the refs folder; nothing copied into the studio")
def case_refs_symlink_out_of_refs_folder(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    private = env.tmp / "private_photo.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(private)
    (refs / "characters" / "anna.png").symlink_to(private)
    observed = refusal(ReferenceImageError, lambda: load_refs(env, refs), "outside the reference folder", "copy the image")
    assert cards_written(env) == []
    return observed


@case("reference image", "refused before the target is opened")
def case_refs_symlink_to_etc_passwd(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "locations" / "harbour.png").symlink_to("/etc/passwd")
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "/etc/passwd", "outside the reference folder")


@case("reference image", "converted: RGB card with the image's colour")
def case_refs_cmyk_jpeg(env: Env) -> str:
    refs = refs_folder(env)
    Image.new("CMYK", (96, 64), (0, 255, 255, 0)).save(refs / "locations" / "harbour.jpg")  # pure red in CMYK
    refset = load_refs(env, refs)
    card = Image.open(refset.location.path)
    r, g, b = np.asarray(card.convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)
    assert card.mode == "RGB" and not refset.location.generated and r > 200 and g < 40 and b < 40
    return f"card {card.mode} {card.size[0]}x{card.size[1]}, mean colour ({r:.0f}, {g:.0f}, {b:.0f})"


@case("reference image", "converted: 16-bit range stretched to 8 bits, not clipped white")
def case_refs_16bit_greyscale(env: Env) -> str:
    refs = refs_folder(env)
    ramp = np.linspace(0, 65535, 128 * 72).reshape(72, 128).astype(np.uint16)
    Image.fromarray(ramp).save(refs / "locations" / "harbour.png")
    card = np.asarray(Image.open(load_refs(env, refs).location.path).convert("L"))
    assert card.min() < 30 and card.max() > 225 and 90 < card.mean() < 165
    return f"card grey range {card.min()}..{card.max()}, mean {card.mean():.0f}"


@case("reference image", "converted: transparency kept as an RGBA character card")
def case_refs_palette_with_transparency(env: Env) -> str:
    refs = refs_folder(env)
    pal = Image.new("P", (64, 96), 1)
    pal.putpalette([0, 0, 0] + [20, 200, 40] * 255)
    pal.paste(0, (0, 0, 64, 48))  # top half: index 0, transparent
    pal.save(refs / "characters" / "anna.png", transparency=0)
    card = Image.open(load_refs(env, refs).characters[0].path)
    alpha = np.asarray(card.getchannel("A"))
    assert card.mode == "RGBA" and alpha[: alpha.shape[0] // 3].max() == 0 and alpha[-alpha.shape[0] // 4:].min() == 255
    return f"card RGBA {card.size[0]}x{card.size[1]}; transparent top, opaque bottom"


@case("reference image", "refused: manifest entry resolves outside the refs folder")
def case_refs_manifest_path_traversal(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "manifest.json").write_text(json.dumps({"characters": {"Anna": "../../etc/passwd"}}))
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "manifest.json", "outside the reference folder")


@case("reference image", "refused: manifest nests too deeply (no RecursionError)")
def case_refs_manifest_nested_100k(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    (refs / "manifest.json").write_text("[" * 100_000)
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "manifest.json", "nested too deeply")


@case("reference image", "refused: EPS is never handed to Ghostscript, whatever the name")
def case_refs_eps_named_png(env: Env) -> str:
    from filmcraft.references.user_images import ReferenceImageError

    refs = refs_folder(env)
    buf = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buf, "EPS")
    (refs / "locations" / "harbour.png").write_bytes(buf.getvalue())
    assert Image.open(io.BytesIO(buf.getvalue())).format == "EPS"  # Pillow alone would take it
    return refusal(ReferenceImageError, lambda: load_refs(env, refs), "harbour.png", "cannot be decoded")


# --- corpus files ----------------------------------------------------------------------------

@case("corpus file", "SourceFormatError: looks ';'-separated, save as comma-separated")
def case_corpus_csv_semicolon_delimiter(env: Env) -> str:
    return caption_refused(env, "semi.csv", b"id;text\n1;a man walks\n2;a dog runs\n", "';'-separated")


@case("corpus file", "ragged rows quarantined, the rest ingested")
def case_corpus_csv_ragged_rows(env: Env) -> str:
    data = b"id,text\n1,a man walks\n2,a dog runs,extra\n3\n4,a cat sleeps\n"
    return caption_outcome(env, "ragged.csv", data, 2, 2, "fields but the header has 2")


@case("corpus file", "SourceFormatError: binary data, export as UTF-8")
def case_corpus_csv_nul_bytes(env: Env) -> str:
    return caption_refused(env, "nul.csv", b"id,text\n1,a man\x00 walks\n", "NUL bytes")


@case("corpus file", "SourceFormatError: UTF-16 text, re-save as UTF-8")
def case_corpus_csv_utf16(env: Env) -> str:
    return caption_refused(env, "u16.csv", "id,text\n1,a man walks\n".encode("utf-16"), "UTF-16", "UTF-8")


@case("corpus file", "non-UTF-8 rows quarantined, ASCII rows ingested")
def case_corpus_csv_latin1(env: Env) -> str:
    data = "id,text\n1,a man walks\n2,a café at night\n3,rain on tin roofs\n".encode("latin-1")
    return caption_outcome(env, "latin1.csv", data, 2, 1, "not UTF-8")


@case("corpus file", "the 10 MB cell's row quarantined, the rest ingested")
def case_corpus_csv_10mb_cell(env: Env) -> str:
    data = b"id,text\n1,a man walks\n2," + b"x" * 10_000_000 + b"\n3,a cat sleeps\n"
    return caption_outcome(env, "big.csv", data, 2, 1, "field larger than field limit")


@case("corpus file", "row with an unterminated quote quarantined, not merged into its neighbours")
def case_corpus_csv_unterminated_quote(env: Env) -> str:
    data = b'id,text\n1,a man walks\n2,"a dog runs\n3,a cat sleeps\n'
    observed = caption_outcome(env, "quote.csv", data, 1, 1, "unexpected end of data")
    return observed


@case("corpus file", "non-object lines quarantined, objects ingested")
def case_corpus_jsonl_non_object_lines(env: Env) -> str:
    data = b'{"text": "a man walks"}\n[1, 2]\n"just a string"\n{"text": "a dog runs"}\n'
    return caption_outcome(env, "mixed.jsonl", data, 2, 2, "not an object")


@case("corpus file", "line nested 100k deep quarantined (no RecursionError)")
def case_corpus_jsonl_nested_100k(env: Env) -> str:
    data = b'{"text": "a man walks"}\n' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b'\n{"text": "a dog runs"}\n'
    return caption_outcome(env, "deep.jsonl", data, 2, 1, "deeper than")


@case("corpus file", "SourceFormatError: truncated, re-copy the complete file")
def case_corpus_jsonl_gz_truncated(env: Env) -> str:
    whole = gzip.compress(b"".join(b'{"text": "caption number %d is here"}\n' % i for i in range(20000)))
    return caption_refused(env, "cut.jsonl.gz", whole[: len(whole) // 2], "truncated", "re-copy")


@case("corpus file", "ValueError: no usable rows, text is an int; check --text-field")
def case_corpus_parquet_int_text(env: Env) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"id": ["a", "b"], "text": [1, 2]}), buf)
    return caption_refused(env, "ints.parquet", buf.getvalue(), "text is a int", "--text-field")


@case("corpus file", "ValueError: no readable rows")
def case_corpus_empty_file(env: Env) -> str:
    return caption_refused(env, "empty.csv", b"", "no readable rows")


# --- audio files -----------------------------------------------------------------------------

@case("audio file", "quarantined as unreadable, the other file ingested")
def case_audio_corrupt_wav_header(env: Env) -> str:
    good = wav_bytes(tone(), 22050)
    return audio_outcome(env, "broken.wav", b"RIFF\xff\xff\xff\xffWAVEfmt " + b"\x07" * 8 + good[44:], "unreadable")


@case("audio file", "quarantined as unreadable")
def case_audio_zero_bytes(env: Env) -> str:
    return audio_outcome(env, "empty.wav", b"", "unreadable")


@case("audio file", "quarantined as unreadable")
def case_audio_text_named_wav(env: Env) -> str:
    return audio_outcome(env, "notes.wav", b"this is not audio\n" * 20, "Format not recognised")


@case("audio file", "quarantined: NaN/inf samples")
def case_audio_nan_inf_samples(env: Env) -> str:
    samples = tone()
    samples[100], samples[200] = np.nan, np.inf
    return audio_outcome(env, "nan.wav", wav_bytes(samples, 22050), "NaN or infinite")


@case("audio file", "quarantined: channel count is zero")
def case_audio_zero_channels(env: Env) -> str:
    return audio_outcome(env, "nochan.wav", pcm_header(0, 22050, 100), "Channel count is zero")


@case("audio file", "quarantined: too short")
def case_audio_one_sample(env: Env) -> str:
    return audio_outcome(env, "blip.wav", wav_bytes(np.array([0.5], dtype=np.float32), 22050), "too short")


@case("audio file", "quarantined from the header: absurd sample rate")
def case_audio_sample_rate_2ghz(env: Env) -> str:
    return audio_outcome(env, "fast.wav", with_rate(wav_bytes(tone(), 22050, "PCM_16"), 2_000_000_000), "sample rate")


@case("audio file", "quarantined from the header (as music it asked numpy for 3.6 GiB)")
def case_audio_sample_rate_1hz_music(env: Env) -> str:
    return audio_outcome(env, "slow.wav", with_rate(wav_bytes(tone(2.0), 22050, "PCM_16"), 1), "sample rate 1 Hz",
                         kind="music")


# --- scene overrides -------------------------------------------------------------------------

@case("scene overrides", "OverrideError naming s01.time_of_day and the allowed values")
def case_overrides_wrong_type(env: Env) -> str:
    return override_refused(env, json.dumps({"s01": {"time_of_day": 5}}), "s01.time_of_day", "'night'")


@case("scene overrides", "OverrideError naming the unknown id and the film's ids")
def case_overrides_unknown_scene(env: Env) -> str:
    return override_refused(env, json.dumps({"s09": {"mood": "tense"}}), "s09", "use one of those ids")


@case("scene overrides", "OverrideError listing the editable fields")
def case_overrides_unknown_field(env: Env) -> str:
    return override_refused(env, json.dumps({"s01": {"colour": "red"}}), "colour", "editable fields")


@case("scene overrides", "OverrideError: must be an object of scene id -> fields")
def case_overrides_json_list(env: Env) -> str:
    return override_refused(env, json.dumps([{"s01": {"mood": "tense"}}]), "must be an object")


@case("scene overrides", "OverrideError: nests too deeply (no RecursionError)")
def case_overrides_nested_100k(env: Env) -> str:
    return override_refused(env, '{"s01": {"mood": ' + "[" * 100_000 + "]" * 100_000 + "}}", "too deeply")


@case("scene overrides", "OverrideError: not valid UTF-8 JSON, fix or delete")
def case_overrides_invalid_utf8(env: Env) -> str:
    return override_refused(env, b'{"s01": {"mood": "caf\xe9"}}', "UTF-8", "fix or delete")


@case("scene overrides", "OverrideError: a key given twice (JSON would keep the last silently)")
def case_overrides_duplicate_scene_key(env: Env) -> str:
    return override_refused(env, '{"s01": {"mood": "tense"}, "s01": {"time_of_day": "night"}}', "more than once")


@case("scene overrides", "OverrideError: blank location")
def case_overrides_blank_location(env: Env) -> str:
    return override_refused(env, json.dumps({"s01": {"location": "   "}}), "s01.location is blank")


@case("scene overrides", "OverrideError: file over 1 MB")
def case_overrides_2mb_file(env: Env) -> str:
    return override_refused(env, json.dumps({"s01": {"mood": "x" * 2_000_000}}), "1,000,000 bytes")


@case("scene overrides", "accepted; the location names a card, never a path")
def case_overrides_location_traversal(env: Env) -> str:
    from filmcraft.contracts import SceneBlocks
    from filmcraft.overrides import apply_overrides, load_overrides
    from filmcraft.references.reference_sets import load_reference_set

    blocks = SceneBlocks(film_id="harbour", title="Harbour", scenes=[scene_block()])
    path = overrides_file(env, json.dumps({"s01": {"location": "../../../etc/cron.d/x"}}))
    scene = apply_overrides(blocks, load_overrides(path)).scenes[0]
    cards = env.tmp / "film" / "cards"
    refset = load_reference_set(scene, None, cards, 160, 90)
    assert Path(refset.location.path).parent == cards
    assert {p.parent for p in (env.tmp / "film").rglob("*") if p.is_file()} == {cards}  # nothing anywhere else
    return f"accepted; card written as {Path(refset.location.path).name} inside the cards folder"


# --- export paths ----------------------------------------------------------------------------

@case("export", "written exactly where asked (outside the studio is the user's choice); nothing else")
def case_export_out_outside_studio(env: Env) -> str:
    film_with_timeline(env)
    dest = env.tmp / "handoff"
    dest.mkdir()
    before = files_under(env.studio)
    code, err = env.cli("export", "harbour", "--format", "edl", "--out", str(dest / "harbour.edl"))
    assert code == 0, err
    assert files_under(dest) == {"harbour.edl"} and "TITLE: harbour" in (dest / "harbour.edl").read_text()
    assert files_under(env.studio) == before
    return "exit 0: handoff/harbour.edl written (CMX 3600), studio unchanged"


@case("export", "exit 2: --out is a symbolic link; its target untouched")
def case_export_out_is_symlink(env: Env) -> str:
    film_with_timeline(env)
    victim = env.tmp / "victim.edl"
    victim.write_text("keep me")
    (env.tmp / "link.edl").symlink_to(victim)
    observed = env.refused("export", "harbour", "--format", "edl", "--out", str(env.tmp / "link.edl"),
                           expect="symbolic link")
    assert victim.read_text() == "keep me" and (env.tmp / "link.edl").is_symlink()
    return observed


@case("export", "exit 2: through a link in the film folder to outside the studio; nothing written there")
def case_export_through_symlinked_folder(env: Env) -> str:
    files = film_with_timeline(env)
    outside = env.tmp / "elsewhere"
    outside.mkdir()
    (files.root / "exports").symlink_to(outside)
    observed = env.refused("export", "harbour", "--format", "edl", "--out", str(files.root / "exports" / "x.edl"),
                           expect="through a link")
    assert files_under(outside) == set()
    return observed


@case("export", "exit 2: --out is a folder")
def case_export_onto_existing_folder(env: Env) -> str:
    film_with_timeline(env)
    (env.tmp / "exports.edl").mkdir()
    return env.refused("export", "harbour", "--format", "edl", "--out", str(env.tmp / "exports.edl"), expect="is a folder")


@case("export", "exit 2: the EDL would have replaced final.mp4; the film is intact")
def case_export_over_final_mp4(env: Env) -> str:
    files = film_with_timeline(env)
    observed = env.refused("export", "harbour", "--format", "edl", "--out", str(files.final), expect="end the name with .edl")
    assert files.final.read_bytes() == b"the final film"
    return observed


@case("export", "exit 2: another film's folder is off limits; its timeline intact")
def case_export_into_other_film(env: Env) -> str:
    film_with_timeline(env)
    other = film_with_timeline(env, "lighthouse")
    before = other.timeline.read_bytes()
    observed = env.refused("export", "harbour", "--format", "otio", "--out", str(other.timeline),
                           expect="outside the film's folder")
    assert other.timeline.read_bytes() == before
    return observed


@case("export", "exit 2: the folder does not exist (no silent mkdir -p)")
def case_export_missing_parent_folder(env: Env) -> str:
    film_with_timeline(env)
    observed = env.refused("export", "harbour", "--format", "edl", "--out", str(env.tmp / "no" / "such" / "x.edl"),
                           expect="does not exist")
    assert not (env.tmp / "no").exists()
    return observed


@case("export", "exit 2 from argparse listing the formats")
def case_export_unknown_format(env: Env) -> str:
    film_with_timeline(env)
    return env.refused("export", "harbour", "--format", "mov", expect="invalid choice")


@case("export", "exit 2 naming FILM_ID; nothing outside the studio read or written")
def case_export_film_id_traversal(env: Env) -> str:
    film_with_timeline(env)
    return env.refused("export", "../harbour", "--format", "otio", expect="FILM_ID")


@case("export", "exit 2: timeline unreadable, re-make it with update (no traceback)")
def case_export_corrupt_timeline(env: Env) -> str:
    files = film_with_timeline(env)
    files.timeline.write_text('{"OTIO_SCHEMA": "Timeline.1", "tracks": ')
    observed = env.refused("export", "harbour", "--format", "edl", expect="cannot be read")
    assert not (files.root / "timeline.edl").exists()
    return observed


# --- the catalogue as tests ------------------------------------------------------------------

def _clean(text: str, tmp: Path) -> str:
    return " ".join(text.replace(str(tmp), "<tmp>").split())


@pytest.mark.parametrize("area, name, expected, fn", CASES, ids=[c[1] for c in CASES])
def test_hostile_input(area: str, name: str, expected: str, fn: Callable, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    observed = fn(Env(tmp_path, monkeypatch))
    table = os.environ.get("FILMASTER_HOSTILE_TABLE")
    if table:
        with open(table, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"area": area, "case": name, "expected": expected,
                                 "observed": _clean(observed, tmp_path)}) + "\n")


def test_catalogue_size() -> None:
    assert len(CASES) >= 30 and len({c[1] for c in CASES}) == len(CASES)
