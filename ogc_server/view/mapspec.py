"""The grid of a map: what every renderer of :mod:`ogc_server.view` draws into."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.transform import from_bounds
from rasterio.warp import transform_bounds

from ogc_server.errors import InvalidQuery

WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True, slots=True)
class MapSpec:
    """The grid of a map: bounding box (x/y order of ``crs``), CRS and size in pixels."""

    bbox: tuple[float, float, float, float]
    crs: CRS
    width: int
    height: int

    @property
    def transform(self) -> Any:
        return from_bounds(*self.bbox, self.width, self.height)

    @property
    def resolution(self) -> float:
        """The finer of the map's two pixel sizes, in CRS units."""
        return min((self.bbox[2] - self.bbox[0]) / self.width,
                   (self.bbox[3] - self.bbox[1]) / self.height)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """The map's extent in longitude/latitude (west > east across the antimeridian)."""
        if self.crs == WGS84:
            west, south, east, north = self.bbox
        else:
            try:
                west, south, east, north = transform_bounds(self.crs, WGS84, *self.bbox,
                                                            densify_pts=21)
            except RasterioError as exc:
                raise InvalidQuery("the BBOX cannot be expressed in longitude/latitude",
                                   locator="bbox") from exc
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise InvalidQuery("the BBOX lies outside the CRS's domain", locator="bbox")
        return (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
