"""The ingest pipeline: product folder or zip -> checked, placed and catalogued, or quarantined.

A product is either fully in the archive (files in their final folder, record committed) or
absent: data is prepared in a staging folder, moved by one rename under a journal entry, and
the journal is settled after the catalogue commit (see :mod:`ogc_server.archive.storage`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ogc_server.archive.model import Collection, OnlineState, Product
from ogc_server.archive.retention import classify_region, retention_deadline, retention_months
from ogc_server.archive.storage import LocalStorage, Placement, check_name
from ogc_server.archive.store import ProductStore
from ogc_server.errors import InvalidProduct, NotKept
from ogc_server.settings import Settings

LOGGER = logging.getLogger(__name__)
CHUNK = 1 << 20
MAX_MEMBERS = 100_000
MAX_UNPACKED = 64 << 30
MAX_RATIO = 200
STATUSES = ("inserted", "updated", "unchanged", "catalogued", "skipped", "rejected")


@dataclass(slots=True)
class Outcome:
    source: str
    status: str
    identifier: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return not any(o.status == "rejected" for o in self.outcomes)

    def describe(self) -> str:
        counts = self.counts
        parts = [f"{counts.get(s, 0)} {s}" for s in STATUSES]
        lines = [f"{len(self.outcomes)} products: " + ", ".join(parts)]
        for o in self.outcomes:
            if o.status in ("rejected", "skipped"):
                lines.append(f"  {o.status}: {o.source}: {o.reason}")
        return "\n".join(lines)


def product_sources(paths: Iterable[Path]) -> Iterator[Path]:
    """The products under ``paths``: product folders, zips and .nc files, or folders of them."""
    for path in paths:
        path = Path(path)
        if _is_product(path) or path.is_file():
            yield path
        elif path.is_dir():
            children = sorted(path.iterdir())
            if any(_is_product(c) for c in children):
                yield from (c for c in children if not c.name.startswith("."))
            else:
                yield path
        else:
            yield path  # missing: reported as rejected


def _is_product(path: Path) -> bool:
    return path.suffix.lower() in {".safe", ".sen3", ".zip", ".nc"}


class Ingestor:
    """Ingests one product at a time; safe to run in several processes at once."""

    def __init__(
        self,
        settings: Settings,
        store: ProductStore,
        storage: LocalStorage,
        *,
        browse: bool | None = None,
        metadata_only: bool = False,
        move: bool = False,
    ):
        self.settings = settings
        self.store = store
        self.storage = storage
        self.browse = settings.ingest.browse if browse is None else browse
        self.metadata_only = metadata_only
        self.move = move
        self.regions = settings.region_list
        self.region_order = [r.key for r in self.regions]
        self.by_type: dict[str, Collection] = {
            ptype: coll for coll in settings.collection_list for ptype in coll.product_types
        }
        self.quarantine = settings.quarantine_dir

    # Public -----------------------------------------------------------------------------------

    def recover(self) -> int:
        """Settle placements left by processes that died (see LocalStorage.recover)."""

        def committed(identifier: str, relative: str, checksum: str | None) -> bool:
            try:
                product = self.store.get(identifier)
            except LookupError:
                return False
            return bool(
                product.storage_path
                and product.storage_path.startswith(relative + "/")
                and product.checksum == checksum
            )

        return self.storage.recover(committed)

    def ingest(self, source: Path) -> Outcome:
        """Ingest ``source``; never raises for a bad product (it is rejected instead)."""
        source = Path(source)
        try:
            if self.metadata_only:
                product = self.describe(source)
                status = self.store.upsert(product)
                return Outcome(str(source), status, product.identifier)
            return self._ingest(source)
        except NotKept as exc:
            return Outcome(str(source), "skipped", None, str(exc))
        except InvalidProduct as exc:
            self._quarantine(source, str(exc))
            return Outcome(str(source), "rejected", None, str(exc))
        except Exception as exc:  # a fault of ours or of the machine: keep the batch going
            LOGGER.exception("ingest of %s failed", source)
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return Outcome(str(source), "rejected", None, reason)

    def describe(self, source: Path) -> Product:
        """The catalogue record of ``source`` without placing its data (metadata-only)."""
        from ogc_server.ingest.readers import read_product

        if source.suffix.lower() == ".zip":
            staging = self.storage.new_staging()
            try:
                root = _unzip(source, staging)
                product = read_product(root)
            finally:
                self.storage.remove_staging(staging)
        else:
            _check_source(source)
            product = read_product(source)
        product = self._classify(product)
        return product.replace(
            online_state=OnlineState.OFFLINE,
            checksum=product.checksum or _metadata_checksum(product),
        )

    # Steps ------------------------------------------------------------------------------------

    def _ingest(self, source: Path) -> Outcome:
        from ogc_server.ingest.readers import read_product

        staging = self.storage.new_staging()
        placement: Placement | None = None
        try:
            if source.suffix.lower() == ".zip":
                data = _unzip(source, staging)
            else:
                _check_source(source)
                data = staging / source.name
                _copy_tree(source, data)
            product = self._classify(read_product(data))
            size, checksum = _content_digest(data)
            if self._unchanged(product.identifier, checksum):
                return Outcome(str(source), "unchanged", product.identifier)
            coll = self.by_type[product.product_type]
            relative = self.storage.relative_dir(
                coll.short_name, product.start, product.identifier
            )
            product = product.replace(
                size=size,
                checksum=checksum,
                storage_path=f"{relative}/{data.name}",
                online_state=OnlineState.ONLINE,
                file_name=product.file_name or _file_name(product, data),
            )
            product = self._make_browse(data, staging, relative, product)
            placement = self.storage.place(staging, relative, product.identifier, checksum)
            try:
                status = self.store.upsert(product)
            except BaseException:
                self.storage.undo(placement)
                raise
            self.storage.settle(placement)
            if self.move:
                _remove_source(source)
            return Outcome(str(source), status, product.identifier)
        finally:
            if placement is None:
                self.storage.remove_staging(staging)

    def _classify(self, product: Product) -> Product:
        check_name(product.identifier)
        coll = self.by_type.get(product.product_type)
        if coll is None:
            raise InvalidProduct(
                f"unknown product type {product.product_type!r}: no collection of this archive "
                "takes it"
            )
        if not product.footprint.is_valid or product.footprint.is_empty:
            raise InvalidProduct("the footprint is not a valid polygon")
        region = classify_region(product.footprint, self.regions)
        months = retention_months(coll, self.region_order, region)
        if not months:
            raise NotKept(f"{coll.identifier} keeps no products of region {region}")
        now = datetime.now(UTC)
        return product.replace(
            collection=coll.identifier,
            region=region,
            retention_deadline=retention_deadline(product.start, months),
            ingestion_date=now,
            modification_date=now,
        )

    def _unchanged(self, identifier: str, checksum: str) -> bool:
        try:
            existing = self.store.get(identifier)
        except LookupError:
            return False
        return existing.checksum == checksum and existing.online_state == OnlineState.ONLINE

    def _make_browse(self, data: Path, staging: Path, relative: str, product: Product) -> Product:
        if not self.browse:
            return product
        from ogc_server.ingest.browse import make_browse

        files = make_browse(
            data,
            product,
            staging / "browse",
            quicklook_size=self.settings.ingest.quicklook_size,
            thumbnail_size=self.settings.ingest.thumbnail_size,
            gdal_env=dict(self.settings.gdal_env),
        )
        if files is None:
            return product
        return product.replace(
            quicklook_path=f"{relative}/browse/{files.quicklook.name}",
            thumbnail_path=f"{relative}/browse/{files.thumbnail.name}",
            browse_path=f"{relative}/browse/{files.browse.name}",
        )

    def _quarantine(self, source: Path, reason: str) -> None:
        self.quarantine.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", source.name)[:180] or "unnamed"
        target = self.quarantine / f"{stamp}-{os.getpid()}-{safe}"
        try:
            if source.is_symlink() or not source.exists():
                pass
            elif self.move:
                shutil.move(str(source), target)
            elif source.is_dir():
                shutil.copytree(source, target, symlinks=True)
            else:
                shutil.copy2(source, target)
        except OSError as exc:
            reason += f" (the source could not be copied into quarantine: {exc.strerror})"
        target.with_name(target.name + ".reason.txt").write_text(
            f"source: {source}\nrejected: {stamp}\nreason: {reason}\n", encoding="utf-8"
        )


# Files ----------------------------------------------------------------------------------------


def _check_source(source: Path) -> None:
    if source.is_symlink():
        raise InvalidProduct("the product is a symbolic link")
    if not source.exists():
        raise InvalidProduct("no such file or folder")
    if source.is_dir():
        link = _first_symlink(source)
        if link is not None:
            raise InvalidProduct(f"the product holds a symbolic link: {link}")
    elif source.suffix.lower() != ".nc":
        raise InvalidProduct("not a product folder, zip or netCDF file")


def _first_symlink(folder: Path) -> str | None:
    """The name of a symbolic link anywhere under ``folder`` (links are not followed)."""
    pending = [os.fspath(folder)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    return entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
    return None


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)


def _unzip(source: Path, staging: Path) -> Path:
    """Extract the zip's single product folder into ``staging`` with every member checked."""
    from ogc_server.ingest.readers import safe_root_in_zip

    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InvalidProduct(f"not a readable zip: {exc}") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InvalidProduct(f"the zip has more than {MAX_MEMBERS} members")
        root = safe_root_in_zip([i.filename for i in infos])
        total = 0
        for info in infos:
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InvalidProduct(f"the zip holds a symbolic link: {info.filename}")
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise InvalidProduct(f"suspicious compression ratio for {info.filename}")
        if total > MAX_UNPACKED:
            raise InvalidProduct("the zip unpacks to more than the archive accepts")
        base = staging.resolve()
        for info in infos:
            target = (base / info.filename).resolve()
            if base not in target.parents:
                raise InvalidProduct(f"zip member {info.filename!r} leaves the product")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
            except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as exc:
                raise InvalidProduct(f"the zip is damaged at {info.filename}: {exc}") from exc
    data = base / root
    if not data.exists():
        raise InvalidProduct("the zip holds no product folder")
    return data


def _content_digest(data: Path) -> tuple[int, str]:
    """Total bytes and a SHA-256 over every file's path, size and SHA-256."""
    files = sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else [data]
    outer = hashlib.sha256()
    total = 0
    for path in files:
        inner = hashlib.sha256()
        size = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                inner.update(chunk)
                size += len(chunk)
        total += size
        rel = path.relative_to(data).as_posix() if data.is_dir() else path.name
        outer.update(f"{rel}\0{size}\0{inner.hexdigest()}\n".encode())
    return total, f"sha256:{outer.hexdigest()}"


def _metadata_checksum(product: Product) -> str:
    digest = hashlib.sha256(
        f"{product.identifier}|{product.start.isoformat()}|{product.footprint.wkb_hex}".encode()
    )
    return f"sha256:{digest.hexdigest()}"


def _file_name(product: Product, data: Path) -> str:
    return data.name if data.is_file() else f"{product.identifier}.zip"


def _remove_source(source: Path) -> None:
    if source.is_dir():
        shutil.rmtree(source, ignore_errors=True)
    else:
        source.unlink(missing_ok=True)


# Batches --------------------------------------------------------------------------------------

_WORKER: Ingestor | None = None


def build_ingestor(settings: Settings, *, migrate: bool = True, **options: object) -> Ingestor:
    """An ingestor with its own catalogue connection (one per process)."""
    from ogc_server.archive.database import create_engine, upgrade

    engine = create_engine(settings.database_url, pool_size=2)
    if migrate:
        upgrade(engine)
    return Ingestor(settings, ProductStore(engine), LocalStorage(settings.archive_dir), **options)  # type: ignore[arg-type]


def _init_worker(settings: Settings, options: dict[str, object]) -> None:
    global _WORKER
    _WORKER = build_ingestor(settings, migrate=False, **options)


def _work(source: Path) -> Outcome:
    assert _WORKER is not None
    return _WORKER.ingest(source)


def _describe(source: Path) -> Product | Outcome:
    assert _WORKER is not None
    try:
        return _WORKER.describe(source)
    except NotKept as exc:
        return Outcome(str(source), "skipped", None, str(exc))
    except InvalidProduct as exc:
        _WORKER._quarantine(source, str(exc))
        return Outcome(str(source), "rejected", None, str(exc))


def ingest_batch(
    settings: Settings,
    sources: list[Path],
    *,
    workers: int = 1,
    progress: Callable[[Outcome], None] | None = None,
    **options: object,
) -> Summary:
    """Ingest ``sources`` with ``workers`` processes; metadata-only batches commit in bulk."""
    main = build_ingestor(settings, **options)
    main.recover()
    summary = Summary()

    def record(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if progress:
            progress(outcome)

    metadata_only = bool(options.get("metadata_only"))
    if workers <= 1:
        global _WORKER
        _WORKER = main
        results: Iterable[Product | Outcome] = map(_describe if metadata_only else _work, sources)
        _collect(main, results, metadata_only, record)
        return summary
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(settings, dict(options))
    ) as pool:
        chunksize = 64 if metadata_only else 1
        results = pool.map(_describe if metadata_only else _work, sources, chunksize=chunksize)
        _collect(main, results, metadata_only, record)
    return summary


def _collect(
    main: Ingestor,
    results: Iterable[Product | Outcome],
    metadata_only: bool,
    record: Callable[[Outcome], None],
) -> None:
    if not metadata_only:
        for outcome in results:
            record(outcome)  # type: ignore[arg-type]
        return
    batch: list[Product] = []

    def flush() -> None:
        if not batch:
            return
        main.store.upsert_many(batch)
        for product in batch:
            record(Outcome(product.identifier, "catalogued", product.identifier))
        batch.clear()

    for item in results:
        if isinstance(item, Outcome):
            record(item)
        else:
            batch.append(item)
            if len(batch) >= 500:
                flush()
    flush()
