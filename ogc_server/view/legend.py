"""Legends of the view layers: what a colour means, drawn once per layer (Pillow only)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ogc_server.ingest.radiometry import RAMP
from ogc_server.view.styles import ndvi_colours

SIZE = (200, 40)
OUTLINE = (255, 140, 0, 255)
TEXT = (0, 0, 0, 255)


def legend(kind: str, collection: str, style: str | None = None) -> Image.Image:
    """The legend of a layer drawing ``collection`` as ``kind`` (``browse``/``footprints``)
    in ``style`` (:mod:`ogc_server.view.styles`; ``None``: the browse's own colours)."""
    image = Image.new("RGBA", SIZE, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    short = collection.rsplit(":", 1)[-1]
    if kind == "footprints":
        draw.rectangle((4, 6, 36, 26), outline=OUTLINE, width=2)
        draw.text((44, 10), "product footprint", fill=TEXT)
        return image
    if style == "ndvi":
        _ramp(image, ndvi_colours(np.linspace(-1.0, 1.0, 64)).T)
        draw.text((4, 26), "NDVI -1", fill=TEXT)
        draw.text((92, 26), "0", fill=TEXT)
        draw.text((180, 26), "1", fill=TEXT)
    elif style == "falsecolor":
        draw.rectangle((4, 6, 36, 26), fill=(200, 60, 60, 255))
        draw.text((44, 10), "false colour (B08/B04/B03)", fill=TEXT)
    elif style == "vvvh":
        for index, (fill, label) in enumerate((((255, 0, 0, 255), "VV"),
                                               ((0, 255, 0, 255), "VH"),
                                               ((0, 0, 255, 255), "VV/VH"))):
            draw.rectangle((4 + 64 * index, 6, 20 + 64 * index, 22), fill=fill)
            draw.text((24 + 64 * index, 10), label, fill=TEXT)
        draw.text((4, 26), "dB: VV -25..0 VH -30..-5", fill=TEXT)
    elif short.startswith("S1_"):
        _ramp(image, np.stack([np.linspace(1, 255, 64)] * 3, axis=1))
        draw.text((4, 26), "sigma0 -25 dB", fill=TEXT)
        draw.text((150, 26), "0 dB", fill=TEXT)
    elif short.startswith("S5P_"):
        positions = np.linspace(0, len(RAMP) - 1, 64)
        colours = np.stack([np.interp(positions, np.arange(len(RAMP)), RAMP[:, band])
                            for band in range(3)], axis=1)
        _ramp(image, colours)
        draw.text((4, 26), "low", fill=TEXT)
        draw.text((150, 26), "high", fill=TEXT)
    else:
        bands = "Oa08/Oa06/Oa04" if short.startswith("S3_") else "B04/B03/B02"
        draw.rectangle((4, 6, 36, 26), fill=(90, 120, 80, 255))
        draw.text((44, 10), f"true colour ({bands})", fill=TEXT)
    return image


def _ramp(image: Image.Image, colours: np.ndarray) -> None:
    """A horizontal colour bar from ``colours`` (n, 3) across the top of ``image``."""
    width = SIZE[0] - 8
    index = np.linspace(0, len(colours) - 1, width).round().astype(int)
    bar = np.zeros((18, width, 4), dtype=np.uint8)
    bar[..., :3] = colours[index][None, :, :].astype(np.uint8)
    bar[..., 3] = 255
    image.paste(Image.fromarray(bar, "RGBA"), (4, 4))
