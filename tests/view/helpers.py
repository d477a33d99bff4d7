"""Plain HTTP for the view tests (urllib: no connection is kept alive across tests)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import numpy as np
from PIL import Image
from werkzeug.datastructures import Headers


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Headers, bytes]:
    """Status, headers (case-insensitive) and body of a GET (errors too, not raised)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, Headers(list(response.headers.items())), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, Headers(list(exc.headers.items())), exc.read()


def image(data: bytes) -> np.ndarray:
    """The pixels (rows, cols, RGBA) of a PNG/JPEG answer."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
