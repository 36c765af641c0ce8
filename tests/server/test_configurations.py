"""`/v1/configurations`: the store, the reply shapes and bad bodies."""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec
import pytest

from honeyhive_async.models import CreateConfigurationRequest
from honeyhive_async.server.store import Store

from .helpers import call

BODY = {"name": "v0", "provider": "openai", "parameters": {"call_type": "chat", "model": "m"}}


def test_the_store_keeps_configurations_in_its_database(tmp_path: Any) -> None:
    path = str(tmp_path / "hh.db")
    store = Store(path)
    doc = store.configurations.create(msgspec.convert(BODY, CreateConfigurationRequest))
    store.close()
    reopened = Store(path)
    assert reopened.configurations.select() == [doc]
    assert reopened.configurations.delete(doc["id"]) is True
    assert reopened.configurations.delete(doc["id"]) is False
    reopened.close()


async def test_a_configuration_has_every_required_field(client: aiohttp.ClientSession) -> None:
    created = await call(client, "POST", "/v1/configurations", BODY)
    assert created["acknowledged"] is True
    (config,) = (await call(client, "GET", "/v1/configurations"))["configurations"]
    required = {"id", "name", "type", "provider", "parameters", "env", "tags", "created_at"}
    assert required <= set(config)
    assert config["id"] == created["insertedId"]
    assert [k for k, v in config.items() if v is None] == ["updated_at"]
    updated = await call(client, "PUT", f"/v1/configurations/{config['id']}", {"name": "v1"})
    assert updated == {
        "acknowledged": True,
        "modifiedCount": 1,
        "upsertedId": None,
        "upsertedCount": 0,
        "matchedCount": 1,
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/configurations", {**BODY, "project": "p"}, "project"),
        ("POST", "/v1/configurations", {"name": "v0", "provider": "openai"}, "parameters"),
        ("POST", "/v1/configurations", {**BODY, "provider": ""}, "$.provider"),
        ("POST", "/v1/configurations", {**BODY, "env": ["qa"]}, "$.env[0]"),
        ("POST", "/v1/configurations", {**BODY, "parameters": [1]}, "$.parameters"),
        ("POST", "/v1/configurations", {**BODY, "parameters": {"call_type": "x"}}, "call_type"),
        ("PUT", "/v1/configurations/c1", {"tags": ["a"]}, "name"),
        (
            "PUT",
            "/v1/configurations/c1",
            {"name": "v", "parameters": {"call_type": "chat"}},
            "model",
        ),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert needle in result["message"]
    assert result["errorCode"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("raw", [b"", b"{", b"[" * 5000 + b"]" * 5000])
async def test_undecodable_bodies_are_a_400(client: aiohttp.ClientSession, raw: bytes) -> None:
    async with client.post("/v1/configurations", data=raw) as resp:
        assert resp.status == 400
