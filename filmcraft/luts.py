"""Grade looks as real 3D LUTs (``.cube``): generated from the looks' ffmpeg filter chains, applied by the conform.

Each look of ``filmcraft.grades.GRADES`` is measured, not hand-written: an identity lattice of
``LUT_SIZE``\\ :sup:`3` colours goes through exactly the chain the previs used to burn in
(``format=yuv420p,<look>``, here at 4:4:4 so neighbouring lattice points never share chroma), as 16-bit
RGB in and out, and the result is written as an Adobe/Resolve ``.cube`` (red fastest). The generated
files ship in ``filmcraft/grade_luts/``; ``python -m filmcraft.luts`` rewrites them (``--check``
compares instead) after a look's chain changes.

Why 33 points: on real previs frames (docs/demo_contact_sheet.png) a 33-point LUT, interpolated
tetrahedrally, is within a mean 0.5-0.9 of 255 levels of the filter chain (p99 2-3), a 17-point one
0.5-2.0 (noir's contrast curve is the worst); 33 is also the size colourists' tools expect, and 65
would be 8x the files (about 1 MB each at 33) for no visible gain on 8-bit video.
"""

from __future__ import annotations

import argparse
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from filmcraft.grades import GRADES, grade_name
from filmcraft.media import run_ffmpeg
from filmcraft.store import atomic_path, scratch_dir

LUT_SIZE = 33
LUT_DIR = Path(__file__).with_name("grade_luts")  # package data (pyproject.toml [tool.setuptools.package-data])
_DECIMALS = 5  # finer than the 16-bit measurement (1.5e-5): the files are exact to what was measured


def identity_lattice(size: int = LUT_SIZE) -> np.ndarray:
    """(size**3, 3) float RGB in [0, 1], in .cube order: red fastest, then green, then blue."""
    axis = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)


def measure_look(name: str, size: int = LUT_SIZE) -> np.ndarray:
    """The look's filter chain applied to the identity lattice: (size**3, 3) float RGB, .cube order."""
    look = grade_name(name)
    chain = GRADES[look]
    lattice = identity_lattice(size)
    if not chain:
        return lattice  # neutral: no filter at all, so exactly the identity
    # one image row per (green, blue) pair, red along the row; the chain works per pixel
    pixels = np.round(lattice * 65535).astype("<u2").reshape(size * size, size, 3)
    with scratch_dir("lut") as tmp:
        (tmp / "in.rgb").write_bytes(pixels.tobytes())
        run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", f"{size}x{size * size}", "-i", str(tmp / "in.rgb"),
                    "-vf", f"format=yuv444p,{chain},format=rgb48le", "-f", "rawvideo", "-pix_fmt", "rgb48le",
                    str(tmp / "out.rgb")], f"measuring grade {look!r} on a {size}-point lattice")
        out = np.frombuffer((tmp / "out.rgb").read_bytes(), dtype="<u2")
    if out.size != lattice.size:
        raise ValueError(f"grade {look!r}: ffmpeg returned {out.size} samples for a {lattice.size}-sample lattice")
    return out.reshape(-1, 3).astype(np.float64) / 65535.0


def cube_text(title: str, table: np.ndarray, size: int) -> str:
    """An Adobe/Resolve .cube: TITLE, LUT_3D_SIZE, DOMAIN_MIN/MAX, then size**3 rows, red fastest."""
    if table.shape != (size ** 3, 3):
        raise ValueError(f"LUT {title!r}: table shape {table.shape} is not ({size ** 3}, 3)")
    rows = "\n".join(f"{r:.{_DECIMALS}f} {g:.{_DECIMALS}f} {b:.{_DECIMALS}f}" for r, g, b in np.clip(table, 0, 1))
    return (f'TITLE "{title}"\n'
            f"# filmaster grade {title!r}, measured from its ffmpeg filter chain by filmcraft.luts\n"
            f"LUT_3D_SIZE {size}\nDOMAIN_MIN 0.0 0.0 0.0\nDOMAIN_MAX 1.0 1.0 1.0\n{rows}\n")


@dataclass(frozen=True)
class Cube:
    title: str
    size: int
    table: np.ndarray  # (size**3, 3), red fastest


def read_cube(path: str | Path) -> Cube:
    """Parse a 3D .cube (a 1D LUT or a domain other than [0, 1] is refused with the reason)."""
    path = Path(path)
    title, size, rows = "", 0, []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key = line.split()[0]
        if key == "TITLE":
            title = line[len("TITLE"):].strip().strip('"')
        elif key == "LUT_3D_SIZE":
            size = int(line.split()[1])
        elif key == "LUT_1D_SIZE":
            raise ValueError(f"{path}:{n} is a 1D LUT: the conform applies 3D LUTs (LUT_3D_SIZE)")
        elif key in ("DOMAIN_MIN", "DOMAIN_MAX"):
            want = "0" if key == "DOMAIN_MIN" else "1"
            if any(float(v) != float(want) for v in line.split()[1:]):
                raise ValueError(f"{path}:{n}: {line!r}; only a [0, 1] domain is supported: rescale the LUT")
        elif re.match(r"^[-+0-9.eE]", key):
            rows.append(line)
        else:
            raise ValueError(f"{path}:{n}: unknown .cube keyword {key!r}")
    if size < 2 or len(rows) != size ** 3:
        raise ValueError(f"{path}: LUT_3D_SIZE {size} needs {size ** 3} rows, found {len(rows)}: regenerate the LUT")
    try:
        table = np.array(" ".join(rows).split(), dtype=np.float64).reshape(-1, 3)
    except ValueError as exc:
        raise ValueError(f"{path}: a row is not three numbers ({exc}): regenerate the LUT") from None
    if len(table) != size ** 3:
        raise ValueError(f"{path}: rows of {size ** 3 * 3} numbers expected, found {table.size}: regenerate the LUT")
    return Cube(title, size, table)


def lut_path(name: str) -> Path:
    """The shipped .cube of a look (canonical name; unknown looks are neutral)."""
    path = LUT_DIR / f"{grade_name(name)}.cube"
    if not path.exists():
        raise FileNotFoundError(f"grade LUT {path} is missing from the package: run `python -m filmcraft.luts`")
    return path


def write_luts(out_dir: Path = LUT_DIR, size: int = LUT_SIZE) -> list[Path]:
    """(Re)generate every look's .cube into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in GRADES:
        path = out_dir / f"{name}.cube"
        with atomic_path(path) as tmp:
            tmp.write_text(cube_text(name, measure_look(name, size), size))
        written.append(path)
    return written


def copy_luts(grades: set[str], out_dir: Path) -> dict[str, Path]:
    """Copies of the looks' .cube files in ``out_dir`` (the film folder's ``luts/``, which the timeline
    names, so an editor can re-apply or replace them); look name -> copy."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in sorted({grade_name(g) for g in grades}):
        dst = out_dir / f"{name}.cube"
        src = lut_path(name)
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            with atomic_path(dst) as tmp:
                shutil.copyfile(src, tmp)
        out[name] = dst
    return out


def filter_path(path: str | Path) -> str:
    """``path`` as a filter option value inside an ffmpeg filter graph: escaped for the option parser
    (``\\ ' :``) and again for the graph parser (``\\ ' [ ] , ;``)."""
    value = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)


def lut3d_filter(path: str | Path) -> str:
    """The ffmpeg filter applying a .cube (tetrahedral, as grading tools interpolate)."""
    return f"lut3d=file={filter_path(path)}:interp=tetrahedral"


def apply_lut_image(src: Path, lut: str | Path, out_png: Path) -> Path:
    """A PNG (a keyframe) through a .cube, as the conform applies it to the film."""
    with atomic_path(out_png) as tmp:
        run_ffmpeg(["-i", str(src), "-vf", f"format=rgb24,{lut3d_filter(lut)}", "-frames:v", "1", str(tmp)],
                   f"grading {Path(src).name} with {Path(lut).name}")
    return Path(out_png)


def grade_strip(decisions: list, out_png: Path) -> Path:
    """One row per graded scene: the middle frame of its first shot in the cut, ungraded and through its
    LUT, labelled with the look (the review picture of the scenes' grades)."""
    from filmcraft.media import extract_frame
    from filmcraft.review import contact_sheet

    firsts = {}
    for d in decisions:
        firsts.setdefault(d.scene_id, d)
    if not firsts:
        raise ValueError("grade_strip needs at least one edit decision")
    tiles = []
    with scratch_dir("grades") as tmp:
        for scene_id, d in firsts.items():
            raw = extract_frame(d.clip_path, (d.source_in + d.source_out) / 2, tmp / f"{scene_id}.png")
            look = apply_lut_image(raw, d.lut_path, tmp / f"{scene_id}.graded.png") if d.lut_path else raw
            tiles += [(f"{scene_id} ungraded", raw), (f"{scene_id} {d.grade}", look)]
        return contact_sheet(tiles, out_png, columns=2, tile_width=320)


def export_grade_notes(clips, fmt: str) -> None:
    """Graded timeline clips' look and LUT (their ``filmaster`` metadata) as the notes an export's adapter
    writes, on the export's copy: EDL ``* GRADE:`` / ``* LUT:`` comment lines under the event (cmx_3600
    writes metadata ``cmx_3600.comments``), FCP 7 clip item master comments (fcp_xml writes metadata
    ``fcp_xml`` into the clipitem). No adapter maps a 3D LUT to an effect."""
    for clip in clips:
        meta = clip.metadata.get("filmaster", {})
        grade, lut = meta.get("grade"), meta.get("lut")
        if not lut:
            continue
        if fmt == "edl":
            notes = clip.metadata.setdefault("cmx_3600", {}).setdefault("comments", [])
            notes += [f"GRADE: {grade}", f"LUT: {lut}"]
        elif fmt == "fcp7xml":
            clip.metadata.setdefault("fcp_xml", {})["comments"] = {"mastercomment1": f"Grade: {grade}",
                                                                   "mastercomment2": f"LUT: {lut}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m filmcraft.luts", description="Regenerate the shipped grade LUTs.")
    ap.add_argument("--out", type=Path, default=LUT_DIR, help=f"folder for the .cube files (default {LUT_DIR})")
    ap.add_argument("--check", action="store_true", help="compare freshly measured LUTs with the files; exit 1 if any differs")
    args = ap.parse_args(argv)
    if args.check:
        stale = [n for n in GRADES if not (args.out / f"{n}.cube").exists()
                 or (args.out / f"{n}.cube").read_text() != cube_text(n, measure_look(n), LUT_SIZE)]
        print("stale: " + ", ".join(stale) if stale else f"all {len(GRADES)} LUTs match their filter chains")
        return 1 if stale else 0
    for path in write_luts(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
