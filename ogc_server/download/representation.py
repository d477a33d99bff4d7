"""What ``/download/<file name>`` sends for a product: its bytes, length, validators, digests.

A product kept as a folder is sent as a deterministic STORED ZIP (:mod:`.zipstream`); a product
kept as one file (a zip or a netCDF file) is sent as it is. The facts that need the whole
content read once (the members' CRC-32, the SHA-256 and MD5 of the bytes sent) are computed at
the first download and kept in a sidecar file next to the product's data, keyed by the
catalogue facts that change whenever the product's data does (identifier, checksum,
modification date, storage path). Later downloads, in this process or another, only read the
sidecar: no request hashes a product again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ogc_server.archive.model import Product
from ogc_server.archive.storage import LocalStorage
from ogc_server.download.zipstream import (
    CHUNK,
    Layout,
    Member,
    Piece,
    PieceReader,
    scan,
    with_crcs,
    zip_pieces,
)
from ogc_server.errors import ProductNotFound

LOGGER = logging.getLogger(__name__)
SIDECAR = "download.json"
SIDECAR_VERSION = 1
_MEDIA_TYPES = {".zip": "application/zip", ".nc": "application/x-netcdf"}


@dataclass(frozen=True, slots=True)
class Representation:
    """The bytes of one product as ``/download`` sends them, with their facts."""

    identifier: str
    file_name: str
    media_type: str
    base: Path
    """Folder the pieces' file paths are relative to."""
    layout: Layout
    sha256: bytes
    md5: bytes
    last_modified: datetime

    @property
    def size(self) -> int:
        return self.layout.size

    @property
    def etag(self) -> str:
        """Strong entity tag: the SHA-256 of the bytes themselves (first 128 bits)."""
        return self.sha256.hex()[:32]

    @property
    def repr_digest(self) -> str:
        """``Repr-Digest`` field value (RFC 9530)."""
        return f"sha-256=:{base64.b64encode(self.sha256).decode()}:"

    @property
    def md5_base64(self) -> str:
        return base64.b64encode(self.md5).decode()

    def reader(self, pieces: list[Piece] | None = None) -> PieceReader:
        """A seekable file over the whole representation (or over ``pieces``)."""
        return PieceReader(self.base, self.layout.pieces if pieces is None else pieces)


class Representations:
    """Builds and caches the representations of products over one storage."""

    def __init__(self, storage: LocalStorage, cache_size: int = 256):
        self.storage = storage
        self._cache: OrderedDict[tuple[str, ...], Representation] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, product: Product) -> Representation:
        """The representation of an online ``product`` (computed at its first download)."""
        key = _key(product)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            building = self._building.setdefault(product.identifier, threading.Lock())
        with building:  # one thread computes a product's facts; the others wait for them
            with self._lock:
                hit = self._cache.get(key)
            if hit is None:
                hit = self._build(product, key)
            with self._lock:
                self._cache[key] = hit
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                self._building.pop(product.identifier, None)
        return hit

    def _build(self, product: Product, key: tuple[str, ...]) -> Representation:
        if not product.storage_path:
            raise ProductNotFound(f"{product.identifier} has no data in the archive",
                                  user_msg="the product's data is not in the archive")
        data = self.storage.product_dir(product.storage_path)
        if not data.exists():
            LOGGER.error("the data of %s is missing at %s", product.identifier, data)
            raise ProductNotFound(f"{product.identifier}: no data at {data}",
                                  user_msg="the product's data is not in the archive")
        sidecar = data.parent / SIDECAR
        facts = _read_sidecar(sidecar, key)
        if facts is None:
            facts = _compute(data)
            _write_sidecar(sidecar, key, facts)
        members = [Member(*m) for m in facts["members"]]
        if data.is_dir():
            pieces = zip_pieces(members)
            media_type = "application/zip"
        else:
            pieces = [Piece(members[0].size, path=members[0].path)] if members[0].size else []
            media_type = _MEDIA_TYPES.get(data.suffix.lower(), "application/octet-stream")
        newest = max((m.mtime for m in members), default=0)
        return Representation(
            identifier=product.identifier,
            file_name=product.file_name or f"{product.identifier}.zip",
            media_type=media_type,
            base=data.parent,
            layout=Layout(pieces),
            sha256=bytes.fromhex(facts["sha256"]),
            md5=bytes.fromhex(facts["md5"]),
            last_modified=datetime.fromtimestamp(newest, UTC),
        )


def _key(product: Product) -> tuple[str, ...]:
    modified = product.modification_date.isoformat() if product.modification_date else ""
    return (product.identifier, product.checksum or "", modified, product.storage_path or "")


def _compute(data: Path) -> dict[str, Any]:
    """Members with CRCs and the digests of the bytes sent (reads the product twice)."""
    LOGGER.info("computing the download facts of %s", data.name)
    if data.is_dir():
        members = with_crcs(data.parent, scan(data))
        pieces = zip_pieces(members)
    else:
        st = data.stat()
        members = [Member(data.name, data.name, st.st_size, int(st.st_mtime))]
        pieces = [Piece(st.st_size, path=data.name)] if st.st_size else []
    sha256, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - md5 is for clients' checks
    with PieceReader(data.parent, pieces) as reader:
        while chunk := reader.read(CHUNK):
            sha256.update(chunk)
            md5.update(chunk)
    return {
        "members": [[m.name, m.path, m.size, m.mtime, m.crc, m.mode] for m in members],
        "sha256": sha256.hexdigest(),
        "md5": md5.hexdigest(),
    }


def _read_sidecar(path: Path, key: tuple[str, ...]) -> dict[str, Any] | None:
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(facts, dict) or facts.get("version") != SIDECAR_VERSION
            or facts.get("key") != list(key)):
        return None
    return facts


def _write_sidecar(path: Path, key: tuple[str, ...], facts: dict[str, Any]) -> None:
    """Keep the facts for later downloads (atomic; a read-only archive just recomputes)."""
    body = json.dumps({"version": SIDECAR_VERSION, "key": list(key), **facts})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        LOGGER.warning("cannot keep the download facts in %s: %s", path, exc)
        tmp.unlink(missing_ok=True)
