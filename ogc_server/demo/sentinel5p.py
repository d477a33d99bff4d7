"""Sentinel-5P TROPOMI demo products: netCDF-4 files like the real L2 (and L1B) products.

Level-2 products are near-real-time 5-minute granules; Level-1B radiance products are offline
files of the sunlit half orbit. Global attributes and the whole ``/METADATA`` group tree
(GRANULE_DESCRIPTION, EOP_METADATA, ISO_METADATA, ESA_METADATA, QA_STATISTICS,
ALGORITHM_SETTINGS) are copied from a real L2 file of the same type (NO2 for the L1B products,
for which no sample exists) and re-stamped; ``/PRODUCT`` holds latitude/longitude, the main
geophysical variable and qa_value on a reduced scanline x ground_pixel grid.

Without a netCDF-C library the file is written flat with GDAL's netCDF driver (global
attributes and one variable; no groups): see :func:`_write_flat`.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ogc_server.archive.model import Region
from ogc_server.demo import fields, netcdf, templating
from ogc_server.demo.orbits import S5P
from ogc_server.demo.spec import ProductSpec, classify, crosses_antimeridian, polygon, seed_of
from ogc_server.demo.templating import compact

GRANULE_S = 300.0
HALF_SWATH_KM = 1300.0
SCANLINES, GROUND_PIXELS = 75, 90
FILL = np.float32(9.96921e36)

_SAMPLE = "20200303T013547_20200303T031717_12367_01_010302"
TEMPLATES = {
    "L2__NO2___": f"S5P_OFFL_L2__NO2____{_SAMPLE}_20200306T053815",
    "L2__CO____": f"S5P_OFFL_L2__CO_____{_SAMPLE}_20200306T032410",
    "L2__AER_AI": f"S5P_OFFL_L2__AER_AI_{_SAMPLE}_20200306T032414",
}
MAIN_VARIABLE = {
    "L2__NO2___": ("nitrogendioxide_tropospheric_column", "mol m-2",
                   "troposphere_mole_content_of_nitrogen_dioxide"),
    "L2__CO____": ("carbonmonoxide_total_column", "mol m-2",
                   "atmosphere_mole_content_of_carbon_monoxide"),
    "L2__AER_AI": ("aerosol_index_354_388", "1",
                   "ultraviolet_aerosol_index"),
}
PROCESSOR = {"L2__NO2___": "020600", "L2__CO____": "020600", "L2__AER_AI": "020600"}
L1B_PROCESSOR = "020100"


def latency(product_type: str) -> float:
    return 14.0 if product_type.startswith("L1B") else 3.0


# Planning -------------------------------------------------------------------------------------


def plan(
    rng: np.random.Generator,
    *,
    collection: str,
    product_type: str,
    point: tuple[float, float],
    start: datetime,
    stop: datetime,
    regions: list[Region],
) -> ProductSpec | None:
    lon, lat = point
    passes = S5P.passes(lon, lat, start, stop, ascending=True, cross_km=PASS_CROSS_KM)
    if not passes:
        return None
    orbit, dt, _ = passes[int(rng.integers(len(passes)))]
    return from_pass(rng, orbit, dt, collection=collection, product_type=product_type,
                     regions=regions)


PASS_CROSS_KM = (-HALF_SWATH_KM + 200, HALF_SWATH_KM - 200)
"""Cross-track range (km) of the ascending passes that can image a point."""


def from_pass(rng: np.random.Generator, orbit: int, dt: float, *, collection: str,
              product_type: str, regions: list[Region]) -> ProductSpec | None:
    """The granule (L2) or sunlit half orbit (L1B) of ``orbit`` at ``dt`` s after the node;
    ``None`` when it crosses the antimeridian."""
    level1 = product_type.startswith("L1B")
    if level1:
        # sunlit half orbit, 70 S .. 70 N
        u = math.asin(math.sin(math.radians(70)) / math.sin(math.radians(S5P.inclination)))
        t0 = -u / (2 * math.pi) * S5P.period
        duration = 2 * u / (2 * math.pi) * S5P.period
        steps = 60
    else:
        t0 = math.floor(dt / GRANULE_S) * GRANULE_S + float(rng.uniform(0, 8))
        duration = GRANULE_S + float(rng.uniform(-2, 12))
        steps = 12
    points = _outline(orbit, t0, t0 + duration, steps)
    if crosses_antimeridian(points):
        return None
    footprint = polygon(points)
    first = S5P.time_of(orbit, t0).replace(microsecond=0)
    last = (first + timedelta(seconds=duration)).replace(microsecond=0)
    mode = "OFFL" if level1 else "NRTI"
    created = (last + timedelta(hours=float(rng.uniform(10, 14) if level1
                                            else rng.uniform(0.6, 1.2)))).replace(microsecond=0)
    processor = L1B_PROCESSOR if level1 else PROCESSOR.get(product_type, "020600")
    name = (f"S5P_{mode}_{product_type}_{compact(first)}_{compact(last)}_{orbit:05d}_03_"
            f"{processor}_{compact(created)}")
    return ProductSpec(
        collection=collection,
        product_type=product_type,
        region=classify(footprint, regions),
        identifier=name,
        file_name=name + ".nc",
        platform="Sentinel-5P",
        satellite="S5P",
        instrument="TROPOMI",
        processing_level="Level-1B" if level1 else "Level-2",
        start=first,
        end=last,
        created=created,
        footprint=footprint,
        orbit=orbit,
        orbit_direction="ASCENDING",
        sensor_mode="STANDARD",
        seed=seed_of(name),
        params={"dt0": t0, "duration": duration, "mode": mode, "processor": processor},
    )


def _outline(orbit: int, t0: float, t1: float, steps: int) -> list[tuple[float, float]]:
    ts = np.linspace(t0, t1, steps + 1)
    # right edge forwards, then the left edge backwards: one vectorised call
    times = np.concatenate([ts, ts[::-1]])
    cross = np.concatenate([np.full(ts.shape, HALF_SWATH_KM), np.full(ts.shape, -HALF_SWATH_KM)])
    lon, lat = S5P.swath_point(np.full(times.shape, orbit), times, cross)
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


# Data -----------------------------------------------------------------------------------------


def _grid(spec: ProductSpec, scanlines: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    t = spec.params["dt0"] + spec.params["duration"] * np.linspace(0, 1, scanlines)
    cross = np.linspace(-HALF_SWATH_KM, HALF_SWATH_KM, pixels)
    tt, cc = np.meshgrid(t, cross, indexing="ij")
    return S5P.swath_point(np.full(tt.shape, spec.orbit), tt, cc)


def _field(spec: ProductSpec, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    base = fields.world(lon, lat, 40, 6.0, 3)
    plumes = fields.world(lon, lat, 41, 0.8, 3)
    day = fields.world(lon, lat, 42 + spec.seed % 1000, 2.0, 2)
    if spec.product_type == "L2__NO2___":
        value = 1.5e-5 + 2.0e-5 * base + 1.4e-4 * np.clip(plumes - 0.62, 0, None) / 0.38
        value *= 0.7 + 0.6 * day
    elif spec.product_type == "L2__CO____":
        value = 0.025 + 0.015 * base + 0.02 * np.clip(plumes - 0.6, 0, None) / 0.4
    else:
        value = -1.5 + 2.0 * base + 3.0 * np.clip(day - 0.6, 0, None) / 0.4
    return value.astype(np.float32)


# Metadata tree --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _template_tree(product_type: str) -> netcdf.Node:
    name = TEMPLATES.get(product_type, TEMPLATES["L2__NO2___"])
    return netcdf.read_tree(templating.template_path(f"sentinel5p/nc/{name}.nc"))


def _restamp(node: netcdf.Node, fix) -> netcdf.Node:
    out = netcdf.Node(node.name)
    for key, (code, value) in node.attributes.items():
        out.attributes[key] = (code, fix(key, code, value))
    for name, child in node.groups.items():
        out.groups[name] = _restamp(child, fix)
    return out


def _metadata(spec: ProductSpec, footprint_text: str, bounds: tuple[float, float, float, float]
              ) -> netcdf.Node:
    template_name = TEMPLATES.get(spec.product_type, TEMPLATES["L2__NO2___"])
    tree = _template_tree(spec.product_type)
    t_start = datetime.fromisoformat(
        str(tree.attributes["time_coverage_start"][1]).replace("Z", "+00:00"))
    delta = spec.start - t_start
    old_orbit = str(tree.attributes["orbit"][1])
    old_type = template_name[9:19]
    level1 = spec.product_type.startswith("L1B")
    tokens = {
        template_name: spec.identifier,
        f"orbit {old_orbit}": f"orbit {spec.orbit}",
        f"_{old_orbit}_": f"_{spec.orbit:05d}_",
        "S5P_OFFL_": f"S5P_{spec.params['mode']}_",
    }
    if level1:
        tokens[old_type] = spec.product_type
    pattern_items = sorted(tokens.items(), key=lambda kv: -len(kv[0]))
    lon_min, lat_min, lon_max, lat_max = bounds
    explicit: dict[str, Any] = {
        "id": spec.identifier,
        "time_coverage_start": spec.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_coverage_end": spec.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_coverage_duration": f"PT{(spec.end - spec.start).total_seconds():.3f}S",
        "GranuleStart": spec.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "GranuleEnd": spec.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gml:beginPosition": spec.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gml:endPosition": spec.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_created": spec.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_modified": spec.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eop:orbitNumber": str(spec.orbit),
        "orbit": int(spec.orbit or 0),
        "gml:posList": footprint_text,
        "eop:identifier": spec.identifier,
        "eop:processingDate": spec.created.strftime("%Y-%m-%d"),
        "eop:processingMode": spec.params["mode"],
        "File_Name": spec.identifier,
        "File_Class": spec.params["mode"],
        "ProcessingMode": "Near-realtime" if spec.params["mode"] == "NRTI" else "Offline",
        "processing_status": ("NRTI-processing product" if spec.params["mode"] == "NRTI"
                              else "OFFL-processing nominal product"),
        "geospatial_lat_min": float(lat_min), "geospatial_lat_max": float(lat_max),
        "geospatial_lon_min": float(lon_min), "geospatial_lon_max": float(lon_max),
        "gmd:westBoundLongitude": float(lon_min), "gmd:eastBoundLongitude": float(lon_max),
        "gmd:southBoundLatitude": float(lat_min), "gmd:northBoundLatitude": float(lat_max),
        "tracking_id": str(uuid.UUID(int=spec.seed << 64 | spec.seed, version=4)),
        "time_reference": spec.start.strftime("%Y-%m-%dT00:00:00Z"),
        "LongitudeOfDaysideNadirEquatorCrossing": _equator_longitude(spec),
    }
    if level1:
        band = spec.product_type[-3:]
        explicit.update({
            "ProductShortName": spec.product_type, "ProcessLevel": "1b",
            "title": f"TROPOMI/S5P Radiance Band {band[-1]} (demo, L1B)",
            "summary": f"TROPOMI/S5P Level 1B radiance, spectral band {band[-1]}",
            "source": "Sentinel 5 precursor, TROPOMI, space-borne remote sensing, L1B",
        })
    code = spec.params["processor"]
    version = f"{int(code[0:2])}.{int(code[2:4])}.{int(code[4:6])}"
    for key in ("ProcessorVersion", "processor_version", "eop:processorVersion"):
        explicit[key] = version
    day0 = spec.start.replace(hour=0, minute=0, second=0, microsecond=0)
    explicit["time_reference_seconds_since_1970"] = int(day0.timestamp())
    explicit["time_reference_days_since_1950"] = (day0.date() - datetime(1950, 1, 1).date()).days
    explicit["time_reference_julian_day"] = day0.timestamp() / 86400.0 + 2440587.5

    def fix(key: str, code: int, value: Any) -> Any:
        if key in explicit:
            new = explicit[key]
            if code in (netcdf.NC_CHAR, netcdf.NC_STRING):
                return str(new)
            return new
        if isinstance(value, str):
            moved = templating.shift_value(value, delta)
            if moved is not None:
                return moved
            for old, repl in pattern_items:
                if old in value:
                    value = value.replace(old, repl)
        return value

    return _restamp(tree, fix)


def _equator_longitude(spec: ProductSpec) -> float:
    lon, _ = S5P.ground_point(np.array([spec.orbit]), np.array([0.0]))
    return float(lon[0])


# Writing --------------------------------------------------------------------------------------


def write(spec: ProductSpec, out_dir: Path, raster_scale: float = 1.0, *,
          rasters: bool = True) -> Path:
    """Write the netCDF-4 file; ``rasters=False`` keeps only a minimal latitude/longitude grid
    in ``/PRODUCT`` (no geophysical variable, no qa_value) beside the full metadata."""
    path = out_dir / spec.file_name
    level1 = spec.product_type.startswith("L1B")
    if rasters:
        scanlines = max(8, int(round(SCANLINES * raster_scale * (4 if level1 else 1))))
        pixels = max(8, int(round(GROUND_PIXELS * raster_scale)))
    else:
        scanlines = pixels = 8
    lon, lat = _grid(spec, scanlines, pixels)
    coords = list(spec.footprint.exterior.coords)
    footprint_text = " ".join(f"{la:.7g} {lo:.7g}" for lo, la in coords)
    bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    meta = _metadata(spec, footprint_text, bounds)
    if not netcdf.available():
        return _write_flat(spec, path, meta, lon, lat)
    tmp = path.with_name(path.name + ".part")
    with netcdf.create(tmp) as nc:
        root = nc.root()
        root.attributes(meta.attributes)
        product = nc.sub(root, "PRODUCT")
        dt = product.dimension("time", 1)
        ds = product.dimension("scanline", scanlines)
        dp = product.dimension("ground_pixel", pixels)
        dc = product.dimension("corner", 4)
        product.variable("scanline", np.arange(scanlines, dtype=np.int32), [ds], {
            "units": "1", "axis": "Y", "long_name": "along-track dimension index"})
        product.variable("ground_pixel", np.arange(pixels, dtype=np.int32), [dp], {
            "units": "1", "axis": "X", "long_name": "across-track dimension index"})
        day = spec.start.replace(hour=0, minute=0, second=0, microsecond=0)
        epoch = datetime(2010, 1, 1, tzinfo=spec.start.tzinfo)
        seconds = np.array([int((day - epoch).total_seconds())], dtype=np.int32)
        product.variable("time", seconds, [dt], {
            "units": "seconds since 2010-01-01 00:00:00", "standard_name": "time",
            "axis": "T", "long_name": "reference time for the measurements"})
        product.variable("corner", np.arange(4, dtype=np.int32), [dc], {
            "units": "1", "long_name": "pixel corner index"})
        product.variable("latitude", lat[None].astype(np.float32), [dt, ds, dp], {
            "long_name": "pixel center latitude", "units": "degrees_north",
            "standard_name": "latitude", "valid_min": np.float32(-90.0),
            "valid_max": np.float32(90.0)}, fill=FILL)
        product.variable("longitude", lon[None].astype(np.float32), [dt, ds, dp], {
            "long_name": "pixel center longitude", "units": "degrees_east",
            "standard_name": "longitude", "valid_min": np.float32(-180.0),
            "valid_max": np.float32(180.0)}, fill=FILL)
        if rasters and not level1:
            name, units, standard = MAIN_VARIABLE[spec.product_type]
            value = _field(spec, lon, lat)
            product.variable(name, value[None], [dt, ds, dp], {
                "units": units, "standard_name": standard,
                "coordinates": "longitude latitude", "ancillary_variables": "qa_value"},
                fill=FILL)
            qa = np.full((1, scanlines, pixels), 100, dtype=np.uint8)
            qa[0, :, :2] = 50
            qa[0, :, -2:] = 50
            product.variable("qa_value", qa, [dt, ds, dp], {
                "units": "1", "scale_factor": np.float32(0.01), "add_offset": np.float32(0),
                "valid_min": np.uint8(0), "valid_max": np.uint8(100),
                "long_name": "data quality value", "coordinates": "longitude latitude"},
                fill=np.uint8(255))
        for group_name in ("METADATA",):
            if group_name in meta.groups:
                g = nc.sub(root, group_name)
                g.attributes(meta.groups[group_name].attributes)
                netcdf.write_tree(nc, g, meta.groups[group_name])
    tmp.replace(path)
    return path


def _write_flat(spec: ProductSpec, path: Path, meta: netcdf.Node, lon: np.ndarray,
                lat: np.ndarray) -> Path:  # pragma: no cover - only without libnetcdf
    """Deviation when no netCDF-C library is reachable: one flat NC4 file via GDAL."""
    import rasterio

    value = _field(spec, lon, lat) if not spec.product_type.startswith("L1B") else lat
    tags = {k: str(v[1]) for k, v in meta.attributes.items()}
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(
        path, "w", driver="netCDF", width=value.shape[1], height=value.shape[0], count=1,
        dtype="float32", FORMAT="NC4",
    ) as dst:
        dst.update_tags(**tags)
        dst.write(value.astype(np.float32), 1)
    return path
