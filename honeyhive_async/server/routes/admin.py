"""The fault switch's admin routes (``/_faults``): arm, inspect and clear faults from outside.

``/_faults/random`` turns random faults on (`FaultSwitch.randomize`) and reads their counts;
``/_faults/accepted`` starts the accept log (`FaultSwitch.log_accepted`) and reads it.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from .._http import FAULTS_KEY, ServerError, decode_body, json_response
from ..fault_random import RandomFaultRequest
from ..faults import ADMIN_PATH, FaultRequest

__all__ = [
    "ROUTES",
    "accepted_state",
    "arm_fault",
    "clear_faults",
    "fault_state",
    "random_state",
    "randomize",
    "start_accept_log",
]

_fault_decoder = msgspec.json.Decoder(FaultRequest)
_random_decoder = msgspec.json.Decoder(RandomFaultRequest)


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
    """``DELETE /_faults``: disarm every fault, random ones included."""
    request.app[FAULTS_KEY].clear()
    return json_response({"success": True})


async def randomize(request: web.Request) -> web.Response:
    """``POST /_faults/random``: fail a seeded random share of the matching requests."""
    req = await decode_body(request, _random_decoder)
    try:
        plan = request.app[FAULTS_KEY].randomize(
            req.rate, seed=req.seed, kinds=req.kinds, method=req.method, path=req.path
        )
    except ValueError as exc:
        raise ServerError(400, str(exc), "VALIDATION_ERROR") from None
    return json_response({"success": True, **plan.state()})


async def random_state(request: web.Request) -> web.Response:
    """``GET /_faults/random``: the random plan and its counts (404 when none is on)."""
    plan = request.app[FAULTS_KEY].random
    if plan is None:
        raise ServerError(404, "No random faults are on", "NOT_FOUND")
    return json_response(plan.state())


async def start_accept_log(request: web.Request) -> web.Response:
    """``POST /_faults/accepted``: start (or restart) the accept log."""
    request.app[FAULTS_KEY].log_accepted()
    return json_response({"success": True})


async def accepted_state(request: web.Request) -> web.Response:
    """``GET /_faults/accepted``: the accept log's counts (404 when it is off)."""
    log = request.app[FAULTS_KEY].accepted
    if log is None:
        raise ServerError(404, "The accept log is off", "NOT_FOUND")
    return json_response(log.state())


ROUTES = [
    web.post(ADMIN_PATH, arm_fault),
    web.get(ADMIN_PATH, fault_state),
    web.delete(ADMIN_PATH, clear_faults),
    web.post(f"{ADMIN_PATH}/random", randomize),
    web.get(f"{ADMIN_PATH}/random", random_state),
    web.post(f"{ADMIN_PATH}/accepted", start_accept_log),
    web.get(f"{ADMIN_PATH}/accepted", accepted_state),
]
