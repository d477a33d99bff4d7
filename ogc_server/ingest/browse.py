"""Browse images of a product: a Cloud-Optimized GeoTIFF for WMS, a quicklook and a thumbnail.

``make_browse`` renders what a person expects to see of the product:

* Sentinel-2 L1C/L2A: true colour from B04/B03/B02, reflectance = (DN + offset) /
  quantification (offset -1000 from processing baseline 04.00, read from the product
  metadata when present), brightened and gamma-corrected;
* Sentinel-1 GRD: VV (or HH) backscatter, sigma0 from -25 to 0 dB as grey, warped with the
  measurement's ground control points;
* Sentinel-3 OLCI EFR/ERR: Oa08/Oa06/Oa04 as red/green/blue (top-of-atmosphere reflectance),
  warped with the geolocation arrays of geo_coordinates.nc;
* Sentinel-5P Level-2: the main geophysical variable with a colour map, warped with the
  latitude/longitude arrays, pixels of low quality (qa_value < 0.5) left transparent.

Other products (S1 SLC/OCN, SLSTR, Synergy, S5P L1B ...) and products whose measurement
files are absent or empty get no browse (``None``).

Georeferencing of ``browse.tif``:

* Sentinel-2 keeps its own UTM grid (the tile's CRS and 10/20/60 m pixel grid): the band
  pixels pass through unresampled, so the browse has exactly the bands' resolution and the
  tile's extent, and tiles of one UTM zone mosaic without seams; the WMS reprojects on the fly
  like it does for any other CRS;
* swath products (S1, S3, S5P) have no map grid at all, so they are warped once to EPSG:4326
  at a pixel size that keeps their number of pixels (their full resolution).

The COG is tiled 512 x 512, DEFLATE compressed, with internal overviews (at least one level)
and an alpha band marking where there is data. Every file is written under a temporary name
in ``out_dir`` and renamed into place. All GDAL work runs inside ``rasterio.Env(**gdal_env)``.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import calculate_default_transform, reproject
from rasterio.windows import Window

from ogc_server.archive.model import Product
from ogc_server.ingest.radiometry import (
    calibration_db,
    colour,
    s2_radiometry,
    tone,
)

LOGGER = logging.getLogger(__name__)

BLOCK = 512
MAX_SIZE = 16384
"""Longest side of a browse; larger products (e.g. real 25 000-pixel GRD) are decimated."""
#: Tag of a browse whose pixels are the bands' own (grid and resolution), so that a map of
#: the default rendering at any zoom can be drawn from the browse alone.
BAND_GRID_TAG = "OGC_SERVER_BAND_GRID"
STRIP = 1024
WGS84 = CRS.from_epsg(4326)
OLCI_SOLAR = {"Oa08": 1524.0, "Oa06": 1800.0, "Oa04": 1929.0}
S5P_VARIABLES: dict[str, tuple[str, float, float]] = {
    "L2__NO2___": ("nitrogendioxide_tropospheric_column", 0.0, 1.5e-4),
    "L2__CO____": ("carbonmonoxide_total_column", 0.015, 0.05),
    "L2__AER_AI": ("aerosol_index_354_388", -2.0, 4.0),
    "L2__O3____": ("ozone_total_vertical_column", 0.1, 0.2),
    "L2__SO2___": ("sulfurdioxide_total_vertical_column", -5e-4, 2e-3),
    "L2__HCHO__": ("formaldehyde_tropospheric_vertical_column", 0.0, 3e-4),
    "L2__CH4___": ("methane_mixing_ratio_bias_corrected", 1750.0, 1950.0),
    "L2__CLOUD_": ("cloud_fraction", 0.0, 1.0),
    "L2__AER_LH": ("aerosol_mid_height", 0.0, 5000.0),
}
@dataclass(frozen=True, slots=True)
class BrowseFiles:
    """Files written by :func:`make_browse` (all in its ``out_dir``)."""

    quicklook: Path
    thumbnail: Path
    browse: Path


class _NoImage(Exception):
    """The product holds no image data to show."""


def make_browse(
    product_dir: Path,
    product: Product,
    out_dir: Path,
    *,
    quicklook_size: int = 1000,
    thumbnail_size: int = 200,
    gdal_env: dict | None = None,
) -> BrowseFiles | None:
    """Write ``quicklook.jpg``, ``thumbnail.jpg`` and ``browse.tif`` for a product.

    Returns ``None`` (writing nothing) when the product type has no renderer or the product
    holds no image data.
    """
    product_dir = Path(product_dir)
    out_dir = Path(out_dir)
    renderer = _renderer(product)
    if renderer is None:
        return None
    env = {"GDAL_PAM_ENABLED": "NO", **(gdal_env or {})}
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = out_dir / f".browse-{os.getpid()}.stage.tif"
    temporaries: list[Path] = [stage]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env(**env):
                try:
                    renderer(product_dir, product, stage)
                except _NoImage as exc:
                    LOGGER.info("no browse for %s: %s", product.identifier, exc)
                    return None
                except (RasterioError, OSError, ValueError) as exc:
                    LOGGER.warning("no browse for %s: %s", product.identifier, exc)
                    return None
                browse = out_dir / "browse.tif"
                tmp = _temporary(browse)
                temporaries.append(tmp)
                _to_cog(stage, tmp)
                quicklook = out_dir / "quicklook.jpg"
                thumbnail = out_dir / "thumbnail.jpg"
                tmp_ql, tmp_th = _temporary(quicklook), _temporary(thumbnail)
                temporaries += [tmp_ql, tmp_th]
                _to_jpeg(tmp, tmp_ql, quicklook_size)
                _to_jpeg(tmp, tmp_th, thumbnail_size)
        os.replace(tmp, browse)
        os.replace(tmp_ql, quicklook)
        os.replace(tmp_th, thumbnail)
        return BrowseFiles(quicklook=quicklook, thumbnail=thumbnail, browse=browse)
    finally:
        for path in temporaries:
            if path.exists():
                path.unlink()


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def has_browse(product_type: str) -> bool:
    """Whether products of ``product_type`` get browse images (the view services show them)."""
    return product_type in BROWSE_TYPES


BROWSE_TYPES = frozenset({"S2MSI1C", "S2MSI2A", "GRD", "OL_1_EFR___", "OL_1_ERR___",
                          *S5P_VARIABLES})


def _renderer(product: Product):
    ptype = product.product_type
    if ptype in ("S2MSI1C", "S2MSI2A"):
        return _render_s2
    if ptype == "GRD":
        return _render_grd
    if ptype in ("OL_1_EFR___", "OL_1_ERR___"):
        return _render_olci
    if ptype in S5P_VARIABLES:
        return _render_s5p
    return None


# Output ---------------------------------------------------------------------------------------


def _stage_profile(width: int, height: int, bands: int, crs: CRS, transform) -> dict:
    profile = dict(
        driver="GTiff", width=width, height=height, count=bands, dtype="uint8", crs=crs,
        transform=transform, tiled=True, blockxsize=BLOCK, blockysize=BLOCK,
        compress="DEFLATE", zlevel=1, ALPHA="YES",
    )
    if bands == 4:
        profile["photometric"] = "RGB"
    return profile


def _color_interp(bands: int) -> list[ColorInterp]:
    if bands == 4:
        return [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    return [ColorInterp.gray, ColorInterp.alpha]


def _write_stage(path: Path, data: np.ndarray, crs: CRS, transform) -> None:
    """Write a (bands + alpha, rows, cols) uint8 array as the staging GeoTIFF."""
    bands, height, width = data.shape
    with rasterio.open(path, "w", **_stage_profile(width, height, bands, crs, transform)) as dst:
        dst.colorinterp = _color_interp(bands)
        dst.write(data)


def _to_cog(stage: Path, target: Path) -> None:
    with rasterio.open(stage) as src:
        longest = max(src.width, src.height)
    levels = max(1, int(math.floor(math.log2(max(longest, 2) / 64))))
    rasterio.shutil.copy(
        stage, target, driver="COG", BLOCKSIZE=BLOCK, COMPRESS="DEFLATE", PREDICTOR="YES",
        OVERVIEWS="IGNORE_EXISTING", OVERVIEW_COUNT=min(levels, 8), RESAMPLING="AVERAGE",
        NUM_THREADS=1,
    )


def _to_jpeg(cog: Path, target: Path, size: int) -> None:
    with rasterio.open(cog) as src:
        scale = size / max(src.width, src.height)
        width = max(1, int(round(src.width * scale)))
        height = max(1, int(round(src.height * scale)))
        if max(width, height) != size:  # rounding: the longest side is exactly ``size``
            if src.width >= src.height:
                width = size
            else:
                height = size
        colour = src.count - 1
        data = src.read(list(range(1, colour + 1)), out_shape=(colour, height, width),
                        resampling=Resampling.bilinear)
        alpha = src.read(src.count, out_shape=(height, width), resampling=Resampling.bilinear)
    data = (data.astype(np.float32) * (alpha.astype(np.float32) / 255.0)).round().astype(np.uint8)
    with rasterio.open(target, "w", driver="JPEG", width=width, height=height, count=colour,
                       dtype="uint8", QUALITY=85) as dst:
        dst.write(data)


# Sentinel-2 -----------------------------------------------------------------------------------


def _s2_bands(product_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for band in ("B04", "B03", "B02"):
        candidates = sorted(product_dir.glob(f"GRANULE/*/IMG_DATA/R10m/*_{band}_10m.jp2"))
        candidates += sorted(product_dir.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2"))
        candidates = [p for p in candidates if p.stat().st_size > 0]
        if not candidates:
            raise _NoImage(f"no {band} image")
        found[band] = candidates[0]
    return found


def _render_s2(product_dir: Path, product: Product, stage: Path) -> None:
    bands = _s2_bands(product_dir)
    quant, offsets = s2_radiometry(product_dir, product)
    sources = [rasterio.open(bands[b]) for b in ("B04", "B03", "B02")]
    try:
        ref = sources[0]
        if any((s.width, s.height) != (ref.width, ref.height) for s in sources):
            raise _NoImage("bands of different sizes")
        factor = max(1, math.ceil(max(ref.width, ref.height) / MAX_SIZE))
        width, height = ref.width // factor, ref.height // factor
        transform = ref.transform @ ref.transform.scale(ref.width / width, ref.height / height)
        with rasterio.open(stage, "w", **_stage_profile(width, height, 4, ref.crs,
                                                         transform)) as dst:
            dst.colorinterp = _color_interp(4)
            if factor == 1:  # the bands' own pixels: the view need not read the bands
                dst.update_tags(**{BAND_GRID_TAG: "yes"})
            for row in range(0, height, STRIP):
                rows = min(STRIP, height - row)
                window = Window(0, row * factor, ref.width, rows * factor)
                out = np.zeros((4, rows, width), dtype=np.uint8)
                valid = np.ones((rows, width), dtype=bool)
                for i, (src, band) in enumerate(zip(sources, ("B04", "B03", "B02"), strict=True)):
                    dn = src.read(1, window=window, out_shape=(rows, width),
                                  resampling=Resampling.average).astype(np.float32)
                    valid &= dn > 0
                    out[i] = tone((dn + offsets[band]) / quant)
                out[3] = np.where(valid, 255, 0)
                out[:3, ~valid] = 0
                dst.write(out, window=Window(0, row, width, rows))
    finally:
        for s in sources:
            s.close()


# Swath products -------------------------------------------------------------------------------


def _gcps_from_arrays(lon: np.ndarray, lat: np.ndarray, count: int = 200
                      ) -> list[GroundControlPoint]:
    """About ``count`` ground control points on a regular sub-grid of geolocation arrays.

    Thin-plate-spline warping through ~200 points of a smooth swath geolocation reproduces
    the arrays to a fraction of a pixel while keeping the warp fast.
    """
    rows, cols = lon.shape
    along = int(np.clip(round(math.sqrt(count * rows / cols)), 6, 48))
    across = int(np.clip(round(count / along), 6, 48))
    r_idx = np.unique(np.linspace(0, rows - 1, min(rows, along)).round().astype(int))
    c_idx = np.unique(np.linspace(0, cols - 1, min(cols, across)).round().astype(int))
    gcps = []
    for r in r_idx:
        for c in c_idx:
            x, y = float(lon[r, c]), float(lat[r, c])
            if math.isfinite(x) and math.isfinite(y):
                gcps.append(GroundControlPoint(row=r + 0.5, col=c + 0.5, x=x, y=y, z=0.0))
    if len(gcps) < 6:
        raise _NoImage("too few valid geolocation points")
    return gcps


def _unwrap(gcps: list[GroundControlPoint]) -> list[GroundControlPoint]:
    """Across the antimeridian, continue east of 180 degrees instead of jumping to -180."""
    xs = [g.x for g in gcps]
    if max(xs) - min(xs) <= 180.0:
        return gcps
    return [GroundControlPoint(row=g.row, col=g.col, x=g.x + 360.0 if g.x < 0 else g.x, y=g.y,
                               z=g.z) for g in gcps]


def _warp(data: np.ndarray, gcps: list[GroundControlPoint], resampling=Resampling.bilinear,
          **options) -> tuple[np.ndarray, object]:
    """Warp (bands, rows, cols) float32 (NaN = no data) to EPSG:4326 at native resolution."""
    gcps = _unwrap(gcps)
    bands, rows, cols = data.shape
    transform, width, height = calculate_default_transform(
        WGS84, WGS84, cols, rows, gcps=gcps, **options)
    if max(width, height) > MAX_SIZE:
        f = max(width, height) / MAX_SIZE
        width, height = int(width / f), int(height / f)
        transform = transform @ transform.scale(f, f)
    out = np.full((bands, height, width), np.nan, dtype=np.float32)
    reproject(data, out, gcps=gcps, src_crs=WGS84, src_nodata=np.nan, dst_transform=transform,
              dst_crs=WGS84, dst_nodata=np.nan, resampling=resampling, **options)
    return out, transform


def _read_decimated(src, band: int = 1) -> tuple[np.ndarray, float, float]:
    """A band, decimated when larger than MAX_SIZE; returns the data and the pixel factors."""
    factor = max(1, math.ceil(max(src.width, src.height) / MAX_SIZE))
    rows, cols = src.height // factor, src.width // factor
    data = src.read(band, out_shape=(rows, cols), resampling=Resampling.average)
    return data, src.height / rows, src.width / cols


# Sentinel-1 -----------------------------------------------------------------------------------


def _grd_measurement(product_dir: Path) -> Path:
    tiffs = sorted(product_dir.glob("measurement/*.tif*"))
    if not tiffs:
        raise _NoImage("no measurement files")
    for pol in ("vv", "hh"):
        for path in tiffs:
            if re.search(rf"-{pol}-", path.name.lower()) and path.stat().st_size > 0:
                return path
    for path in tiffs:
        if path.stat().st_size > 0:
            return path
    raise _NoImage("measurement files are empty")


def _render_grd(product_dir: Path, product: Product, stage: Path) -> None:
    measurement = _grd_measurement(product_dir)
    with rasterio.open(measurement) as src:
        gcps, gcp_crs = src.gcps
        if not gcps:
            raise _NoImage("measurement has no ground control points")
        dn, fr, fc = _read_decimated(src)
    if gcp_crs and gcp_crs != WGS84 and gcp_crs.to_epsg() != 4326:
        raise _NoImage(f"ground control points in {gcp_crs}, expected EPSG:4326")
    if fr != 1 or fc != 1:
        gcps = [GroundControlPoint(row=g.row / fr, col=g.col / fc, x=g.x, y=g.y, z=g.z)
                for g in gcps]
    intensity = dn.astype(np.float32) ** 2
    intensity[dn == 0] = np.nan
    warped, transform = _warp(intensity[None], gcps, SRC_METHOD="GCP_TPS")
    k_db = calibration_db(product_dir, measurement)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 10.0 * np.log10(warped[0]) - k_db
    valid = np.isfinite(db)
    grey = np.where(valid, np.clip((db + 25.0) / 25.0, 0, 1) * 254 + 1, 0).astype(np.uint8)
    _write_stage(stage, np.stack([grey, np.where(valid, 255, 0).astype(np.uint8)]), WGS84,
                 transform)


# Sentinel-3 OLCI ------------------------------------------------------------------------------


def _nc(path: Path, variable: str) -> str:
    return f'NETCDF:"{path}":{variable}'


def _read_scaled(path: Path, variable: str) -> np.ndarray:
    if not path.exists() or path.stat().st_size == 0:
        raise _NoImage(f"{path.name} missing or empty")
    with rasterio.open(_nc(path, variable)) as src:
        raw, fr, fc = _read_decimated(src)
        if fr != 1 or fc != 1:
            raise _NoImage("OLCI product too large for a browse")
        data = raw.astype(np.float64)
        if src.nodata is not None:
            data[raw == src.nodata] = np.nan
        data = data * (src.scales[0] or 1.0) + (src.offsets[0] or 0.0)
    return data


def _render_olci(product_dir: Path, product: Product, stage: Path) -> None:
    geo = product_dir / "geo_coordinates.nc"
    lat = _read_scaled(geo, "latitude")
    lon = _read_scaled(geo, "longitude")
    layers = []
    for band, e0 in OLCI_SOLAR.items():
        radiance = _read_scaled(product_dir / f"{band}_radiance.nc", band + "_radiance")
        if radiance.shape != lat.shape:
            raise _NoImage("radiance and geolocation grids differ")
        layers.append((math.pi * radiance / (e0 * 0.75)).astype(np.float32))
    data = np.stack(layers)
    warped, transform = _warp(data, _gcps_from_arrays(lon, lat), SRC_METHOD="GCP_TPS")
    valid = np.all(np.isfinite(warped), axis=0)
    rgb = np.where(valid, tone(np.nan_to_num(warped) * 0.8), 0).astype(np.uint8)
    _write_stage(stage, np.concatenate([rgb, np.where(valid, 255, 0).astype(np.uint8)[None]]),
                 WGS84, transform)


# Sentinel-5P ----------------------------------------------------------------------------------


def _s5p_read(path: Path, variable: str) -> np.ndarray:
    with rasterio.open(_nc(path, variable)) as src:
        raw, fr, fc = _read_decimated(src)
        data = raw.astype(np.float64)
        nodata = src.nodata
        if nodata is not None:
            data[np.isclose(raw, nodata, rtol=1e-6)] = np.nan
        data[np.abs(data) > 1e30] = np.nan
        return data * (src.scales[0] or 1.0) + (src.offsets[0] or 0.0)


def _render_s5p(product_dir: Path, product: Product, stage: Path) -> None:
    path = product_dir
    if path.is_dir():
        files = sorted(path.glob("*.nc"))
        if not files:
            raise _NoImage("no netCDF file")
        path = files[0]
    if not path.exists() or path.stat().st_size == 0:
        raise _NoImage("product file missing or empty")
    variable, low, high = S5P_VARIABLES[product.product_type]
    try:
        value = _s5p_read(path, f"/PRODUCT/{variable}")
        lat = _s5p_read(path, "/PRODUCT/latitude")
        lon = _s5p_read(path, "/PRODUCT/longitude")
    except RasterioError as exc:
        raise _NoImage(f"no {variable} with geolocation: {exc}") from exc
    try:
        qa = _s5p_read(path, "/PRODUCT/qa_value")
        value[~(qa >= 0.5)] = np.nan
    except RasterioError:
        pass
    if value.shape != lat.shape or not np.isfinite(value).any():
        raise _NoImage("no valid pixels")
    warped, transform = _warp(value[None].astype(np.float32), _gcps_from_arrays(lon, lat),
                              Resampling.nearest, SRC_METHOD="GCP_TPS")
    valid = np.isfinite(warped[0])
    rgb = colour(np.nan_to_num(warped[0]), low, high)
    rgb[:, ~valid] = 0
    _write_stage(stage, np.concatenate([rgb, np.where(valid, 255, 0).astype(np.uint8)[None]]),
                 WGS84, transform)
