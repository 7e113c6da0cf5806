"""Depiction share: how many of the shot plans' subjects and props the previs draws.

Run: .venv/bin/python benchmarks/bench_depiction.py [--tags-only] [--studio DIR] [--misses N]

Every text of the story set (evaluation/story_set: own themes and synopses, and the ten MoviePrompts
synopses when the shared data is present) and the demo theme is written into scene blocks and shot
plans by the offline writer and cinematographer; each shot's depiction is decided as the renderer
decides it (the plate's kind of place from the scene's location and heading, the studio's visual
library for nouns) and its render manifest counted: a subject or prop is depicted when the manifest
draws it, missed when it lands in ``not_depicted``. No shot is rendered, so the whole set takes
seconds once the library is built. Prints the share per subset, overall, and the most missed nouns.

The library is the studio's (``resources.visuals.studio_visual_library``: names and tags, then
MiniLM similarity above the match threshold); ``--tags-only`` matches names and tags alone.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def plans_for(text: str, film_id: str):
    """Scene blocks and shot plans of ``text`` from the offline writer and cinematographer."""
    from evaluation.story_reading import write_film
    from filmcraft.contracts import SceneContinuity, SceneReferences
    from filmcraft.director.camera import replan_scene

    _, blocks = write_film(text, film_id)
    out = []
    for i, block in enumerate(blocks.scenes):
        previous = blocks.scenes[i - 1] if i else None
        refs = SceneReferences(scene_id=block.scene_id, query="", k=0, references=[])
        plan = replan_scene(block, refs, SceneContinuity.following(previous, i == len(blocks.scenes) - 1))
        out += [(block, shot) for shot in plan.shots]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tags-only", action="store_true", help="match nouns by image name and tag only")
    ap.add_argument("--studio", type=Path, default=None, help="studio folder whose library to use (default: a temp one)")
    ap.add_argument("--misses", type=int, default=25, help="how many missed nouns to list")
    args = ap.parse_args()

    from evaluation.story_text import load_movieprompts, load_own
    from filmcraft.depiction import depict
    from filmcraft.references.scenery import plate_layout

    with tempfile.TemporaryDirectory() as tmp:
        if args.tags_only:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_previs import TagVisualLibrary

            library = TagVisualLibrary(Path(tmp) / "cutouts")
        else:
            from corpus_ingest.embed import MiniLMEmbedder
            from filmcraft.layout import LibraryLayout
            from resources.visuals import studio_visual_library

            studio = args.studio or Path(tmp)
            library = studio_visual_library(LibraryLayout(studio / ".library"), MiniLMEmbedder())

        subsets: dict[str, list[tuple[str, str]]] = {"demo": [("demo", (ROOT / "filmaster_assets" / "demo_theme.txt")
                                                                .read_text(encoding="utf-8"))]}
        for st in load_own():
            subsets.setdefault(st.subset, []).append((st.id, st.text))
        try:
            subsets["movieprompts"] = [(st.id, st.text) for st in load_movieprompts()]
        except FileNotFoundError:
            print("(shared MoviePrompts data not found: that subset is skipped)")

        missed: collections.Counter[str] = collections.Counter()
        total_d = total_n = shots_total = 0
        for name, texts in subsets.items():
            d = n = shots = prop_subjects = 0
            for text_id, text in texts:
                film = "".join(c if c.isalnum() else "-" for c in text_id.lower())[:40].strip("-") or "film"
                for block, plan in plans_for(text, film):
                    layout = plate_layout(block.location, block.heading)
                    m = depict(plan, library, interior=layout.interior, kind=layout.kind).manifest()
                    shots += 1
                    prop_subjects += bool(plan.subject) and m.subject == plan.subject and bool(m.props)
                    d += len(m.props)
                    n += len(m.props) + len(m.not_depicted)
                    missed.update(x.lower() for x in m.not_depicted)
            share = d / n if n else 1.0
            print(f"{name:14s} texts {len(texts):3d}  shots {shots:4d}  nouns {n:4d}  depicted {d:4d}  share {share:.3f}")
            total_d, total_n, shots_total = total_d + d, total_n + n, shots_total + shots
        print(f"{'all':14s} shots {shots_total:4d}  nouns {total_n:4d}  depicted {total_d:4d}  "
              f"share {total_d / max(total_n, 1):.3f}")
        if missed:
            print("most missed: " + ", ".join(f"{k} ({v})" for k, v in missed.most_common(args.misses)))


if __name__ == "__main__":
    main()
