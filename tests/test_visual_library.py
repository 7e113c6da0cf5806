"""The visual library: the packaged icon set, its cut-outs, noun matching, user sources through the CLI,
and the Dagster assets that build it."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from PIL import Image, ImageDraw

from corpus_ingest.visual_files import BUILTIN_DIR, BUILTIN_TAGS, builtin_visuals
from corpus_ingest.visual_raster import ImageError, KIND_FILLS, OUTLINE, cutout, fill_for
from corpus_ingest.visuals import MATCH_THRESHOLD, VISUAL_KINDS, IndexedVisualLibrary, noun_key, search_visuals
from filmcraft.layout import LibraryLayout
from tests.test_corpus_cli import partitions, run_cli


def _rows() -> list[dict]:
    with open(BUILTIN_TAGS, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_builtin_set_is_complete_licensed_and_tagged():
    rows = _rows()
    svgs = {p.relative_to(BUILTIN_DIR).as_posix() for p in (BUILTIN_DIR / "svg").glob("*.svg")}
    listed = [r["file"] for r in rows]
    assert set(listed) == svgs and len(listed) == len(set(listed)), set(listed) ^ svgs
    assert 200 <= len(rows) <= 450
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["kind"] for r in rows} == set(VISUAL_KINDS)
    assert all(r["tags"].strip() and r["name"].strip() for r in rows)
    licence = (BUILTIN_DIR / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Pictogrammers Free License" in licence and "Apache License" in licence and "Version 2.0" in licence
    notice = (BUILTIN_DIR / "NOTICE.txt").read_text(encoding="utf-8")
    assert "Material Design Icons" in notice and "7.4.47" in notice and "Build-time tool only" in notice
    # the second set, Font Awesome Free (icons CC BY 4.0): licence, attribution and its rows
    assert "Font Awesome Free License" in licence and "CC BY 4.0" in licence
    assert "Font Awesome Free" in notice and "7.3.1" in notice and "Fonticons, Inc." in notice and "CC BY 4.0" in notice
    fa = [r for r in rows if r["id"].startswith("fa-")]
    assert fa and all(r["file"] == f"svg/{r['id']}.svg" and r["author"].startswith("Fonticons") for r in fa)
    assert all("Font Awesome Free 7.3.1" in (BUILTIN_DIR / r["file"]).read_text(encoding="utf-8") for r in fa)
    tags = {r["id"]: r["tags"].split("; ") for r in rows}
    assert {"seagull", "gull", "dove", "crow"} <= set(tags["bird"])
    assert "hourglass" in tags["timer-sand"] and "letter" in tags["mail"]
    for svg in svgs:  # each file is an SVG as the set ships it, not something drawn here
        text = (BUILTIN_DIR / svg).read_text(encoding="utf-8")
        assert text.startswith("<svg") and 'viewBox="0 0 24 24"' in text and "<path" in text


def test_cutouts_are_recoloured_cropped_and_cached_by_content(tmp_path):
    bird = next(a for a in builtin_visuals() if a.visual_id == "builtin:bird")
    fill = fill_for(bird.kind, bird.name)
    assert fill == KIND_FILLS["creature"]
    path = cutout(bird.path, tmp_path / "r", fill)
    img = Image.open(path)
    assert img.mode == "RGBA" and 960 <= max(img.size) <= 1024  # the drawing itself, ~1024 px long
    px = np.asarray(img)
    alpha = px[..., 3]
    assert alpha[0].any() or alpha[:, 0].any()  # cropped: the silhouette touches the edge of the cut-out
    assert alpha[0, 0] == 0 and alpha.mean() > 40  # transparent round it, solid where the bird is
    opaque = px[alpha == 255][:, :3]
    hexrgb = lambda h: np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])  # noqa: E731
    # light fill for night plates, dark outline for day plates: both are there
    assert (np.abs(opaque - hexrgb(fill)).max(axis=1) < 8).mean() > 0.5
    assert (np.abs(opaque - hexrgb(OUTLINE)).max(axis=1) < 8).mean() > 0.05
    stamp = path.stat().st_mtime_ns
    assert cutout(bird.path, tmp_path / "r", fill) == path and path.stat().st_mtime_ns == stamp
    assert cutout(bird.path, tmp_path / "r", "#ffffff") != path
    # a photo on a white backdrop loses the backdrop; a broken file is refused with the reason
    photo = Image.new("RGB", (200, 120), "white")
    ImageDraw.Draw(photo).ellipse((40, 20, 160, 100), fill=(120, 70, 20))
    photo.save(tmp_path / "cask.jpg", quality=95)
    keyed = Image.open(cutout(tmp_path / "cask.jpg", tmp_path / "r"))
    assert keyed.size[0] <= 125 and np.asarray(keyed)[0, 0, 3] == 0
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    with pytest.raises(ImageError, match="cannot decode"):
        cutout(tmp_path / "bad.png", tmp_path / "r")


def test_noun_keys_ignore_case_plural_and_articles():
    assert noun_key("The Seagulls") == "seagull"
    assert noun_key("an old lighthouse's lamp") == "old lighthouse lamp"
    assert noun_key("two wolves") == "wolf" and noun_key("boxes") == "box" and noun_key("butterflies") == "butterfly"
    assert noun_key("compass") == "compass" and noun_key("glasses") == "glasses"
    assert noun_key("xylophone-robot") == "xylophone-robot"


# --- the built library, through its Dagster assets ----------------------------------------------

@pytest.fixture(scope="module")
def built(library_template, tmp_path_factory):
    """A studio whose visual library and index the Dagster assets built: the session's library template
    (made by the real `corpus reindex` job, visual assets included) materialised again as the launchpad
    would, which checks the built-in set and reports its metadata without embedding anything twice."""
    from filmaster_assets.definitions import ASSET_MODULES
    from resources import build_resources
    from resources.film_store import FilmStoreIOManager
    from resources.studio import StudioResource
    from tests.crashkit import studio_from_template

    root = studio_from_template(library_template, tmp_path_factory.mktemp("visual-studio") / "studio")
    resources = {**build_resources(), "studio": StudioResource(root=str(root)),
                 "io_manager": FilmStoreIOManager(root=str(root))}
    with dg.instance_for_test() as instance:
        result = dg.materialize(dg.load_assets_from_modules(ASSET_MODULES),
                                selection=["visual_library", "visual_library_index"], instance=instance,
                                resources=resources)
        meta = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    return LibraryLayout(root / ".library"), meta


def test_assets_register_rasterise_and_index_with_a_contact_sheet(built):
    lib, meta = built
    lib_meta, index_meta = meta["visual_library"], meta["visual_library_index"]
    assert lib_meta["images"].value == len(_rows())
    assert sum(lib_meta[f"{k}_count"].value for k in VISUAL_KINDS) == len(_rows())
    assert "data:image/jpeg;base64," in lib_meta["preview"].value
    sheet = Image.open(lib_meta["contact_sheet"].value)
    assert sheet.size[0] >= 1000 and np.asarray(sheet.convert("L")).std() > 20  # a grid of images, not a blank
    assert index_meta["rows"].value == len(_rows()) and index_meta["embedder"].value == "all-MiniLM-L6-v2"
    assert index_meta["creature_count"].value >= 40
    assert Path(lib_meta["licence"].value).is_file()
    assert len(list(lib.visual_rasters.glob("*.png"))) >= len(_rows())  # every icon rendered once


@pytest.fixture(scope="module")
def library(built):
    from corpus_ingest.embed import MiniLMEmbedder

    lib, _ = built
    return IndexedVisualLibrary(lib.visual_library_index, MiniLMEmbedder(), lib.visual_rasters)


def test_exact_matches_are_tag_and_plural_insensitive_and_fast(library):
    for noun, want in [("seagull", "bird"), ("gull", "bird"), ("Seagulls", "bird"), ("the old lighthouse", "lighthouse"),
                       ("hourglass", "timer-sand"), ("brass compass", "compass"), ("letter", "mail"),
                       ("storm lantern", "coach-lamp"), ("tent", "tent"), ("boat", "sail-boat")]:
        v = library.find(noun)
        assert v is not None and v.visual_id == f"builtin:{want}", (noun, v)
        assert Image.open(v.path).mode == "RGBA" and noun_key(noun).split()[-1] in " ".join(v.tags)
    t0 = time.perf_counter()
    for _ in range(200):
        library.find("seagull")
        library.find("hourglass")
    assert time.perf_counter() - t0 < 0.05  # cached per noun: the renderer asks for every shot


def test_semantic_matches_above_the_threshold_and_none_below(library):
    """Nouns no name or tag holds: scores printed, the threshold separates right images from wrong ones."""
    right = {"violinist": "violin", "motorboat": "sail-boat", "pianist": "piano", "wristwatch strap": "watch",
             "rainstorm": "weather-pouring", "bicycle ride": "bicycle"}
    wrong = ["xylophone-robot", "democracy", "spreadsheet", "crevasse", "giraffe", "cholesterol"]
    print(f"\nmatch threshold {MATCH_THRESHOLD}")
    for noun, want in right.items():
        asset, score, how = library.match(noun)
        print(f"  right  {noun:18} -> {asset.visual_id if asset else None} {score:.3f} ({how})")
        assert how == "embedding" and asset is not None and asset.visual_id == f"builtin:{want}" and score >= MATCH_THRESHOLD
    for noun in wrong:
        asset, score, how = library.match(noun)
        nearest = library.last_scores[noun]
        print(f"  wrong  {noun:18} -> nearest {nearest[0]} {score:.3f} ({how})")
        assert how == "embedding" and asset is None and score < MATCH_THRESHOLD
        assert library.find(noun) is None
    assert library.find("xylophone-robot") is None and library.find("") is None


def test_search_ranks_and_filters_by_kind(built, library):
    lib, _ = built
    hits = search_visuals(lib.visual_library_index, library.embedder, "seagull", k=5)
    assert hits[0].asset.visual_id == "builtin:bird" and hits[0].score >= hits[-1].score
    landmarks = search_visuals(lib.visual_library_index, library.embedder, "lighthouse", k=3, kind="landmark")
    assert [h.asset.kind for h in landmarks] == ["landmark"] * 3 and landmarks[0].asset.name == "lighthouse"
    with pytest.raises(ValueError, match="visual kind 'tree' is unknown"):
        search_visuals(lib.visual_library_index, library.embedder, "oak", kind="tree")


# --- a user's folder, through the CLI -------------------------------------------------------------

def _user_folder(root: Path) -> Path:
    import resvg_py

    folder = root / "harbour props"
    folder.mkdir()
    icon = (BUILTIN_DIR / "svg" / "bird.svg").read_text()
    (folder / "herring_gull.png").write_bytes(bytes(resvg_py.svg_to_bytes(
        svg_string=icon.replace("<path ", '<path fill="#334455" '), width=240)))
    (folder / "net.svg").write_text((BUILTIN_DIR / "svg" / "spider-web.svg").read_text().replace(
        "<path ", '<path fill="#8a6d3b" '))
    (folder / "tags.csv").write_text("file,tags,kind\n"
                                     "herring_gull.png,herring gull; seagull,creature\n"
                                     "net.svg,fishing net|trawl net,prop\n"
                                     "anchor_chain.png,anchor chain,prop\n", encoding="utf-8")
    return folder


def test_user_visuals_ingest_search_stats_and_remove_through_the_cli(tmp_path, studio_with_library):
    folder = _user_folder(tmp_path)
    proc = run_cli(["ingest", "visuals", str(folder), "--tags-csv", str(folder / "tags.csv"), "--source", "harbour"],
                   tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "source visuals/harbour: 2 images" in out and "rows        2" in out and "quarantined 1" in out, out
    assert "missing file (tags.csv row 3): no anchor_chain.png under harbour props/" in out, out
    assert partitions(tmp_path, "filmaster_corpus_sources") == ["visuals:harbour"]

    proc = run_cli(["search", "visuals", "seagull", "-k", "3", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert hits[0]["id"] == "harbour:herring_gull" and hits[0]["kind"] == "creature"
    assert "builtin:bird" in [h["id"] for h in hits] and Path(hits[0]["path"]).is_file()

    lib = LibraryLayout(tmp_path / "studio" / ".library")
    from corpus_ingest.embed import MiniLMEmbedder

    mine = IndexedVisualLibrary(lib.visual_library_index, MiniLMEmbedder(), lib.visual_rasters)
    assert mine.find("seagulls").visual_id == "harbour:herring_gull"  # the user's own image wins its tag
    assert mine.find("fishing net").visual_id == "harbour:net"

    # what `filmaster corpus stats` prints, read in-process (each CLI call costs seconds of imports)
    from corpus_ingest.catalog import corpus_stats

    stats = corpus_stats(lib)["visuals"]
    by_source = {s["source"]: s for s in stats["sources"]}
    assert by_source["harbour"]["rows"] == 2 and by_source["harbour"]["quarantined"] == 1
    assert stats["index"]["rows"] == by_source["builtin"]["rows"] + 2 and not stats["index"]["stale"]
    assert {r["reason"] for r in stats["top_quarantine_reasons"]} == {"missing file"}

    # removed (what `filmaster corpus remove visuals harbour` does before its reindex): the built-in bird again
    from corpus_ingest.catalog import remove_source
    from corpus_ingest.reindex import rebuild_visual_index

    assert remove_source(lib, "visuals", "harbour")
    meta = rebuild_visual_index(lib, mine.embedder, progress=False)
    assert meta["rebuilt"] and meta["sources"] == {"builtin": by_source["builtin"]["rows"]}
    assert mine.find("seagulls").visual_id == "builtin:bird"  # the library noticed the new index


def test_bad_visuals_input_is_refused_with_the_flag_named(tmp_path):
    from corpus_ingest.source_setup import SourceSetupError, source_spec
    from filmaster_assets.cli.corpus import FLAG_NAMES

    folder = _user_folder(tmp_path)
    with pytest.raises(SourceSetupError, match="--tags-csv .*nope.csv: no such file"):
        source_spec("visuals", str(folder), names=FLAG_NAMES, tags_csv=str(tmp_path / "nope.csv"))
    with pytest.raises(SourceSetupError, match="not a folder: a visuals source is a folder of PNG/SVG/JPG images"):
        source_spec("visuals", str(folder / "tags.csv"), names=FLAG_NAMES)
    with pytest.raises(SourceSetupError, match="--source 'builtin' is the built-in visuals source's name"):
        source_spec("visuals", str(folder), name="builtin", names=FLAG_NAMES)


def test_a_visuals_source_is_registered_from_launchpad_config(tmp_path):
    from filmaster_assets.definitions import ASSET_MODULES
    from resources import build_resources
    from resources.studio import StudioResource

    folder = _user_folder(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_corpus_sources", ["visuals:props"])
        result = dg.materialize(
            dg.load_assets_from_modules(ASSET_MODULES), selection=["corpus_source"], partition_key="visuals:props",
            instance=instance, resources={**build_resources(), "studio": StudioResource(root=str(tmp_path / "s"))},
            run_config={"ops": {"corpus_source": {"config": {"path": str(folder), "visual_kind": "prop"}}}})
        meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows"].value == 2 and meta["quarantined"].value == 1
    assert json.loads(json.dumps(meta["kinds"].value)) == {"creature": 0, "prop": 2, "vehicle": 0, "landmark": 0,
                                                           "nature": 0}
