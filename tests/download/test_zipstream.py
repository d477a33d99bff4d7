"""The ZIP layout: valid archives (zipfile, unzip -t), exact ranges, deterministic bytes."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from ogc_server.download.zipstream import Layout, PieceReader, scan, with_crcs, zip_pieces


def _product(tmp_path: Path) -> Path:
    """A SAFE-like folder: nested files, an empty file and folder, a non-ASCII name."""
    root = tmp_path / "S2A_MSIL1C_TEST.SAFE"
    (root / "GRANULE" / "L1C_T31" / "IMG_DATA").mkdir(parents=True)
    (root / "AUX_DATA").mkdir()
    (root / "manifest.safe").write_text("<manifest/>" * 100)
    (root / "GRANULE" / "L1C_T31" / "IMG_DATA" / "B04.jp2").write_bytes(os.urandom(300_000))
    (root / "GRANULE" / "L1C_T31" / "MTD_TL.xml").write_bytes(b"<tile/>")
    (root / "empty.txt").write_bytes(b"")
    (root / "rapport-été.txt").write_text("non-ASCII name")
    os.utime(root / "manifest.safe", (0, 0))  # before 1980: clamped to the ZIP epoch
    return root


def _bytes(folder: Path, **kw: bool) -> bytes:
    members = with_crcs(folder.parent, scan(folder))
    with PieceReader(folder.parent, zip_pieces(members, **kw)) as reader:
        return bytes(reader.read())


def _files(folder: Path) -> dict[str, bytes]:
    return {f"{folder.name}/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("force_zip64", [False, True])
def test_archive_reads_back_as_the_folder(tmp_path: Path, force_zip64: bool) -> None:
    folder = _product(tmp_path)
    data = _bytes(folder, force_zip64=force_zip64)
    members = with_crcs(folder.parent, scan(folder))
    assert len(data) == Layout(zip_pieces(members, force_zip64=force_zip64)).size
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        files = {i.filename: archive.read(i) for i in infos if not i.is_dir()}
        folders = {i.filename for i in infos if i.is_dir()}
    assert files == _files(folder)
    assert "S2A_MSIL1C_TEST.SAFE/AUX_DATA/" in folders


@pytest.mark.skipif(shutil.which("unzip") is None, reason="needs unzip")
@pytest.mark.parametrize("force_zip64", [False, True])
def test_unzip_tests_the_archive(tmp_path: Path, force_zip64: bool) -> None:
    target = tmp_path / "out.zip"
    target.write_bytes(_bytes(_product(tmp_path), force_zip64=force_zip64))
    result = subprocess.run(["unzip", "-t", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_same_folder_same_bytes(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    assert _bytes(folder) == _bytes(folder)
    copy = tmp_path / "copy" / folder.name
    shutil.copytree(folder, copy)  # copy2 keeps the mtimes: the archive is the same
    assert _bytes(copy) == _bytes(folder)


def test_timestamps_are_the_files_in_utc(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    os.utime(folder / "empty.txt", (1496400132, 1496400132))  # 2017-06-02T10:42:12Z
    with zipfile.ZipFile(io.BytesIO(_bytes(folder))) as archive:
        assert archive.getinfo(f"{folder.name}/empty.txt").date_time == (
            2017, 6, 2, 10, 42, 12)
        assert archive.getinfo(f"{folder.name}/manifest.safe").date_time == (
            1980, 1, 1, 0, 0, 0)


def test_every_slice_is_the_same_bytes(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    data = _bytes(folder)
    layout = Layout(zip_pieces(with_crcs(folder.parent, scan(folder))))
    rng = random.Random(7)
    cuts = [(0, len(data)), (0, 1), (len(data) - 1, len(data)), (10, 10)]
    cuts += [tuple(sorted(rng.sample(range(len(data) + 1), 2))) for _ in range(200)]
    for start, stop in cuts:
        with PieceReader(folder.parent, layout.slice(start, stop)) as reader:
            assert bytes(reader.read()) == data[start:stop], (start, stop)


def test_reader_seeks_and_reads_in_blocks(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    data = _bytes(folder)
    layout = Layout(zip_pieces(with_crcs(folder.parent, scan(folder))))
    reader = PieceReader(folder.parent, layout.pieces)
    assert reader.seek(0, os.SEEK_END) == len(data)
    reader.seek(0)
    got = bytearray()
    while True:
        block = reader.read(65_536)
        if not block:
            break
        position = reader.tell()
        reader.seek(position - len(block))  # read again, as a server skipping sent bytes
        assert bytes(reader.read(len(block))) == bytes(block)
        got += block
    assert bytes(got) == data
    reader.close()


def test_a_file_that_shrank_ends_the_transfer(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    layout = Layout(zip_pieces(with_crcs(folder.parent, scan(folder))))
    (folder / "GRANULE" / "L1C_T31" / "IMG_DATA" / "B04.jp2").write_bytes(b"short")
    with PieceReader(folder.parent, layout.pieces) as reader, pytest.raises(OSError):
        while reader.read(1 << 20):
            pass


def test_symbolic_links_are_left_out(tmp_path: Path) -> None:
    folder = _product(tmp_path)
    (folder / "link").symlink_to("/etc/passwd")
    assert not any(m.name.endswith("/link") for m in scan(folder))


def test_zip64_for_real_sizes_and_offsets(tmp_path: Path) -> None:
    """A member over 4 GiB (a sparse file) and one behind it: sizes and offsets need ZIP64."""
    folder = tmp_path / "BIG.SAFE"
    folder.mkdir()
    with open(folder / "a-huge.bin", "wb") as fh:
        fh.truncate((4 << 30) + 12345)
    (folder / "b-after.txt").write_bytes(b"behind the 4 GiB mark")
    members = scan(folder)  # CRCs of the small file only: the huge one is never read whole
    members = [m if m.name.endswith("huge.bin") else with_crcs(tmp_path, [m])[0]
               for m in members]
    layout = Layout(zip_pieces(members))
    assert layout.size > 4 << 30
    with PieceReader(tmp_path, layout.pieces) as reader, zipfile.ZipFile(reader) as archive:
        infos = {i.filename: i for i in archive.infolist()}
        huge = infos["BIG.SAFE/a-huge.bin"]
        after = infos["BIG.SAFE/b-after.txt"]
        assert huge.file_size == (4 << 30) + 12345
        assert after.header_offset > 4 << 30
        assert archive.read(after) == b"behind the 4 GiB mark"
        with archive.open(huge) as member:
            assert member.read(16) == b"\0" * 16


def test_zip64_for_many_members(tmp_path: Path) -> None:
    """More than 65,535 members: the count lives in the ZIP64 end record."""
    from ogc_server.download.zipstream import Member

    members = [Member(f"MANY.SAFE/d{i:06d}/", None, 0, 1496400132, 0, 0o755)
               for i in range(70_000)]
    layout = Layout(zip_pieces(members))
    with PieceReader(tmp_path, layout.pieces) as reader, zipfile.ZipFile(reader) as archive:
        assert len(archive.infolist()) == 70_000
