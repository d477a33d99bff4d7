"""What /download sends for a product, built from plain products over a storage folder."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from ogc_server.archive.storage import LocalStorage
from ogc_server.download.representation import SIDECAR, Representations
from ogc_server.errors import ProductNotFound
from tests.archive.factory import T0, product


def _whole(reps: Representations, item) -> bytes:
    rep = reps.get(item)
    with rep.reader() as reader:
        return bytes(reader.read())


def test_a_stored_zip_is_sent_as_it_is(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    folder = storage.root / "S2" / "p1"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("P1.SAFE/manifest.safe", "<manifest/>" * 1000)
    (folder / "P1.zip").write_bytes(buffer.getvalue())
    item = product(1, storage_path="S2/p1/P1.zip", file_name="P1.zip", modification_date=T0)
    reps = Representations(storage)
    rep = reps.get(item)
    assert rep.media_type == "application/zip"
    assert _whole(reps, item) == buffer.getvalue()
    assert rep.sha256 == hashlib.sha256(buffer.getvalue()).digest()
    assert rep.md5 == hashlib.md5(buffer.getvalue()).digest()


def test_facts_are_kept_and_recomputed_when_the_product_changes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    safe = storage.root / "S2" / "p2" / "P2.SAFE"
    safe.mkdir(parents=True)
    (safe / "manifest.safe").write_text("first")
    item = product(2, storage_path="S2/p2/P2.SAFE", file_name="P2.zip", modification_date=T0)
    first = Representations(storage).get(item)
    sidecar = safe.parent / SIDECAR
    kept = json.loads(sidecar.read_text())
    assert kept["sha256"] == first.sha256.hex()
    # another process (a fresh cache) trusts the sidecar while the catalogue facts stand
    kept["md5"] = "00" * 16
    sidecar.write_text(json.dumps(kept))
    assert Representations(storage).get(item).md5 == b"\0" * 16
    # re-ingested (new modification date): the facts are computed again
    (safe / "manifest.safe").write_text("second, longer")
    changed = item.replace(modification_date=T0 + timedelta(days=1))
    again = Representations(storage).get(changed)
    assert again.sha256 != first.sha256
    with zipfile.ZipFile(io.BytesIO(_whole(Representations(storage), changed))) as archive:
        assert archive.read("P2.SAFE/manifest.safe") == b"second, longer"


def test_missing_data_is_not_found(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    reps = Representations(storage)
    for path in ("S2/gone/GONE.SAFE", None):
        with pytest.raises(ProductNotFound):
            reps.get(product(3, storage_path=path, modification_date=T0))
