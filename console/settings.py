"""Settings of the console process."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.http_server import HttpServerSettings


class ConsoleSettings(HttpServerSettings):
    """Environment of the web console: where it listens, where the services are, sessions and their limits."""

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("CONSOLE_HOST"))
    port: int = Field(8090, ge=1, le=65535, validation_alias=AliasChoices("CONSOLE_PORT"))
    ingest_target: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("INGEST_TARGET"))
    visits_target: str = Field("127.0.0.1:50052", validation_alias=AliasChoices("VISITS_TARGET"))
    supervisor_target: str = Field("127.0.0.1:50053", validation_alias=AliasChoices("SUPERVISOR_TARGET"))
    rpc_timeout_seconds: float = Field(10.0, gt=0, validation_alias=AliasChoices("RPC_TIMEOUT_SECONDS"))
    ready_check_timeout_seconds: float = Field(1.0, gt=0, validation_alias=AliasChoices("READY_CHECK_TIMEOUT_SECONDS"))
    shutdown_grace_seconds: float = Field(5.0, ge=0, validation_alias=AliasChoices("SHUTDOWN_GRACE_SECONDS"))
    # How long a login lasts (absolute, from the login).
    session_ttl_seconds: int = Field(
        12 * 3600, ge=300, le=7 * 24 * 3600, validation_alias=AliasChoices("CONSOLE_SESSION_TTL_SECONDS")
    )
    # The session cookie gets `Secure` (HTTPS only). Set false only for plain-HTTP development.
    secure_cookies: bool = Field(True, validation_alias=AliasChoices("CONSOLE_SECURE_COOKIES"))
    # How often a signed-in user is checked against the team list (deactivated users are out within this).
    user_check_seconds: float = Field(5.0, gt=0, le=60, validation_alias=AliasChoices("CONSOLE_USER_CHECK_SECONDS"))
    # Login attempts per window: per client address, and failed ones per (tenant, email).
    login_attempts_per_ip: int = Field(20, ge=1, validation_alias=AliasChoices("CONSOLE_LOGIN_ATTEMPTS_PER_IP"))
    login_failures_per_user: int = Field(5, ge=1, validation_alias=AliasChoices("CONSOLE_LOGIN_FAILURES_PER_USER"))
    login_window_seconds: int = Field(300, ge=1, validation_alias=AliasChoices("CONSOLE_LOGIN_WINDOW_SECONDS"))
    # The live feed keeps this many recent changes per tenant to replay after a dropped connection.
    feed_replay_size: int = Field(2000, ge=10, validation_alias=AliasChoices("CONSOLE_FEED_REPLAY_SIZE"))
    # A tenant's upstream streams stay open this long after its last live page closed.
    feed_linger_seconds: float = Field(60.0, ge=0, validation_alias=AliasChoices("CONSOLE_FEED_LINGER_SECONDS"))
    # The browser's assets (htmx and its SSE extension) as installed by `npm ci` in console/.
    assets_dir: str = Field("", validation_alias=AliasChoices("CONSOLE_ASSETS_DIR"))
