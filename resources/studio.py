"""The studio resource: where films, caches, the built-in libraries and request drops live."""

from __future__ import annotations

import dagster as dg

from filmcraft.layout import FilmLayout, LibraryLayout
from filmcraft.store import Studio


class StudioResource(dg.ConfigurableResource):
    """Where films, caches, the built-in libraries and request drops live."""

    root: str

    def studio(self) -> Studio:
        return Studio(self.root)

    def film(self, film_id: str) -> FilmLayout:
        """Where every artifact of one film lives."""
        return FilmLayout(self.studio().film_dir(film_id))

    def library(self) -> LibraryLayout:
        """The studio-wide corpora and indexes."""
        return LibraryLayout(self.studio().root / ".library")
