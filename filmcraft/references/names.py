"""Film names as file names and seeds: "Old Harbour" == ``old_harbour.png`` == ``Old-Harbour.JPG``."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def slugify(name: str) -> str:
    """Lowercase ASCII slug with '_' separators: 'Old Harbour' -> 'old_harbour', 'Zoë' -> 'zoe'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug


def stable_digest(*parts: object) -> str:
    """Hex SHA-256 of the parts joined by '|': the same parts give the same digest on every run."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()
