"""PNG encoding of drawn maps: RGBA, the "Sub" filter on every row, zlib at a chosen level.

Pillow's PNG encoder filters adaptively (it tries the five PNG filters on every row and keeps
the best), which for a 256 x 256 map costs about as much as the compression itself. On
satellite imagery the "Sub" filter (each byte minus the same channel of the pixel to its left)
alone gives files of the same size (47.9 kB against Pillow's 48.2 kB at level 1 on the demo's
maps) at about half the time (1.3 ms against 2.3 ms), and it is one numpy subtraction. The
file is a plain PNG (signature, IHDR, one IDAT, IEND; ISO/IEC 15948); decoders need nothing
special.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG filter type 1: each byte minus the corresponding byte of the pixel to the left.
SUB = 1


def encode_rgba(image: np.ndarray, level: int = 1) -> bytes:
    """``image`` (height, width, 4) uint8 as an 8-bit RGBA PNG compressed at zlib ``level``."""
    if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise ValueError(f"expected a (height, width, 4) uint8 array, got {image.shape} "
                         f"{image.dtype}")
    height, width, _ = image.shape
    if not height or not width:
        raise ValueError("an empty image has no PNG")
    rows = np.ascontiguousarray(image).reshape(height, width * 4)
    filtered = np.empty((height, width * 4 + 1), dtype=np.uint8)
    filtered[:, 0] = SUB
    filtered[:, 1:5] = rows[:, :4]
    # uint8 arithmetic wraps modulo 256, as the filter is defined
    np.subtract(rows[:, 4:], rows[:, :-4], out=filtered[:, 5:])
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    return b"".join((SIGNATURE, _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
                     _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
