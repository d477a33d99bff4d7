"""The HTTP server: waitress, with file bodies sent by the kernel and fair turns for large ones.

waitress runs one event loop that writes every connection's answer. Two things in its
stock loop let a few fast downloads starve the searches served next to them:

* it copies a ``wsgi.file_wrapper`` body through Python (read into a buffer, send it), so
  each gigabyte costs the loop thread, and the interpreter lock it shares with the worker
  threads, a gigabyte of copying;
* it writes to one connection until that connection's socket is full, which for a client on
  a fast link means many megabytes before the loop looks at anyone else.

:class:`Channel` changes both: a body that can send itself (a :class:`SendsItself`, as the
download's ZIP reader does) goes out with ``os.sendfile``, the kernel copying from the page
cache to the socket with the interpreter lock released; and a connection's turn ends after
:data:`TURN` bytes, so the loop goes round every connection (and reads new requests) at
least once per ``connections x TURN`` bytes. Everything else is waitress as it is.

:func:`serve` runs one such server, or several processes sharing one listening socket
(``processes`` > 1): the interpreter lock lets one process use about one core for the work
written in Python (MapProxy, pycsw, pygeoapi, the renderer's bookkeeping), so a machine with
more cores serves more maps and searches per second with a process per core. Each process
builds its own application (database pool, caches) after the fork; the parent only starts,
restarts and stops them.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

from waitress.buffers import ReadOnlyFileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

LOGGER = logging.getLogger(__name__)
#: Bytes one connection may send before the event loop turns to the next one.
TURN = 128 * 1024

#: Errors that mean the client went away (the loop closes the connection).
_GONE = frozenset({errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.ECONNABORTED,
                   errno.EPIPE, errno.EBADF})


_SENDFILE = hasattr(os, "sendfile")


class SendsItself(Protocol):
    """A seekable body that can write its next bytes straight to a socket."""

    def send_to(self, sock: socket.socket, limit: int) -> int:
        """Send up to ``limit`` bytes from the current position; returns how many.

        Raises :class:`BlockingIOError` when the socket took nothing.
        """


class Channel(HTTPChannel):
    """waitress's HTTP channel with kernel-sent file bodies and bounded turns."""

    def _flush_some(self, do_close: bool = True) -> bool:
        sent = 0
        budget = TURN
        while budget > 0:
            outbuf = self.outbufs[0]
            remain = outbuf.__len__()
            direct = _direct_body(outbuf)
            while remain > 0 and budget > 0:
                if direct is not None:
                    count = self._send_direct(outbuf, direct, min(remain, budget), do_close)
                else:
                    count = self.send(outbuf.get(min(self.sendbuf_len, budget)),
                                      do_close=do_close)
                    if count:
                        outbuf.skip(count, True)
                if not count:
                    budget = 0  # the socket is full (or gone): wait for the next turn
                    break
                remain -= count
                sent += count
                budget -= count
                self.total_outbufs_len -= count
            if remain > 0:
                break
            if len(self.outbufs) == 1:
                break  # caught up (the last buffer stays: it is the one being written)
            finished = self.outbufs.pop(0)
            try:
                finished.close()
            except Exception:
                self.logger.exception("could not close a finished output buffer")
        if sent:
            self.last_activity = time.time()
            return True
        return False

    def _send_direct(self, outbuf: Any, body: SendsItself, limit: int, do_close: bool) -> int:
        try:
            count = body.send_to(self.socket, limit)
        except BlockingIOError:
            return 0
        except OSError as error:
            if error.errno in _GONE:
                if do_close:
                    self.handle_close()
                return 0
            raise
        outbuf.remain -= count
        return count


def _direct_body(outbuf: Any) -> SendsItself | None:
    """The file body of a ``wsgi.file_wrapper`` buffer if it can send itself (checked by its
    ``send_to`` method: this runs on every turn of every download)."""
    if not _SENDFILE or type(outbuf) is not ReadOnlyFileBasedBuffer:
        return None
    return outbuf.file if callable(getattr(outbuf.file, "send_to", None)) else None


def create(application: Any, **adjustments: Any) -> Any:
    """A waitress server (not yet running) whose connections are :class:`Channel` s.

    ``adjustments`` are waitress's (host, port, threads, ...).
    """
    server = create_server(application, **adjustments)
    listeners = [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = Channel
    return server


def serve(build: Callable[[], Any], *, host: str, port: int, processes: int = 1,
          **adjustments: Any) -> None:
    """Serve the application that ``build()`` returns on ``host:port`` until stopped.

    With ``processes`` > 1 the parent binds the socket, forks that many servers and waits:
    a server that dies is started again (after a second, so that one failing at start-up
    does not spin); SIGTERM or SIGINT stops them all.
    """
    if processes <= 1:
        create(build(), host=host, port=port, **adjustments).run()
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=1024)
    children: set[int] = set()
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:  # the child: its own application and server on the shared socket
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                create(build(), sockets=[listener], **adjustments).run()
            except BaseException:  # noqa: BLE001 - reported, then the parent restarts it
                LOGGER.exception("server process %d stopped", os.getpid())
                code = 1
            finally:
                os._exit(code)
        children.add(pid)

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        start()
    try:
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:
                LOGGER.warning("server process %d ended (status %d): starting another",
                               pid, status)
                time.sleep(1.0)
                if not stopping:
                    start()
    finally:
        listener.close()
