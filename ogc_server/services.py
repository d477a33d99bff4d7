"""The application services the web layer and the plugins are given (built by compose.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ogc_server.archive.database import create_engine, upgrade
from ogc_server.archive.storage import LocalStorage
from ogc_server.archive.store import ProductStore
from ogc_server.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    engine: Engine
    store: ProductStore
    storage: LocalStorage


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the catalogue (migrating it to the newest schema) and the storage."""
    engine = create_engine(settings.database_url, echo=settings.database.echo)
    if migrate:
        upgrade(engine)
    return Services(
        settings=settings,
        engine=engine,
        store=ProductStore(engine),
        storage=LocalStorage(settings.archive_dir),
    )
