"""Scrubbing the client's own API key out of what a response brings back.

A proxy or a server may echo the request's `Authorization` header in an error body or a
header; every text an error keeps from a response passes through here first.
"""

from __future__ import annotations

import msgspec

from ._constants import ERROR_BODY_LIMIT

__all__ = ["REDACTED", "cut_body", "scrub", "scrub_decoded", "scrub_text", "secret_forms"]

REDACTED = "[REDACTED]"


def scrub(content: bytes, secret: str | None) -> bytes:
    """Replace `secret` (and its JSON-escaped form) in a response body with `[REDACTED]`.

    The client's own key is scrubbed from every response text it keeps: a proxy or a server
    may echo the request's `Authorization` header back in an error body.
    """
    if not secret:
        return content
    for form in secret_forms(secret):
        if form in content:
            content = content.replace(form, REDACTED.encode())
    return content


def secret_forms(secret: str) -> tuple[bytes, ...]:
    """The key as raw UTF-8 and as JSON-escaped text (they differ for quotes, controls, ...)."""
    plain = secret.encode("utf-8", "surrogatepass")
    escaped = msgspec.json.encode(secret)[1:-1]
    return (plain,) if escaped == plain else (plain, escaped)


def scrub_text(text: str, secret: str | None) -> str:
    """Replace `secret` in a text with `[REDACTED]`."""
    if secret and secret in text:
        return text.replace(secret, REDACTED)
    return text


def cut_body(content: bytes, secret: str | None) -> bytes:
    """Return the first `ERROR_BODY_LIMIT` bytes of a scrubbed body.

    A cut can split the key; a tail that is the start of the key is dropped too.
    """
    content = scrub(content, secret)
    if len(content) <= ERROR_BODY_LIMIT:
        return content
    content = content[:ERROR_BODY_LIMIT]
    if secret:
        key = secret.encode("utf-8", "surrogatepass")
        for n in range(min(len(key) - 1, len(content)), 0, -1):
            if content.endswith(key[:n]):
                return content[:-n]
    return content


def scrub_decoded(value: object, secret: str) -> object:
    """Scrub `secret` from every string (and key) of decoded JSON."""
    if isinstance(value, str):
        return scrub_text(value, secret)
    if isinstance(value, list):
        return [scrub_decoded(v, secret) for v in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), secret): scrub_decoded(v, secret) for k, v in value.items()}
    return value
