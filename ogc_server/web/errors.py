"""The one map from domain errors to HTTP answers (JSON problem, RFC 9457, or HTML)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ogc_server.errors import (
    Conflict,
    InvalidQuery,
    NotFound,
    OgcServerError,
    ProductOffline,
    QuotaExceeded,
)

LOGGER = logging.getLogger(__name__)

STATUS: dict[type[OgcServerError], int] = {
    InvalidQuery: 400,
    NotFound: 404,
    Conflict: 409,
    QuotaExceeded: 429,
    ProductOffline: 202,
}


def status_for(exc: OgcServerError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(status: int, detail: str, *, locator: str | None = None) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if locator:
        body["parameter"] = locator
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def install(app: Flask) -> None:
    @app.errorhandler(OgcServerError)
    def _domain(exc: OgcServerError) -> Response:
        status = status_for(exc)
        if status >= 500:
            LOGGER.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
            return problem(status, "the server could not answer this request")
        return problem(status, exc.user_msg, locator=exc.locator)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return problem(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        LOGGER.error("%s %s failed", request.method, request.path, exc_info=exc)
        return problem(500, "the server could not answer this request")
