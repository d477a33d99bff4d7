"""What our OWS services (WCS, DSEO) share: the exception and the service/request check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class OwsError(Exception):
    """An OWS exception: ``code`` (OWS 2.0 exceptionCode), HTTP ``status``, ``locator``."""

    def __init__(self, code: str, text: str, locator: str | None = None, status: int = 400):
        super().__init__(text)
        self.code, self.text, self.locator, self.status = code, text, locator, status


def requested_operation(args: Mapping[str, str], service: str, operations: Sequence[str]) -> str:
    """The operation a KVP request names, spelt as in ``operations``; :class:`OwsError` else.

    ``args`` has lower-case keys. ``service`` must name this service (any case), ``request``
    one of ``operations`` (any case); an unknown operation is OperationNotSupported (501).
    """
    name = args.get("service")
    if not name:
        raise OwsError("MissingParameterValue", f"service is required ({service})", "service")
    if name.upper() != service.upper():
        raise OwsError("InvalidParameterValue", f"service {name!r} is not {service}", "service")
    asked = args.get("request")
    if not asked:
        raise OwsError("MissingParameterValue", "request is required", "request")
    match = {o.lower(): o for o in operations}.get(asked.lower())
    if match is None:
        raise OwsError("OperationNotSupported", f"operation {asked!r} is not supported; "
                       f"use one of {', '.join(operations)}", "request", status=501)
    return match
