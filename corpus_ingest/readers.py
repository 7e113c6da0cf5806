"""Readers for caption tables: CSV/TSV, JSONL (also .gz), a JSON list, Parquet.

Every reader yields ``(row_number, record, problem)``: a record is a flat dict (nested objects
become dotted names, e.g. ``input_captions.Camera``), or None with a problem saying why the row
could not be read (bad JSON, wrong field count, bytes that are not UTF-8). Unreadable rows are
quarantined by the caller; a file that is not a table at all (binary junk, a corrupt Parquet
file) raises ``SourceFormatError`` naming the file and the fix.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import zlib
from pathlib import Path
from typing import Any, Iterator

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                 ".parquet": "parquet", ".pq": "parquet"}
TEXT_FIELD_GUESSES = ("text", "caption", "merged_caption", "description", "prompt", "sentence")
ID_FIELD_GUESSES = ("id", "caption_id", "clip_id", "video_id", "uid", "key")
MAX_JSON_NESTING = 200  # deeper is a hostile or broken document (Python's JSON parser would overflow its stack)
PEEK_ROWS = 200  # rows read to list a table's fields: enough for ragged JSONL, cheap on 440k rows
MAX_CSV_FIELD = 1 << 20  # a 1 MB field is a broken quote swallowing the file, not a caption

Row = tuple[int, dict[str, Any] | None, str | None]


class SourceFormatError(ValueError):
    """The file cannot be read as a table at all (wrong format, binary, corrupt)."""


def table_format(path: Path) -> str:
    """csv, tsv, jsonl, json or parquet, from the suffix (a trailing .gz is allowed except for Parquet)."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = TABLE_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (fmt == "parquet" and path.suffix.lower() == ".gz"):
        raise SourceFormatError(
            f"{path.name}: unknown caption table format; use .csv, .tsv, .jsonl, .json (optionally .gz) or .parquet"
        )
    return fmt


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix.lower() == ".gz":
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                raise SourceFormatError(f"{path} ends in .gz but is not gzip data: rename it or re-compress it")
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _check_text_head(path: Path) -> None:
    """Refuse binary junk early: text tables never contain NUL bytes in their first 8 KB."""
    try:
        with _open_binary(path) as fh:
            head = fh.read(8192)
    except (OSError, EOFError) as exc:
        raise SourceFormatError(f"{path}: cannot read ({exc}); the file is truncated or corrupt, re-copy it") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM (what Excel's "Unicode text" writes)
        raise SourceFormatError(f"{path} is UTF-16 text: re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in head:
        raise SourceFormatError(
            f"{path} holds binary data (NUL bytes), not {table_format(path).upper()} text: export the table as UTF-8 "
            "CSV, JSONL or Parquet"
        )


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys; lists and scalars stay as they are."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _has_surrogates(values: list[str]) -> bool:
    return any(any("\udc80" <= ch <= "\udcff" for ch in v) for v in values if v)


def _read_delimited(path: Path, delimiter: str) -> Iterator[Row]:
    csv.field_size_limit(min(MAX_CSV_FIELD, sys.maxsize))
    with _open_binary(path) as raw:
        # surrogateescape keeps undecodable bytes visible so the row can be quarantined, not the file.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        # strict: a stray or unterminated quote quarantines its row instead of silently merging rows
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (EOFError, OSError, zlib.error) as exc:
            raise SourceFormatError(f"{path} is truncated or corrupt ({exc}): re-copy or re-compress the complete file") from exc
        except csv.Error as exc:
            raise SourceFormatError(f"{path}: the header line is not valid CSV ({exc}): fix the first line") from exc
        header = [h.strip() for h in header]
        if len(header) == 1:
            other = next((d for d in (";", "\t", "|", ",") if d != delimiter and d in header[0]), None)
            if other is not None:
                want = {"\t": "tab", ",": "comma"}
                raise SourceFormatError(
                    f"{path}: the header has one column {header[0][:60]!r}; the file looks {want.get(other, repr(other))}-"
                    f"separated, not {want.get(delimiter, repr(delimiter))}-separated: save it as "
                    f"{'comma-separated .csv' if other != chr(9) else 'a .tsv file'} (or rename it to .tsv if it is tab-separated)"
                )
        if _has_surrogates(header):
            raise SourceFormatError(f"{path}: the header is not UTF-8 text: re-save the file as UTF-8")
        if not any(header) or len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            raise SourceFormatError(f"{path}: the header has empty or repeated column names {dup}: name every column once")
        row_no = 0
        while True:
            row_no += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except (EOFError, OSError, zlib.error) as exc:
                raise SourceFormatError(
                    f"{path} is truncated or corrupt after row {row_no - 1} ({exc}): re-copy or re-compress the complete file"
                ) from exc
            except csv.Error as exc:
                yield row_no, None, f"malformed CSV near line {reader.line_num}: {exc}"
                continue
            if not values or (len(values) == 1 and not values[0].strip()):
                row_no -= 1  # blank lines are not rows
                continue
            if len(values) != len(header):
                yield row_no, None, f"row has {len(values)} fields but the header has {len(header)} (line {reader.line_num})"
                continue
            if _has_surrogates(values):
                yield row_no, None, f"bytes that are not UTF-8 on line {reader.line_num}"
                continue
            yield row_no, dict(zip(header, values)), None


def _lines(path: Path, fh: io.BufferedIOBase) -> Iterator[bytes]:
    """Lines of a (possibly gzip) file; a compressed stream that ends early is an error, not EOF."""
    try:
        yield from fh
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceFormatError(
            f"{path} is truncated or corrupt ({exc}): re-copy or re-compress the complete file"
        ) from exc


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_deep(raw: bytes) -> bool:
    """Upper bound on JSON nesting (brackets inside strings count too: it only ever over-counts)."""
    depth = 0
    for ch in raw.translate(None, _NOT_BRACKETS):
        if ch in b"[{":
            depth += 1
            if depth > MAX_JSON_NESTING:
                return True
        elif ch in b"]}":
            depth -= 1
    return False


def loads_limited(raw: bytes, what: str) -> Any:
    """json.loads of UTF-8 bytes with a nesting limit (SourceFormatError naming ``what`` when deeper)."""
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_NESTING and _too_deep(raw):
        raise SourceFormatError(f"{what} nests JSON deeper than {MAX_JSON_NESTING} levels: flatten it")
    return json.loads(raw.decode("utf-8"))


def _read_jsonl(path: Path) -> Iterator[Row]:
    with _open_binary(path) as fh:
        row_no = 0
        for line in _lines(path, fh):
            if not line.strip():
                continue
            row_no += 1
            try:
                rec = loads_limited(line, "the line")
            except UnicodeDecodeError as exc:
                yield row_no, None, f"bytes that are not UTF-8 (byte {exc.start})"
                continue
            except json.JSONDecodeError as exc:
                yield row_no, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            except ValueError as exc:  # nested too deeply
                yield row_no, None, str(exc)
                continue
            if not isinstance(rec, dict):
                yield row_no, None, f"a JSON {type(rec).__name__}, not an object"
                continue
            yield row_no, flatten(rec), None


def _read_json_list(path: Path) -> Iterator[Row]:
    with _open_binary(path) as fh:
        try:
            data = loads_limited(b"".join(_lines(path, fh)), str(path))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceFormatError(
                f"{path} is not a UTF-8 JSON document ({exc}): fix it, or write one object per line as .jsonl"
            ) from exc
    if not isinstance(data, list):
        raise SourceFormatError(f"{path} holds a JSON {type(data).__name__}; expected a list of objects (or use .jsonl)")
    for row_no, rec in enumerate(data, 1):
        if isinstance(rec, dict):
            yield row_no, flatten(rec), None
        else:
            yield row_no, None, f"a JSON {type(rec).__name__}, not an object"


def _read_parquet(path: Path) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceFormatError(f"{path} is not a readable Parquet file ({exc}): re-export it") from exc
    row_no = 0
    batches = pf.iter_batches(batch_size=8192)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:  # a damaged page deep in the file
            raise SourceFormatError(f"{path} is corrupt after row {row_no} ({exc}): re-export it") from exc
        for rec in batch.to_pylist():
            row_no += 1
            yield row_no, flatten(rec), None


def read_rows(path: Path) -> Iterator[Row]:
    """Yield (row number, flat record or None, problem or None) for every row of a caption table."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"caption table {path} does not exist: check the path")
    fmt = table_format(path)
    if fmt != "parquet":
        _check_text_head(path)
    if fmt in ("csv", "tsv"):
        return _read_delimited(path, "," if fmt == "csv" else "\t")
    if fmt == "jsonl":
        return _read_jsonl(path)
    if fmt == "json":
        return _read_json_list(path)
    return _read_parquet(path)


def peek_fields(path: Path, rows: int = PEEK_ROWS) -> list[str]:
    """Field names found in the first readable rows, in first-seen order."""
    seen: dict[str, None] = {}
    count = 0
    for _, rec, _problem in read_rows(path):
        if rec is None:
            continue
        for key in rec:
            seen.setdefault(key, None)
        count += 1
        if count >= rows:
            break
    return list(seen)


def resolve_field(fields: list[str], wanted: str | None, guesses: tuple[str, ...], role: str, option: str,
                  path: Path, required: bool) -> str | None:
    """The field to use for ``role``: the one asked for (must exist) or the first known guess."""
    if wanted is not None:
        if wanted in fields:
            return wanted
        folded = {f.lower(): f for f in fields}
        if wanted.lower() in folded:
            return folded[wanted.lower()]
        raise ValueError(
            f"{path.name} has no field {wanted!r} for the {role}; fields found: {', '.join(fields) or '(none)'}. "
            f"Pass one of them with {option}"
        )
    folded = {f.lower(): f for f in fields}
    for guess in guesses:
        if guess in folded:
            return folded[guess]
    if required:
        raise ValueError(
            f"{path.name}: no {role} field given and none of {', '.join(guesses)} is present; fields found: "
            f"{', '.join(fields) or '(none)'}. Pass one with {option}"
        )
    return None


def split_tags(value: Any) -> list[str]:
    """Tags from a list, a JSON list or a ,;| separated string: lower case, single spaces, each once."""
    if value is None:
        return []
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value).strip()
        if text.startswith("["):
            try:
                items = [str(v) for v in json.loads(text)]
            except json.JSONDecodeError:
                items = re.split(r"[,;|]", text)
        else:
            items = re.split(r"[,;|]", text)
    out: list[str] = []
    for item in items:
        tag = " ".join(item.replace("_", " ").lower().split())
        if tag and tag not in out:
            out.append(tag)
    return out


def find_tags_table(folder: Path) -> Path | None:
    """The single table at the top of an audio folder, used as its sidecar when none is named.

    .json files are left out: beside audio they are per-file sidecars (name --tags-csv to use one).
    """
    suffixes = [s for s in TABLE_FORMATS if s != ".json"]
    tables = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
              and any(p.name.lower().endswith(s) or p.name.lower().endswith(s + ".gz") for s in suffixes)]
    return tables[0] if len(tables) == 1 else None
