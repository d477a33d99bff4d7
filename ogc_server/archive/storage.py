"""Local-folder storage of product data with atomic placement and crash recovery.

Layout under the archive root::

    <collection short name>/<YYYY>/<MM>/<DD>/<identifier>/   one product: its SAFE/SEN3 folder
                                                             (or .nc file) and ``browse/``
    .staging/<pid>-<token>/                                  a product being prepared
    .journal/<pid>-<token>.json                              intent of a placement in progress
    .trash/<pid>-<token>/                                    a replaced product until commit

A product reaches its final folder by one ``rename`` from staging, under a journal entry written
before the rename. :meth:`LocalStorage.recover` settles every entry left by a process that died:
it keeps what the catalogue committed and removes (or restores) the rest, so a crash at any
moment leaves no orphan folder and no half product.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from ogc_server.errors import InvalidProduct

LOGGER = logging.getLogger(__name__)
_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


class Storage(Protocol):
    """Where product data lives (local folders now, object storage later)."""

    root: Path

    def product_dir(self, relative: str) -> Path: ...

    def new_staging(self) -> Path: ...

    def remove_staging(self, staging: Path) -> None: ...


def check_name(name: str) -> str:
    """``name`` if it is safe as one path segment, else :class:`InvalidProduct`."""
    if (
        not name
        or len(name) > 200
        or name in {".", ".."}
        or name.startswith(".")
        or not set(name) <= _SAFE_NAME
    ):
        raise InvalidProduct(f"product name {name!r} is not a safe file name")
    return name


@dataclass(slots=True)
class Placement:
    """A placement in progress: staging folder moved to ``final`` under journal ``journal``."""

    token: str
    identifier: str
    staging: Path
    final: Path
    journal: Path
    trash: Path | None


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.staging_root = self.root / ".staging"
        self.journal_root = self.root / ".journal"
        self.trash_root = self.root / ".trash"
        for folder in (self.root, self.staging_root, self.journal_root, self.trash_root):
            folder.mkdir(parents=True, exist_ok=True)

    # Paths ------------------------------------------------------------------------------------

    def relative_dir(self, collection_short: str, start: datetime, identifier: str) -> str:
        check_name(identifier)
        check_name(collection_short)
        return str(
            PurePosixPath(collection_short, f"{start:%Y}", f"{start:%m}", f"{start:%d}",
                          identifier)
        )

    def product_dir(self, relative: str) -> Path:
        """The absolute folder for a stored relative path, refusing anything outside the root."""
        path = (self.root / relative).resolve()
        if path == self.root or self.root not in path.parents:
            raise InvalidProduct(f"storage path {relative!r} leaves the archive")
        return path

    # Staging ----------------------------------------------------------------------------------

    def new_staging(self) -> Path:
        path = self.staging_root / f"{os.getpid()}-{secrets.token_hex(8)}"
        path.mkdir()
        return path

    def remove_staging(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    # Placement (two-phase with the catalogue) ---------------------------------------------------

    def place(
        self, staging: Path, relative: str, identifier: str, checksum: str | None
    ) -> Placement:
        """Move ``staging`` to its final folder; call :meth:`settle` after the catalogue commit."""
        final = self.product_dir(relative)
        token = staging.name
        journal = self.journal_root / f"{token}.json"
        trash = self.trash_root / token if final.exists() else None
        _write_atomic(
            journal,
            json.dumps(
                {
                    "identifier": identifier,
                    "relative": relative,
                    "staging": str(staging),
                    "trash": str(trash) if trash else None,
                    "checksum": checksum,
                }
            ).encode(),
        )
        final.parent.mkdir(parents=True, exist_ok=True)
        if trash is not None:
            os.rename(final, trash)
        os.rename(staging, final)
        _fsync_dir(final.parent)
        return Placement(token, identifier, staging, final, journal, trash)

    def settle(self, placement: Placement) -> None:
        """The catalogue committed: drop the replaced data and the journal entry."""
        if placement.trash is not None:
            shutil.rmtree(placement.trash, ignore_errors=True)
        placement.journal.unlink(missing_ok=True)

    def undo(self, placement: Placement) -> None:
        """The catalogue did not commit: put everything back as it was."""
        _undo(placement.final, placement.trash, placement.staging)
        placement.journal.unlink(missing_ok=True)

    def recover(self, committed: Callable[[str, str, str | None], bool]) -> int:
        """Settle what dead processes left; ``committed(identifier, relative, checksum)``.

        Returns the number of entries settled. Entries of living processes are left alone.
        """
        settled = 0
        for journal in sorted(self.journal_root.glob("*.json")):
            if _alive(journal.stem):
                continue
            try:
                entry = json.loads(journal.read_text())
            except (OSError, ValueError):
                journal.unlink(missing_ok=True)  # torn journal write: nothing was moved yet
                settled += 1
                continue
            final = self.product_dir(entry["relative"])
            trash = Path(entry["trash"]) if entry.get("trash") else None
            if committed(entry["identifier"], entry["relative"], entry.get("checksum")):
                if trash is not None:
                    shutil.rmtree(trash, ignore_errors=True)
            else:
                LOGGER.warning("undoing the unfinished placement of %s", entry["identifier"])
                _undo(final, trash, Path(entry["staging"]))
            shutil.rmtree(entry["staging"], ignore_errors=True)
            journal.unlink(missing_ok=True)
            settled += 1
        for torn in self.journal_root.glob("*.json.tmp"):
            if not _alive(torn.name):  # a journal entry never completed: nothing was moved
                torn.unlink(missing_ok=True)
                settled += 1
        for folder in (self.staging_root, self.trash_root):
            for leftover in folder.iterdir():
                if not _alive(leftover.name):
                    shutil.rmtree(leftover, ignore_errors=True)
                    settled += 1
        return settled


def _undo(final: Path, trash: Path | None, staging: Path) -> None:
    """Put back the state before a placement, whichever step it stopped at."""
    if not staging.exists() and final.exists():
        shutil.rmtree(final)  # the new data had reached its final folder
    if trash is not None and trash.exists() and not final.exists():
        os.rename(trash, final)  # the replaced product comes back


def _alive(token: str) -> bool:
    try:
        pid = int(token.split("-", 1)[0])
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
