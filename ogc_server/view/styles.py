"""Styles of the view layers: which bands a style needs and how it turns them into colour.

Each collection family has a default style, the one its browse COG shows, and may have
others that need bands the browse COG does not keep:

* Sentinel-2 (L1C, L2A): ``truecolor`` (B04/B03/B02, default), ``falsecolor`` (B08/B04/B03,
  vegetation red) and ``ndvi`` ((B08 - B04) / (B08 + B04) through :data:`NDVI_RAMP`);
* Sentinel-1 GRD: ``vv`` (sigma0 VV as grey, default) and ``vvvh`` (red = VV, green = VH,
  blue = VV/VH ratio, all in dB).

Colouring works on reflectance (Sentinel-2) or sigma0 in dB (Sentinel-1), float32 arrays with
NaN where there is no data, already warped to the map: the renderer
(:mod:`ogc_server.view.bands`) reads and calibrates, this module only maps values to colours,
with the same tone curve as the browse images so that both sources look alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ogc_server.ingest.radiometry import tone

#: Stops of the NDVI colour ramp: (NDVI, (r, g, b)) from water through bare soil to dense
#: vegetation.
NDVI_RAMP: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (-1.0, (5, 48, 97)),
    (-0.2, (150, 150, 170)),
    (0.0, (235, 225, 200)),
    (0.2, (200, 180, 100)),
    (0.4, (145, 191, 82)),
    (0.6, (60, 140, 40)),
    (1.0, (0, 70, 0)),
)
#: dB stretches of the Sentinel-1 styles: value -> 0..255 linearly between (low, high).
VV_DB = (-25.0, 0.0)
VH_DB = (-30.0, -5.0)
RATIO_DB = (0.0, 15.0)
#: Reflectance that shows as white in false colour (near infrared is bright over vegetation).
FALSE_COLOUR_GAIN = 2.0


@dataclass(frozen=True, slots=True)
class Style:
    """One way of drawing a collection.

    ``bands`` name the product's files the style reads (Sentinel-2 band names, Sentinel-1
    polarisations); ``suffix`` names the layer that publishes a non-default style
    (``<collection short name>_<suffix>``).
    """

    name: str
    title: str
    bands: tuple[str, ...]
    suffix: str = ""

    @property
    def default(self) -> bool:
        """Whether this is the style of the browse COG (drawn from it where it suffices)."""
        return not self.suffix


S2_STYLES = (
    Style("truecolor", "True colour (B04/B03/B02)", ("B04", "B03", "B02")),
    Style("falsecolor", "False colour (B08/B04/B03)", ("B08", "B04", "B03"), "FALSECOLOR"),
    Style("ndvi", "NDVI (B08-B04)/(B08+B04)", ("B08", "B04"), "NDVI"),
)
S1_STYLES = (
    Style("vv", "Sigma0 VV (-25 to 0 dB)", ("vv",)),
    Style("vvvh", "VV/VH composite (R=VV, G=VH, B=VV/VH, dB)", ("vv", "vh"), "VVVH"),
)


def family(short_name: str) -> str | None:
    """``S2`` or ``S1`` for collections whose original bands the renderer reads, else None."""
    if short_name.startswith("S2_MSI"):
        return "S2"
    if short_name.startswith("S1_") and short_name.endswith("GRD"):
        return "S1"
    return None


def styles_for(short_name: str) -> tuple[Style, ...]:
    """The styles of a collection's map layer, default first (empty: the browse only)."""
    return {"S2": S2_STYLES, "S1": S1_STYLES}.get(family(short_name) or "", ())


def colour(style: Style, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """RGBA (4, rows, cols) uint8 of ``style`` from its bands' calibrated values."""
    data = [values[b] for b in style.bands]
    valid = np.all([np.isfinite(d) for d in data], axis=0)
    if style.name == "ndvi":
        nir, red = data
        with np.errstate(divide="ignore", invalid="ignore"):
            index = (nir - red) / (nir + red)
        valid &= np.isfinite(index)
        rgb = ndvi_colours(np.where(valid, index, 0.0))
    elif style.name == "vvvh":
        vv, vh = data
        rgb = np.stack([_stretch(vv, *VV_DB), _stretch(vh, *VH_DB),
                        _stretch(vv - vh, *RATIO_DB)])
    elif style.name == "vv":
        # the browse's grey: 1..255, 0 kept for "no data" in grey-only viewers
        grey = np.rint(np.clip((data[0] - VV_DB[0]) / (VV_DB[1] - VV_DB[0]), 0, 1) * 254 + 1)
        rgb = np.stack([np.nan_to_num(grey).astype(np.uint8)] * 3)
    else:
        gain = FALSE_COLOUR_GAIN if style.name == "falsecolor" else 3.0
        rgb = np.stack([tone(np.nan_to_num(d), gain) for d in data])
    out = np.zeros((4, *valid.shape), dtype=np.uint8)
    out[:3] = np.where(valid, rgb, 0)
    out[3] = np.where(valid, 255, 0)
    return out


def ndvi_colours(index: np.ndarray) -> np.ndarray:
    """(3, ...) uint8 colours of NDVI values along :data:`NDVI_RAMP` (clipped to -1..1)."""
    stops = np.array([s for s, _ in NDVI_RAMP])
    colours = np.array([c for _, c in NDVI_RAMP], dtype=np.float64)
    clipped = np.clip(index, -1.0, 1.0)
    return np.stack([np.rint(np.interp(clipped, stops, colours[:, band])).astype(np.uint8)
                     for band in range(3)])


def _stretch(db: np.ndarray, low: float, high: float) -> np.ndarray:
    scaled = np.clip((np.nan_to_num(db, nan=low) - low) / (high - low), 0.0, 1.0)
    return np.rint(scaled * 255.0).astype(np.uint8)
