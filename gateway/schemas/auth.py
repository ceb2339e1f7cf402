"""Login of a dashboard user."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.schemas.convert import RequestBody
from gateway.schemas.enums import Role


class LoginIn(RequestBody):
    """A user of a tenant's team with their password."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"cliente": "vertice360", "email": "ana@example.com", "password": "una-clave-larga"}]
        }
    )

    cliente: str = Field(
        min_length=2,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9-]{1,62}$",
        description="The tenant slug the user belongs to.",
    )
    email: str = Field(min_length=3, max_length=254, description="The user's email (any case).")
    password: str = Field(min_length=1, max_length=200, description="The user's password.")


class LoginUser(BaseModel):
    """Who logged in."""

    id: str = Field(description="The user's id (UUID).")
    name: str = Field(description="Display name.")
    role: Role = Field(description="What the user may do.")


class LoginOut(BaseModel):
    """A bearer token for the dashboard API."""

    token: str = Field(description="Send as `Authorization: Bearer <token>` on every call.")
    token_type: str = Field("Bearer", description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds until the token expires.")
    user: LoginUser = Field(description="The user the token speaks for.")
