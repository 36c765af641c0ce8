"""Headless Chromium against a seeded local server: shared by tests/browser/ and tools.screenshots.

The browser is Debian's ``chromium`` package (``.ci/run`` installs it), driven by Python
``playwright`` through `executable_path`: ``playwright install`` and its browser download are
never used. `seed` fills a server with what the web view shows: the demo's session, a small
experiment (a dataset on the server, two runs of it, one datapoint improved and one regressed),
and a session whose inputs and name hold HTML that must stay text.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.demo import answer_question
from honeyhive_async.experiments import evaluate
from honeyhive_async.tracing import Tracer

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Dialog, Page, Playwright, Request
    from playwright.async_api import Response as PageResponse

    from honeyhive_async.models import SessionTree
    from honeyhive_async.server import LocalServer

__all__ = [
    "CHROMIUM_ARGS",
    "PageWatch",
    "Seeded",
    "chromium_path",
    "launch",
    "seed",
    "sign_in",
]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine's network is closed: Chromium's own background connections would fail
    # (and log) otherwise.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags for a quiet, offline, root-friendly (containers) headless Chromium."""

XSS_PAYLOAD = "<script>alert(1)</script>"
XSS_NAME = 'xss "quoted" <b>bold</b> <script>alert(2)</script>'
"""A session name with markup and quotes: the sessions list must show it as this exact text."""
BIG_TRANSCRIPT = "".join(f"line {n}: {XSS_PAYLOAD}\n" for n in range(1000))
"""Longer than the page's 10 KB cut even as the tracer stores it (cut to its string bound)."""

_QUESTIONS = {
    # datapoint question -> (ground truth, baseline answer, candidate answer)
    "capital of France": ("Paris", "Lyon", "Paris"),  # improved
    "largest planet": ("Jupiter", "Jupiter", "Saturn"),  # regressed
    "boiling point of water in C": ("100", "100", "100"),  # same, right
    "author of Hamlet": ("Shakespeare", "Marlowe", "Bacon"),  # same, wrong
}


def chromium_path() -> str | None:
    """The Chromium to drive: ``$HONEYHIVE_CHROMIUM``, else ``chromium`` on PATH, else None."""
    chosen = os.environ.get("HONEYHIVE_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


async def launch(playwright: Playwright, executable: str) -> Browser:
    """Start headless `executable` (Debian's Chromium) with `CHROMIUM_ARGS`."""
    return await playwright.chromium.launch(
        executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
    )


@dataclass(frozen=True)
class Seeded:
    """What `seed` stored, for the pages to be checked against.

    Attributes:
        api_key: The key the login form takes.
        demo: The demo's session as the server returns it (`walk_with_depth` is tree order).
        hostile_session_id: The session whose name and inputs hold markup, and whose
            metadata is `BIG_TRANSCRIPT`.
        hostile_transcript: That metadata as stored (the tracer bounds a long string).
        dataset_id: The dataset on the server both runs used.
        datapoint_ids: Its datapoints, in order.
        old_run_id: The baseline run.
        new_run_id: The candidate run.
        improved: The datapoint the candidate got right and the baseline wrong.
        regressed: The datapoint the candidate got wrong and the baseline right.
    """

    api_key: str
    demo: SessionTree
    hostile_session_id: str
    hostile_transcript: str
    dataset_id: str
    datapoint_ids: list[str]
    old_run_id: str
    new_run_id: str
    improved: str
    regressed: str


async def seed(server: LocalServer) -> Seeded:
    """Store the demo session, the experiment and the hostile session in `server`."""
    async with AsyncHoneyHive(server.api_key, base_url=server.url, timeout=60.0) as client:
        tracer = Tracer(client, source="demo", flush_at_exit=False)
        try:
            async with tracer.session(
                "demo-chat",
                inputs={"question": "What does HoneyHive record?"},
                user_properties={"user": "demo"},
            ) as demo:
                result = await answer_question("What does HoneyHive record?")
                demo.update(outputs={"answer": result["answer"]})
            async with tracer.session(
                XSS_NAME,
                inputs={"question": XSS_PAYLOAD},
                metadata={"transcript": BIG_TRANSCRIPT},
                user_properties={"user": "mallory"},
            ) as hostile:
                hostile.update(outputs={"answer": f"{XSS_PAYLOAD} '\"&"})
            report = await tracer.aclose(timeout=30)
        finally:
            await tracer.aclose(timeout=1)
        if report.dropped or report.pending:
            raise RuntimeError(f"seeding lost events: {report}")
        ids = [
            (
                await client.datapoints.create(
                    inputs={"question": question}, ground_truth={"answer": truth}
                )
            ).datapoint_id
            for question, (truth, _, _) in _QUESTIONS.items()
        ]
        dataset = await client.datasets.create(name="capitals-and-more", datapoints=ids)
        old = await _run(client, dataset.dataset_id, "baseline", 1)
        new = await _run(client, dataset.dataset_id, "candidate", 2)
        tree = await client.session.get_tree(demo.event_id)
        stored = (await client.session.get_tree(hostile.event_id)).metadata or {}
    return Seeded(
        api_key=server.api_key,
        demo=tree,
        hostile_session_id=hostile.event_id,
        hostile_transcript=str(stored["transcript"]),
        dataset_id=dataset.dataset_id,
        datapoint_ids=ids,
        old_run_id=old,
        new_run_id=new,
        improved=ids[0],
        regressed=ids[1],
    )


async def _run(client: AsyncHoneyHive, dataset_id: str, name: str, column: int) -> str:
    """One run over the dataset answering from `_QUESTIONS`' `column`; its run id."""
    answers = {question: row[column] for question, row in _QUESTIONS.items()}

    async def answer(inputs: dict[str, Any]) -> dict[str, str]:
        return {"answer": answers[inputs["question"]]}

    def exact_match(outputs: Any, _inputs: Any, ground_truth: Any) -> float:
        return 1.0 if outputs == ground_truth else 0.0

    def has_answer(outputs: Any, _inputs: Any, _ground_truth: Any) -> float:
        return 1.0 if outputs.get("answer") else 0.0

    result = await evaluate(
        answer,
        dataset_id=dataset_id,
        evaluators=[exact_match, has_answer],
        name=name,
        client=client,
        progress=False,
    )
    return result.run_id


@dataclass
class PageWatch:
    """Everything a page did wrong: console errors, page errors, failed requests, dialogs.

    A response of 400 and up counts too, a page's own included, unless the test `allow`ed
    that path and status (Chromium logs such a response as a console error naming only the
    status; the response itself names the URL, so it is reported from there).
    """

    problems: list[str] = field(default_factory=list)
    allowed: set[tuple[str, int]] = field(default_factory=set)
    _answered: set[str] = field(default_factory=set)
    """URLs answered with an allowed status (Chromium may then abort reading the body)."""

    def attach(self, page: Page) -> None:
        """Listen to `page`'s events from now on."""
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def allow(self, path: str, status: int) -> None:
        """Expect `status` from `path` (e.g. the 401 of a wrong key): not a problem."""
        self.allowed.add((path, status))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "assert"):
            return
        if message.text.startswith(_STATUS_LOG):
            return  # reported (or allowed) by `_response`, which knows the URL
        self.problems.append(f"console {message.type}: {message.text} at {message.location}")

    def _page_error(self, error: Exception) -> None:
        self.problems.append(f"page error: {error}")

    def _request_failed(self, request: Request) -> None:
        if request.url in self._answered:
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: PageResponse) -> None:
        if response.status < 400:
            return
        if (urlsplit(response.url).path, response.status) in self.allowed:
            self._answered.add(response.url)
        else:
            self.problems.append(f"response {response.status}: {response.url}")

    async def _dialog(self, dialog: Dialog) -> None:
        # A dialog means a script ran that the page did not ship: record it, never block.
        self.problems.append(f"dialog {dialog.type}: {dialog.message}")
        await dialog.dismiss()


_STATUS_LOG = "Failed to load resource: the server responded with a status of "


async def sign_in(page: Page, base_url: str, api_key: str, path: str = "/ui") -> None:
    """Open `path`, which asks for the key, and sign in through the form."""
    await page.goto(base_url + path)
    await page.fill("form#login input[name=api_key]", api_key)
    async with page.expect_navigation():
        await page.click("form#login button[type=submit]")
