"""Signing in to the web view: the key once in a form, a cookie for the UI only, no CSRF."""

from __future__ import annotations

import re

import aiohttp
import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.server.ui import sign_in_link
from honeyhive_async.server.ui._auth import AUTH_KEY, ONCE_TTL_S, safe_next
from honeyhive_async.server.ui._html import CSP

from .conftest import add_session, csrf_of, new_client, sign_in


async def test_no_cookie_gets_the_login_form_not_the_data(server, store, anonymous) -> None:
    add_session(store, "secret-session", session_name="secret-name")
    for path in ("/ui", "/ui/sessions/secret-session", "/ui/runs", "/ui/datasets/x"):
        reply = await anonymous.get(path, allow_redirects=False)
        assert reply.status == 303
        assert reply.headers["Location"].startswith("/ui/login?next=")
        followed = await anonymous.get(path)
        text = await followed.text()
        assert followed.status == 200
        assert '<form id="login" method="post" action="/ui/login">' in text
        assert "secret-name" not in text
        assert 'type="password" name="api_key"' in text


async def test_the_right_key_sets_a_strict_httponly_cookie_on_ui_only(server, anonymous) -> None:
    reply = await sign_in(anonymous, server.api_key)
    assert reply.status == 303
    assert reply.headers["Location"] == "/ui"
    cookies = [c for c in reply.headers.getall("Set-Cookie") if c.startswith("hh_ui=")]
    assert len(cookies) == 1
    cookie = cookies[0]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/ui;" in cookie + ";"
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would be dropped
    token = cookie.split(";")[0].removeprefix("hh_ui=")
    assert server.api_key not in token
    page = await anonymous.get("/ui")
    assert page.status == 200
    assert '<table id="sessions">' in await page.text() or 'id="empty"' in await page.text()


async def test_a_wrong_key_is_refused_with_a_message(server, anonymous) -> None:
    reply = await sign_in(anonymous, server.api_key + "x")
    assert reply.status == 401
    text = await reply.text()
    assert '<p id="login-error"' in text
    assert not [c for c in reply.headers.getall("Set-Cookie", []) if c.startswith("hh_ui=")]
    again = await anonymous.get("/ui", allow_redirects=False)
    assert again.status == 303


async def test_the_cookie_does_not_open_api_routes(server, store, ui) -> None:
    add_session(store, "s1")
    for path in ("/v1/sessions/s1", "/v1/events/s1"):
        reply = await ui.get(path)
        assert reply.status == 401
    # Even sent by hand on every path (the browser only sends it under /ui).
    cookie = next(c for c in ui.cookie_jar if c.key == "hh_ui")
    reply = await ui.get("/v1/sessions/s1", headers={"Cookie": f"hh_ui={cookie.value}"})
    assert reply.status == 401


async def _login_form(http: aiohttp.ClientSession) -> str:
    return csrf_of(await (await http.get("/ui/login")).text())


async def test_login_without_a_valid_csrf_token_is_refused(server, anonymous) -> None:
    await _login_form(anonymous)
    for token in ("", "0" * 64, "forged"):
        reply = await anonymous.post(
            "/ui/login", data={"api_key": server.api_key, "csrf": token}, allow_redirects=False
        )
        assert reply.status == 403
        assert not [c for c in reply.headers.getall("Set-Cookie", []) if c.startswith("hh_ui=")]


async def test_a_csrf_token_without_its_nonce_cookie_is_refused(server) -> None:
    # A page elsewhere can read no token; one copied from another browser lacks the nonce.
    async with new_client(server) as first, new_client(server) as second:
        token = await _login_form(first)
        await second.get("/ui/login")
        reply = await second.post(
            "/ui/login", data={"api_key": server.api_key, "csrf": token}, allow_redirects=False
        )
        assert reply.status == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://127.0.0.1:1"},
    ],
)
async def test_login_from_a_foreign_origin_is_refused(server, anonymous, headers) -> None:
    token = await _login_form(anonymous)
    reply = await anonymous.post(
        "/ui/login",
        data={"api_key": server.api_key, "csrf": token},
        headers=headers,
        allow_redirects=False,
    )
    assert reply.status == 403


async def test_login_from_its_own_origin_passes(server, anonymous) -> None:
    token = await _login_form(anonymous)
    reply = await anonymous.post(
        "/ui/login",
        data={"api_key": server.api_key, "csrf": token},
        headers={"Origin": server.url, "Referer": server.url + "/ui/login"},
        allow_redirects=False,
    )
    assert reply.status == 303


async def test_the_key_never_appears_in_a_page_or_a_redirect(server, store, anonymous) -> None:
    add_session(store, "s1")
    seen: list[str] = []
    reply = await sign_in(anonymous, server.api_key)
    seen += [
        reply.headers.get("Location", ""),
        *reply.headers.getall("Set-Cookie"),
        await reply.text(),
    ]
    for path in ("/ui", "/ui/sessions/s1", "/ui/runs", "/ui/login", "/ui/nope"):
        page = await anonymous.get(path)
        seen += [str(page.url), await page.text(), *page.headers.values()]
        seen += [str(step.headers.get("Location")) for step in page.history]
    wrong = await sign_in(anonymous, "wrong-" + server.api_key)
    seen.append(await wrong.text())
    assert all(server.api_key not in text for text in seen)


async def test_redirect_after_login_goes_to_the_page_asked_for(server, store, anonymous) -> None:
    add_session(store, "s1", session_name="asked-for")
    first = await anonymous.get("/ui/sessions/s1?event=s1", allow_redirects=False)
    login_url = first.headers["Location"]
    form = await (await anonymous.get(login_url)).text()
    next_value = re.search(r'name="next" value="([^"]+)"', form)
    assert next_value is not None
    assert next_value.group(1) == "/ui/sessions/s1?event=s1"
    reply = await anonymous.post(
        "/ui/login",
        data={"api_key": server.api_key, "csrf": csrf_of(form), "next": next_value.group(1)},
        allow_redirects=False,
    )
    assert reply.headers["Location"] == "/ui/sessions/s1?event=s1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/ui",
        "//evil.example/ui",
        "/\\evil.example",
        "/v1/sessions",
        "/uiother",
        "javascript:alert(1)",
        "/ui\r\nSet-Cookie: x=1",
        "",
        "/ui/logout",
    ],
)
def test_no_open_redirect(target: str) -> None:
    assert safe_next(target) == "/ui"


@pytest.mark.parametrize("target", ["/ui", "/ui/runs", "/ui/sessions/a?event=b"])
def test_ui_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target


async def test_logout_forgets_the_session_and_needs_its_csrf_token(server, ui) -> None:
    page = await (await ui.get("/ui")).text()
    token = re.search(r'id="logout"><input type="hidden" name="csrf" value="([^"]+)"', page)
    assert token is not None
    refused = await ui.post("/ui/logout", data={"csrf": "forged"}, allow_redirects=False)
    assert refused.status == 403
    foreign = await ui.post(
        "/ui/logout",
        data={"csrf": token.group(1)},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
    )
    assert foreign.status == 403
    assert (await ui.get("/ui", allow_redirects=False)).status == 200
    session_cookie = next(c for c in ui.cookie_jar if c.key == "hh_ui").value
    done = await ui.post("/ui/logout", data={"csrf": token.group(1)}, allow_redirects=False)
    assert done.status == 303
    cookie = next(c for c in done.headers.getall("Set-Cookie") if c.startswith("hh_ui="))
    assert "Max-Age=0" in cookie
    assert (await ui.get("/ui", allow_redirects=False)).status == 303
    # The token itself is dead, even if a copy of the cookie is replayed.
    replay = await ui.get(
        "/ui", headers={"Cookie": f"hh_ui={session_cookie}"}, allow_redirects=False
    )
    assert replay.status == 303


async def test_security_headers_on_every_ui_response(server, store, ui) -> None:
    add_session(store, "s1")
    paths = [
        "/ui",
        "/ui/login",
        "/ui/sessions/s1",
        "/ui/sessions/none",
        "/ui/runs",
        "/ui/no/such",
        "/ui/static/ui.css",
        "/ui/static/ui.js",
        "/ui/static/other.js",
    ]
    for path in paths:
        reply = await ui.get(path)
        assert reply.headers["Content-Security-Policy"] == CSP, path
        assert "'unsafe-inline'" not in reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "same-origin"
    reply = await ui.put("/ui")
    assert reply.status == 405
    assert reply.headers["Content-Security-Policy"] == CSP


async def test_static_files_are_served_with_their_types(server, anonymous) -> None:
    css = await anonymous.get("/ui/static/ui.css")
    js = await anonymous.get("/ui/static/ui.js")
    assert (css.status, css.content_type) == (200, "text/css")
    assert (js.status, js.content_type) == (200, "text/javascript")
    assert ".event-row" in await css.text()
    assert "event-panel" in await js.text()
    assert (await anonymous.get("/ui/static/../app.py")).status == 404


async def test_api_routes_still_need_the_bearer_key(server: LocalServer) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:
        assert (await http.get("/v1/sessions/x")).status == 401


async def test_a_one_time_link_signs_in_once(server, store, anonymous) -> None:
    add_session(store, "s1", session_name="landed")
    link = sign_in_link(server.app, "/ui/sessions/s1")
    assert server.api_key not in link
    reply = await anonymous.get(link, allow_redirects=False)
    assert reply.status == 303
    assert reply.headers["Location"] == "/ui/sessions/s1"
    cookie = next(c for c in reply.headers.getall("Set-Cookie") if c.startswith("hh_ui="))
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "landed" in await (await anonymous.get("/ui/sessions/s1")).text()
    async with new_client(server) as other:
        second = await other.get(link, allow_redirects=False)
        assert second.status == 200
        assert '<p id="login-error"' in await second.text()
        assert (await other.get("/ui", allow_redirects=False)).status == 303


async def test_an_expired_or_unknown_one_time_link_is_refused(server, anonymous) -> None:
    auth = server.app[AUTH_KEY]
    now = [1000.0]
    auth.clock = lambda: now[0]
    link = sign_in_link(server.app)
    now[0] += ONCE_TTL_S
    assert (await anonymous.get(link, allow_redirects=False)).status == 200
    fresh = sign_in_link(server.app)
    now[0] += ONCE_TTL_S - 1
    assert (await anonymous.get(fresh, allow_redirects=False)).status == 303
    for bad in ("/ui/login/once", "/ui/login/once?token=", "/ui/login/once?token=guess"):
        reply = await anonymous.get(bad, allow_redirects=False)
        assert reply.status == 200
        assert '<form id="login"' in await reply.text()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/v1/events"])
async def test_a_one_time_link_only_goes_to_ui_pages(server, anonymous, target) -> None:
    link = sign_in_link(server.app, target)
    reply = await anonymous.get(link, allow_redirects=False)
    assert reply.headers["Location"] == "/ui"
    token = server.app[AUTH_KEY].mint_once()
    reply = await anonymous.get(
        "/ui/login/once", params={"token": token, "next": target}, allow_redirects=False
    )
    assert reply.headers["Location"] == "/ui"
