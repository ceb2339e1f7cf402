"""Answers of the liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = Field(description="Always `ok`.")


class Readiness(BaseModel):
    """Every dependency of the route group answered."""

    status: Literal["ready"] = Field(description="Always `ready`.")
    checks: dict[str, str] = Field(description="Each check (`postgres`, `redis`, `ingest`, ...) and `ok`.")
