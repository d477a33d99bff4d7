"""Alembic environment: runs on the connection that ``ogc_server.archive.database`` passes in."""

from alembic import context

from ogc_server.archive.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the project always passes its connection
    raise RuntimeError("run migrations through ogc_server.archive.database.upgrade(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
