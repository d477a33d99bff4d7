"""``/health``: is the catalogue answering and the storage writable?"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from flask import Blueprint, Response, current_app, jsonify

from ogc_server.archive.database import current_revision, head_revision
from ogc_server.web.context import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health() -> Response:
    svc = services()
    catalogue: dict[str, object] = {"backend": svc.store.dialect}
    started = time.perf_counter()
    try:
        svc.store.ping()
        stats = svc.store.collection_stats()
        revision = current_revision(svc.engine)
        catalogue.update(
            ok=revision == head_revision(),
            products=sum(s.count for s in stats.values()),
            collections={k: v.count for k, v in sorted(stats.items())},
            schema_revision=revision,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
    except Exception as exc:  # report, do not raise: health must answer
        catalogue.update(ok=False, error=type(exc).__name__)
    root = svc.storage.root
    storage: dict[str, object] = {"archive": str(root)}
    try:
        usage = shutil.disk_usage(root)
        with tempfile.NamedTemporaryFile(dir=svc.storage.staging_root):
            pass
        storage.update(ok=True, free_bytes=usage.free, total_bytes=usage.total,
                       writable=os.access(root, os.W_OK))
    except OSError as exc:
        storage.update(ok=False, error=exc.strerror or type(exc).__name__)
    ok = bool(catalogue.get("ok")) and bool(storage.get("ok"))
    body = {
        "status": "ok" if ok else "failing",
        "catalogue": catalogue,
        "storage": storage,
        "services": sorted(current_app.config.get("AVAILABLE_ENDPOINTS", set())),
    }
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
