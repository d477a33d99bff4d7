"""kill -9 during a real ingest process leaves no half record and no orphan file."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ogc_server.archive.query import ProductQuery
from ogc_server.ingest.pipeline import build_ingestor
from ogc_server.settings import load_settings
from tests.conftest import SAMPLES, make_config

pytestmark = pytest.mark.slow


def _sources() -> list[Path]:
    found = []
    for mission in ("sentinel1", "sentinel2", "sentinel3"):
        found += sorted(p for p in (SAMPLES / mission).iterdir()
                        if p.suffix in (".SAFE", ".SEN3"))
    found += sorted((SAMPLES / "sentinel5p" / "nc").glob("*.nc"))
    return found


def _check_consistent(config: Path) -> int:
    """Every record's data is in place; every product folder has its record; nothing left."""
    settings = load_settings(config)
    ingestor = build_ingestor(settings)
    ingestor.recover()
    storage, store = ingestor.storage, ingestor.store
    records = store.query(ProductQuery(limit=1000)).products
    folders = {p.relative_to(storage.root).as_posix()
               for p in storage.root.glob("*/*/*/*/*") if p.is_dir()}
    expected = {r.storage_path.rsplit("/", 1)[0] for r in records}
    assert folders == expected
    for record in records:
        data = storage.product_dir(record.storage_path)
        assert data.exists(), record.identifier
    for hidden in (storage.staging_root, storage.journal_root, storage.trash_root):
        assert list(hidden.iterdir()) == [], hidden
    store.engine.dispose()
    return len(records)


def test_kill_minus_nine_at_random_moments(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for source in _sources():
        target = incoming / source.name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    rng = random.Random(7)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "ogc_server.cli", "--config", str(config), "ingest",
               "--no-progress", "--workers", "2", str(incoming)]
    kills = 0
    for _round in range(6):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
            kills += 1
        proc.wait()
        _check_consistent(config)
    # a last full run completes the archive
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert "rejected" in done.stdout
    count = _check_consistent(config)
    assert count >= len(_sources()) - 3  # all but the rejected/skipped samples
    assert kills >= 1
