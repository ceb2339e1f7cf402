"""Settings of the dev runner `v360`: where the stack keeps its data and the demo tenant's channel values."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field

from libs.common.settings import CommonSettings


class DevSettings(CommonSettings):
    """Environment of `v360`; DATABASE_URL / REDIS_URL / V360_AUTH_SECRET count only when actually set."""

    data_dir: Path = Field(Path(".v360"), validation_alias=AliasChoices("V360_DATA_DIR"))
    # The dev runner; its children get the secret it generates (or V360_AUTH_SECRET), never the public one.
    dev_mode: bool = Field(True, validation_alias=AliasChoices("V360_DEV_MODE"))
    # Children log to our terminal, where text reads better than JSON.
    log_format: str = Field("text", validation_alias=AliasChoices("LOG_FORMAT"))
    startup_timeout_seconds: float = Field(90.0, gt=0, validation_alias=AliasChoices("V360_STARTUP_TIMEOUT"))
    stop_timeout_seconds: float = Field(10.0, gt=0, validation_alias=AliasChoices("V360_STOP_TIMEOUT"))
    # Postgres refuses to run as root; as root the embedded server runs as this OS account instead.
    pg_os_user: str = Field("nobody", validation_alias=AliasChoices("V360_PG_OS_USER"))

    demo_meta_app_secret: str = Field(
        "dev-meta-app-secret", validation_alias=AliasChoices("V360_DEMO_META_APP_SECRET"), repr=False
    )
    demo_meta_verify_token: str = Field(
        "dev-verify-token", validation_alias=AliasChoices("V360_DEMO_META_VERIFY_TOKEN"), repr=False
    )
    demo_meta_phone_number_id: str = Field(
        "100000000000001", validation_alias=AliasChoices("V360_DEMO_META_PHONE_NUMBER_ID")
    )
    demo_gupshup_app: str = Field("vertice360dev", validation_alias=AliasChoices("V360_DEMO_GUPSHUP_APP"))
    demo_gupshup_token: str = Field(
        "dev-gupshup-token", validation_alias=AliasChoices("V360_DEMO_GUPSHUP_TOKEN"), repr=False
    )
    # Password of the demo tenant's seeded users (dev only), for POST .../auth/login.
    demo_user_password: str = Field(
        "vertice360-dev", min_length=10, validation_alias=AliasChoices("V360_DEMO_USER_PASSWORD"), repr=False
    )

    def external_database_url(self) -> str | None:
        """DATABASE_URL when the environment sets it, else None (use the embedded Postgres)."""
        return self.database_url if "database_url" in self.model_fields_set else None

    def external_redis_url(self) -> str | None:
        """REDIS_URL when the environment sets it, else None (use the embedded Redis)."""
        return self.redis_url if "redis_url" in self.model_fields_set else None

    def explicit_auth_secret(self) -> str | None:
        """V360_AUTH_SECRET when the environment sets it, else None (use the data dir's secret)."""
        return self.auth_secret if "auth_secret" in self.model_fields_set else None

    def demo_channel_env(self) -> dict[str, str]:
        """The demo tenant's channel values as environment, so the gateway and the seed agree."""
        return {
            "V360_DEMO_META_APP_SECRET": self.demo_meta_app_secret,
            "V360_DEMO_META_VERIFY_TOKEN": self.demo_meta_verify_token,
            "V360_DEMO_META_PHONE_NUMBER_ID": self.demo_meta_phone_number_id,
            "V360_DEMO_GUPSHUP_APP": self.demo_gupshup_app,
            "V360_DEMO_GUPSHUP_TOKEN": self.demo_gupshup_token,
        }
