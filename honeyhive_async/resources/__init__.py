"""Resource groups hung off the client: `client.session` and `client.events`."""

from .charts import AsyncCharts
from .configurations import AsyncConfigurations
from .events import AsyncEvents
from .metrics import AsyncMetrics
from .projects import AsyncProjects
from .queues import AsyncQueues
from .sessions import AsyncSessions

__all__ = [
    "AsyncCharts",
    "AsyncConfigurations",
    "AsyncEvents",
    "AsyncMetrics",
    "AsyncProjects",
    "AsyncQueues",
    "AsyncSessions",
]
