"""Sentinel-1 IW demo products: GRD (with measurement rasters), SLC and OCN (metadata only).

A slice is 25 s of an IW pass: ~170 km along track, the swath from 362 km (incidence ~30.5
degrees) to 612 km (~46 degrees) right of the ground track. GRD measurements are uint16
amplitude TIFFs geolocated, like real GRD, by ground control points from the annotation's
geolocation grid (no geotransform).
"""

from __future__ import annotations

import math
import re
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import rasterio
from lxml import etree
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning

from ogc_server.archive.model import Region
from ogc_server.demo import fields, templating
from ogc_server.demo.orbits import EARTH_RADIUS_KM, FLEET, Orbit
from ogc_server.demo.sentinel2 import update_data_objects
from ogc_server.demo.spec import ProductSpec, classify, crc_hex, polygon, seed_of, utc
from ogc_server.demo.templating import compact, iso

NEAR_KM = 362.0
FAR_KM = 612.0
SLICE_S = 25.0
SLICE_PHASE_S = 1.684  # slice grid offset from the ascending node (sample product)
ALTITUDE_KM = 693.0
CALIBRATION_DB = 53.5
"""20 log10 of the sigma0 calibration constant A (sigma0 = DN^2 / A^2) used by the demo."""
LINES, SAMPLES = 400, 500
GRID_LINES, GRID_PIXELS = 10, 21

GRD = {
    "dir": "sentinel1/S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE",
    "name": "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8",
    "annotation": "annotation/s1a-iw-grd-vv-20210809t173953-20210809t174018-039156-049f13-001.xml",
    "start": "2021-08-09T17:39:53.153776",
    "stop": "20210809T174018",
    "orbit": "039156",
    "datatake": "049F13",
    "crc": "6FF8",
    "sl1": ("20210809T173951", "20210809T174021"),
    "kind": "grd",
}
SLC = {
    "dir": "sentinel1/S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4.SAFE",
    "name": "S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4",
    "start": "2021-04-01T05:26:22.396989",
    "stop": "20210401T052650",
    "orbit": "026269",
    "datatake": "032297",
    "crc": "EFA4",
    "sl1": ("20210401T052622", "20210401T052652"),
    "kind": "slc",
}
NSSDC = {"S1A": "2014-016A", "S1B": "2016-025A", "S1C": "2024-235A"}
DATATAKE_REF = {"S1A": (39156, 0x049F13), "S1C": (638, 0x000538)}


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
    candidates: list[tuple[Orbit, int, float]] = []
    for sat in FLEET["Sentinel-1"]:
        for orbit, dt, _ in sat.passes(lon, lat, start, stop, cross_km=(NEAR_KM + 30,
                                                                        FAR_KM - 30)):
            if sat.active(sat.time_of(orbit, dt)):
                candidates.append((sat, orbit, dt))
    if not candidates:
        return None
    sat, orbit, dt = candidates[int(rng.integers(len(candidates)))]
    return from_pass(rng, sat, orbit, dt, collection=collection, product_type=product_type,
                     regions=regions)


def from_pass(rng: np.random.Generator, sat: Orbit, orbit: int, dt: float, *, collection: str,
              product_type: str, regions: list[Region]) -> ProductSpec:
    """The slice of ``sat``'s pass on ``orbit`` that holds the moment ``dt`` s after the node."""
    k = math.floor((dt - SLICE_PHASE_S) / SLICE_S)
    t0 = k * SLICE_S + SLICE_PHASE_S + float(rng.uniform(-0.05, 0.05))
    duration = SLICE_S + (2.9 if product_type == "SLC" else 0.0)
    if product_type == "SLC":
        t0 -= 1.2
    first = sat.time_of(orbit, t0)
    last = first + timedelta(seconds=duration)
    ascending = bool(sat.is_ascending(np.array([dt]))[0])
    footprint = polygon(_corners(sat, orbit, t0, t0 + duration))
    ref_orbit, ref_id = DATATAKE_REF[sat.satellite]
    datatake = (ref_id + (orbit - ref_orbit) * 8 + int(rng.integers(0, 4))) & 0xFFFFFF
    slice_number = int(rng.integers(1, 14))
    total = slice_number + int(rng.integers(0, 10))
    created = (last + timedelta(hours=float(rng.uniform(1.0, 3.0)))).replace(microsecond=0)
    kind = {"GRD": "GRDH_1S", "SLC": "SLC__1S", "OCN": "OCN__2S"}[product_type]
    stem = (f"{sat.satellite}_IW_{kind}DV_{compact(first)}_{compact(last)}_{orbit:06d}"
            f"_{datatake:06X}")
    name = f"{stem}_{crc_hex(stem + str(created))}"
    return ProductSpec(
        collection=collection,
        product_type=product_type,
        region=classify(footprint, regions),
        identifier=name,
        file_name=name + ".SAFE",
        platform="Sentinel-1",
        satellite=sat.satellite,
        instrument="SAR-C",
        processing_level="Level-2" if product_type == "OCN" else "Level-1",
        start=first,
        end=last,
        created=created,
        footprint=footprint,
        orbit=orbit,
        relative_orbit=sat.relative_orbit(orbit),
        orbit_direction="ASCENDING" if ascending else "DESCENDING",
        sensor_mode="IW",
        seed=seed_of(name),
        params={
            "dt0": t0,
            "duration": duration,
            "datatake": datatake,
            "slice": slice_number,
            "total_slices": total,
            "polarisations": ("VV", "VH"),
            "cycle": sat.cycle(orbit),
        },
    )


def _corners(sat: Orbit, orbit: int, t0: float, t1: float) -> list[tuple[float, float]]:
    """Footprint like the manifest's: last-near, last-far, first-far, first-near."""
    lon, lat = sat.swath_point(np.full(4, orbit), np.array([t1, t1, t0, t0]),
                               np.array([NEAR_KM, FAR_KM, FAR_KM, NEAR_KM]))
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def _satellite(spec: ProductSpec) -> Orbit:
    return next(o for o in FLEET["Sentinel-1"] if o.satellite == spec.satellite)


# Geometry -------------------------------------------------------------------------------------


def geolocation_grid(spec: ProductSpec, lines: int, samples: int) -> dict[str, np.ndarray]:
    """Geolocation grid (GRID_LINES x GRID_PIXELS) in the demo raster's line/pixel space."""
    sat = _satellite(spec)
    t0 = spec.params["dt0"]
    dur = spec.params["duration"]
    line = np.linspace(0, lines - 1, GRID_LINES).round()
    pixel = np.linspace(0, samples - 1, GRID_PIXELS).round()
    ll, pp = np.meshgrid(line, pixel, indexing="ij")
    t = t0 + dur * ll / max(lines - 1, 1)
    cross = NEAR_KM + (FAR_KM - NEAR_KM) * pp / max(samples - 1, 1)
    lon, lat = sat.swath_point(np.full(t.shape, spec.orbit), t, cross)
    gamma = cross / EARTH_RADIUS_KM
    r_sat = EARTH_RADIUS_KM + ALTITUDE_KM
    look = np.arctan2(EARTH_RADIUS_KM * np.sin(gamma), r_sat - EARTH_RADIUS_KM * np.cos(gamma))
    incidence = look + gamma
    slant = np.sqrt(r_sat**2 + EARTH_RADIUS_KM**2 - 2 * r_sat * EARTH_RADIUS_KM * np.cos(gamma))
    return {
        "line": ll, "pixel": pp, "t": t, "lon": lon, "lat": lat,
        "incidence": np.degrees(incidence), "elevation": np.degrees(look),
        "slant_time": 2 * slant * 1000.0 / 299_792_458.0,
    }


def backscatter(spec: ProductSpec, grid: dict[str, np.ndarray], lines: int, samples: int
                ) -> dict[str, np.ndarray]:
    """uint16 amplitude per polarisation, with land/water contrast and speckle."""
    lon = fields.upsample(grid["lon"], (max(lines // 4, 2), max(samples // 4, 2)))
    lat = fields.upsample(grid["lat"], lon.shape)
    cover = {k: fields.upsample(v, (lines, samples)) for k, v in
             fields.land_cover(lon, lat).items()}
    incidence = fields.upsample(grid["incidence"], (lines, samples))
    wind = fields.upsample(fields.world(lon, lat, 20 + spec.seed % 997, 0.5, 3), (lines, samples))
    rng = np.random.default_rng(spec.seed)
    sigma_db = {
        "VV": {"water": -24 + 8 * wind, "vegetation": -9.5, "soil": -12.5, "urban": -3.0},
        "VH": {"water": -30 + 6 * wind, "vegetation": -15.5, "soil": -20.0, "urban": -11.0},
    }
    out = {}
    for pol in spec.params["polarisations"]:
        linear = np.zeros((lines, samples))
        for cls, db in sigma_db[pol].items():
            linear += cover[cls] * 10 ** ((db - 0.12 * (incidence - 37.0)) / 10)
        speckle = rng.gamma(4.4, 1 / 4.4, size=(lines, samples))
        dn = np.sqrt(linear * speckle) * 10 ** (CALIBRATION_DB / 20)
        out[pol] = np.clip(np.rint(dn), 1, 65535).astype(np.uint16)
    return out


# Writing --------------------------------------------------------------------------------------


def _names(spec: ProductSpec) -> dict[str, str]:
    low = spec.satellite.lower()
    kind = {"GRD": "grd", "SLC": "slc", "OCN": "ocn"}[spec.product_type]
    return {
        "low": low,
        "kind": kind,
        "start": compact(spec.start).lower(),
        "stop": compact(spec.end).lower(),
        "orbit": f"{spec.orbit:06d}",
        "datatake": f"{spec.params['datatake']:06x}",
    }


def write(spec: ProductSpec, out_dir: Path, raster_scale: float = 1.0, *,
          rasters: bool = True) -> Path:
    """Write the SAFE folder; ``rasters=False`` leaves out the measurement TIFFs (the GRD
    annotation files are still written: they are metadata)."""
    tpl = SLC if spec.product_type == "SLC" else GRD
    root = out_dir / spec.file_name
    root.mkdir(parents=True, exist_ok=True)
    n = _names(spec)
    datatake = spec.params["datatake"]
    template_start = utc(datetime.fromisoformat(tpl["start"]))
    delta = spec.start - template_start
    t_start, t_stop = re.findall(r"\d{8}t\d{6}", tpl["name"].lower())[:2]
    tokens = {
        tpl["name"]: spec.identifier,
        tpl["name"][:3] + "_": spec.satellite + "_",
        tpl["name"][:3].lower() + "-iw": n["low"] + "-iw",
        tpl["name"][:3].lower() + "iw": n["low"] + "iw",
        f"-iw-{tpl['kind']}-": f"-iw-{n['kind']}-",
        f"iw{tpl['kind']}": f"iw{n['kind']}",
        t_start: n["start"],
        t_stop: n["stop"],
        tpl["orbit"]: n["orbit"],
        tpl["datatake"].lower(): n["datatake"],
        tpl["datatake"]: n["datatake"].upper(),
        tpl["stop"]: compact(spec.end),
    }
    if tpl["sl1"]:
        tokens[tpl["sl1"][0]] = compact(spec.start - timedelta(seconds=2))
        tokens[tpl["sl1"][1]] = compact(spec.end + timedelta(seconds=3))
    # per-swath SLC file names carry their own start/stop seconds
    if spec.product_type == "SLC":
        for old in ("20210401t052624", "20210401t052623", "20210401t052622"):
            tokens[old] = compact(spec.start + timedelta(seconds=1)).lower()
        for old in ("20210401t052649", "20210401t052650", "20210401t052648"):
            tokens[old] = compact(spec.end - timedelta(seconds=1)).lower()
    files_written = False
    if spec.product_type == "GRD":
        _write_grd_data(spec, root, raster_scale, delta, rasters=rasters)
        files_written = True

    man_template = f"{tpl['dir']}/manifest.safe"
    man = templating.load(man_template)
    templating.replace_tokens(man, tokens)
    templating.shift_times(man, delta)
    sat = _satellite(spec)
    templating.set_text(man, "startTime", iso(spec.start))
    templating.set_text(man, "stopTime", iso(spec.end))
    templating.set_text(man, "orbitNumber", str(spec.orbit))
    templating.set_text(man, "relativeOrbitNumber", str(spec.relative_orbit))
    templating.set_text(man, "cycleNumber", str(spec.params["cycle"]))
    templating.set_text(man, "pass", spec.orbit_direction or "")
    templating.set_text(man, "ascendingNodeTime", iso(sat.anx_time(spec.orbit or 0)))
    templating.set_text(man, "nssdcIdentifier", NSSDC[spec.satellite])
    templating.set_text(man, "number", spec.serial, where=lambda e: e.getparent() is not None
                        and templating.local(e.getparent()) == "platform")
    templating.set_text(man, "missionDataTakeID", str(datatake))
    templating.set_text(man, "sliceNumber", str(spec.params["slice"]))
    templating.set_text(man, "totalSlices", str(spec.params["total_slices"]))
    anx = sat.anx_time(spec.orbit or 0)
    templating.set_text(man, "startTimeANX",
                        f"{(spec.start - anx).total_seconds() * 1000:.6e}")
    templating.set_text(man, "stopTimeANX", f"{(spec.end - anx).total_seconds() * 1000:.6e}")
    templating.set_text(man, "coordinates", " ".join(
        f"{lat:.6f},{lon:.6f}" for lon, lat in list(spec.footprint.exterior.coords)[:-1]))
    templating.set_text(man, "productType", spec.product_type)
    if spec.product_type == "OCN":
        _level2(man)
    if files_written:
        update_data_objects(man, root)
    templating.write(man, root / "manifest.safe", man_template)
    return root


def _level2(man: etree._ElementTree) -> None:
    """OCN: the product information is the Level-2 one (no real OCN template available)."""
    root = man.getroot()
    l1 = root.nsmap.get("s1sarl1")
    l2 = root.nsmap.get("s1sarl2")
    for info in list(templating.iter_local(man, "standAloneProductInformation")):
        for element in info.iter():
            if isinstance(element.tag, str) and l1 and l2 and element.tag.startswith(f"{{{l1}}}"):
                element.tag = f"{{{l2}}}" + templating.local(element)
    templating.set_text(man, "productClassDescription", "SAR Standard L2 Product")
    for cu in templating.iter_local(man, "contentUnit"):
        if cu.get("textInfo", "").startswith("Sentinel-1 IW Level-1"):
            cu.set("textInfo", "Sentinel-1 IW Level-2 OCN Product")


def _write_grd_data(spec: ProductSpec, root: Path, raster_scale: float,
                    delta: timedelta, *, rasters: bool = True) -> None:
    lines = max(16, int(round(LINES * raster_scale)))
    samples = max(16, int(round(SAMPLES * raster_scale)))
    grid = geolocation_grid(spec, lines, samples)
    amplitude = backscatter(spec, grid, lines, samples) if rasters else {}
    n = _names(spec)
    sat = _satellite(spec)
    heading = float(sat.heading(np.array([spec.orbit]), np.array([spec.params["dt0"]]))[0])
    for index, pol in enumerate(spec.params["polarisations"], start=1):
        stem = (f"{n['low']}-iw-grd-{pol.lower()}-{n['start']}-{n['stop']}-{n['orbit']}-"
                f"{n['datatake']}-{index:03d}")
        if rasters:
            _write_tiff(root / "measurement" / f"{stem}.tiff", amplitude[pol], grid, spec)
        ann_template = f"{GRD['dir']}/{GRD['annotation']}"
        ann = templating.load(ann_template, _slim_annotation)
        templating.shift_times(ann, delta)
        _annotation(ann, spec, pol, index, grid, lines, samples, heading, amplitude.get(pol))
        templating.write(ann, root / "annotation" / f"{stem}.xml", ann_template)


def _write_tiff(path: Path, data: np.ndarray, grid: dict[str, np.ndarray],
                spec: ProductSpec) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gcps = [
        GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=0.0,
                           id=str(i + 1))
        for i, (r, c, x, y) in enumerate(zip(grid["line"].ravel(), grid["pixel"].ravel(),
                                             grid["lon"].ravel(), grid["lat"].ravel(),
                                             strict=True))
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(
            path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
            dtype="uint16",
        ) as dst:
            dst.gcps = (gcps, CRS.from_epsg(4326))
            dst.update_tags(
                TIFFTAG_IMAGEDESCRIPTION=f"Sentinel-1{spec.serial} IW GRD HR L1",
                TIFFTAG_SOFTWARE="Sentinel-1 IPF 003.91",
                TIFFTAG_DATETIME=spec.created.strftime("%Y:%m:%d %H:%M:%S"),
            )
            dst.write(data, 1)


def _trim(tree: etree._ElementTree, names: tuple[str, ...], keep: int = 2) -> None:
    """Shorten long per-burst lists (the demo keeps the structure, not the volume)."""
    for name in names:
        for lst in list(templating.iter_local(tree, name)):
            children = [c for c in lst if isinstance(c.tag, str)]
            if len(children) <= keep:
                continue
            closing = children[-1].tail
            for child in children[keep:]:
                lst.remove(child)
            if keep:
                children[keep - 1].tail = closing
            if lst.get("count") is not None:
                lst.set("count", str(keep))


_LONG_LISTS = ("antennaPatternList", "dcEstimateList", "noiseList", "coordinateConversionList",
               "azimuthFmRateList", "replicaInformationList", "rawDataAnalysisList",
               "downlinkInformationList", "fineDceList")


def _slim_annotation(tree: etree._ElementTree) -> None:
    """What :func:`_annotation` shortens anyway, shortened once in the template: the long
    lists, and the geolocation grid (rebuilt for each product) down to one point."""
    _trim(tree, _LONG_LISTS)
    grid = templating.first(tree, "geolocationGridPointList")
    points = [c for c in grid if isinstance(c.tag, str)]
    for point in points[1:]:
        grid.remove(point)


def _annotation(ann: etree._ElementTree, spec: ProductSpec, pol: str, index: int,
                grid: dict[str, np.ndarray], lines: int, samples: int, heading: float,
                data: np.ndarray | None) -> None:
    """Re-stamp a GRD annotation; without ``data`` (no raster written) the image statistics
    keep the template's values."""
    sat = _satellite(spec)
    _trim(ann, _LONG_LISTS)
    header = templating.first(ann, "adsHeader")
    templating.set_text(header, "missionId", spec.satellite)
    templating.set_text(header, "productType", "GRD")
    templating.set_text(header, "polarisation", pol)
    templating.set_text(header, "startTime", iso(spec.start))
    templating.set_text(header, "stopTime", iso(spec.end))
    templating.set_text(header, "absoluteOrbitNumber", str(spec.orbit))
    templating.set_text(header, "missionDataTakeId", str(spec.params["datatake"]))
    templating.set_text(header, "imageNumber", f"{index:03d}")
    templating.set_text(ann, "pass", (spec.orbit_direction or "").title())
    templating.set_text(ann, "platformHeading", f"{heading:.15e}")
    info = templating.first(ann, "imageInformation")
    templating.set_text(info, "productFirstLineUtcTime", iso(spec.start))
    templating.set_text(info, "productLastLineUtcTime", iso(spec.end))
    templating.set_text(info, "ascendingNodeTime", iso(sat.anx_time(spec.orbit or 0)))
    templating.set_text(info, "sliceNumber", str(spec.params["slice"]))
    templating.set_text(info, "numberOfSamples", str(samples))
    templating.set_text(info, "numberOfLines", str(lines))
    templating.set_text(info, "rangePixelSpacing", f"{(FAR_KM - NEAR_KM) * 1000 / samples:.6e}")
    along_km = _satellite(spec).ground_speed() * spec.params["duration"]
    templating.set_text(info, "azimuthPixelSpacing", f"{along_km * 1000 / lines:.6e}")
    templating.set_text(info, "azimuthTimeInterval", f"{spec.params['duration'] / lines:.15e}")
    mid = float(grid["incidence"][:, GRID_PIXELS // 2].mean())
    templating.set_text(info, "incidenceAngleMidSwath", f"{mid:.15e}")
    templating.set_text(info, "slantRangeTime", f"{float(grid['slant_time'][0, 0]):.15e}")
    if data is not None:
        stats = templating.first(info, "imageStatistics")
        res = list(templating.iter_local(stats, "re"))
        res[0].text = f"{float(data.mean()):.6e}"
        res[1].text = f"{float(data.std()):.6e}"
    # geolocation grid
    lst = templating.first(ann, "geolocationGridPointList")
    template_point = next(c for c in lst if isinstance(c.tag, str))
    for child in list(lst):
        lst.remove(child)
    lst.text = "\n        "
    ns = etree.QName(template_point).namespace
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    count = 0
    for i in range(grid["line"].shape[0]):
        for j in range(grid["line"].shape[1]):
            point = etree.SubElement(lst, q("geolocationGridPoint"))
            point.text = "\n          "
            moment = sat.time_of(spec.orbit or 0, float(grid["t"][i, j]))
            values = [
                ("azimuthTime", iso(moment)),
                ("slantRangeTime", f"{float(grid['slant_time'][i, j]):.15e}"),
                ("line", str(int(grid["line"][i, j]))),
                ("pixel", str(int(grid["pixel"][i, j]))),
                ("latitude", f"{float(grid['lat'][i, j]):.15e}"),
                ("longitude", f"{float(grid['lon'][i, j]):.15e}"),
                ("height", "0.000000000000000e+00"),
                ("incidenceAngle", f"{float(grid['incidence'][i, j]):.15e}"),
                ("elevationAngle", f"{float(grid['elevation'][i, j]):.15e}"),
            ]
            for k, (name, value) in enumerate(values):
                e = etree.SubElement(point, q(name))
                e.text = value
                e.tail = "\n          " if k < len(values) - 1 else "\n        "
            point.tail = "\n        "
            count += 1
    if len(lst):
        lst[-1].tail = "\n      "
    lst.set("count", str(count))
