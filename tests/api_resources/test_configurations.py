"""`client.configurations`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, BadRequestError, NotFoundError
from honeyhive_async.models import Configuration
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent

PARAMETERS: dict[str, Any] = {
    "call_type": "chat",
    "model": "gpt-4o",
    "hyperparameters": {"temperature": 0.2},
    "template": [{"role": "system", "content": "Be brief."}],
}
ITEM: dict[str, Any] = {
    "id": "6638187d505c6812e4043f24",
    "name": "v0",
    "type": "LLM",
    "provider": "openai",
    "parameters": PARAMETERS,
    "env": ["prod"],
    "tags": ["a"],
    "user_properties": None,
    "created_at": "2024-04-01T22:38:19.000Z",
}


class TestConfigurationsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_sends_the_filters_and_returns_the_list(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        url = f"{MOCK_URL}/v1/configurations?env=prod&name=v0&tags=a"
        mock_api.get(url, payload={"configurations": [ITEM]})
        (config,) = await mock_client.configurations.list(name="v0", env="prod", tags="a")
        assert isinstance(config, Configuration)
        assert (config.id, config.provider, config.env, config.parameters) == (
            "6638187d505c6812e4043f24",
            "openai",
            ["prod"],
            PARAMETERS,
        )
        assert config.created_at_ms == 1_712_011_099_000.0
        assert config.updated_at is None

    async def test_create_update_delete_bodies(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/configurations", payload={"acknowledged": True, "insertedId": "c1"}
        )
        counts = {"modifiedCount": 1, "upsertedId": None, "upsertedCount": 0, "matchedCount": 1}
        mock_api.put(f"{MOCK_URL}/v1/configurations/c1", payload={"acknowledged": True, **counts})
        mock_api.delete(
            f"{MOCK_URL}/v1/configurations/c1", payload={"acknowledged": True, "deletedCount": 1}
        )

        created = await mock_client.configurations.create(
            name="v0", provider="openai", parameters=PARAMETERS, env=["dev"]
        )
        assert (created.acknowledged, created.insertedId) == (True, "c1")
        assert mock_sent(mock_api, "POST", "/v1/configurations") == {
            "name": "v0",
            "provider": "openai",
            "parameters": PARAMETERS,
            "env": ["dev"],
        }
        updated = await mock_client.configurations.update("c1", name="v0", tags=["x"])
        assert (updated.matchedCount, updated.modifiedCount, updated.upsertedId) == (1, 1, None)
        assert mock_sent(mock_api, "PUT", "/v1/configurations/c1") == {"name": "v0", "tags": ["x"]}
        assert (await mock_client.configurations.delete("c1")).deletedCount == 1
        assert mock_sent(mock_api, "DELETE", "/v1/configurations/c1") is None

    @pytest.mark.parametrize("bad", ["", "  "])
    async def test_empty_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
    ) -> None:
        with pytest.raises(ValueError, match="config_id must be a non-empty string"):
            await mock_client.configurations.update(bad, name="v0")
        with pytest.raises(ValueError, match="config_id must be a non-empty string"):
            await mock_client.configurations.delete(bad)
        assert mock_api.requests == {}


class TestConfigurationsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_list_update_delete(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        assert await client.configurations.list() == []
        first = await client.configurations.create(
            name="v0", provider="openai", parameters=PARAMETERS, tags=["a"]
        )
        second = await client.configurations.create(
            name="v1",
            provider="anthropic",
            parameters={"call_type": "completion", "model": "claude"},
            type="pipeline",
            env=["prod", "dev"],
            user_properties={"user": "u1"},
        )
        listed = await client.configurations.list()
        assert [c.id for c in listed] == [first.insertedId, second.insertedId]
        assert (listed[0].type, listed[0].env, listed[0].tags, listed[0].parameters) == (
            "LLM",
            [],
            ["a"],
            PARAMETERS,
        )
        assert listed[0].created_at_ms is not None
        assert listed[1].user_properties == {"user": "u1"}
        assert [c.name for c in await client.configurations.list(env="prod")] == ["v1"]
        assert [c.name for c in await client.configurations.list(tags="a")] == ["v0"]
        assert [c.name for c in await client.configurations.list(name="v1")] == ["v1"]

        updated = await client.configurations.update(first.insertedId, name="v0b", env=["staging"])
        assert (updated.acknowledged, updated.matchedCount, updated.modifiedCount) == (True, 1, 1)
        assert sent(server, "PUT", f"/v1/configurations/{first.insertedId}")[0].json() == {
            "name": "v0b",
            "env": ["staging"],
        }
        (config,) = await client.configurations.list(name="v0b")
        assert (config.env, config.provider, config.tags) == (["staging"], "openai", ["a"])
        assert config.updated_at_ms is not None

        deleted = await client.configurations.delete(first.insertedId)
        assert (deleted.acknowledged, deleted.deletedCount) == (True, 1)
        assert [c.id for c in await client.configurations.list()] == [second.insertedId]

    async def test_unknown_ids_are_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.configurations.update("nope", name="x")
        with pytest.raises(NotFoundError) as info:
            await client.configurations.delete("nope")
        assert info.value.error_code == "NOT_FOUND"

    async def test_parameters_need_a_call_type_and_a_model(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(BadRequestError, match="call_type"):
            await client.configurations.create(
                name="v0", provider="openai", parameters={"model": "m"}
            )
        with pytest.raises(BadRequestError, match="model"):
            await client.configurations.create(
                name="v0", provider="openai", parameters={"call_type": "chat", "model": ""}
            )
        assert await client.configurations.list() == []
