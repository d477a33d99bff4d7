"""Atomic placement and recovery: every crash point ends as 'fully there' or 'absent'."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ogc_server.archive.storage import LocalStorage, check_name
from ogc_server.errors import InvalidProduct


def _stage(storage: LocalStorage, content: str) -> Path:
    staging = storage.new_staging()
    (staging / "P.SAFE").mkdir()
    (staging / "P.SAFE" / "manifest.safe").write_text(content)
    return staging


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _as_dead(storage: LocalStorage, path: Path) -> Path:
    """Rename a staging/journal token so that it belongs to a process that has ended."""
    token = path.name.split("-", 1)[1]
    new = path.with_name(f"{_dead_pid()}-{token}")
    os.rename(path, new)
    return new


def test_place_and_settle(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    staging = _stage(storage, "v1")
    placement = storage.place(staging, "S2/2024/01/01/P", "P", "sha256:1")
    assert (tmp_path / "S2/2024/01/01/P/P.SAFE/manifest.safe").read_text() == "v1"
    assert placement.journal.exists()
    storage.settle(placement)
    assert not placement.journal.exists()
    assert list(storage.staging_root.iterdir()) == []


def test_undo_restores_replaced_product(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.settle(storage.place(_stage(storage, "v1"), "S2/P", "P", "sha256:1"))
    placement = storage.place(_stage(storage, "v2"), "S2/P", "P", "sha256:2")
    assert (tmp_path / "S2/P/P.SAFE/manifest.safe").read_text() == "v2"
    storage.undo(placement)
    assert (tmp_path / "S2/P/P.SAFE/manifest.safe").read_text() == "v1"
    assert list(storage.trash_root.iterdir()) == []


@pytest.mark.parametrize("committed", [True, False])
@pytest.mark.parametrize("step", ["journal", "trashed", "moved"])
def test_recover_after_crash(tmp_path: Path, committed: bool, step: str) -> None:
    """Simulate a process that died after ``step`` of replacing v1 by v2."""
    storage = LocalStorage(tmp_path)
    storage.settle(storage.place(_stage(storage, "v1"), "S2/P", "P", "sha256:1"))
    staging = _as_dead(storage, _stage(storage, "v2"))
    final = tmp_path / "S2/P"
    trash = storage.trash_root / staging.name
    journal = storage.journal_root / f"{staging.name}.json"
    journal.write_text(json.dumps({"identifier": "P", "relative": "S2/P",
                                   "staging": str(staging), "trash": str(trash),
                                   "checksum": "sha256:2"}))
    if step in ("trashed", "moved"):
        os.rename(final, trash)
    if step == "moved":
        os.rename(staging, final)
    # the catalogue can only have committed v2 once the data was moved
    catalogue_has_v2 = committed and step == "moved"
    settled = storage.recover(lambda ident, rel, checksum: catalogue_has_v2)
    assert settled >= 1
    expected = "v2" if catalogue_has_v2 else "v1"
    assert (final / "P.SAFE/manifest.safe").read_text() == expected
    for folder in (storage.staging_root, storage.journal_root, storage.trash_root):
        assert list(folder.iterdir()) == []


def test_recover_leaves_living_processes_alone(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    staging = _stage(storage, "v1")  # this process's own token
    assert storage.recover(lambda *a: False) == 0
    assert staging.exists()


def test_recover_removes_new_product_never_committed(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    staging = _as_dead(storage, _stage(storage, "v1"))
    journal = storage.journal_root / f"{staging.name}.json"
    journal.write_text(json.dumps({"identifier": "P", "relative": "S2/P",
                                   "staging": str(staging), "trash": None, "checksum": "x"}))
    (tmp_path / "S2").mkdir()
    os.rename(staging, tmp_path / "S2/P")
    storage.recover(lambda *a: False)
    assert not (tmp_path / "S2/P").exists()


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", ".hidden", "x" * 201, "a\x00b",
                                  "name with space", "ü"])
def test_unsafe_names(name: str) -> None:
    with pytest.raises(InvalidProduct):
        check_name(name)


def test_product_dir_refuses_escape(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    with pytest.raises(InvalidProduct):
        storage.product_dir("../outside")
    with pytest.raises(InvalidProduct):
        storage.product_dir("/etc")
    assert storage.product_dir("S2/x") == (tmp_path / "archive/S2/x").resolve()


def test_recover_removes_a_torn_journal_write(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    staging = _as_dead(storage, _stage(storage, "v1"))
    torn = storage.journal_root / f"{staging.name}.json.tmp"
    torn.write_text('{"identifier": "P", "rel')
    storage.recover(lambda *a: False)
    assert not torn.exists() and not staging.exists()
