"""Snowflake connection settings, from the environment only (no credential in code; read by ``dagster_project.settings``).

Required: SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE,
SNOWFLAKE_DATABASE and one of SNOWFLAKE_PASSWORD / SNOWFLAKE_PRIVATE_KEY_PATH
(key-pair auth; SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if the key is encrypted).
Optional, for an emulator only: SNOWFLAKE_HOST, SNOWFLAKE_PORT, SNOWFLAKE_PROTOCOL.
dbt_project/profiles.yml reads the same variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

REQUIRED = ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE")
# An unanswered request fails after this long instead of being retried for ever.
NETWORK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class SnowflakeSettings:
    account: str
    user: str
    role: str
    warehouse: str
    database: str
    password: str | None = None
    private_key_path: str | None = None
    private_key_passphrase: str | None = None
    host: str | None = None
    port: int | None = None
    protocol: str | None = None

    def __repr__(self) -> str:  # never print a secret
        return f"SnowflakeSettings(account={self.account!r}, user={self.user!r}, database={self.database!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SnowflakeSettings:
        """From ``env``; the process environment is read by ``dagster_project.settings.snowflake_settings``."""
        missing = [name for name in REQUIRED if not env.get(name)]
        if not env.get("SNOWFLAKE_PASSWORD") and not env.get("SNOWFLAKE_PRIVATE_KEY_PATH"):
            missing.append("SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH")
        if missing:
            raise ValueError(f"Snowflake target: environment variables not set: {', '.join(missing)}")
        port = env.get("SNOWFLAKE_PORT") or None
        if port is not None and not port.isdigit():
            raise ValueError(f"SNOWFLAKE_PORT={port!r}: expected a port number")
        return cls(
            account=env["SNOWFLAKE_ACCOUNT"],
            user=env["SNOWFLAKE_USER"],
            role=env["SNOWFLAKE_ROLE"],
            warehouse=env["SNOWFLAKE_WAREHOUSE"],
            database=env["SNOWFLAKE_DATABASE"],
            password=env.get("SNOWFLAKE_PASSWORD") or None,
            private_key_path=env.get("SNOWFLAKE_PRIVATE_KEY_PATH") or None,
            private_key_passphrase=env.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") or None,
            host=env.get("SNOWFLAKE_HOST") or None,
            port=int(port) if port and int(port) else None,
            protocol=env.get("SNOWFLAKE_PROTOCOL") or None,
        )

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments of ``snowflake.connector.connect`` (also GX's SQLAlchemy ``connect_args``)."""
        args: dict[str, Any] = {"network_timeout": NETWORK_TIMEOUT_SECONDS}
        if self.password is None:
            args["private_key_file"] = self.private_key_path
            if self.private_key_passphrase:
                args["private_key_file_pwd"] = self.private_key_passphrase
        for name in ("host", "port", "protocol"):
            if getattr(self, name) is not None:
                args[name] = getattr(self, name)
        return args

    def sqlalchemy_url(self, schema: str) -> str:
        """snowflake-sqlalchemy URL on ``database/schema`` (the password, if any, URL-quoted)."""
        secret = f":{quote(self.password, safe='')}" if self.password else ""
        return (
            f"snowflake://{quote(self.user, safe='')}{secret}@{self.account}/{self.database}/{schema}"
            f"?warehouse={quote(self.warehouse, safe='')}&role={quote(self.role, safe='')}"
        )


def connect(settings: SnowflakeSettings | None = None, login_timeout: int | None = None) -> Any:
    """A snowflake-connector-python connection with the role and warehouse of the settings (no database yet);
    ``login_timeout`` (seconds) bounds the time spent failing to reach an account."""
    import snowflake.connector

    from dagster_project.settings import snowflake_settings

    settings = settings or snowflake_settings()
    return snowflake.connector.connect(
        account=settings.account,
        user=settings.user,
        role=settings.role,
        **({"password": settings.password} if settings.password else {}),
        warehouse=settings.warehouse,
        **settings.connect_args(),
        **({"login_timeout": login_timeout} if login_timeout else {}),
    )
