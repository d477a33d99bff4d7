"""The landing page: collections with product counts, and the services."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ogc_server.endpoints import URL_SPACE
from ogc_server.web.context import services

blueprint = Blueprint("landing", __name__)


def wants_json() -> bool:
    fmt = request.args.get("f", "").lower()
    if fmt:
        return fmt == "json"
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@blueprint.get("/")
def landing() -> Response | str:
    svc = services()
    settings = svc.settings
    stats = svc.store.collection_stats()
    available = current_app.config.get("AVAILABLE_ENDPOINTS", set())
    collections = []
    for coll in settings.collection_list:
        st = stats.get(coll.identifier)
        collections.append(
            {
                "id": coll.identifier,
                "title": coll.title,
                "platform": coll.platform,
                "instrument": coll.instrument,
                "processingLevel": coll.processing_level,
                "products": st.count if st else 0,
                "firstSensing": st.start.isoformat() if st and st.start else None,
                "lastSensing": st.end.isoformat() if st and st.end else None,
                "retentionMonths": dict(coll.retention.months),
            }
        )
    endpoints = [
        {
            "id": e.key,
            "title": e.title,
            "standard": e.standard,
            "href": settings.public_url + e.path,
            "available": e.key in available,
        }
        for e in URL_SPACE
    ]
    if wants_json():
        return jsonify(
            {
                "title": settings.title,
                "links": [
                    {"rel": "self", "type": "application/json",
                     "href": settings.public_url + "/?f=json"},
                    {"rel": "alternate", "type": "text/html", "href": settings.public_url + "/"},
                ],
                "collections": collections,
                "services": endpoints,
            }
        )
    total = sum(c["products"] for c in collections)
    return render_template(
        "landing.html", title=settings.title, collections=collections, services=endpoints,
        total=total,
    )
