"""The HTTP server's channel: file bodies sent by the kernel, turns bounded, bytes exact."""

from __future__ import annotations

import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waitress.adjustments import Adjustments
from waitress.buffers import OverflowableBuffer, ReadOnlyFileBasedBuffer

from ogc_server.download.zipstream import PieceReader, scan, with_crcs, zip_pieces
from ogc_server.web.server import TURN, Channel, create
from tests.web.server import running


class _NoCopy(PieceReader):
    """A reader that fails if anything copies its bytes through Python."""

    def read(self, size: int = -1) -> bytes | memoryview:
        raise AssertionError("the body was read through Python instead of sent by the kernel")


def _folder(tmp_path: Path, size: int) -> Path:
    root = tmp_path / "S1A_IW_GRDH_TEST.SAFE"
    (root / "measurement").mkdir(parents=True)
    (root / "manifest.safe").write_text("<manifest/>" * 50)
    (root / "measurement" / "vv.tiff").write_bytes(os.urandom(size))
    (root / "measurement" / "vh.tiff").write_bytes(os.urandom(size // 3))
    return root


def _reader(folder: Path, cls: type[PieceReader] = PieceReader) -> PieceReader:
    members = with_crcs(folder.parent, scan(folder))
    return cls(folder.parent, zip_pieces(members))


@pytest.fixture
def listener() -> Iterator[Any]:
    """A server that is not running: the owner the channels register with."""
    server = create(lambda environ, start_response: [], host="127.0.0.1", port=0, threads=1)
    try:
        yield server
    finally:
        server.close()


def _channel(server: Any, sock: socket.socket) -> Channel:
    return Channel(server, sock, ("127.0.0.1", 0), Adjustments(), map={})


def _queue(channel: Channel, head: bytes, body: PieceReader, tail: bytes) -> int:
    """Queue a response as waitress does: head, the file body, then what follows."""
    channel.outbufs[0].append(head)
    wrapped = ReadOnlyFileBasedBuffer(body)
    size = wrapped.prepare()
    channel.outbufs.append(wrapped)
    after = OverflowableBuffer(channel.adj.outbuf_overflow)
    after.append(tail)
    channel.outbufs.append(after)
    channel.total_outbufs_len = len(head) + size + len(tail)
    return channel.total_outbufs_len


def _drain(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_a_turn_sends_at_most_turn_bytes_and_the_stream_is_exact(tmp_path: Path,
                                                                  listener: Any) -> None:
    folder = _folder(tmp_path, 3 * TURN)
    expected = bytes(_reader(folder).read())
    server_side, client_side = socket.socketpair()
    client_side.setblocking(False)
    channel = _channel(listener, server_side)
    try:
        total = _queue(channel, b"HTTP/1.1 200 OK\r\n\r\n", _reader(folder, _NoCopy), b"next")
        received = b""
        turns = 0
        while channel.total_outbufs_len:
            before = channel.total_outbufs_len
            channel._flush_some()
            assert before - channel.total_outbufs_len <= TURN
            received += _drain(client_side)
            turns += 1
            assert turns < 1000
        received += _drain(client_side)
        assert len(received) == total
        assert received == b"HTTP/1.1 200 OK\r\n\r\n" + expected + b"next"
        assert turns >= total // TURN
    finally:
        channel.close()
        client_side.close()


def test_a_full_socket_ends_the_turn_without_error(tmp_path: Path, listener: Any) -> None:
    folder = _folder(tmp_path, 4 * TURN)
    server_side, client_side = socket.socketpair()
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    channel = _channel(listener, server_side)
    try:
        _queue(channel, b"", _reader(folder, _NoCopy), b"")
        for _ in range(50):  # nobody reads: the socket fills, then turns send nothing
            channel._flush_some()
        assert channel._flush_some() is False
        assert channel.total_outbufs_len > 0
        left = channel.total_outbufs_len
        client_side.setblocking(False)
        got = _drain(client_side)
        assert len(got) > 0
        channel._flush_some()
        assert channel.total_outbufs_len < left
    finally:
        channel.close()
        client_side.close()


def test_a_vanished_client_closes_the_connection(tmp_path: Path, listener: Any) -> None:
    folder = _folder(tmp_path, 2 * TURN)
    server_side, client_side = socket.socketpair()
    channel = _channel(listener, server_side)
    _queue(channel, b"", _reader(folder, _NoCopy), b"")
    client_side.close()
    channel._flush_some()  # EPIPE: closed, not raised
    assert not channel.connected


@pytest.mark.system
def test_fast_downloads_leave_the_loop_to_other_requests(tmp_path: Path) -> None:
    """Two clients pulling a large body at full speed; a third request still gets through."""
    folder = _folder(tmp_path, 64 << 20)
    seen_sizes: list[int] = []

    def app(environ: dict, start_response: object) -> object:
        if environ["PATH_INFO"] == "/ping":
            start_response("200 OK", [("Content-Length", "4")])  # type: ignore[operator]
            return [b"pong"]
        reader = _reader(folder, _NoCopy)
        size = reader.layout.size
        start_response("200 OK", [("Content-Length", str(size))])  # type: ignore[operator]
        return environ["wsgi.file_wrapper"](reader, 1 << 20)

    with running(app, threads=2) as url:
        def pull() -> None:
            with urllib.request.urlopen(f"{url}/big", timeout=60) as response:
                seen_sizes.append(len(response.read()))

        pullers = [threading.Thread(target=pull) for _ in range(2)]
        for thread in pullers:
            thread.start()
        for _ in range(5):
            with urllib.request.urlopen(f"{url}/ping", timeout=10) as response:
                assert response.read() == b"pong"
        for thread in pullers:
            thread.join(timeout=60)
    expected = _reader(folder).layout.size
    assert seen_sizes == [expected, expected]


def test_create_gives_every_listener_the_channel(listener: Any) -> None:
    assert listener.channel_class is Channel
