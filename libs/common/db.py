"""The psycopg 3 async pool and the loader of a service's `sql/*.sql` statements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.common.settings import CommonSettings


def _statement(text: str) -> str:
    # The leading "--" lines document the file; without them the statement starts with its verb,
    # which is what tracing names SQL spans by.
    lines = text.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


class Queries:
    """Every `sql/<name>.sql` of a package, one statement a file, as attributes by file name."""

    def __init__(self, folder: Path) -> None:
        self._sql = {path.stem: _statement(path.read_text()) for path in sorted(folder.glob("*.sql"))}
        if not self._sql:
            raise FileNotFoundError(f"no .sql files in {folder}")

    def __getattr__(self, name: str) -> str:
        try:
            return self._sql[name]
        except KeyError as exc:
            raise AttributeError(f"no sql/{name}.sql") from exc

    def names(self) -> list[str]:
        """The statement names, sorted."""
        return sorted(self._sql)


def libpq_url(url: str) -> str:
    """Turns a SQLAlchemy-style URL into one libpq accepts."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


async def _configure(conn: AsyncConnection[Any]) -> None:
    await conn.set_autocommit(True)


def make_pool(settings: CommonSettings, *, name: str) -> AsyncConnectionPool:
    """A pool that is not open yet: open it in the lifecycle (`await pool.open(wait=True)`)."""
    kwargs: dict[str, Any] = {"application_name": name}
    if not settings.db_prepared_statements:
        kwargs["prepare_threshold"] = None
    return AsyncConnectionPool(
        libpq_url(settings.database_url),
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        kwargs=kwargs,
        configure=_configure,
        open=False,
        name=name,
        timeout=10.0,
    )
