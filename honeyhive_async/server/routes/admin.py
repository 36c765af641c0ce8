"""The fault switch's admin routes (``/_faults``): arm, inspect and clear faults from outside."""

from __future__ import annotations

import msgspec
from aiohttp import web

from .._http import FAULTS_KEY, ServerError, decode_body, json_response
from ..faults import ADMIN_PATH, FaultRequest

__all__ = ["ROUTES", "arm_fault", "clear_faults", "fault_state"]

_fault_decoder = msgspec.json.Decoder(FaultRequest)


async def arm_fault(request: web.Request) -> web.Response:
    """``POST /_faults``: arm a fault from outside the process."""
    req = await decode_body(request, _fault_decoder)
    faults = request.app[FAULTS_KEY]
    try:
        faults.arm(req)
    except ValueError as exc:
        raise ServerError(400, str(exc), "VALIDATION_ERROR") from None
    return json_response({"success": True, "pending": len(faults.pending), "hits": faults.hits})


async def fault_state(request: web.Request) -> web.Response:
    """``GET /_faults``: how many faults are armed and how many requests they hit."""
    faults = request.app[FAULTS_KEY]
    return json_response({"pending": len(faults.pending), "hits": faults.hits})


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /_faults``: disarm every fault."""
    request.app[FAULTS_KEY].clear()
    return json_response({"success": True})


ROUTES = [
    web.post(ADMIN_PATH, arm_fault),
    web.get(ADMIN_PATH, fault_state),
    web.delete(ADMIN_PATH, clear_faults),
]
