"""Read a planned coverage from the band files and encode it (COG or netCDF).

On the native grid the pixels come from a windowed read; when the output is smaller than the
window, GDAL reads from the file's overviews (JPEG 2000 resolution levels, GeoTIFF overviews)
instead of decoding every pixel. Any other grid (another CRS, or a product georeferenced by
ground control points) is read through a ``WarpedVRT`` onto exactly the planned grid, which
also picks overviews when scaling down. Files without overviews in sensor geometry (Sentinel-1
GRD measurements) are read decimated first when the output is much coarser than the data, so
a small picture of a whole scene does not warp every source pixel.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.control import GroundControlPoint
from rasterio.io import DatasetReader, MemoryFile
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from ogc_server.coverage.grid import Plan

MEDIA_TYPES = {
    "image/tiff": "COG",
    "application/netcdf": "netCDF",
}
"""Output media types and the GDAL driver that writes each."""
EXTENSIONS = {"image/tiff": "tif", "application/netcdf": "nc"}


def read(plan: Plan, gdal_env: dict | None = None) -> np.ndarray:
    """The planned pixels as a (bands, height, width) array of the source's data type."""
    out = np.zeros((len(plan.bands), plan.height, plan.width), dtype=plan.source.dtype)
    with rasterio.Env(**(gdal_env or {})):
        for index, band in enumerate(plan.bands):
            with rasterio.open(band.path) as src:
                if plan.native:
                    left, top = plan.transform @ (0, 0)
                    right, bottom = plan.transform @ (plan.width, plan.height)
                    window = from_bounds(left, bottom, right, top, src.transform)
                    out[index] = src.read(1, window=window, out_shape=(plan.height, plan.width),
                                          resampling=plan.resampling, boundless=False)
                    continue
                factor = _decimation(plan) if plan.source.by_gcps and not src.overviews(1) else 1
                if factor > 1:
                    with _decimated(src, factor) as small:
                        out[index] = _warp(small, plan)
                else:
                    out[index] = _warp(src, plan)
    return out


def _warp(src: DatasetReader, plan: Plan) -> np.ndarray:
    with WarpedVRT(src, crs=plan.crs, transform=plan.transform, width=plan.width,
                   height=plan.height, resampling=plan.resampling,
                   src_nodata=plan.source.nodata, nodata=plan.source.nodata) as vrt:
        return vrt.read(1)


def _decimation(plan: Plan) -> int:
    """How many native pixels per side one output pixel spans (1: read at full resolution)."""
    left, top = plan.transform @ (0, 0)
    right, bottom = plan.transform @ (plan.width, plan.height)
    west, south, east, north = transform_bounds(plan.crs, plan.source.crs,
                                                min(left, right), min(top, bottom),
                                                max(left, right), max(top, bottom))
    res_x, res_y = plan.source.resolution
    ratio = min((east - west) / plan.width / res_x, (north - south) / plan.height / res_y)
    return max(1, math.floor(ratio / 2)) if math.isfinite(ratio) else 1


def _decimated(src: DatasetReader, factor: int) -> _Owned:
    """``src`` read every ``factor``-th pixel into memory, its GCPs moved along."""
    width, height = max(1, src.width // factor), max(1, src.height // factor)
    data = src.read(1, out_shape=(height, width))
    sx, sy = width / src.width, height / src.height
    gcps, crs = src.gcps
    moved = [GroundControlPoint(row=g.row * sy, col=g.col * sx, x=g.x, y=g.y, z=g.z)
             for g in gcps]
    memory = MemoryFile()
    with memory.open(driver="GTiff", width=width, height=height, count=1, dtype=data.dtype,
                     gcps=moved, crs=crs) as dst:
        dst.write(data, 1)
    return _Owned(memory)


class _Owned:
    """A dataset opened from a memory file, closing both on exit."""

    def __init__(self, memory: MemoryFile):
        self.memory = memory

    def __enter__(self) -> DatasetReader:
        self.dataset = self.memory.open()
        return self.dataset

    def __exit__(self, *exc: object) -> None:
        self.dataset.close()
        self.memory.close()


def encode(plan: Plan, data: np.ndarray, gdal_env: dict | None = None) -> bytes:
    """``data`` on the planned grid as the planned media type (band names as descriptions)."""
    driver = MEDIA_TYPES[plan.media_type]
    profile = dict(driver="GTiff", width=plan.width, height=plan.height,
                   count=len(plan.bands), dtype=plan.source.dtype, crs=plan.crs,
                   transform=plan.transform, nodata=plan.source.nodata)
    options = {"COG": dict(COMPRESS="DEFLATE", BLOCKSIZE=512, OVERVIEWS="AUTO",
                           RESAMPLING="NEAREST"),
               "netCDF": dict(FORMAT="NC4C", COMPRESS="DEFLATE")}[driver]
    with rasterio.Env(**(gdal_env or {})), MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(data)
            dst.descriptions = tuple(band.name for band in plan.bands)
        # the netCDF library writes only real files: both formats go through a temporary one
        with tempfile.TemporaryDirectory(prefix="coverage-") as folder:
            path = Path(folder) / f"coverage.{EXTENSIONS[plan.media_type]}"
            rasterio.shutil.copy(memory.name, path, driver=driver, **options)
            return path.read_bytes()
