"""The HTTP answer for a representation: validators, conditionals, ranges, digests, streaming.

Bodies are seekable files handed to the WSGI server's ``wsgi.file_wrapper``: waitress then
sends them from its event loop, so a slow client holds no worker thread (a generator would
hold one for the whole transfer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Request, Response
from werkzeug.http import http_date
from werkzeug.wsgi import wrap_file

from ogc_server.download.ranges import Unsatisfiable, content_range, parse_ranges
from ogc_server.download.representation import Representation
from ogc_server.download.zipstream import Piece

#: Bytes the fallback file wrapper (no ``wsgi.file_wrapper``) reads per block.
BLOCK = 1 << 20


def answer(rep: Representation, request: Request) -> Response:
    """The response to a GET or HEAD of ``rep``."""
    headers = _headers(rep)
    precondition = _preconditions(rep, request)
    if precondition is not None:
        return _empty(precondition, headers)
    ranges = None
    if request.method in ("GET", "HEAD") and _if_range_holds(rep, request):
        try:
            ranges = parse_ranges(request.headers.get("Range"), rep.size)
        except Unsatisfiable:
            headers["Content-Range"] = f"bytes */{rep.size}"
            return _empty(416, headers)
    if ranges is None:
        headers["Content-Type"] = rep.media_type
        headers["Content-MD5"] = rep.md5_base64
        return _body(request, 200, headers, rep.size, None, rep)
    if len(ranges) == 1:
        start, stop = ranges[0]
        headers["Content-Type"] = rep.media_type
        headers["Content-Range"] = content_range(start, stop, rep.size)
        return _body(request, 206, headers, stop - start, rep.layout.slice(start, stop), rep)
    boundary = f"ogc-server-{rep.etag[:24]}"
    pieces: list[Piece] = []
    for index, (start, stop) in enumerate(ranges):
        head = (f"{'' if index == 0 else chr(13) + chr(10)}--{boundary}\r\n"
                f"Content-Type: {rep.media_type}\r\n"
                f"Content-Range: {content_range(start, stop, rep.size)}\r\n\r\n").encode()
        pieces.append(Piece(len(head), data=head))
        pieces.extend(rep.layout.slice(start, stop))
    tail = f"\r\n--{boundary}--\r\n".encode()
    pieces.append(Piece(len(tail), data=tail))
    headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    return _body(request, 206, headers, sum(p.length for p in pieces), pieces, rep)


def _headers(rep: Representation) -> dict[str, str]:
    return {
        "ETag": f'"{rep.etag}"',
        "Last-Modified": http_date(rep.last_modified),
        "Accept-Ranges": "bytes",
        "Content-Disposition": _disposition(rep.file_name),
        "Repr-Digest": rep.repr_digest,
        "Digest": f"md5={rep.md5_base64}",
        "Cache-Control": "private, max-age=3600",
    }


def _disposition(name: str) -> str:
    if name.isascii() and '"' not in name and "\\" not in name:
        return f'attachment; filename="{name}"'
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _preconditions(rep: Representation, request: Request) -> int | None:
    """412 or 304 when a conditional header says so (RFC 9110 §13.2.2 order), else None."""
    etag = rep.etag
    modified = _seconds(rep.last_modified)
    since = request.if_modified_since
    unmodified = request.if_unmodified_since
    if "If-Match" in request.headers:
        if not request.if_match.contains(etag) and not request.if_match.star_tag:
            return 412
    elif unmodified is not None and modified > _seconds(unmodified):
        return 412
    if "If-None-Match" in request.headers:
        if request.if_none_match.star_tag or request.if_none_match.contains_weak(etag):
            return 304 if request.method in ("GET", "HEAD") else 412
    elif since is not None and request.method in ("GET", "HEAD") and modified <= _seconds(since):
        return 304
    return None


def _if_range_holds(rep: Representation, request: Request) -> bool:
    """Range applies unless an If-Range names another version (strong comparison)."""
    value = request.headers.get("If-Range")
    if not value:
        return True
    if_range = request.if_range
    if if_range.etag is not None:
        return not value.strip().startswith("W/") and if_range.etag == rep.etag
    if if_range.date is not None:
        return _seconds(if_range.date) == _seconds(rep.last_modified)
    return False


def _seconds(value: datetime) -> int:
    return int(value.timestamp())


def _empty(status: int, headers: dict[str, str]) -> Response:
    if status == 304:
        headers = {k: v for k, v in headers.items()
                   if k in ("ETag", "Last-Modified", "Cache-Control")}
    return Response(b"", status=status, headers=headers)


def _body(request: Request, status: int, headers: dict[str, str], length: int,
          pieces: list[Piece] | None, rep: Representation) -> Response:
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        response = Response(b"", status=status, headers=headers)
        response.headers["Content-Length"] = str(length)  # set_data made it 0
        return response
    reader = rep.reader(pieces)
    body: Any = wrap_file(request.environ, reader, buffer_size=BLOCK)
    response = Response(body, status=status, headers=headers, direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    return response
