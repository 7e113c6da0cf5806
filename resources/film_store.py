"""The film store IO manager: the pydantic contracts that pass between film stages, kept as versioned
JSON at their place in the film folder (``FilmLayout.artifact``), so an asset's inputs are typed
parameters and every file a film-maker opens is the very value the next stage received.

Media (clips, WAVs, MP4s) never passes through here: stages write it through the studio's atomic
store and their contracts carry its paths and hashes.

A film-level stage that reads a per-scene asset receives ``{scene_id: contract}`` for the scenes
that have one; the film's scene blocks say which scenes it needs (unused slots are never made).
"""

from __future__ import annotations

import typing

import dagster as dg

from filmcraft.layout import FilmLayout
from filmcraft.store import Studio, read_model, write_model


def film_and_scene(key: str) -> tuple[str, str | None]:
    """``"film"`` -> (film, None); a film x scene key ``"film|s01"`` -> (film, "s01")."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims["film"], dims["scene"]
    film, sep, scene = key.partition("|")  # dimensions in name order: film, scene
    return film, (scene if sep else None)


class FilmStoreIOManager(dg.ConfigurableIOManager):
    """Stores each film and scene asset's contract at its path in ``<root>/<film_id>/``."""

    root: str

    def _layout(self, film_id: str) -> FilmLayout:
        return FilmLayout(Studio(self.root).film_dir(film_id))

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is None:  # assets that return MaterializeResult store their own files
            return
        film, scene = film_and_scene(context.asset_partition_key)
        write_model(self._layout(film).artifact(context.asset_key.path[-1], scene), obj)

    def load_input(self, context: dg.InputContext):
        asset = context.asset_key.path[-1]
        wanted = context.dagster_type.typing_type
        keys = context.asset_partition_keys
        if typing.get_origin(wanted) is dict:
            # a film-level stage reading a per-scene asset: every scene that has one
            contract = typing.get_args(wanted)[1]
            out = {}
            for key in keys:
                film, scene = film_and_scene(key)
                path = self._layout(film).artifact(asset, scene)
                if path.is_file():
                    out[scene] = read_model(path, contract)
            return out
        if len(keys) != 1:
            # One film's stage (or quality gate) reading one artifact: handed several partitions it would read
            # another film's (an unpartitioned asset check once read whichever film was added first).
            raise ValueError(f"{asset} was asked for {len(keys)} partitions where one film's is read: give the "
                             "reading asset or check the film partitions of what it reads")
        film, scene = film_and_scene(keys[0])
        path = self._layout(film).artifact(asset, scene)
        if not path.is_file():
            where = f"{film}|{scene}" if scene else film
            raise FileNotFoundError(f"film {film!r} has no {asset} yet ({path}): materialize {asset} for "
                                    f"partition {where} first")
        return read_model(path, wanted)
