"""Each group's tests run twice over: request shape on aioresponses, round trip on the local server.

`mock_api` and `mock_client` come from the root conftest; the local-server fixtures are the
integration suite's, imported so that both suites build and close their clients one way.
"""

from tests.integration.conftest import client, make_client, server

__all__ = ["client", "make_client", "server"]
