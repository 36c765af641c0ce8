"""`client.projects`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, BadRequestError, ConflictError, NotFoundError
from honeyhive_async.models import Project
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent

ITEM = {
    "id": "p1",
    "name": "chatbot",
    "description": "d",
    "type": "completion",
    "org_id": "o1",
    "created_at": "2024-04-01T22:38:19.000Z",
    "updated_at": "2024-04-01T22:38:19.000Z",
    "extra": {"kept": "out"},
}


class TestProjectsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_decodes_the_bare_array(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/projects?name=chatbot", payload=[ITEM])
        (project,) = await mock_client.projects.list(name="chatbot")
        assert isinstance(project, Project)
        assert (project.id, project.name, project.org_id, project.type) == (
            "p1",
            "chatbot",
            "o1",
            "completion",
        )
        assert project.created_at_ms == 1_712_011_099_000.0

    async def test_create_update_delete(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/projects", payload=ITEM)
        mock_api.put(f"{MOCK_URL}/v1/projects", body=b"")
        mock_api.delete(f"{MOCK_URL}/v1/projects?name=chatbot", body=b"")

        created = await mock_client.projects.create(name="chatbot", type="completion")
        assert created.id == "p1"
        assert mock_sent(mock_api, "POST", "/v1/projects") == {
            "name": "chatbot",
            "type": "completion",
        }
        await mock_client.projects.update(name="chatbot", new_name="bot")
        assert mock_sent(mock_api, "PUT", "/v1/projects") == {"name": "chatbot", "new_name": "bot"}
        await mock_client.projects.delete("chatbot")
        assert mock_sent(mock_api, "DELETE", "/v1/projects?name=chatbot") is None

    @pytest.mark.parametrize("bad", ["", "  "])
    async def test_blank_names_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
    ) -> None:
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            await mock_client.projects.create(name=bad)
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            await mock_client.projects.update(name=bad, description="d")
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            await mock_client.projects.delete(bad)
        assert mock_api.requests == {}


class TestProjectsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_list_update_delete(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        assert await client.projects.list() == []
        created = await client.projects.create(name="chatbot", description="d", type="completion")
        other = await client.projects.create(name="evals")
        assert (created.name, created.description, created.type) == ("chatbot", "d", "completion")
        assert created.org_id == "local-org"
        assert created.created_at_ms is not None
        assert [p.id for p in await client.projects.list()] == [created.id, other.id]
        assert await client.projects.list(name="evals") == [other]

        await client.projects.update(name="chatbot", new_name="bot", type="evaluation")
        assert sent(server, "PUT", "/v1/projects")[0].json() == {
            "name": "chatbot",
            "new_name": "bot",
            "type": "evaluation",
        }
        (renamed,) = await client.projects.list(name="bot")
        assert (renamed.id, renamed.type, renamed.description) == (created.id, "evaluation", "d")
        assert await client.projects.list(name="chatbot") == []

        await client.projects.delete("bot")
        assert await client.projects.list() == [other]

    async def test_unknown_names_are_not_found_and_names_are_unique(
        self, client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(NotFoundError):
            await client.projects.update(name="nope", description="d")
        with pytest.raises(NotFoundError):
            await client.projects.delete("nope")
        await client.projects.create(name="a")
        await client.projects.create(name="b")
        with pytest.raises(ConflictError):
            await client.projects.create(name="a")
        with pytest.raises(ConflictError):
            await client.projects.update(name="b", new_name="a")
        with pytest.raises(BadRequestError, match="new_name"):
            await client.projects.update(name="b", new_name="")
        assert [p.name for p in await client.projects.list()] == ["a", "b"]
