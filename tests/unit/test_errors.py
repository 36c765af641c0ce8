from __future__ import annotations

import pytest

from honeyhive_async import errors
from honeyhive_async._scrub import cut_body
from honeyhive_async.errors import error_for_status


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (422, errors.UnprocessableEntityError),
        (429, errors.RateLimitError),
        (500, errors.InternalServerError),
        (502, errors.InternalServerError),
        (504, errors.InternalServerError),
        (418, errors.APIStatusError),
    ],
)
def test_error_for_status_picks_the_class(status: int, cls: type[errors.APIStatusError]) -> None:
    exc = error_for_status(method="GET", path="/v1/events/x", status=status, body={})
    assert type(exc) is cls
    assert exc.status == status
    assert isinstance(exc, errors.HoneyHiveError)


def test_status_error_carries_server_message_code_and_request_id() -> None:
    body = {"message": "Event not found", "errorCode": "NOT_FOUND"}
    exc = error_for_status(
        method="GET", path="/v1/events/e1", status=404, body=body, request_id="req-9"
    )
    assert exc.server_message == "Event not found"
    assert exc.error_code == "NOT_FOUND"
    assert exc.request_id == "req-9"
    assert exc.body == body
    assert (
        str(exc)
        == "GET /v1/events/e1 failed with status 404: NOT_FOUND - Event not found (request id req-9)"
    )


def test_status_error_with_a_text_body() -> None:
    exc = error_for_status(method="GET", path="/x", status=502, body="<html>bad gateway</html>")
    assert exc.server_message is None
    assert "bad gateway" in str(exc)


def test_decode_error_names_method_path_and_first_bytes() -> None:
    exc = errors.APIResponseDecodeError(
        method="GET", path="/session/s1", status=200, body=b"<html>" + b"x" * 1000, reason="bad"
    )
    text = str(exc)
    assert "GET /session/s1" in text
    assert "<html>" in text
    assert len(text) < 400


def test_timeout_is_a_connection_error() -> None:
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert issubclass(errors.PartialBatchError, errors.InternalServerError)


def test_missing_key_names_both_variables() -> None:
    text = str(errors.MissingAPIKeyError())
    assert "HH_API_KEY" in text
    assert "HONEYHIVE_API_KEY" in text


def test_decode_error_body() -> None:
    assert errors.decode_error_body(b'{"message": "m"}') == {"message": "m"}
    assert errors.decode_error_body(b"\xffoops") == "\ufffdoops"


KEY = "hh-secret-key-123"


def test_cut_body_drops_a_key_split_by_the_cut() -> None:
    # The read stopped inside the key, past the 64 KiB boundary: no part of it may survive.
    head = b"x" * (errors.ERROR_BODY_LIMIT - 6)
    assert cut_body(head + KEY.encode()[:10], KEY) == head
    # A whole key is scrubbed before the cut.
    assert cut_body(head + KEY.encode(), KEY) == head + b"[REDAC"
    assert cut_body(b"Bearer " + KEY.encode(), KEY) == b"Bearer [REDACTED]"


def test_decode_error_body_scrubs_plain_and_escaped_keys() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    body = f'{{"message": "Bearer {escaped}", "{KEY}": ["{KEY}"]}}'.encode()
    assert errors.decode_error_body(body, secret=KEY) == {
        "message": "Bearer [REDACTED]",
        "[REDACTED]": ["[REDACTED]"],
    }
    assert errors.decode_error_body(f"text {KEY}".encode(), secret=KEY) == "text [REDACTED]"


def test_a_decode_error_keeps_at_most_64_kib_of_the_body() -> None:
    body = b"<html>" + b"x" * (5 * errors.ERROR_BODY_LIMIT)
    exc = errors.APIResponseDecodeError(
        method="GET", path="/x", status=200, body=body, reason="bad"
    )
    assert exc.body == body[: errors.ERROR_BODY_LIMIT]
    assert exc.body_size == len(body)
    assert exc.body_truncated is True


def test_a_huge_server_message_does_not_make_a_huge_error_message() -> None:
    exc = error_for_status(method="GET", path="/x", status=500, body={"message": "m" * 10**6})
    assert len(str(exc)) < 1000
