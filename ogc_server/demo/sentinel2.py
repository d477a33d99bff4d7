"""Sentinel-2 MSI Level-1C and Level-2A demo products (SAFE, one MGRS tile each)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from lxml import etree
from shapely.geometry import Polygon

from ogc_server.archive.model import Region
from ogc_server.demo import fields, mgrs, templating
from ogc_server.demo.orbits import FLEET, Orbit
from ogc_server.demo.spec import (
    ProductSpec,
    classify,
    crosses_antimeridian,
    polygon,
    random_point,
    seed_of,
    sun_angles,
)
from ogc_server.demo.templating import compact, iso

FULL_PIXELS = 549
"""Demo band size at raster scale 1: 200 m pixels over the 109.8 km tile (real: 10 980)."""
BANDS = ("B02", "B03", "B04", "B08")
SWATH_HALF_KM = 140.0

L1C = {
    "dir": "sentinel2/S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248.SAFE",
    "name": "S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248",
    "granule": "L1C_T46RER_A032448_20210908T043714",
    "mtd": "MTD_MSIL1C.xml",
    "datatake": "20210908T042701",
    "datastrip": "20210908T043714",
    "generation": "20210908T070248",
    "l1c_generation": None,
    "tile": "46RER",
    "orbit": "032448",
    "relative": "133",
    "baseline": "03.01",
    "start": "2021-09-08T04:27:01.024",
}
L2A = {
    "dir": "sentinel2/S2A_MSIL2A_20230625T234621_N0509_R073_T01WCS_20230626T022157.SAFE",
    "name": "S2A_MSIL2A_20230625T234621_N0509_R073_T01WCS_20230626T022157",
    "granule": "L2A_T01WCS_A041826_20230625T234624",
    "mtd": "MTD_MSIL2A.xml",
    "datatake": "20230625T234621",
    "datastrip": "20230625T234624",
    "generation": "20230626T022157",
    "l1c_generation": "20230626T011008",
    "tile": "01WCS",
    "orbit": "041826",
    "relative": "073",
    "baseline": "05.09",
    "start": "2023-06-25T23:46:21.024",
}

# Spectra (reflectance) of the demo land cover, bands B02, B03, B04, B08 (bottom of atmosphere)
SPECTRA = {
    "water": (0.055, 0.045, 0.028, 0.014),
    "vegetation": (0.030, 0.062, 0.034, 0.340),
    "soil": (0.085, 0.115, 0.150, 0.245),
    "urban": (0.110, 0.118, 0.128, 0.175),
}
CLOUD = (0.62, 0.61, 0.60, 0.60)
PATH_RADIANCE = (0.075, 0.048, 0.030, 0.012)  # added at the top of the atmosphere (L1C)


def baseline_for(moment: datetime) -> str:
    """Processing baseline of products sensed at ``moment`` (operational history)."""
    day = moment.strftime("%Y-%m-%d")
    if day < "2022-12-06":
        return "04.00"
    if day < "2023-12-13":
        return "05.09"
    if day < "2024-07-23":
        return "05.10"
    return "05.11"


# Planning -------------------------------------------------------------------------------------

KNOWN_TILES = {"central_europe": ("32UPU", "33UUP", "31UFT", "32UNE", "33UVS")}


def tile_pool(rng: np.random.Generator, regions: list[Region], per_region: int = 8,
              attempts_limit: int = 500) -> dict[str, list[str]]:
    """Tiles to image repeatedly, per region (each tile wholly classified into its region).

    A region smaller than ``per_region`` tiles gets the tiles found in ``attempts_limit``
    random draws.
    """
    pools: dict[str, list[str]] = {}
    for region in regions:
        chosen: list[str] = []
        for tid in KNOWN_TILES.get(region.key, ()):
            if _tile_region(tid, regions) == region.key:
                chosen.append(tid)
        attempts = 0
        while len(chosen) < per_region and attempts < attempts_limit:
            attempts += 1
            lon, lat = random_point(rng, region, regions, lat_limit=70.0)
            tid = mgrs.tile_of(lon, lat).id
            if tid not in chosen and _tile_region(tid, regions) == region.key:
                chosen.append(tid)
        pools[region.key] = chosen
    return pools


def _tile_region(tile_id: str, regions: list[Region]) -> str | None:
    points = mgrs.tile(tile_id).corners_lonlat()
    if crosses_antimeridian(points):
        return None
    return classify(polygon(points), regions)


def tile_footprint(tile_id: str) -> Polygon:
    """The lon/lat outline of a tile (its four corners)."""
    return polygon(mgrs.tile(tile_id).corners_lonlat())


def plan(
    rng: np.random.Generator,
    *,
    collection: str,
    product_type: str,
    tile_id: str,
    start: datetime,
    stop: datetime,
    regions: list[Region],
) -> ProductSpec | None:
    t = mgrs.tile(tile_id)
    lon, lat = t.center_lonlat()
    candidates: list[tuple[Orbit, int, float]] = []
    for sat in FLEET["Sentinel-2"]:
        for orbit, dt, _ in sat.passes(lon, lat, start, stop, ascending=False,
                                       cross_km=(-SWATH_HALF_KM, SWATH_HALF_KM)):
            if sat.active(sat.time_of(orbit, dt)):
                candidates.append((sat, orbit, dt))
    if not candidates:
        return None
    sat, orbit, dt = candidates[int(rng.integers(len(candidates)))]
    return from_pass(rng, sat, orbit, dt, collection=collection, product_type=product_type,
                     tile_id=tile_id, regions=regions)


def from_pass(rng: np.random.Generator, sat: Orbit, orbit: int, dt: float, *, collection: str,
              product_type: str, tile_id: str, regions: list[Region],
              footprint: Polygon | None = None) -> ProductSpec:
    """The product of ``tile_id`` imaged by ``sat`` on ``orbit``, ``dt`` s after the node.

    ``footprint`` may pass the tile's outline when the caller has it already.
    """
    tile_time = sat.time_of(orbit, dt)
    datatake = tile_time - timedelta(seconds=float(rng.uniform(20, 400)))
    datatake = datatake.replace(microsecond=24_000)
    level2 = product_type == "S2MSI2A"
    generation = tile_time + timedelta(hours=float(rng.uniform(1.5, 4.0) if level2
                                                     else rng.uniform(0.8, 2.5)))
    generation = generation.replace(microsecond=0)
    baseline = baseline_for(tile_time)
    u = float(rng.random())
    cloud = (rng.uniform(0, 10) if u < 0.35 else rng.uniform(10, 60) if u < 0.7
             else rng.uniform(60, 100))
    cloud = round(float(cloud), 4)
    if footprint is None:
        footprint = tile_footprint(tile_id)
    level = "MSIL2A" if level2 else "MSIL1C"
    rel = sat.relative_orbit(orbit)
    name = (f"{sat.satellite}_{level}_{compact(datatake)}_N{baseline.replace('.', '')}"
            f"_R{rel:03d}_T{tile_id}_{compact(generation)}")
    return ProductSpec(
        collection=collection,
        product_type=product_type,
        region=classify(footprint, regions),
        identifier=name,
        file_name=name + ".SAFE",
        platform="Sentinel-2",
        satellite=sat.satellite,
        instrument="MSI",
        processing_level="Level-2A" if level2 else "Level-1C",
        start=datatake,
        end=datatake,
        created=generation,
        footprint=footprint,
        orbit=orbit,
        relative_orbit=rel,
        orbit_direction="DESCENDING",
        cloud_cover=cloud,
        tile=tile_id,
        sensor_mode="INS-NOBS",
        seed=seed_of(name),
        params={
            "baseline": baseline,
            "tile_time": tile_time,
            "datastrip": datatake + timedelta(seconds=3),
        },
    )


# Rasters --------------------------------------------------------------------------------------


def reflectance(t: mgrs.Tile, size: int, *, seed: int, cloud_cover: float, month: int,
                top_of_atmosphere: bool) -> tuple[dict[str, np.ndarray], float]:
    """Reflectance of B02/B03/B04/B08 over the tile and the opaque-cloud fraction."""
    coarse = max(8, min(size, 96))
    xs = np.linspace(t.xmin, t.xmax, coarse)
    ys = np.linspace(t.ymax, t.ymin, coarse)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = mgrs.utm_to_lonlat(gx.ravel(), gy.ravel(), t.zone, t.north)
    lon = lon.reshape(gx.shape)
    lat = lat.reshape(gx.shape)
    cover = {k: fields.upsample(v, (size, size)) for k, v in fields.land_cover(lon, lat).items()}
    texture = fields.upsample(fields.world(lon, lat, 5, 0.03, 3), (size, size))
    grain = fields.value_noise(np.arange(size)[None, :] / 2.7, np.arange(size)[:, None] / 2.7,
                               seed % 100_000)
    opacity = fields.opacity(
        fields.upsample(fields.cloud_noise(lon, lat, seed), (size, size)), cloud_cover / 100.0
    )
    season = 0.5 + 0.5 * math.cos(2 * math.pi * (month - 7) / 12)
    if np.mean(lat) < 0:
        season = 1 - season
    out: dict[str, np.ndarray] = {}
    for i, band in enumerate(BANDS):
        surface = np.zeros((size, size))
        for cls, spectrum in SPECTRA.items():
            value = spectrum[i]
            if cls == "vegetation":
                value = value * (0.65 + 0.35 * season) if band == "B08" else value * (
                    1.35 - 0.35 * season)
            surface += cover[cls] * value
        surface *= 0.8 + 0.4 * texture + 0.06 * (grain - 0.5)
        cloud = CLOUD[i] * (0.9 + 0.2 * texture)
        refl = surface * (1 - opacity) + cloud * opacity
        if top_of_atmosphere:
            refl = refl * 0.92 + PATH_RADIANCE[i]
        out[band] = refl
    return out, float(np.mean(opacity >= 0.5))


def _dn(refl: np.ndarray, offset: int) -> np.ndarray:
    return np.clip(np.rint(refl * 10_000 - offset), 1, 65_534).astype(np.uint16)


def _write_jp2(path: Path, data: np.ndarray, t: mgrs.Tile) -> None:
    size = data.shape[0]
    pixel = mgrs.TILE_SIZE / size
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="JP2OpenJPEG", width=size, height=size, count=1, dtype="uint16",
        crs=f"EPSG:{t.epsg}", transform=Affine(pixel, 0.0, t.xmin, 0.0, -pixel, t.ymax),
        QUALITY="100", REVERSIBLE="YES",
    ) as dst:
        dst.write(data, 1)


# Writing --------------------------------------------------------------------------------------


def write(spec: ProductSpec, out_dir: Path, raster_scale: float = 1.0, *,
          rasters: bool = True) -> Path:
    """Write the SAFE folder; ``rasters=False`` leaves out the band files (metadata only)."""
    level2 = spec.product_type == "S2MSI2A"
    tpl = L2A if level2 else L1C
    root = out_dir / spec.file_name
    root.mkdir(parents=True, exist_ok=True)
    t = mgrs.tile(spec.tile or "")
    baseline = spec.params["baseline"]
    datastrip: datetime = spec.params["datastrip"]
    tile_time: datetime = spec.params["tile_time"]
    abs6 = f"{spec.orbit:06d}"
    dt_c = compact(spec.start)
    granule = f"{'L2A' if level2 else 'L1C'}_T{spec.tile}_A{abs6}_{compact(datastrip)}"

    tokens = {
        tpl["name"]: spec.identifier,
        tpl["granule"]: granule,
        tpl["datatake"]: dt_c,
        tpl["datastrip"]: compact(datastrip),
        tpl["generation"]: compact(spec.created),
        "T" + tpl["tile"]: "T" + (spec.tile or ""),
        "A" + tpl["orbit"]: "A" + abs6,
        f"_{tpl['orbit']}_N": f"_{abs6}_N",
        "N" + tpl["baseline"]: "N" + baseline,
        "N" + tpl["baseline"].replace(".", ""): "N" + baseline.replace(".", ""),
        "_R" + tpl["relative"]: f"_R{spec.relative_orbit:03d}",
        "S2A_": spec.satellite + "_",
        "Sentinel-2A": "Sentinel-2" + spec.serial,
    }
    if tpl["l1c_generation"]:
        tokens[tpl["l1c_generation"]] = compact(spec.created - timedelta(minutes=71))
    delta = spec.start - datetime.fromisoformat(tpl["start"]).replace(tzinfo=spec.start.tzinfo)

    # bands
    offset = 1000 if baseline >= "04.00" else 0
    if rasters:
        size = max(16, int(round(FULL_PIXELS * raster_scale)))
        refl, _ = reflectance(t, size, seed=spec.seed, cloud_cover=spec.cloud_cover or 0.0,
                              month=tile_time.month, top_of_atmosphere=not level2)
        img = root / "GRANULE" / granule / "IMG_DATA"
        with rasterio.Env(GDAL_PAM_ENABLED="NO"):
            for band in BANDS:
                if level2:
                    path = img / "R10m" / f"T{spec.tile}_{dt_c}_{band}_10m.jp2"
                else:
                    path = img / f"T{spec.tile}_{dt_c}_{band}.jp2"
                _write_jp2(path, _dn(refl[band], -offset), t)

    # tile metadata
    tl_template = f"{tpl['dir']}/GRANULE/{tpl['granule']}/MTD_TL.xml"
    tl = templating.load(tl_template)
    templating.replace_tokens(tl, tokens)
    templating.shift_times(tl, delta)
    templating.set_text(tl, "SENSING_TIME", iso(tile_time, 6, "Z"))
    zone = f"{t.zone:02d}{'N' if t.north else 'S'}"
    templating.set_text(tl, "HORIZONTAL_CS_NAME", f"WGS84 / UTM zone {zone}")
    templating.set_text(tl, "HORIZONTAL_CS_CODE", f"EPSG:{t.epsg}")
    templating.set_text(tl, "ULX", f"{t.xmin:.0f}")
    templating.set_text(tl, "ULY", f"{t.ymax:.0f}")
    clon, clat = t.center_lonlat()
    zenith, azimuth = sun_angles(clon, clat, tile_time)
    sun = templating.first(tl, "Mean_Sun_Angle")
    templating.set_text(sun, "ZENITH_ANGLE", repr(round(zenith, 10)))
    templating.set_text(sun, "AZIMUTH_ANGLE", repr(round(azimuth, 10)))
    _cloud_fields(tl, spec.cloud_cover or 0.0, level2)
    templating.write(tl, root / "GRANULE" / granule / "MTD_TL.xml", tl_template)

    # product metadata
    mtd_template = f"{tpl['dir']}/{tpl['mtd']}"
    mtd = templating.load(mtd_template)
    templating.replace_tokens(mtd, tokens)
    templating.shift_times(mtd, delta)
    start_text = iso(spec.start, 3, "Z")
    for name in ("PRODUCT_START_TIME", "PRODUCT_STOP_TIME", "DATATAKE_SENSING_START"):
        templating.set_text(mtd, name, start_text)
    templating.set_text(mtd, "GENERATION_TIME", iso(spec.created, 6, "Z"))
    templating.set_text(mtd, "PROCESSING_BASELINE", baseline)
    templating.set_text(mtd, "SENSING_ORBIT_NUMBER", str(spec.relative_orbit))
    templating.set_text(mtd, "SENSING_ORBIT_DIRECTION", "DESCENDING")
    templating.set_text(mtd, "EXT_POS_LIST", _pos_list(spec))
    templating.set_text(mtd, "Cloud_Coverage_Assessment", _pct(spec.cloud_cover))
    if not level2 and offset:
        _add_radiometric_offsets(mtd)
    templating.write(mtd, root / tpl["mtd"], mtd_template)

    # manifest
    man_template = f"{tpl['dir']}/manifest.safe"
    man = templating.load(man_template)
    templating.replace_tokens(man, tokens)
    templating.shift_times(man, delta)
    templating.set_text(man, "startTime", start_text)
    templating.set_text(man, "orbitNumber", abs6)
    templating.set_text(man, "relativeOrbitNumber", f"{spec.relative_orbit:03d}")
    templating.set_text(man, "number", f"2{spec.serial}")
    templating.set_text(man, "coordinates", _pos_list(spec))
    update_data_objects(man, root)
    templating.write(man, root / "manifest.safe", man_template)
    return root


def _pos_list(spec: ProductSpec) -> str:
    coords = list(spec.footprint.exterior.coords)
    return " ".join(f"{lat!r} {lon!r}" for lon, lat in coords) + " "


def _pct(value: float | None) -> str:
    return f"{(value or 0.0):.6f}".rstrip("0").rstrip(".") if value else "0.0"


def _cloud_fields(tree: etree._ElementTree, cloud: float, level2: bool) -> None:
    text = _pct(cloud)
    templating.set_text(tree, "CLOUDY_PIXEL_PERCENTAGE", text, required=False)
    if level2:
        templating.set_text(tree, "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE", text, required=False)
        templating.set_text(tree, "NODATA_PIXEL_PERCENTAGE", "0.000000", required=False)
        templating.set_text(tree, "HIGH_PROBA_CLOUDS_PERCENTAGE", f"{cloud * 0.7:.6f}",
                            required=False)
        templating.set_text(tree, "MEDIUM_PROBA_CLOUDS_PERCENTAGE", f"{cloud * 0.3:.6f}",
                            required=False)
        templating.set_text(tree, "THIN_CIRRUS_PERCENTAGE", "0.000000", required=False)
        templating.set_text(tree, "SNOW_ICE_PERCENTAGE", "0.000000", required=False)


def _add_radiometric_offsets(mtd: etree._ElementTree) -> None:
    """Baseline 04.00 and later L1C products carry RADIO_ADD_OFFSET -1000 per band."""
    quant = templating.first(mtd, "QUANTIFICATION_VALUE")
    parent = quant.getparent()
    if any(templating.local(c) == "Radiometric_Offset_List" for c in parent):
        return
    offsets = etree.Element("Radiometric_Offset_List")
    for band in range(13):
        e = etree.SubElement(offsets, "RADIO_ADD_OFFSET", band_id=str(band))
        e.text = "-1000"
    offsets.tail = quant.tail
    quant.addnext(offsets)


def update_data_objects(manifest: etree._ElementTree, root: Path) -> None:
    """Sizes and checksums of the manifest's data objects whose files were written."""
    for obj in templating.iter_local(manifest, "byteStream"):
        location = next(templating.iter_local(obj, "fileLocation"), None)
        if location is None:
            continue
        href = location.get("href", "")
        path = root / href.removeprefix("./")
        if not path.is_file():
            continue
        obj.set("size", str(path.stat().st_size))
        for checksum in templating.iter_local(obj, "checksum"):
            algorithm = checksum.get("checksumName", "MD5").upper()
            name = {"SHA3-256": "sha3_256", "MD5": "md5", "SHA-256": "sha256"}.get(
                algorithm, "md5")
            value = templating.digest(path, name)
            old = checksum.text or ""
            checksum.text = value.upper() if old.isupper() else value

