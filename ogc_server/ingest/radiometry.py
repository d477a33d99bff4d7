"""How pixel values become brightness and colour: shared by the browse maker and the view.

The browse images made at ingest (:mod:`ogc_server.ingest.browse`) and the maps the view
services draw from the original bands (:mod:`ogc_server.view.bands`) use the same radiometry,
so a product looks the same whichever of the two a map is drawn from.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ogc_server.archive.model import Product
from ogc_server.ingest.xmlsafe import XMLError, parse_xml

SIGMA0_CALIBRATION_DB = 53.5
"""20 log10(A) of sigma0 = DN^2 / A^2 when the product has no calibration annotation."""
#: viridis-like colour ramp
RAMP = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)],
                dtype=np.float64)


def tone(reflectance: np.ndarray, gain: float = 3.0) -> np.ndarray:
    """Natural-looking 8-bit brightness from reflectance (1/gain and brighter is white)."""
    v = np.clip(reflectance * gain, 0.0, 1.0)
    return np.rint(255.0 * np.power(v, 1 / 1.5)).astype(np.uint8)


def s2_radiometry(product_dir: Path, product: Product) -> tuple[float, dict[str, float]]:
    """Quantification value and additive offsets per band (B02, B03, B04, B08)."""
    quant = 10000.0
    offsets = {"B02": 0.0, "B03": 0.0, "B04": 0.0, "B08": 0.0}
    baseline = product.processing_baseline or ""
    if baseline and baseline >= "04.00":
        offsets = dict.fromkeys(offsets, -1000.0)
    candidates = sorted(product_dir.glob("MTD_MSIL*.xml")) + sorted(
        product_dir.glob("MTD_MSIL*.XML"))
    for mtd in candidates:
        try:
            root = parse_xml(mtd)
        except (OSError, XMLError):
            continue
        found_offset = False
        for e in root.iter("{*}QUANTIFICATION_VALUE", "{*}BOA_QUANTIFICATION_VALUE"):
            if e.text and e.text.strip():
                quant = float(e.text)
        for e in root.iter("{*}RADIO_ADD_OFFSET", "{*}BOA_ADD_OFFSET"):
            band_id = e.get("band_id")
            name = {"1": "B02", "2": "B03", "3": "B04", "7": "B08"}.get(band_id or "")
            if name and e.text:
                offsets[name] = float(e.text)
                found_offset = True
        if not found_offset and not (baseline and baseline >= "04.00"):
            offsets = dict.fromkeys(offsets, 0.0)
        break
    return quant, offsets


def calibration_db(product_dir: Path, measurement: Path) -> float:
    """20 log10(A) of the measurement's sigma0 calibration (sigma0 dB = 10 log10(DN^2) - it)."""
    stem = measurement.stem
    for path in sorted(product_dir.glob("annotation/calibration/calibration-*.xml")):
        if path.stem.removeprefix("calibration-") != stem:
            continue
        try:
            root = parse_xml(path)
            values = [float(v) for e in root.iter("{*}sigmaNought")
                      for v in (e.text or "").split()]
        except (OSError, XMLError, ValueError):
            break
        if values:
            return 20.0 * math.log10(float(np.median(values)))
    return SIGMA0_CALIBRATION_DB


def colour(values: np.ndarray, low: float, high: float) -> np.ndarray:
    pos = np.clip((values - low) / (high - low), 0, 1) * (len(RAMP) - 1)
    i = np.minimum(pos.astype(int), len(RAMP) - 2)
    f = (pos - i)[None]
    rgb = RAMP[i].transpose(2, 0, 1) * (1 - f) + RAMP[i + 1].transpose(2, 0, 1) * f
    return np.rint(rgb).astype(np.uint8)
