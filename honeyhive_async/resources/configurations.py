"""`client.configurations`: prompt and pipeline configurations (deprecated routes, still served)."""

from __future__ import annotations

import builtins
from typing import Literal

from .._resource import AsyncAPIResource, path_id
from ..models import JSONObject
from ..models.configurations import (
    Configuration,
    ConfigurationEnv,
    ConfigurationsResponse,
    CreateConfigurationRequest,
    CreateConfigurationResponse,
    DeleteConfigurationResponse,
    UpdateConfigurationRequest,
    UpdateConfigurationResponse,
)

__all__ = ["AsyncConfigurations"]


class AsyncConfigurations(AsyncAPIResource):
    """List, create, update and delete configurations."""

    async def list(
        self, *, name: str | None = None, env: str | None = None, tags: str | None = None
    ) -> builtins.list[Configuration]:
        """Return the configurations (`GET /v1/configurations`), optionally filtered.

        Args:
            name: Only the configurations with this name.
            env: Only those deployed to this environment (``"dev"``, ``"staging"``, ``"prod"``).
            tags: Only those with this tag.
        """
        params = {"name": name, "env": env, "tags": tags}
        reply = await self._get("/v1/configurations", cast_to=ConfigurationsResponse, params=params)
        return reply.configurations

    async def create(
        self,
        *,
        name: str,
        provider: str,
        parameters: JSONObject,
        type: Literal["LLM", "pipeline"] | None = None,
        env: builtins.list[ConfigurationEnv] | None = None,
        tags: builtins.list[str] | None = None,
        user_properties: JSONObject | None = None,
    ) -> CreateConfigurationResponse:
        """Create a configuration (`POST /v1/configurations`); `insertedId` is its id.

        Args:
            name: Up to 200 characters, e.g. ``"v0"``.
            provider: E.g. ``"openai"``.
            parameters: ``{"call_type": "chat" | "completion", "model": ..., ...}``
                (`hyperparameters`, `template`, `responseFormat`, ...).
            type: ``"LLM"`` (the server's default) or ``"pipeline"``.
            env: The environments it is deployed to.
            tags: Free-form tags.
            user_properties: Who made it, and anything else about them.
        """
        body = CreateConfigurationRequest(
            name=name,
            provider=provider,
            parameters=parameters,
            type=type,
            env=env,
            tags=tags,
            user_properties=user_properties,
        )
        return await self._post(
            "/v1/configurations", cast_to=CreateConfigurationResponse, body=body, idempotent=False
        )

    async def update(
        self,
        config_id: str,
        *,
        name: str,
        provider: str | None = None,
        parameters: JSONObject | None = None,
        type: Literal["LLM", "pipeline"] | None = None,
        env: builtins.list[ConfigurationEnv] | None = None,
        tags: builtins.list[str] | None = None,
        user_properties: JSONObject | None = None,
    ) -> UpdateConfigurationResponse:
        """Update a configuration (`PUT /v1/configurations/{configId}`); `name` is required.

        Args:
            config_id: The configuration's id.
            name: Its name (the API requires it on every update).
            provider: See `create`; only the fields given change.
            parameters: See `create`; replaces the stored parameters.
            type: See `create`.
            env: See `create`.
            tags: See `create`.
            user_properties: See `create`.
        """
        path = f"/v1/configurations/{path_id('config_id', config_id)}"
        body = UpdateConfigurationRequest(
            name=name,
            provider=provider,
            parameters=parameters,
            type=type,
            env=env,
            tags=tags,
            user_properties=user_properties,
        )
        return await self._put(path, cast_to=UpdateConfigurationResponse, body=body)

    async def delete(self, config_id: str) -> DeleteConfigurationResponse:
        """Delete a configuration (`DELETE /v1/configurations/{configId}`)."""
        path = f"/v1/configurations/{path_id('config_id', config_id)}"
        return await self._delete(path, cast_to=DeleteConfigurationResponse)
