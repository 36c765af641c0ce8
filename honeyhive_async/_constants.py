"""Defaults shared by the client, the transport and the retry policy."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.honeyhive.ai"
API_KEY_ENV_VARS = ("HH_API_KEY", "HONEYHIVE_API_KEY")
BASE_URL_ENV_VAR = "HH_API_URL"

DEFAULT_TIMEOUT = 60.0
"""Seconds one call may take, retries and their waits included."""
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_CONNECTION_LIMIT = 100

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
"""A server that asks for a longer wait than this is not retried: the error goes to the caller."""

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")

DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
"""Largest response body (after gzip inflation) a call accepts: 256 MiB.

The largest documented page is an export of 7,500 events. A long event of the benchmark corpus
(a 5-9 KB retrieved context and 10-24 chat turns) encodes to 19.8 KB on average and 27.4 KB at
most (500 measured), so 7,500 of the largest is 196 MiB: the default leaves ~30 % above that,
and still stops a decompression bomb long before it exhausts memory.
"""

ERROR_BODY_LIMIT = 64 * 1024
"""Bytes of a response body an exception keeps: enough to diagnose, not a 50 MB body per error."""
