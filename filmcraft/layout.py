"""Where every artifact of one film lives inside ``<studio>/<film_id>/``. One place, so the CLI,
the assets and the tests agree on paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FilmLayout:
    root: Path

    # script
    @property
    def request(self) -> Path: return self.root / "request.json"
    @property
    def synopsis(self) -> Path: return self.root / "script" / "synopsis.json"
    @property
    def simplified_storyboard(self) -> Path: return self.root / "script" / "simplified_storyboard.json"
    @property
    def detailed_storyboard(self) -> Path: return self.root / "script" / "detailed_storyboard.json"
    @property
    def scene_blocks(self) -> Path: return self.root / "scene_blocks.json"
    @property
    def audience_profile(self) -> Path: return self.root / "script" / "audience_profile.json"
    @property
    def scene_overrides(self) -> Path: return self.root / "scene_overrides.json"

    @property
    def shot_takes(self) -> Path: return self.root / "shot_takes.json"
    @property
    def reference_images_dir(self) -> Path: return self.root / "references"  # the image model's, once per film
    @property
    def reference_images(self) -> Path: return self.reference_images_dir / "reference_images.json"

    def take_clip(self, shot_id: str, take: int) -> Path:
        """An alternate take of a shot, beside the take in the cut (``shots/<shot>.mp4``)."""
        return self.shots / f"{shot_id}.take{take}.mp4"

    # camera (per scene)
    def scene_dir(self, scene_id: str) -> Path: return self.root / "scenes" / scene_id
    def scene_references(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "references.json"
    def scene_plan(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "shot_plan.json"
    def scene_refs_set(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "reference_set.json"
    def scene_cards(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "refs"
    def scene_clips(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "clips.json"
    def scene_block(self, scene_id: str) -> Path: return self.scene_dir(scene_id) / "scene_block.json"
    @property
    def shots(self) -> Path: return self.root / "shots"
    @property
    def shot_plans(self) -> Path: return self.root / "shot_plans.json"

    # cut
    @property
    def cut_dir(self) -> Path: return self.root / "cut"
    @property
    def rough_cut(self) -> Path: return self.cut_dir / "rough_cut.json"
    @property
    def rough_cut_video(self) -> Path: return self.cut_dir / "rough_cut.mp4"
    @property
    def contact_sheet(self) -> Path: return self.cut_dir / "contact_sheet.png"
    @property
    def audience_review(self) -> Path: return self.cut_dir / "audience_review.json"
    @property
    def edit_analysis(self) -> Path: return self.cut_dir / "edit_analysis.json"
    @property
    def picture_lock(self) -> Path: return self.cut_dir / "picture_lock.json"
    @property
    def picture_lock_video(self) -> Path: return self.cut_dir / "picture_lock.mp4"
    @property
    def luts_dir(self) -> Path: return self.root / "luts"  # the scenes' grade LUTs the cut and the timeline use
    @property
    def grade_strip(self) -> Path: return self.cut_dir / "grades.png"

    # sound
    @property
    def vo_dir(self) -> Path: return self.root / "sound" / "vo"
    @property
    def cue_sheet(self) -> Path: return self.root / "sound" / "cue_sheet.json"
    @property
    def stems_dir(self) -> Path: return self.root / "stems"
    def stem(self, name: str) -> Path: return self.stems_dir / f"{name}.wav"
    @property
    def mix_dir(self) -> Path: return self.root
    @property
    def mix(self) -> Path: return self.root / "mix.wav"
    @property
    def mix_report(self) -> Path: return self.root / "mix_report.json"
    @property
    def mix_plot(self) -> Path: return self.root / "sound" / "mix_levels.png"

    # deliver + evaluation
    @property
    def final(self) -> Path: return self.root / "final.mp4"
    @property
    def final_record(self) -> Path: return self.root / "deliver" / "final_film.json"
    @property
    def transition_strip(self) -> Path: return self.root / "deliver" / "transitions.png"  # frames around each change
    @property
    def timeline(self) -> Path: return self.root / "timeline.otio"
    @property
    def filmeval(self) -> Path: return self.root / "filmeval.json"


    # Each stage's contract by asset name: the IO manager stores film and scene assets' outputs here.
    def artifact(self, asset: str, scene_id: str | None = None) -> Path:
        if scene_id is not None:
            scene_paths = {"scene_block": self.scene_block, "scene_references": self.scene_references,
                           "shot_plans": self.scene_plan, "clips": self.scene_clips}
            if asset not in scene_paths:
                raise KeyError(f"no scene artifact named {asset!r}: one of {', '.join(scene_paths)}")
            return scene_paths[asset](scene_id)
        film_paths = {"film_request": self.request, "synopsis": self.synopsis,
                      "simplified_storyboard": self.simplified_storyboard, "detailed_storyboard": self.detailed_storyboard,
                      "scene_blocks": self.scene_blocks, "audience_profile": self.audience_profile,
                      "reference_images": self.reference_images,
                      "rough_cut": self.rough_cut, "audience_review": self.audience_review,
                      "edit_analysis": self.edit_analysis, "picture_lock": self.picture_lock,
                      "sound_design": self.cue_sheet, "mix": self.mix_report, "final_film": self.final_record,
                      "filmeval_scores": self.filmeval}
        if asset not in film_paths:
            raise KeyError(f"no film artifact named {asset!r}: one of {', '.join(film_paths)}")
        return film_paths[asset]


@dataclass(frozen=True)
class LibraryLayout:
    """Studio-wide libraries: the built-in audio and visual libraries, ingested corpus sources and their vector indexes."""

    root: Path  # <studio>/.library

    @property
    def audio_library(self) -> Path: return self.root / "audio"
    @property
    def audio_manifest(self) -> Path: return self.audio_library / "manifest.json"
    @property
    def clip_caption_index(self) -> Path: return self.root / "clip_caption_index"
    @property
    def audio_library_index(self) -> Path: return self.root / "audio_library_index"
    # visual library (corpus_ingest.visuals): content-addressed PNG cut-outs, and the index over every visual source
    @property
    def visual_library(self) -> Path: return self.root / "visuals"
    @property
    def visual_rasters(self) -> Path: return self.visual_library / "rasters"
    @property
    def visual_library_index(self) -> Path: return self.root / "visual_library_index"

    # ingested corpora (corpus_ingest.registry and its neighbours): per-source tables, embeddings, catalog, drop folder
    @property
    def sources(self) -> Path: return self.root / "sources"
    def source_dir(self, kind: str, source: str) -> Path: return self.sources / kind / source
    @property
    def catalog(self) -> Path: return self.root / "catalog.duckdb"
    @property
    def drop(self) -> Path: return self.root / "drop"
