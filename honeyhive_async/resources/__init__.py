"""Resource groups hung off the client: `client.session` and `client.events`."""

from .events import AsyncEvents
from .metrics import AsyncMetrics
from .sessions import AsyncSessions

__all__ = ["AsyncEvents", "AsyncMetrics", "AsyncSessions"]
