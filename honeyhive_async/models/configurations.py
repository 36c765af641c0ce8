"""Configuration models: `/v1/configurations` (list, create, update, delete).

`parameters` stays plain JSON: the spec leaves it open (`call_type` and `model` are required,
anything else a provider takes may follow), and the local server checks those two.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from ._base import JSONObject, Model, RequestModel, field_ms

__all__ = [
    "Configuration",
    "ConfigurationEnv",
    "ConfigurationsResponse",
    "CreateConfigurationRequest",
    "CreateConfigurationResponse",
    "DeleteConfigurationResponse",
    "UpdateConfigurationRequest",
    "UpdateConfigurationResponse",
]

ConfigurationEnv = Literal["dev", "staging", "prod"]

_Name = Annotated[str, Meta(max_length=200)]
_Provider = Annotated[str, Meta(min_length=1)]


class UpdateConfigurationRequest(RequestModel):
    """Body of `PUT /v1/configurations/{configId}`: `name` and the fields to change."""

    name: _Name
    type: Literal["LLM", "pipeline"] | None = None
    provider: _Provider | None = None
    parameters: JSONObject | None = None
    """`call_type` (``"chat"`` or ``"completion"``), `model`, `hyperparameters`, `template`, ..."""
    env: list[ConfigurationEnv] | None = None
    tags: list[str] | None = None
    user_properties: JSONObject | None = None


class CreateConfigurationRequest(UpdateConfigurationRequest, kw_only=True):
    """Body of `POST /v1/configurations`."""

    provider: _Provider
    parameters: JSONObject


class Configuration(Model):
    """One configuration of `GET /v1/configurations` (`ConfigurationItem`)."""

    id: str
    name: str
    type: str = "LLM"
    provider: str = ""
    parameters: JSONObject = {}
    env: list[str] = []
    tags: list[str] = []
    user_properties: JSONObject | None = None
    created_at: str | float | None = None
    """ISO 8601 (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds (None until the configuration is updated)."""
        return field_ms(self.updated_at, "updated_at")


class ConfigurationsResponse(Model):
    """Body of `GET /v1/configurations`."""

    configurations: list[Configuration]


class CreateConfigurationResponse(Model):
    """Body of `POST /v1/configurations`: `insertedId` is the new configuration's id."""

    acknowledged: bool
    insertedId: str


class UpdateConfigurationResponse(Model):
    """Body of `PUT /v1/configurations/{configId}` (MongoDB's update counts)."""

    acknowledged: bool
    modifiedCount: float = 0
    upsertedId: str | None = None
    upsertedCount: float = 0
    matchedCount: float = 0


class DeleteConfigurationResponse(Model):
    """Body of `DELETE /v1/configurations/{configId}`."""

    acknowledged: bool
    deletedCount: float = 0
