"""The offline writer: theme text -> synopsis -> storyboards -> scene blocks.

A rule-based reading of the text (sentences, names, role nouns, places, times, verbs) plus film
grammar (a scene is one place and time; establish a new place; a metaphor image at emotional
peaks). Deterministic: the same input always gives the same structure; different inputs give
different structures because every beat, scene and shot comes from the text's own events.

One module per step: ``grammar`` (English sentence grammar) and ``reading`` (what the text says)
feed ``casting`` (who is on screen) and ``beats`` (the story's beats); from those come the
``synopsis``, the ``storyboards`` and the ``scene_blocks``.
"""

from filmcraft.director.script.scene_blocks import structure_scene_blocks
from filmcraft.director.script.storyboards import detail_storyboard, simplify_storyboard
from filmcraft.director.script.synopsis import write_synopsis

__all__ = ["detail_storyboard", "simplify_storyboard", "structure_scene_blocks", "write_synopsis"]
