"""Errors of the STAC API: the platform's JSON problem plus the STAC ``code``/``description``.

STAC API clients read ``{"code": ..., "description": ...}``; the rest of the platform answers
RFC 9457 problems (``type``, ``title``, ``status``, ``detail``, ``parameter``). A STAC error
carries both, so either kind of client finds what it looks for.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ogc_server.errors import OgcServerError
from ogc_server.web.errors import status_for

LOGGER = logging.getLogger(__name__)

CODES = {
    400: "InvalidParameterValue",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalServerError",
}


class StacError(OgcServerError):
    """An answer the STAC API gives with a status of its own (413 ...)."""

    def __init__(self, status: int, msg: str, *, locator: str | None = None):
        super().__init__(msg, locator=locator)
        self.status = status


def stac_problem(status: int, detail: str, *, locator: str | None = None) -> Response:
    body = {
        "code": CODES.get(status, HTTPStatus(status).phrase.replace(" ", "")),
        "description": detail,
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


def install(blueprint: Blueprint) -> None:
    """Answer every error raised under the blueprint in the STAC shape."""

    @blueprint.errorhandler(OgcServerError)
    def _domain(exc: OgcServerError) -> Response:
        status = exc.status if isinstance(exc, StacError) else status_for(exc)
        if status >= 500:
            LOGGER.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
            return stac_problem(status, "the server could not answer this request")
        return stac_problem(status, exc.user_msg, locator=exc.locator)

    @blueprint.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return stac_problem(exc.code or 500, exc.description or exc.name)

    @blueprint.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        LOGGER.error("%s %s failed", request.method, request.path, exc_info=exc)
        return stac_problem(500, "the server could not answer this request")
