"""SQL of the visits service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

from pathlib import Path

from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries

SQL = Queries(Path(__file__).parent / "sql")


class Repository:
    """Typed access to the `visits` schema."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
