"""``filmaster ingest|search|corpus``: bring your own caption corpus, audio library and visual library.

Ingestion runs through Dagster against the studio's persistent instance (the same runs and
partitions ``filmaster dev`` shows): the CLI validates the input and the field mapping first,
registers the source as a dynamic partition (Dagster's own CLI cannot add one), then runs the
kind's ingest job for that partition. Searching reads the live index directly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from filmaster_assets.cli.runtime import DEFAULT_STUDIO, CliError, execute, open_instance, setup_env, stage

# How setup messages name each input here: the flag a person typed.
FLAG_NAMES = {"name": "--source", "tags_csv": "--tags-csv", "audio_kind": "--kind", "visual_kind": "--kind"}
INDEX_OF = {"captions": "clip_caption_index", "audio": "audio_library_index", "visuals": "visual_library_index"}


def _library(studio: Path):
    from filmcraft.layout import LibraryLayout

    return LibraryLayout(studio / ".library")


def _spec_for(args):
    """The checked source spec and its one-line mapping description, before anything is registered."""
    from corpus_ingest.source_setup import SourceSetupError, check_mapping, source_spec

    audio = {} if args.kind != "audio" else dict(
        tags_csv=args.tags_csv, file_field=args.file_field, tags_field=args.tags_field,
        description_field=args.description_field, audio_kind=args.audio_kind)
    if args.kind == "visuals":
        audio = dict(tags_csv=args.tags_csv, file_field=args.file_field, tags_field=args.tags_field,
                     visual_kind=args.visual_kind)
    captions = dict(text_field=args.text_field, id_field=args.id_field,
                    keep_fields=args.keep_fields) if args.kind == "captions" else {}
    try:
        spec = source_spec(args.kind, args.path, args.source, FLAG_NAMES, **captions, **audio)
        return spec, check_mapping(spec)
    except SourceSetupError as exc:
        raise CliError(str(exc)) from None


def cmd_ingest(args) -> int:
    from corpus_ingest.index import read_meta
    from corpus_ingest.registry import read_report, register_source, source_dir
    from filmaster_assets.defs.corpus.partitions import corpus_source_partitions, source_partition_key

    spec, mapping = _spec_for(args)
    studio = setup_env(args.out)
    from filmaster_assets.definitions import build_defs

    lib = _library(studio)
    register_source(lib, spec)
    instance = open_instance()
    key = source_partition_key(spec.kind, spec.name)
    if not instance.has_dynamic_partition(corpus_source_partitions.name, key):
        instance.add_dynamic_partitions(corpus_source_partitions.name, [key])
    print(f"source {spec.kind}/{spec.name}: {mapping}")
    tags = {"filmaster/corpus": f"{spec.kind}/{spec.name}"}
    config = {"ops": {"corpus_source": {"config": {"force": True}}}} if args.force else None
    stage(f"[ingest {spec.kind}/{spec.name}] read, validate, embed new rows, rebuild the index",
           lambda: execute(build_defs(), "corpus_ingest_job", instance, key, tags, config))
    report = read_report(lib, spec.kind, spec.name) or {}
    embedded = read_report(lib, spec.kind, spec.name, "embeddings.json") or {}
    index = read_meta(getattr(lib, INDEX_OF[spec.kind])) or {}
    folder = source_dir(lib, spec.kind, spec.name)
    print(f"  rows        {report.get('rows')}" + (" (input unchanged)" if report.get("unchanged") else ""))
    print(f"  quarantined {report.get('quarantined')}"
          + (f"  {report.get('quarantine_reasons')}  -> {folder / 'quarantine.parquet'}" if report.get("quarantined") else ""))
    if report.get("quarantined") and not report.get("unchanged"):
        from corpus_ingest.tables import QUARANTINE_FILE, read_table

        refused = read_table(lib, spec.kind, spec.name, QUARANTINE_FILE)
        for q in refused[:5]:  # the first few in full: each names its file or row, which the counts above cannot
            print(f"    {q['reason']}")
        if len(refused) > 5:
            print(f"    ... and {len(refused) - 5} more in {folder / QUARANTINE_FILE}")
    print(f"  embedded    {embedded.get('embedded')} new, {embedded.get('reused')} reused ({embedded.get('embedder')})")
    print(f"  index       {index.get('rows')} rows over {len(index.get('sources') or {})} sources, "
          f"{index.get('index_type')}, built in {index.get('build_seconds')}s")
    return 0


def _ensure_index(studio: Path, kind: str, quiet: bool) -> Path:
    """The live index folder of ``kind``; built-ins are indexed through Dagster on first use."""
    lib = _library(studio)
    index_dir = getattr(lib, INDEX_OF[kind])
    if not (index_dir / "meta.json").is_file():
        from filmaster_assets.definitions import build_defs

        # Progress lines go to stderr under --json so stdout stays one JSON document.
        with contextlib.redirect_stdout(sys.stderr) if quiet else contextlib.nullcontext():
            stage("[corpus] first use: built-in audio and visual libraries, caption, audio and visual indexes",
                   lambda: execute(build_defs(), "reindex_job", open_instance()))
    return index_dir


def _embedder():
    from resources import build_resources

    # Outside a run nothing resolves the resource's config: an API key is still a dg.EnvVar until
    # process_config_and_initialize reads it from the environment, as a run would.
    return build_resources()["embeddings"].process_config_and_initialize().embedder()


def cmd_search(args) -> int:
    if not args.query.strip():
        raise CliError("QUERY is empty: describe what you look for, e.g. 'slow push-in on a face at night'")
    if args.k < 1 or args.k > 1000:
        raise CliError(f"-k {args.k}: ask for 1 to 1000 results")
    studio = setup_env(args.out)
    index_dir = _ensure_index(studio, args.kind, args.json)
    from resources.openai_backends import ModelRoleError

    embedder = _embedder()
    results: list[dict] = []
    try:
        if args.kind == "captions":
            from corpus_ingest.captions import search_captions

            for hit in search_captions(index_dir, embedder, args.query, k=args.k):
                results.append({"id": hit.caption_id, "score": hit.score, "source": hit.source, "text": hit.text,
                                "fields": hit.fields})
        elif args.kind == "visuals":
            from corpus_ingest.visuals import search_visuals

            for vhit in search_visuals(index_dir, embedder, args.query, k=args.k, kind=args.visual_kind):
                v = vhit.asset
                results.append({"id": v.visual_id, "score": vhit.score, "source": v.source, "path": v.path,
                                "kind": v.kind, "name": v.name, "tags": v.tags})
        else:
            from corpus_ingest.audio import search_audio

            for hit in search_audio(index_dir, embedder, args.query, k=args.k, kind=args.audio_kind):
                a = hit.asset
                results.append({"id": a.asset_id, "score": hit.score, "source": a.source, "path": a.path,
                                "tags": a.tags, "kind": a.kind, "description": a.description,
                                "emotions": a.emotions, "duration_s": a.duration_s, "loudness_lufs": a.loudness_lufs,
                                "peak_dbfs": a.peak_dbfs, "spectral_centroid_hz": a.spectral_centroid_hz,
                                "tempo_bpm": a.tempo_bpm})
    except (ValueError, ModelRoleError) as exc:  # a bad index, or the embeddings endpoint refusing the query
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    for n, r in enumerate(results, 1):
        if args.kind == "captions":
            print(f"{n:>2}. {r['score']:.3f}  [{r['source']}] {r['id']}\n    {r['text'][:200]}")
        elif args.kind == "visuals":
            print(f"{n:>2}. {r['score']:.3f}  [{r['source']}] {r['kind']:<8} {r['name']}: {', '.join(r['tags'][:8])}\n"
                  f"    {r['path']}")
        else:
            print(f"{n:>2}. {r['score']:.3f}  [{r['source']}] {r['kind']:<8} {', '.join(r['tags'][:6])}\n"
                  f"    {r['description'][:120]}  ({r['duration_s']:.1f}s, {r['loudness_lufs']} LUFS)\n    {r['path']}")
    return 0


def cmd_corpus_stats(args) -> int:
    from corpus_ingest.catalog import corpus_stats

    studio = setup_env(args.out)
    stats = corpus_stats(_library(studio))
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False, default=str))
        return 0
    for kind, s in stats.items():
        idx = s["index"] or {}
        print(f"{kind}: {s['rows']} rows in {len(s['sources'])} sources, {s['quarantined']} quarantined; index "
              + (f"{idx.get('rows')} rows, {idx.get('index_type')}, {idx.get('dim')}-d, {idx.get('embedder')}"
                 + (" (STALE: run `filmaster corpus reindex`)" if idx.get("stale") else "")
                 if idx else "not built yet"))
        for src in s["sources"]:
            print(f"  {src['source']:<24} {src['rows']:>8} rows {src['quarantined']:>6} quarantined  {src['path']}")
        for q in s["top_quarantine_reasons"][:5]:
            print(f"    quarantine: {q['source']}: {q['reason']} x{q['count']}")
    return 0


def cmd_corpus_reindex(args) -> int:
    setup_env(args.out)
    from filmaster_assets.definitions import build_defs

    force = {"config": {"force": True}}
    config = {"ops": {name: force for name in INDEX_OF.values()}} if args.force else None
    stage("[corpus] built-in libraries + the caption, audio and visual indexes over all sources",
          lambda: execute(build_defs(), "reindex_job", open_instance(), run_config=config))
    return cmd_corpus_stats(argparse.Namespace(out=args.out, json=False))


def cmd_corpus_remove(args) -> int:
    from corpus_ingest.catalog import remove_source
    from corpus_ingest.registry import BUILTIN_SOURCES, check_source_name
    from filmaster_assets.defs.corpus.partitions import corpus_source_partitions, source_partition_key

    try:
        check_source_name(args.kind, args.source)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.source == BUILTIN_SOURCES[args.kind]:
        raise CliError(f"{args.source!r} is built in and cannot be removed")
    studio = setup_env(args.out)
    if not remove_source(_library(studio), args.kind, args.source):
        raise CliError(f"no {args.kind} source {args.source!r} in {studio}: see `filmaster corpus stats`")
    instance = open_instance()
    key = source_partition_key(args.kind, args.source)
    if instance.has_dynamic_partition(corpus_source_partitions.name, key):
        instance.delete_dynamic_partition(corpus_source_partitions.name, key)
    print(f"removed {args.kind}/{args.source}; rebuilding the indexes without it")
    return cmd_corpus_reindex(argparse.Namespace(out=args.out, force=False))


def add_corpus_commands(sub) -> None:
    """Register ``ingest``, ``search`` and ``corpus`` on the filmaster sub-command parser."""
    from corpus_ingest.source_setup import AUDIO_KIND_CHOICES, VISUAL_KIND_CHOICES
    from corpus_ingest.visuals import VISUAL_KINDS

    out_help = f"studio folder (default $FILMASTER_HOME or ./{DEFAULT_STUDIO})"

    ingest = sub.add_parser("ingest", help="ingest a caption corpus, an audio library or a visual library as a named source")
    kinds = ingest.add_subparsers(dest="kind", required=True)
    cap = kinds.add_parser("captions", help="a CSV, TSV, JSONL(.gz), JSON or Parquet table of clip captions")
    aud = kinds.add_parser("audio", help="a folder of wav/flac/ogg/mp3 files, optionally with a tags table")
    vis = kinds.add_parser("visuals", help="a folder of PNG/SVG/JPG images (props, creatures, landmarks) with a "
                                           "tags table: file,tags[,kind]")
    for p in (cap, aud, vis):
        p.add_argument("path", metavar="PATH")
        p.add_argument("--source", help="source name (default: from the file or folder name)")
        p.add_argument("--force", action="store_true", help="re-read the input even if it did not change")
        p.add_argument("--out", help=out_help)
        p.set_defaults(func=cmd_ingest)
    cap.add_argument("--text-field", help="field holding the caption (default: text, caption, merged_caption, ...; "
                                          "nested JSON as a.b)")
    cap.add_argument("--id-field", help="field holding a unique row id (default: id, clip_id, video_id, ...; "
                                        "else a hash of the text)")
    cap.add_argument("--keep-fields", help="comma-separated fields to keep as metadata (default: all others)")
    aud.add_argument("--tags-csv", help="table of per-file tags (default: the one table at the top of PATH)")
    aud.add_argument("--file-field", help="column of the tags table naming the file (default: filename, file, path)")
    aud.add_argument("--tags-field", help="column of the tags table with the tags (default: tags, category, label)")
    aud.add_argument("--description-field", help="column with a description (default: description, caption, title)")
    aud.add_argument("--kind", dest="audio_kind", choices=AUDIO_KIND_CHOICES, default="auto",
                     help="library kind of every file (default auto: from tags, genre and words)")

    vis.add_argument("--tags-csv", help="table of per-image tags, columns file,tags[,kind] (default: the one table "
                                        "at the top of DIR)")
    vis.add_argument("--file-field", help="column naming the image file (default: file, filename, path, image)")
    vis.add_argument("--tags-field", help="column with the tags, separated by ';' or '|' (default: tags, labels)")
    vis.add_argument("--kind", dest="visual_kind", choices=VISUAL_KIND_CHOICES, default="auto",
                     help="library kind of every image (default auto: the table's kind column, else from the tags)")

    search = sub.add_parser("search", help="search the caption, audio or visual index")
    search.add_argument("kind", choices=tuple(INDEX_OF))
    search.add_argument("query", metavar="QUERY")
    search.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    search.add_argument("--audio-kind", choices=("ambience", "music", "foley", "sfx"),
                        help="audio only: restrict to one kind")
    search.add_argument("--visual-kind", choices=VISUAL_KINDS, help="visuals only: restrict to one kind")
    search.add_argument("--out", help=out_help)
    search.set_defaults(func=cmd_search)

    corpus = sub.add_parser("corpus", help="corpus statistics and maintenance")
    ops = corpus.add_subparsers(dest="op", required=True)
    stats = ops.add_parser("stats", help="rows, sources, quarantined rows and index type per corpus")
    stats.add_argument("--json", action="store_true")
    stats.add_argument("--out", help=out_help)
    stats.set_defaults(func=cmd_corpus_stats)
    reindex = ops.add_parser("reindex", help="rebuild the indexes over all sources (e.g. after an embedder change)")
    reindex.add_argument("--force", action="store_true", help="rebuild even if the sources did not change")
    reindex.add_argument("--out", help=out_help)
    reindex.set_defaults(func=cmd_corpus_reindex)
    remove = ops.add_parser("remove", help="remove an ingested source and rebuild the indexes without it")
    remove.add_argument("kind", choices=tuple(INDEX_OF))
    remove.add_argument("source")
    remove.add_argument("--out", help=out_help)
    remove.set_defaults(func=cmd_corpus_remove)
