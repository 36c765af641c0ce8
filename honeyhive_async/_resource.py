"""The base of every resource group: it borrows the client's request path and decodes replies.

A group (`client.session`, `client.events`) subclasses `AsyncAPIResource`, validates its
arguments, builds the path and calls one of `_get`, `_post`, `_put`, `_delete` with the type to
decode the reply into. Nothing else: retries, timeouts and errors belong to the client.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

import msgspec

from ._scrub import cut_body
from .errors import APIResponseDecodeError
from .models._decode import decode

if TYPE_CHECKING:
    from ._client import AsyncHoneyHive
    from ._qs import Query
    from ._transport import RawResponse

__all__ = ["AsyncAPIResource", "NoneType", "decoder_for", "path_id"]

T = TypeVar("T")

NoneType: type[None] = type(None)
"""`cast_to=NoneType`: the reply is not decoded (a documented 200 without a body)."""

_encode = msgspec.json.Encoder().encode
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_UNDECODABLE = (msgspec.DecodeError, RecursionError)
_plain_id = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch
_DOT_SEGMENTS = frozenset((".", ".."))


def decoder_for(cls: type[T]) -> msgspec.json.Decoder[T]:
    """Return the one JSON decoder for `cls`, built on first use and reused by every call."""
    decoder = _decoders.get(cls)
    if decoder is None:
        # Two threads may both build one; either is fine, and later calls find it.
        decoder = _decoders[cls] = msgspec.json.Decoder(cls)
    return decoder


def path_id(name: str, value: str) -> str:
    """Validate an id bound for a URL path and percent-encode it."""
    if type(value) is str and _plain_id(value) and value not in _DOT_SEGMENTS:
        return value  # UUIDs and the like need no encoding: skip quote()
    if not isinstance(value, str) or not value.strip():  # type: ignore[redundant-expr] # callers may be untyped
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if value in _DOT_SEGMENTS:
        # URL normalisation (yarl, proxies, load balancers) removes dot segments, even
        # percent-encoded ones: `/datasets/d/datapoints/..` would reach `/datasets/d`.
        raise ValueError(f"{name} cannot be {value!r}: a URL path cannot address it")
    return quote(value, safe="")


class AsyncAPIResource:
    """A group of endpoints hung off the client (`client.session`, `client.events`).

    Each verb sends one call through the client (retries, deadline, errors) and decodes the
    2xx body into `cast_to`. `params` become the query string (see `honeyhive_async._qs`);
    `body` is a request Struct, sent as JSON. `idempotent=False` marks a call that is unsafe
    to repeat once the server may have acted on it.
    """

    def __init__(self, client: AsyncHoneyHive) -> None:
        self._client = client

    # Each verb decodes inline rather than through a shared helper: one Python frame fewer
    # on every call; only a failure leaves for `_decode_error`.

    async def _get(self, path: str, *, cast_to: type[T], params: Query | None = None) -> T:
        raw = await self._client._request("GET", path, params=params)
        if cast_to is NoneType:
            return cast(T, None)
        decoder: msgspec.json.Decoder[T] = _decoders.get(cast_to) or decoder_for(cast_to)
        try:
            return decode(decoder, raw.content)
        except _UNDECODABLE as exc:
            raise self._decode_error("GET", path, raw, exc) from exc

    async def _post(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: msgspec.Struct | None = None,
        params: Query | None = None,
        idempotent: bool = True,
    ) -> T:
        content = None if body is None else _encode(body)
        raw = await self._client._request(
            "POST", path, params=params, content=content, idempotent=idempotent
        )
        if cast_to is NoneType:
            return cast(T, None)
        decoder: msgspec.json.Decoder[T] = _decoders.get(cast_to) or decoder_for(cast_to)
        try:
            return decode(decoder, raw.content)
        except _UNDECODABLE as exc:
            raise self._decode_error("POST", path, raw, exc) from exc

    async def _put(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: msgspec.Struct | None = None,
        params: Query | None = None,
        idempotent: bool = True,
    ) -> T:
        content = None if body is None else _encode(body)
        raw = await self._client._request(
            "PUT", path, params=params, content=content, idempotent=idempotent
        )
        if cast_to is NoneType:
            return cast(T, None)
        decoder: msgspec.json.Decoder[T] = _decoders.get(cast_to) or decoder_for(cast_to)
        try:
            return decode(decoder, raw.content)
        except _UNDECODABLE as exc:
            raise self._decode_error("PUT", path, raw, exc) from exc

    async def _delete(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Query | None = None,
        idempotent: bool = True,
    ) -> T:
        raw = await self._client._request("DELETE", path, params=params, idempotent=idempotent)
        if cast_to is NoneType:
            return cast(T, None)
        decoder: msgspec.json.Decoder[T] = _decoders.get(cast_to) or decoder_for(cast_to)
        try:
            return decode(decoder, raw.content)
        except _UNDECODABLE as exc:
            raise self._decode_error("DELETE", path, raw, exc) from exc

    def _decode_error(
        self, method: str, path: str, raw: RawResponse, exc: Exception
    ) -> APIResponseDecodeError:
        # RecursionError: a body nested deeper than the decoder's stack allows (a session
        # tree ~500 levels deep, a free-form field ~1,000).
        reason = "nested too deeply to decode" if isinstance(exc, RecursionError) else str(exc)
        return APIResponseDecodeError(
            method=method,
            path=path,
            status=raw.status,
            body=cut_body(raw.content, self._client._transport._api_key),
            body_size=len(raw.content),
            reason=reason,
        )
