"""Resource groups hung off the client: `client.session`, `client.events`, `client.datapoints`, ..."""

from .charts import AsyncCharts
from .configurations import AsyncConfigurations
from .datapoints import AsyncDatapoints
from .datasets import AsyncDatasets
from .events import AsyncEvents
from .metrics import AsyncMetrics
from .projects import AsyncProjects
from .queues import AsyncQueues
from .runs import AsyncRuns
from .sessions import AsyncSessions

__all__ = [
    "AsyncCharts",
    "AsyncConfigurations",
    "AsyncDatapoints",
    "AsyncDatasets",
    "AsyncEvents",
    "AsyncMetrics",
    "AsyncProjects",
    "AsyncQueues",
    "AsyncRuns",
    "AsyncSessions",
]
