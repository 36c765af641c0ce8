from __future__ import annotations

import pytest

from honeyhive_async import errors
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
