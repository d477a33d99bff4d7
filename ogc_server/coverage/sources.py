"""Where a product's coverage lives: its original band files in the archive, and their grid.

One coverage per product, its identifier the product's identifier. What the coverage holds is
explicit per mission, so a client always knows what it gets:

* Sentinel-2 L1C/L2A: the bands of the finest resolution the product holds (10 m: B02, B03,
  B04, B08 in a real product), digital numbers as stored in the JP2 files, on the tile's own
  UTM grid. Coarser bands (20 m, 60 m) are not part of the coverage: mixing resolutions would
  resample data the user did not ask to resample.
* Sentinel-1 GRD: one band per polarisation (``VV``, ``VH``, ``HH``, ``HV``), digital numbers
  of the measurement GeoTIFFs. The measurements are in radar geometry with ground control
  points, so the native grid is the GCP warp to EPSG:4326 at full resolution (as GDAL computes
  it); every read warps through the GCPs.

Other product types (swaths on geolocation arrays, netCDF products) have no coverage yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.vrt import WarpedVRT

from ogc_server.archive.model import Product
from ogc_server.coverage.errors import NoSuchCoverage

S2_TYPES = frozenset({"S2MSI1C", "S2MSI2A"})
GRD_TYPES = frozenset({"GRD"})
WGS84 = CRS.from_epsg(4326)
_S2_BAND = re.compile(r"_(B\d[0-9A])(?:_\d+m)?\.jp2$", re.IGNORECASE)
_GRD_POL = re.compile(r"-(vv|vh|hh|hv)-", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Band:
    """One field of the coverage's range: a band file (its first band)."""

    name: str
    path: Path
    description: str


@dataclass(frozen=True, slots=True)
class CoverageSource:
    """A product's coverage: its bands and the native grid they share."""

    identifier: str
    bands: tuple[Band, ...]
    crs: CRS
    transform: Affine
    width: int
    height: int
    dtype: str
    nodata: float
    by_gcps: bool
    """True when the band files are in sensor geometry and every read warps through GCPs."""

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the native grid in its CRS (x = easting/longitude)."""
        left, top = self.transform @ (0, 0)
        right, bottom = self.transform @ (self.width, self.height)
        return min(left, right), min(top, bottom), max(left, right), max(top, bottom)

    @property
    def resolution(self) -> tuple[float, float]:
        return abs(self.transform.a), abs(self.transform.e)

    def band_names(self) -> list[str]:
        return [band.name for band in self.bands]


def has_coverage(product: Product) -> bool:
    """Whether the product type has a coverage (no file is opened: for capabilities)."""
    return product.product_type in S2_TYPES or product.product_type in GRD_TYPES


def open_source(product_dir: Path, product: Product) -> CoverageSource:
    """The coverage of ``product`` whose folder is ``product_dir``; raises NoSuchCoverage."""
    try:
        if product.product_type in S2_TYPES:
            return _sentinel2(product_dir, product)
        if product.product_type in GRD_TYPES:
            return _grd(product_dir, product)
    except RasterioError as exc:
        raise NoSuchCoverage(f"{product.identifier}: unreadable rasters: {exc}",
                             user_msg=f"the rasters of {product.identifier} cannot be read",
                             locator="coverageId") from exc
    raise NoSuchCoverage(f"{product.identifier} ({product.product_type}) has no coverage",
                         user_msg=f"product {product.identifier} is not offered as a coverage",
                         locator="coverageId")


def _sentinel2(product_dir: Path, product: Product) -> CoverageSource:
    files: dict[str, Path] = {}
    for path in sorted(product_dir.glob("GRANULE/*/IMG_DATA/**/*.jp2")):
        match = _S2_BAND.search(path.name)
        if match:
            files.setdefault(match.group(1).upper(), path)
    groups: dict[float, list[tuple[str, Path]]] = {}
    grids: dict[float, tuple[CRS, Affine, int, int, str]] = {}
    for name, path in sorted(files.items(), key=lambda item: _band_order(item[0])):
        with rasterio.open(path) as src:
            if src.crs is None:
                continue
            size = round(abs(src.transform.a), 6)
            groups.setdefault(size, []).append((name, path))
            grids.setdefault(size, (src.crs, src.transform, src.width, src.height,
                                    src.dtypes[0]))
    if not groups:
        raise NoSuchCoverage(f"{product.identifier}: no band files",
                             user_msg=f"product {product.identifier} holds no band data",
                             locator="coverageId")
    finest = min(groups)
    crs, transform, width, height, dtype = grids[finest]
    bands = tuple(Band(name, path, f"{product.platform} MSI band {name} at {finest:g} m "
                                   "(digital number as stored)")
                  for name, path in groups[finest])
    return CoverageSource(product.identifier, bands, crs, transform, width, height, dtype,
                          nodata=0, by_gcps=False)


def _band_order(name: str) -> tuple[int, str]:
    digits = name[1:3]
    return (int(digits) if digits.isdigit() else 8, name)


def _grd(product_dir: Path, product: Product) -> CoverageSource:
    bands = []
    for path in sorted(product_dir.glob("measurement/*.tif*")):
        match = _GRD_POL.search(path.name)
        if match:
            pol = match.group(1).upper()
            bands.append(Band(pol, path, f"{product.platform} GRD {pol} amplitude "
                                         "(digital number as stored)"))
    if not bands:
        raise NoSuchCoverage(f"{product.identifier}: no measurement files",
                             user_msg=f"product {product.identifier} holds no measurements",
                             locator="coverageId")
    bands.sort(key=lambda band: ("VV", "HH", "VH", "HV").index(band.name))
    with rasterio.open(bands[0].path) as src:
        if not src.gcps[0]:
            raise NoSuchCoverage(f"{product.identifier}: measurement without GCPs",
                                 user_msg=f"product {product.identifier} is not georeferenced",
                                 locator="coverageId")
        dtype = src.dtypes[0]
        with WarpedVRT(src, crs=WGS84) as vrt:
            transform, width, height = vrt.transform, vrt.width, vrt.height
    return CoverageSource(product.identifier, tuple(bands), WGS84, transform, width, height,
                          dtype, nodata=0, by_gcps=True)
