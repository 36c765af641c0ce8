"""Resource groups hung off the client: `client.session`, `client.events`, `client.datapoints`, ..."""

from .datapoints import AsyncDatapoints
from .datasets import AsyncDatasets
from .events import AsyncEvents
from .runs import AsyncRuns
from .sessions import AsyncSessions

__all__ = ["AsyncDatapoints", "AsyncDatasets", "AsyncEvents", "AsyncRuns", "AsyncSessions"]
