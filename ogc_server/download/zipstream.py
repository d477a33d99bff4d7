"""Deterministic STORED ZIP archives laid out in advance, and byte views over them.

A product kept as a folder is served as a ZIP built on the fly. The layout (local headers, the
members' data in place, the central directory) is computed from the file list alone, so the
exact length is known before a byte is sent, any byte range maps to a header or to a slice of
one file, and nothing is built in memory. Members are stored (no compression): products are
compressed already (JPEG 2000, netCDF, COG), and stored data is what makes byte offsets and
ranges cheap. Names and timestamps come from the files (sorted, mtimes in UTC), so the same
folder always gives the same bytes: its digest can be computed once and trusted afterwards.
ZIP64 records are written when a size, an offset or the member count needs them.
"""

from __future__ import annotations

import bisect
import os
import socket
import stat
import struct
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_DOS_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a ZIP entry can state
_UNIX = 3  # "version made by": Unix, so external attributes carry the file mode


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of the archive: a folder (name ends with ``/``) or a file."""

    name: str
    """Path inside the archive, ``/`` separated."""
    path: str | None
    """Path of the file relative to the product's parent folder (``None`` for folders)."""
    size: int
    mtime: int
    """Modification time, whole seconds since the epoch."""
    crc: int = 0
    mode: int = 0o644

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of bytes: literal ``data``, or ``length`` bytes of file ``path`` from ``start``."""

    length: int
    data: bytes | None = None
    path: str | None = None
    start: int = 0


def scan(folder: Path) -> list[Member]:
    """The members of the archive of ``folder``: itself, its sub-folders and regular files.

    Sorted by name, so the archive is the same on every run; symbolic links and special files
    are left out (the archive never holds them). CRCs are not computed here (see
    :func:`with_crcs`).
    """
    base = folder.parent
    members: list[Member] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        info = current.stat()
        rel = current.relative_to(base).as_posix()
        members.append(Member(rel + "/", None, 0, int(info.st_mtime), 0, 0o755))
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    name = f"{rel}/{entry.name}"
                    members.append(Member(name, name, st.st_size, int(st.st_mtime), 0,
                                          stat.S_IMODE(st.st_mode) or 0o644))
    return sorted(members, key=lambda m: m.name)


def with_crcs(base: Path, members: Iterable[Member]) -> list[Member]:
    """``members`` with the CRC-32 of each file (reads every file once)."""
    done = []
    for member in members:
        if member.path is None:
            done.append(member)
            continue
        crc = 0
        with open(base / member.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                crc = zlib.crc32(chunk, crc)
        done.append(Member(member.name, member.path, member.size, member.mtime, crc,
                           member.mode))
    return done


def _dos_time(mtime: int) -> tuple[int, int]:
    t = time.gmtime(max(mtime, _DOS_EPOCH))
    if t.tm_year > 2107:
        t = time.gmtime(4354819199)  # 2107-12-31T23:59:59Z, the latest a ZIP entry can state
    return ((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
            ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday)


def zip_pieces(members: Sequence[Member], *, force_zip64: bool = False) -> list[Piece]:
    """The whole archive as pieces: headers as literal bytes, file data by reference."""
    pieces: list[Piece] = []
    central: list[bytes] = []
    offset = 0
    for member in members:
        raw = member.name.encode("utf-8")
        flags = 0x0800 if not member.name.isascii() else 0  # bit 11: the name is UTF-8
        tm, dt = _dos_time(member.mtime)
        big = force_zip64 or member.size >= _MAX32
        far = force_zip64 or offset >= _MAX32
        version = 45 if (big or far) else 20
        size32 = _MAX32 if big else member.size
        local_extra = struct.pack("<HHQQ", 1, 16, member.size, member.size) if big else b""
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, version, flags, 0, tm, dt, member.crc, size32, size32,
            len(raw), len(local_extra)) + raw + local_extra
        pieces.append(Piece(len(header), data=header))
        if member.size:
            pieces.append(Piece(member.size, path=member.path))
        values = ([member.size, member.size] if big else []) + ([offset] if far else [])
        extra = struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) if values else b""
        kind = stat.S_IFDIR if member.is_dir else stat.S_IFREG
        attributes = ((kind | member.mode) << 16) | (0x10 if member.is_dir else 0)
        central.append(struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, (_UNIX << 8) | version, version, flags, 0, tm,
            dt, member.crc, size32, size32, len(raw), len(extra), 0, 0, 0, attributes,
            _MAX32 if far else offset) + raw + extra)
        offset += len(header) + member.size
    directory = b"".join(central)
    count = len(members)
    many = force_zip64 or count >= _MAX16
    if many or offset >= _MAX32 or len(directory) >= _MAX32:
        end64 = offset + len(directory)
        directory += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, (_UNIX << 8) | 45, 45, 0, 0,
                                 count, count, len(directory), offset)
        directory += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
        directory += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, _MAX16, _MAX16, _MAX32,
                                 _MAX32, 0)
    else:
        directory += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory),
                                 offset, 0)
    pieces.append(Piece(len(directory), data=directory))
    return pieces


class Layout:
    """A byte sequence made of pieces, with the offset of each piece for range look-ups."""

    def __init__(self, pieces: Sequence[Piece]):
        self.pieces = list(pieces)
        self.offsets: list[int] = []
        total = 0
        for piece in self.pieces:
            self.offsets.append(total)
            total += piece.length
        self.size = total

    def slice(self, start: int, stop: int) -> list[Piece]:
        """The pieces that make bytes ``start`` to ``stop`` (exclusive)."""
        out: list[Piece] = []
        if start >= stop:
            return out
        index = bisect.bisect_right(self.offsets, start) - 1
        while start < stop and index < len(self.pieces):
            piece, base = self.pieces[index], self.offsets[index]
            skip = start - base
            take = min(piece.length - skip, stop - start)
            if take > 0:
                if piece.data is not None:
                    out.append(Piece(take, data=piece.data[skip:skip + take]))
                else:
                    out.append(Piece(take, path=piece.path, start=piece.start + skip))
                start += take
            index += 1
        return out


class PieceReader:
    """A read-only, seekable file over pieces (for ``wsgi.file_wrapper``).

    A WSGI server can stream it from its event loop without holding a worker thread, however
    slow the client. File paths are resolved against ``base``; a file that is shorter than the
    layout says raises :class:`OSError` (the product changed under the download), which ends
    the transfer short instead of sending wrong bytes.
    """

    def __init__(self, base: Path, pieces: Sequence[Piece]):
        self.base = base
        self.layout = Layout(pieces)
        self.pos = 0
        self.closed = False
        self._fd: int | None = None
        self._fd_path: str | None = None
        self._last: tuple[int, bytes] | None = None

    # The file protocol ----------------------------------------------------------------------

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self.pos
        elif whence == os.SEEK_END:
            offset += self.layout.size
        self.pos = max(0, offset)
        return self.pos

    def read(self, size: int = -1) -> bytes | memoryview:
        """Up to ``size`` bytes (all that remain for ``-1``); empty only at the end."""
        remaining = self.layout.size - self.pos
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size <= 0:
            return b""
        last = self._last
        if last is not None and last[0] == self.pos and size <= len(last[1]):
            # a server that reads a block, sends part of it and reads again to skip what
            # was sent (waitress does) gets the same bytes without touching the disk
            self.pos += size
            return memoryview(last[1])[:size]
        parts = []
        for piece in self.layout.slice(self.pos, self.pos + size):
            parts.append(piece.data if piece.data is not None else self._file_bytes(piece))
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._last = (self.pos, data)
        self.pos += len(data)
        return data

    def send_to(self, sock: socket.socket, limit: int) -> int:
        """Send up to ``limit`` bytes from the current position to ``sock``; returns how many.

        File bytes go with ``os.sendfile`` (the kernel copies them from the page cache to the
        socket), the ZIP's own headers with ``send``. Stops early where the socket is full;
        raises :class:`BlockingIOError` only when nothing at all was sent.
        """
        sent = 0
        try:
            for piece in self.layout.slice(self.pos, min(self.layout.size, self.pos + limit)):
                if piece.data is not None:
                    count = sock.send(piece.data)
                else:
                    count = os.sendfile(sock.fileno(), self._open(piece), piece.start,
                                        piece.length)
                    if count == 0:
                        raise OSError(f"{piece.path} is shorter than when the download was "
                                      "laid out")
                self.pos += count
                sent += count
                if count < piece.length:
                    break
        except BlockingIOError:
            if not sent:
                raise
        return sent

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.closed = True
        self._last = None

    def __enter__(self) -> PieceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Files ------------------------------------------------------------------------------------

    def _open(self, piece: Piece) -> int:
        assert piece.path is not None
        if self._fd_path != piece.path or self._fd is None:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._fd = os.open(self.base / piece.path, os.O_RDONLY)
            self._fd_path = piece.path
        return self._fd

    def _file_bytes(self, piece: Piece) -> bytes:
        fd = self._open(piece)
        data = os.pread(fd, piece.length, piece.start)
        while len(data) < piece.length:  # a very large read may come back in parts
            more = os.pread(fd, piece.length - len(data), piece.start + len(data))
            if not more:
                raise OSError(f"{piece.path} is shorter than when the download was laid out")
            data += more
        return data
