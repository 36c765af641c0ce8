"""Resource groups hung off the client: `client.session`, `client.events`, `client.runs`."""

from .events import AsyncEvents
from .runs import AsyncRuns
from .sessions import AsyncSessions

__all__ = ["AsyncEvents", "AsyncRuns", "AsyncSessions"]
