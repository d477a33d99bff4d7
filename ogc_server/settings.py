"""Typed settings from ``config/ogc-server.yml``, validated in stages.

1. syntax: the file parses as YAML;
2. interpolation: every ``${VAR}`` is set or has a ``${VAR:-default}``;
3. schema: the pydantic model accepts every key and value;
4. references: regions, metadata records and product types that the collections name exist
   and do not clash.

Each stage raises :class:`~ogc_server.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from shapely.geometry import shape

from ogc_server.archive.model import Collection, Region, RetentionPolicy
from ogc_server.errors import ConfigError

ENV_CONFIG = "OGC_SERVER_CONFIG"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Model):
    url: str | None = None
    echo: bool = False


class StorageSettings(_Model):
    archive: Path | None = None
    quarantine: Path | None = None


class ServerSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    threads: int = Field(8, ge=1, le=256)
    #: Server processes sharing the port (one per core uses every core for Python work).
    processes: int = Field(1, ge=1, le=64)


class IngestSettings(_Model):
    workers: int = Field(2, ge=1, le=64)
    browse: bool = True
    quicklook_size: int = Field(1000, ge=64, le=4096)
    thumbnail_size: int = Field(200, ge=32, le=1024)


class ViewSettings(_Model):
    """Limits of the view services (WMS, WMTS, tiles): what one map request may cost."""

    max_size: int = Field(4096, ge=256, le=16384)
    max_products: int = Field(20, ge=1, le=500)
    max_footprints: int = Field(500, ge=1, le=10000)
    tile_cache: bool = True
    #: zlib level of the PNG maps the renderer encodes (1: fastest; 9: smallest).
    png_compression: int = Field(1, ge=0, le=9)
    srs: list[str] = ["EPSG:4326", "EPSG:3857", "EPSG:25832", "EPSG:25833", "EPSG:3035",
                      "EPSG:32631", "EPSG:32632", "EPSG:32633", "EPSG:32634"]


class RegionSettings(_Model):
    file: Path = Path("regions.geojson")
    order: list[str] = ["central_europe", "europe", "global"]


class ContactSettings(_Model):
    organisation: str = "ogc-server"
    email: str = "ops@example.org"
    url: str | None = None


class WcsSettings(_Model):
    """Limits of one coverage output (WCS GetCoverage): larger requests are refused unread."""

    max_side: int = Field(8192, ge=16, le=65536)
    max_pixels: int = Field(8192 * 8192, ge=256)
    max_bytes: int = Field(256 * 1024 * 1024, ge=65536)


class CollectionSettings(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{3,128}$")
    title: str
    abstract: str
    platform: str
    instrument: str
    processing_level: str
    product_types: list[str] = Field(min_length=1)
    retention: dict[str, int | None]
    keywords: list[str] = []
    metadata: str | None = None

    @field_validator("retention")
    @classmethod
    def _months_not_negative(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        for key, months in value.items():
            if months is not None and not 0 <= months <= 1200:
                raise ValueError(f"{key}: retention months must be between 0 and 1200")
        return value


class Settings(_Model):
    """The whole configuration. Paths are absolute once loaded."""

    config_file: Path | None = None
    public_url: str = "http://127.0.0.1:8080"
    title: str = "ogc-server"
    data_dir: Path = Path("data")
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    server: ServerSettings = ServerSettings()
    ingest: IngestSettings = IngestSettings()
    view: ViewSettings = ViewSettings()
    gdal_env: dict[str, str | int | float | bool] = {}
    regions: RegionSettings = RegionSettings()
    contact: ContactSettings = ContactSettings()
    wcs: WcsSettings = WcsSettings()
    collections: list[CollectionSettings] = Field(min_length=1)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    # Derived values ---------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'catalogue.sqlite'}"

    @property
    def archive_dir(self) -> Path:
        return self.storage.archive or self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.storage.quarantine or self.data_dir / "quarantine"

    @cached_property
    def region_list(self) -> list[Region]:
        """Regions in the configured order (narrow to broad)."""
        return _read_regions(self.regions.file, self.regions.order)

    @cached_property
    def collection_list(self) -> list[Collection]:
        return [
            Collection(
                identifier=c.id,
                title=c.title,
                abstract=c.abstract,
                platform=c.platform,
                instrument=c.instrument,
                processing_level=c.processing_level,
                product_types=tuple(c.product_types),
                retention=RetentionPolicy(dict(c.retention)),
                keywords=tuple(c.keywords),
                metadata_file=c.metadata,
            )
            for c in self.collections
        ]

    @property
    def metadata_dir(self) -> Path:
        base = self.config_file.parent if self.config_file else Path.cwd() / "config"
        return (base.parent / "metadata").resolve()


def default_config_path() -> Path:
    """``$OGC_SERVER_CONFIG``, else ``./config/ogc-server.yml``, else the repository's."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path.cwd() / "config" / "ogc-server.yml"
    if local.exists():
        return local
    return Path(__file__).resolve().parent.parent / "config" / "ogc-server.yml"


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Load, interpolate and validate the configuration file (all four stages)."""
    file = Path(path) if path else default_config_path()
    env = os.environ if environ is None else environ
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of settings")
    data = _interpolate(raw, env, file, ())
    for key, value in (overrides or {}).items():
        data[key] = value
    _drop_empty(data)
    base = file.resolve().parent
    data["config_file"] = str(file.resolve())
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(file, exc)) from exc
    settings = _resolve_paths(settings, base)
    check_references(settings)
    return settings


def check_references(settings: Settings) -> None:
    """Stage 4: what the collections name must exist and must not clash."""
    file = settings.config_file
    try:
        regions = settings.region_list
    except ConfigError:
        raise
    keys = {r.key for r in regions}
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for index, coll in enumerate(settings.collections):
        where = f"{file}: collections[{index}] ({coll.id})"
        if coll.id in seen_ids:
            raise ConfigError(f"{where}.id: the collection id is declared twice")
        seen_ids.add(coll.id)
        for region in coll.retention:
            if region not in keys:
                raise ConfigError(
                    f"{where}.retention.{region}: no such region in {settings.regions.file}"
                    f" (known: {', '.join(sorted(keys))})"
                )
        for ptype in coll.product_types:
            if ptype in owner:
                raise ConfigError(
                    f"{where}.product_types: {ptype} already belongs to {owner[ptype]}"
                )
            owner[ptype] = coll.id
        if coll.metadata and not (settings.metadata_dir / coll.metadata).is_file():
            raise ConfigError(
                f"{where}.metadata: {coll.metadata} not found in {settings.metadata_dir}"
            )


# Helpers --------------------------------------------------------------------------------------


def _interpolate(node: Any, env: Mapping[str, str], file: Path, path: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, env, file, (*path, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env, file, (*path, str(i))) for i, v in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{file}: {'.'.join(path)}: environment variable {name} is not set and has no default"
        )

    return _VAR.sub(substitute, node)


def _drop_empty(data: dict[str, Any]) -> None:
    """An empty string from ``${VAR:-}`` means "not set": let the model's default apply."""
    for key in list(data):
        value = data[key]
        if value == "":
            del data[key]
        elif isinstance(value, dict):
            _drop_empty(value)


def _describe(file: Path, exc: ValidationError) -> str:
    lines = [f"{file}: invalid configuration"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def absolute(p: Path | None) -> Path | None:
        if p is None:
            return None
        return p if p.is_absolute() else (base / p).resolve()

    data_dir = absolute(settings.data_dir)
    storage = settings.storage.model_copy(
        update={
            "archive": absolute(settings.storage.archive),
            "quarantine": absolute(settings.storage.quarantine),
        }
    )
    regions = settings.regions.model_copy(update={"file": absolute(settings.regions.file)})
    return settings.model_copy(
        update={"data_dir": data_dir, "storage": storage, "regions": regions}
    )


def _read_regions(file: Path, order: list[str]) -> list[Region]:
    try:
        doc = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file}: cannot read the regions: {exc}") from exc
    found: dict[str, Region] = {}
    for i, feature in enumerate(doc.get("features", [])):
        props = feature.get("properties") or {}
        key = props.get("key")
        if not key:
            raise ConfigError(f"{file}: features[{i}].properties.key is missing")
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{file}: features[{i}].geometry is not a geometry: {exc}") from exc
        if not geom.is_valid or geom.is_empty:
            raise ConfigError(f"{file}: features[{i}].geometry is not a valid polygon")
        found[key] = Region(key=key, title=props.get("title", key), geometry=geom)
    missing = [k for k in order if k not in found]
    if missing:
        raise ConfigError(f"{file}: regions.order names unknown regions: {', '.join(missing)}")
    return [found[k] for k in order]
