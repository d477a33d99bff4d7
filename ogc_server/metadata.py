"""The collections' INSPIRE ISO 19139 records from ``metadata/``, served with real addresses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ogc_server.archive.model import Collection
from ogc_server.errors import CollectionNotFound
from ogc_server.settings import Settings

PLACEHOLDER = "{public_url}"


@lru_cache(maxsize=64)
def _read(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def collection_record(settings: Settings, collection: Collection) -> bytes:
    """The record of ``collection`` with ``{public_url}`` replaced by the platform's address."""
    if not collection.metadata_file:
        raise CollectionNotFound(f"{collection.identifier} has no metadata record")
    path = settings.metadata_dir / collection.metadata_file
    text = _read(path, path.stat().st_mtime)
    return text.replace(PLACEHOLDER, settings.public_url).encode("utf-8")


def find_collection(settings: Settings, identifier: str) -> Collection:
    for collection in settings.collection_list:
        if collection.identifier == identifier:
            return collection
    raise CollectionNotFound(f"no collection {identifier!r}", locator="parentIdentifier")
