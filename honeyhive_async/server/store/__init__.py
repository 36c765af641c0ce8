"""SQLite persistence for the local server: one module per API group over one shared database.

`Store` composes the groups (``store.events``, ``store.sessions``) so the app holds a single
object; it also keeps the flat methods (``store.count()``, ``store.start_session(...)``) the
store has always had. Nothing here knows about HTTP.

A new group (say datasets) is a module ``store/datasets.py`` with a class that takes the
`Database` (and creates its tables with `Database.create`), plus one line in `Store.__init__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..filters import FilterError, project_fields
from ._crud import Doc
from ._db import Database, EventDict, EventTable
from ._records import LOCAL_ORG_ID, LOCAL_PROJECT_ID, LOCAL_WORKSPACE_ID
from .charts import Charts
from .configurations import Configurations
from .datapoints import Datapoints
from .datasets import Datasets
from .events import BatchResult, EventQuery, Events
from .metrics import Metrics
from .projects import Projects
from .queues import Queues
from .runs import Runs
from .sessions import Sessions
from .spans import SpanEvent, Spans

if TYPE_CHECKING:
    from ...models import (
        CreateEventBatchRequest,
        CreateEventRequest,
        StartSessionRequest,
        UpdateEventRequest,
    )

__all__ = [
    "LOCAL_ORG_ID",
    "LOCAL_PROJECT_ID",
    "LOCAL_WORKSPACE_ID",
    "BatchResult",
    "Charts",
    "Configurations",
    "Database",
    "Datapoints",
    "Datasets",
    "Doc",
    "EventDict",
    "EventQuery",
    "EventStore",
    "EventTable",
    "Events",
    "FilterError",
    "Metrics",
    "Projects",
    "Queues",
    "Runs",
    "Sessions",
    "SpanEvent",
    "Spans",
    "Store",
    "project_fields",
]


class Store:
    """Every group's store over one SQLite database.

    Not thread-safe: use it from the thread (event loop) that created it.

    Attributes:
        path: The database path (``":memory:"`` keeps nothing).
        db: The shared `Database`.
        events: Events: create, read, update, search.
        sessions: Sessions: start, tree, delete.
        spans: OTLP spans stored as events, placed in sessions and trees.
        datapoints: Datapoints, and the links between datapoints and datasets.
        datasets: Datasets: named lists of datapoints.
        runs: Experiment runs: create, read, list, update, delete, their sessions.
        metrics: Metrics and their versions.
        configurations: Configurations.
        projects: Projects, unique by name.
        charts: Charts.
        queues: Annotation queues.
    """

    def __init__(self, path: str = ":memory:") -> None:
        """Open (and create if needed) the database at `path`; ``":memory:"`` keeps nothing."""
        self.path = path
        self.db = Database(path)
        events_table = EventTable(self.db)
        self.sessions = Sessions(events_table)
        self.events = Events(events_table, self.sessions)
        self.spans = Spans(events_table, self.db)
        self.datapoints = Datapoints(self.db)
        self.datasets = Datasets(self.db, self.datapoints)
        self.runs = Runs(self.db, events_table)
        self.metrics = Metrics(self.db)
        self.configurations = Configurations(self.db)
        self.projects = Projects(self.db)
        self.charts = Charts(self.db)
        self.queues = Queues(self.db)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    # The flat names below predate the groups; new groups are reached only as attributes.

    def get_event(self, event_id: str) -> EventDict | None:
        """Return the event with this id, or None."""
        return self.events.get(event_id)

    def get_session(self, session_id: str) -> EventDict | None:
        """Return the session event (``event_type == "session"``) with this id, or None."""
        return self.sessions.get(session_id)

    def count(self, session_id: str | None = None) -> int:
        """Return how many events are stored, in one session or in all."""
        return self.events.count(session_id)

    def session_events(self, session_id: str) -> list[EventDict]:
        """Return every event of a session (the session event included), oldest first."""
        return self.sessions.events(session_id)

    def start_session(self, req: StartSessionRequest) -> EventDict:
        """Create the session event, or merge metadata/user_properties into an existing one."""
        return self.sessions.start(req)

    def create_event(self, req: CreateEventRequest) -> EventDict:
        """Store an event, replacing any event with the same id."""
        return self.events.create(req)

    def create_batch(
        self, req: CreateEventBatchRequest, *, max_created: int | None = None
    ) -> BatchResult:
        """Store a batch of events; see `Events.create_batch`."""
        return self.events.create_batch(req, max_created=max_created)

    def update_event(self, event_id: str, req: UpdateEventRequest) -> EventDict | None:
        """Apply an update and return the new event, or None; see `Events.update`."""
        return self.events.update(event_id, req)

    def delete_session(self, session_id: str) -> int:
        """Delete every event of a session, the session event included; return how many."""
        return self.sessions.delete(session_id)

    def search(self, query: EventQuery) -> tuple[list[EventDict], int]:
        """Return one page of matching events and the total count; see `Events.search`."""
        return self.events.search(query)

    def session_tree(self, session_id: str) -> EventDict | None:
        """Return the session event with its events nested, or None; see `Sessions.tree`."""
        return self.sessions.tree(session_id)


EventStore = Store
"""The name `honeyhive_async.server` has always exported for `Store`."""
