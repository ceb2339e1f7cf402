"""Login of a dashboard user."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from gateway.schemas.convert import no_nul


class LoginIn(BaseModel):
    """A user of a tenant's team with their password."""

    cliente: str = Field(min_length=2, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)

    _no_nul = field_validator("email", "password")(no_nul)


class LoginUser(BaseModel):
    id: str
    name: str
    role: str


class LoginOut(BaseModel):
    """A bearer token for the dashboard API."""

    token: str
    token_type: str = "Bearer"
    expires_in: int
    user: LoginUser
