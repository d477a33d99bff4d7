"""Sentinel-3 demo products (SEN3 folders with xfdumanifest.xml).

Frames are 180 s of a pass (the product name's along-track coordinate is the frame start in
seconds after the ascending node); stripes (ERR, AOD, VGP) cover the sunlit half orbit. OLCI
products (EFR/ERR) carry the netCDF files a browse needs: Oa04/Oa06/Oa08 radiances and
geo_coordinates.nc, laid out as in the OLCI Level-1 product format (no sample netCDF was
available; variables and attributes follow the product specification). The other types are
metadata-only, like the metadata samples they come from.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ogc_server.archive.model import Region
from ogc_server.demo import fields, netcdf, templating
from ogc_server.demo.orbits import FLEET, Orbit
from ogc_server.demo.sentinel2 import update_data_objects
from ogc_server.demo.spec import (
    ProductSpec,
    classify,
    crosses_antimeridian,
    polygon,
    seed_of,
    sun_angles,
    utc,
)
from ogc_server.demo.templating import compact, iso

FRAME_S = 180.0

TEMPLATES: dict[str, dict[str, str]] = {
    "OL_1_EFR___": {"name": "S3A_OL_1_EFR____20211021T073827_20211021T074112_20211021T091357_"
                            "0164_077_334_4320_LN1_O_NR_002"},
    "OL_1_ERR___": {"name": "S3B_OL_1_ERR____20210831T200148_20210831T204600_20210902T011514_"
                            "2652_056_242______LN1_O_NT_002"},
    "SL_2_LST___": {"name": "S3A_SL_2_LST____20210510T002955_20210510T003255_20210511T101010_"
                            "0179_071_301_5760_LN2_O_NT_004"},
    "SL_2_FRP___": {"name": "S3A_SL_2_FRP____20210802T000420_20210802T000720_20210803T123912_"
                            "0179_074_344_2880_LN2_O_NT_004"},
    "SY_2_SYN___": {"name": "S3A_SY_2_SYN____20210325T005418_20210325T005718_20210325T142858_"
                            "0180_070_031_1620_LN2_O_ST_002"},
    "SY_2_AOD___": {"name": "S3B_SY_2_AOD____20210512T143315_20210512T151738_20210514T064157_"
                            "2663_052_196______LN2_O_NT_002"},
    "SY_2_VGP___": {"name": "S3A_SY_2_VGP____20210703T142237_20210703T150700_20210703T211742_"
                            "2663_073_310______LN2_O_ST_002"},
}
STRIPES = {"OL_1_ERR___": 2652.0, "SY_2_AOD___": 2663.0, "SY_2_VGP___": 2663.0}
#: swath edges in km right (+) and left (-) of the ground track
SWATH = {"OL": (760.0, -510.0), "SL": (750.0, -650.0), "SY": (760.0, -510.0)}
INSTRUMENT = {"OL": "OLCI", "SL": "SLSTR", "SY": "SYNERGY"}
LEVEL = {"OL": "Level-1", "SL": "Level-2", "SY": "Level-2"}
LATENCY_H = {"NR": (1.5, 3.0), "ST": (20.0, 40.0), "NT": (40.0, 60.0)}
NSSDC = {"S3A": "2016-011A", "S3B": "2018-039A"}
OLCI_BANDS = {"Oa04": (490.0, 1929.0), "Oa06": (560.0, 1800.0), "Oa08": (665.0, 1524.0)}
"""Band: (centre wavelength nm, mean solar irradiance mW m-2 nm-1)."""
EFR_SIZE = (200, 243)
ERR_SIZE = (800, 100)


def latency(product_type: str) -> float:
    """Upper bound of the hours between sensing and production (the product's timeliness)."""
    suffix = TEMPLATES[product_type]["name"].split("_")[-2]
    return LATENCY_H[suffix][1]


def _template_dir(product_type: str) -> str:
    return f"sentinel3/{TEMPLATES[product_type]['name']}.SEN3"


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
    ascending, cross_km = pass_options(product_type)
    candidates: list[tuple[Orbit, int, float]] = []
    for sat in FLEET["Sentinel-3"]:
        for orbit, dt, _ in sat.passes(lon, lat, start, stop, ascending=ascending,
                                       cross_km=cross_km):
            candidates.append((sat, orbit, dt))
    if not candidates:
        return None
    sat, orbit, dt = candidates[int(rng.integers(len(candidates)))]
    return from_pass(rng, sat, orbit, dt, collection=collection, product_type=product_type,
                     regions=regions)


def pass_options(product_type: str) -> tuple[bool | None, tuple[float, float]]:
    """(ascending or None for both, cross-track km range) of the passes that can image a
    point for ``product_type``."""
    right, left = SWATH[product_type[:2]]
    night_ok = product_type in ("SL_2_LST___", "SL_2_FRP___")
    return (None if night_ok else False), (left + 150, right - 150)


def from_pass(rng: np.random.Generator, sat: Orbit, orbit: int, dt: float, *, collection: str,
              product_type: str, regions: list[Region]) -> ProductSpec | None:
    """The frame (or half-orbit stripe) of ``sat``'s pass on ``orbit`` at ``dt`` s after the
    node; ``None`` when it crosses the antimeridian."""
    family = product_type[:2]
    right, left = SWATH[family]
    stripe = product_type in STRIPES
    ascending = bool(sat.is_ascending(np.array([dt]))[0])
    if stripe:
        duration = STRIPES[product_type] + float(rng.uniform(-3, 3))
        t0 = sat.period * 0.25 + 0.5 * (sat.period * 0.5 - duration)  # centred on the day side
        t0 += float(rng.uniform(-20, 20))
        frame = None
    else:
        frame = math.floor(dt / FRAME_S) * FRAME_S
        t0 = frame + float(rng.uniform(0, 1.5))
        duration = FRAME_S - 1.0 if family != "SY" else FRAME_S
    points = _outline(sat, orbit, t0, t0 + duration, right, left, 12 if not stripe else 40)
    if crosses_antimeridian(points):
        return None
    footprint = polygon(points)
    first = sat.time_of(orbit, t0)
    last = first + timedelta(seconds=duration)
    template_name = TEMPLATES[product_type]["name"]
    suffix = "_".join(template_name.split("_")[-4:])  # e.g. LN1_O_NR_002
    timeliness = template_name.split("_")[-2]
    lo, hi = LATENCY_H[timeliness]
    created = (last + timedelta(hours=float(rng.uniform(lo, hi)))).replace(microsecond=0)
    rel = sat.relative_orbit(orbit)
    frame_text = f"{int(frame):04d}" if frame is not None else "____"
    name = (f"{sat.satellite}_{product_type}_{compact(first)}_{compact(last)}_{compact(created)}_"
            f"{int(round(duration)):04d}_{sat.cycle(orbit):03d}_{rel:03d}_{frame_text}_{suffix}")
    return ProductSpec(
        collection=collection,
        product_type=product_type,
        region=classify(footprint, regions),
        identifier=name,
        file_name=name + ".SEN3",
        platform="Sentinel-3",
        satellite=sat.satellite,
        instrument=INSTRUMENT[family],
        processing_level=LEVEL[family],
        start=first,
        end=last,
        created=created,
        footprint=footprint,
        orbit=orbit,
        relative_orbit=rel,
        orbit_direction="ASCENDING" if ascending else "DESCENDING",
        sensor_mode="Earth Observation",
        seed=seed_of(name),
        params={
            "dt0": t0,
            "duration": duration,
            "frame": frame,
            "cycle": sat.cycle(orbit),
            "timeliness": timeliness,
        },
    )


def _outline(sat: Orbit, orbit: int, t0: float, t1: float, right: float, left: float,
             steps: int) -> list[tuple[float, float]]:
    ts = np.linspace(t0, t1, steps + 1)
    # right edge forwards, then the left edge backwards: one vectorised call
    times = np.concatenate([ts, ts[::-1]])
    cross = np.concatenate([np.full(ts.shape, right), np.full(ts.shape, left)])
    lon, lat = sat.swath_point(np.full(times.shape, orbit), times, cross)
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def _satellite(spec: ProductSpec) -> Orbit:
    return next(o for o in FLEET["Sentinel-3"] if o.satellite == spec.satellite)


# OLCI netCDF ----------------------------------------------------------------------------------


def _swath_grid(spec: ProductSpec, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    sat = _satellite(spec)
    right, left = SWATH["OL"]
    t = spec.params["dt0"] + spec.params["duration"] * np.linspace(0, 1, rows)
    # OLCI columns run west to east; on a descending pass west is to the right of the track
    cross = np.linspace(right, left, cols)
    if spec.orbit_direction == "ASCENDING":
        cross = cross[::-1]
    tt, cc = np.meshgrid(t, cross, indexing="ij")
    lon, lat = sat.swath_point(np.full(tt.shape, spec.orbit), tt, cc)
    return lon, lat


def _radiances(spec: ProductSpec, lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
    shape = lon.shape
    coarse = (max(shape[0] // 4, 2), max(shape[1] // 4, 2))
    clon = fields.upsample(lon, coarse)
    clat = fields.upsample(lat, coarse)
    cover = {k: fields.upsample(v, shape) for k, v in fields.land_cover(clon, clat).items()}
    rng = np.random.default_rng(spec.seed)
    fraction = float(rng.uniform(0.1, 0.7))
    cloud = fields.opacity(fields.upsample(fields.cloud_noise(clon, clat, spec.seed, 0.6), shape),
                           fraction)
    mid = spec.start + (spec.end - spec.start) / 2
    zen, _ = sun_angles(float(np.mean(lon)), float(np.mean(lat)), mid)
    mu = max(math.cos(math.radians(zen)), 0.15)
    spectra = {  # BOA reflectance at 490 / 560 / 665 nm
        "water": (0.045, 0.030, 0.012), "vegetation": (0.035, 0.070, 0.040),
        "soil": (0.090, 0.120, 0.160), "urban": (0.110, 0.120, 0.130),
    }
    out = {}
    for i, (band, (_, e0)) in enumerate(OLCI_BANDS.items()):
        refl = sum(cover[c] * s[i] for c, s in spectra.items())
        refl = refl * 0.9 + (0.08, 0.05, 0.03)[i]  # path radiance
        refl = refl * (1 - cloud) + 0.65 * cloud
        out[band] = refl * e0 * mu / math.pi
    return out


def _write_olci(spec: ProductSpec, root: Path, raster_scale: float) -> None:
    base = ERR_SIZE if spec.product_type == "OL_1_ERR___" else EFR_SIZE
    rows = max(8, int(round(base[0] * raster_scale)))
    cols = max(8, int(round(base[1] * raster_scale)))
    lon, lat = _swath_grid(spec, rows, cols)
    radiance = _radiances(spec, lon, lat)
    common = {
        "absolute_orbit_number": np.uint32(spec.orbit or 0),
        "ac_subsampling_factor": np.int32(64),
        "al_subsampling_factor": np.int32(1),
        "comment": " ",
        "contact": "eosupport@copernicus.esa.int",
        "creation_time": iso(spec.created, 0, "Z"),
        "history": "  2023-10-06T00:00:00Z: PUGCoreProcessor JobOrder.demo.xml",
        "institution": "LN1",
        "netCDF_version": "4.2 of Mar 13 2018 10:14:33 $",
        "product_name": spec.file_name,
        "references": "S3IPF PDS 004.1 - i2r1 - Product Data Format Specification - OLCI Level 1",
        "resolution": "[ 270 294 ]" if spec.product_type == "OL_1_EFR___" else "[ 1080 1176 ]",
        "source": "IPF-OL-1-EO 06.17",
        "start_time": iso(spec.start, 6, "Z"),
        "stop_time": iso(spec.end, 6, "Z"),
    }
    with netcdf.create(root / "geo_coordinates.nc") as nc:
        g = nc.root()
        g.attributes({**common, "title": "OLCI Level 1b Product, Geo Coordinates Data Set"})
        dr = g.dimension("rows", rows)
        dc = g.dimension("columns", cols)
        g.variable("altitude", np.zeros((rows, cols), np.int16), [dr, dc], {
            "_FillValue": np.int16(-32768), "long_name": "DEM corrected altitude",
            "standard_name": "altitude", "units": "m",
            "valid_max": np.int16(9000), "valid_min": np.int16(-1000)})
        g.variable("latitude", np.rint(lat * 1e6).astype(np.int32), [dr, dc], {
            "_FillValue": np.int32(-2147483648), "long_name": "DEM corrected latitude",
            "scale_factor": 1e-6, "standard_name": "latitude", "units": "degrees_north",
            "valid_max": np.int32(90000000), "valid_min": np.int32(-90000000)})
        g.variable("longitude", np.rint(lon * 1e6).astype(np.int32), [dr, dc], {
            "_FillValue": np.int32(-2147483648), "long_name": "DEM corrected longitude",
            "scale_factor": 1e-6, "standard_name": "longitude", "units": "degrees_east",
            "valid_max": np.int32(180000000), "valid_min": np.int32(-180000000)})
    for band, (wavelength, _) in OLCI_BANDS.items():
        scale = 0.01
        dn = np.clip(np.rint(radiance[band] / scale), 0, 65534).astype(np.uint16)
        with netcdf.create(root / f"{band}_radiance.nc") as nc:
            g = nc.root()
            g.attributes({**common,
                          "title": f"OLCI Level 1b Product, Radiance {band} Data Set"})
            dr = g.dimension("rows", rows)
            dc = g.dimension("columns", cols)
            g.variable(f"{band}_radiance", dn, [dr, dc], {
                "_FillValue": np.uint16(65535), "add_offset": 0.0,
                "ancillary_variables": f"{band}_radiance_err",
                "coordinates": "time_stamp altitude latitude longitude",
                "long_name": f"TOA radiance for OLCI acquisition band {band}",
                "scale_factor": scale, "standard_name": "toa_upwelling_spectral_radiance",
                "units": "mW.m-2.sr-1.nm-1", "valid_max": np.uint16(65534),
                "valid_min": np.uint16(0), "wavelength": wavelength,
            }, fill=np.uint16(65535))


# Writing --------------------------------------------------------------------------------------


def write(spec: ProductSpec, out_dir: Path, raster_scale: float = 1.0, *,
          rasters: bool = True) -> Path:
    """Write the SEN3 folder; ``rasters=False`` leaves out the OLCI netCDF files."""
    root = out_dir / spec.file_name
    root.mkdir(parents=True, exist_ok=True)
    if rasters and spec.product_type in ("OL_1_EFR___", "OL_1_ERR___") and netcdf.available():
        _write_olci(spec, root, raster_scale)
    template_name = TEMPLATES[spec.product_type]["name"]
    parts = template_name.split("_")
    times = [p for p in parts if len(p) == 15 and p[8] == "T"]
    man_template = f"{_template_dir(spec.product_type)}/xfdumanifest.xml"
    man = templating.load(man_template)
    template_start = templating.first(man, "startTime").text or ""
    delta = spec.start - utc(datetime.fromisoformat(template_start.rstrip("Z")))
    templating.replace_tokens(man, {template_name: spec.identifier})
    templating.shift_times(man, delta)
    templating.replace_tokens(man, {times[0]: compact(spec.start), times[1]: compact(spec.end),
                                    times[2]: compact(spec.created)})
    templating.set_text(man, "startTime", iso(spec.start, 6, "Z"), where=_has_text)
    templating.set_text(man, "stopTime", iso(spec.end, 6, "Z"), where=_has_text)
    templating.set_text(man, "productName", spec.file_name)
    templating.set_text(man, "creationTime", compact(spec.created))
    templating.set_text(man, "duration", str(int(round(spec.params["duration"]))),
                        required=False)
    if spec.params["frame"] is not None:
        templating.set_text(man, "alongtrackCoordinate", str(int(spec.params["frame"])),
                            required=False)
    templating.set_text(man, "nssdcIdentifier", NSSDC[spec.satellite], where=_has_text)
    templating.set_text(man, "number", spec.serial, where=lambda e: templating.local(
        e.getparent()) == "platform")
    direction = (spec.orbit_direction or "descending").lower()
    orbit = spec.orbit or 0
    rel = spec.relative_orbit or 0
    numbers = {
        "orbitNumber": orbit,
        "relativeOrbitNumber": rel,
        "passNumber": 2 * orbit - (1 if direction == "ascending" else 0),
        "relativePassNumber": 2 * rel - (1 if direction == "ascending" else 0),
    }
    for name, value in numbers.items():
        for e in templating.iter_local(man, name):
            if e.get("type") == "start" and e.text and e.text.strip():
                e.text = str(value)
                e.set("groundTrackDirection", direction)
    templating.set_text(man, "cycleNumber", str(spec.params["cycle"]), where=_has_text,
                        required=False)
    pos = " ".join(f"{lat:.6g} {lon:.6g}" for lon, lat in
                   list(spec.footprint.exterior.coords)[:-1])
    templating.set_text(man, "posList", pos)
    update_data_objects(man, root)
    templating.write(man, root / "xfdumanifest.xml", man_template)
    return root


def _has_text(element) -> bool:
    return bool(element.text and element.text.strip())

