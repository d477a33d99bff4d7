"""The map PNG encoder: files every decoder reads back to the same pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
from PIL import Image

from ogc_server.view.png import encode_rgba


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    smooth = np.zeros((256, 256, 4), dtype=np.uint8)
    smooth[..., 0] = np.arange(256)[None, :]
    smooth[..., 1] = np.arange(256)[:, None]
    smooth[..., 3] = 255
    holes = rng.integers(0, 256, (200, 300, 4), dtype=np.uint8)
    holes[50:120, 10:90] = 0  # transparent black, as outside the products
    return [smooth, holes, rng.integers(0, 256, (1, 1, 4), dtype=np.uint8),
            rng.integers(0, 256, (1, 7, 4), dtype=np.uint8),
            rng.integers(0, 256, (9, 1, 4), dtype=np.uint8)]


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_pillow_reads_back_the_pixels(level: int) -> None:
    for image in _images():
        data = encode_rgba(image, level)
        Image.open(io.BytesIO(data)).verify()  # chunk CRCs and structure
        decoded = Image.open(io.BytesIO(data))
        assert decoded.mode == "RGBA" and decoded.size == (image.shape[1], image.shape[0])
        assert np.array_equal(np.asarray(decoded), image)


def test_gdal_reads_back_the_pixels(tmp_path) -> None:
    image = _images()[1]
    path = tmp_path / "map.png"
    path.write_bytes(encode_rgba(image))
    with rasterio.open(path) as src:
        assert (src.count, src.height, src.width) == (4, image.shape[0], image.shape[1])
        assert np.array_equal(src.read().transpose(1, 2, 0), image)


def test_same_size_as_pillows_adaptive_filtering_on_imagery() -> None:
    """On noisy, imagery-like pixels one filter compresses as well as Pillow's choice."""
    rng = np.random.default_rng(9)
    base = rng.normal(120, 25, (256, 256, 3)).clip(0, 255)
    image = np.dstack([base, np.full((256, 256), 255.0)]).astype(np.uint8)
    ours = len(encode_rgba(image, 1))
    buffer = io.BytesIO()
    Image.fromarray(image, "RGBA").save(buffer, "PNG", compress_level=1)
    assert ours <= 1.1 * buffer.tell()


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4), np.uint16),
                                 np.zeros((4, 4), np.uint8), np.zeros((0, 4, 4), np.uint8)])
def test_refuses_what_is_not_an_rgba_image(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        encode_rgba(bad)
