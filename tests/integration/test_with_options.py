"""A `with_options` view's timeout and retries reach every resource group, found, not listed.

The groups are every public `cached_property` of `AsyncHoneyHive` whose value is an
`AsyncAPIResource`, so a group added later is covered without editing this file. Each test
calls the group's `_get` (the path every group's methods take) on a route that only faults
answer, so the same request serves every group.
"""

from __future__ import annotations

import time
from functools import cached_property

import pytest

from honeyhive_async import APITimeoutError, AsyncHoneyHive, InternalServerError
from honeyhive_async._resource import AsyncAPIResource, NoneType
from honeyhive_async.server import LocalServer
from tests.integration.conftest import ClientFactory, VirtualTime, sent

PROBE = "/probe"


def _groups() -> list[str]:
    client = AsyncHoneyHive("k", base_url="http://127.0.0.1:9")
    return sorted(
        name
        for name, attr in vars(AsyncHoneyHive).items()
        if isinstance(attr, cached_property)
        and not name.startswith("_")
        and isinstance(getattr(client, name), AsyncAPIResource)
    )


GROUPS = _groups()


def test_the_groups_are_found() -> None:
    assert {"session", "events"} <= set(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
async def test_a_views_retries_and_deadline_apply_to_the_group(
    server: LocalServer, make_client: ClientFactory, group: str
) -> None:
    # Every try answers 503 "retry after 25 s" (waits on a virtual clock). The parent (no
    # retries, 600 s) would stop at once; the view (5 retries, 60 s) waits twice, then its
    # deadline refuses a third wait (50 s + 25 s > 60 s). With the view's retries but the
    # parent's deadline: 6 tries. The deadline also bounds each try for real (the last one gets
    # the 10 s left): seconds apart, not tenths, so a loaded machine's slow loopback answer
    # does not time out.
    server.faults.fail_next(20, 503, retry_after="25", path=PROBE)
    vt = VirtualTime()
    client = make_client(timeout=600.0, max_retries=0, **vt.options())
    parent_group = getattr(client, group)  # in use before the view is made
    view = client.with_options(timeout=60.0, max_retries=5)

    with pytest.raises(InternalServerError):
        await getattr(view, group)._get(PROBE, cast_to=NoneType)

    assert vt.waits == [25.0, 25.0]
    assert len(sent(server, "GET", PROBE)) == 3

    # The parent's own group kept the parent's settings: one try, no wait.
    with pytest.raises(InternalServerError):
        await parent_group._get(PROBE, cast_to=NoneType)

    assert vt.waits == [25.0, 25.0]
    assert len(sent(server, "GET", PROBE)) == 4


@pytest.mark.parametrize("group", GROUPS)
async def test_a_views_timeout_applies_to_the_group(
    server: LocalServer, make_client: ClientFactory, group: str
) -> None:
    # The parent waits forever, so under its timeout the slow answer (a 404: nothing serves
    # this route) would arrive; under the view's 0.2 s the call times out first.
    server.faults.delay_next(1.0, path=PROBE)
    client = make_client(timeout=None, max_retries=0)
    getattr(client, group)  # in use before the view is made
    view = client.with_options(timeout=0.2)
    started = time.monotonic()

    with pytest.raises(APITimeoutError):
        await getattr(view, group)._get(PROBE, cast_to=NoneType)

    assert time.monotonic() - started >= 0.2 - 0.001
    # One attempt at most (max_retries=0). Not "exactly one": on a loaded machine the 0.2 s
    # can pass before the request reaches the server (same loop), and it then never arrives.
    assert len(sent(server, "GET", PROBE)) <= 1
