"""What every resource group shares: the client it borrows requests from, and decoding."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import msgspec

from .._scrub import cut_body
from ..errors import APIResponseDecodeError
from ..models._decode import decode

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive
    from .._transport import RawResponse

__all__ = ["AsyncResource", "encoder", "path_id"]

T = TypeVar("T")

encoder = msgspec.json.Encoder()


_plain_id = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch


def path_id(name: str, value: str) -> str:
    """Validate an id bound for a URL path and percent-encode it."""
    if type(value) is str and _plain_id(value):
        return value  # UUIDs and the like need no encoding: skip quote()
    if not isinstance(value, str) or not value.strip():  # type: ignore[redundant-expr] # callers may be untyped
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return quote(value, safe="")


class AsyncResource:
    """A group of endpoints hung off the client (`client.session`, `client.events`)."""

    def __init__(self, client: AsyncHoneyHive) -> None:
        self._client = client

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: msgspec.Struct | None = None,
        idempotent: bool = True,
    ) -> RawResponse:
        content = encoder.encode(body) if body is not None else None
        return await self._client._request(method, path, content=content, idempotent=idempotent)

    async def _call(
        self,
        method: str,
        path: str,
        decoder: msgspec.json.Decoder[T],
        *,
        body: msgspec.Struct | None = None,
        idempotent: bool = True,
    ) -> T:
        content = encoder.encode(body) if body is not None else None
        raw = await self._client._request(method, path, content=content, idempotent=idempotent)
        try:
            return decode(decoder, raw.content)
        except (msgspec.DecodeError, RecursionError) as exc:
            # RecursionError: a body nested deeper than the decoder's stack allows (a session
            # tree ~500 levels deep, a free-form field ~1,000).
            reason = "nested too deeply to decode" if isinstance(exc, RecursionError) else str(exc)
            raise APIResponseDecodeError(
                method=method,
                path=path,
                status=raw.status,
                body=cut_body(raw.content, self._client._transport._api_key),
                body_size=len(raw.content),
                reason=reason,
            ) from exc
