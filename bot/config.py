"""Settings, read only from the environment or a `.env` file."""

from __future__ import annotations

import logging
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/putokaz.sqlite3"
# Local mode (no BOT_TOKEN) keeps its people apart from the real ones, whatever DATABASE_URL says.
LOCAL_DATABASE_URL = "sqlite+aiosqlite:///data/local.sqlite3"


class DatabaseSettings(BaseSettings):
    """The part of the settings that migrations and CLI tools need without a bot token."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/Belgrade"

    # Deadline reminders: days before the due date (0 = on the day), the hour they go out,
    # and the quiet hours (local time) that push a reminder to the next morning.
    reminder_offsets_days: Annotated[tuple[int, ...], NoDecode] = (3, 1, 0)
    reminder_hour: int = Field(default=9, ge=0, le=23)
    quiet_hours_start: int = Field(default=22, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)

    @field_validator("reminder_offsets_days", mode="before")
    @classmethod
    def _split_offsets(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(
                sorted({int(p) for p in value.replace(" ", "").split(",") if p}, reverse=True)
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Settings(DatabaseSettings):
    # None (unset or empty): local mode, the bot and a chat page on 127.0.0.1 (bot/local).
    bot_token: SecretStr | None = None
    redis_url: str | None = None
    telegram_api_base: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    # Local mode's chat page (always on 127.0.0.1); 0 takes any free port.
    local_port: int = Field(default=8080, ge=0, le=65535)
    # The desk (bot/web): the bot's own web server, in polling mode too. In webhook mode it
    # takes the webhook as well; WEBHOOK_HOST/WEBHOOK_PORT, the older names, win there unless
    # WEB_HOST/WEB_PORT are set. WEB_BASE_URL is how staff reach it (links in /console); an
    # https:// address makes the session cookie Secure and offers the Mini App button.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    web_base_url: str | None = None
    web_session_idle_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    log_level: str = "INFO"
    # Library loggers to show at DEBUG ("aiogram.event,sqlalchemy.engine"); see bot/logs.py.
    log_debug: Annotated[tuple[str, ...], NoDecode] = ()

    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 60)
    # Update ids are kept only as long as Telegram may redeliver them.
    processed_update_ttl_hours: int = Field(default=48, ge=1)
    # Pre-consent rows (Telegram id + language) are dropped after this many days.
    unconsented_ttl_days: int = Field(default=30, ge=1)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # Updates handled at once; more wait their turn. Each holds a database connection only
    # while it works on the database (never while it waits on Telegram). On PostgreSQL the pool
    # keeps this many connections open, plus 6 for the background work (bot/app.py).
    max_concurrent_updates: int = Field(default=24, ge=1, le=1000)
    # Background sending, per second; Telegram allows about 30 in all. Replies are not counted.
    broadcast_rate: float = Field(default=25.0, gt=0)
    reminder_rate: float = Field(default=5.0, gt=0)
    # A recipient claimed by a sender that died is sent again after this lease (at most the
    # messages in flight at the crash can arrive twice); the sender wakes up this often.
    broadcast_lease_seconds: int = Field(default=60, ge=4)
    broadcast_tick_seconds: float = Field(default=1.0, gt=0)

    # A claimed reminder not marked sent within this time is sent again (crash between the two).
    reminder_lease_seconds: int = Field(default=120, ge=5)
    reminder_tick_seconds: float = Field(default=5.0, gt=0)

    # Fernet key for free-text answers (python -c "from cryptography.fernet import Fernet;
    # print(Fernet.generate_key().decode())"). Without it, free-text questions are not asked.
    data_key: SecretStr | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(";", ",").replace(" ", ",").split(",")
            return frozenset(int(p) for p in parts if p.strip())
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_or_local(cls, value: SecretStr | None) -> SecretStr | None:
        # `BOT_TOKEN=` as .env.example has it means "not set yet": local mode.
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @property
    def local(self) -> bool:
        """No token: the bot runs against its embedded Bot API server and chat page."""
        return self.bot_token is None

    @field_validator("data_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from bot.kit.sealing import is_valid_key

        if not is_valid_key(value.get_secret_value().strip()):
            raise ValueError("is not a Fernet key (32 bytes, url-safe base64; see .env.example)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @field_validator("log_debug", mode="before")
    @classmethod
    def _logger_names(cls, value: object) -> object:
        if isinstance(value, str):
            names = tuple(p for p in value.replace(";", ",").replace(" ", ",").split(",") if p)
            for name in names:
                if not all(part.isidentifier() for part in name.split(".")):
                    raise ValueError(f"{name!r} is not a logger name (like aiogram.event)")
            return names
        return value

    @property
    def listen_host(self) -> str:
        if self.webhook_url and "web_host" not in self.model_fields_set:
            return self.webhook_host
        return self.web_host

    @property
    def listen_port(self) -> int:
        if self.webhook_url and "web_port" not in self.model_fields_set:
            return self.webhook_port
        return self.web_port

    @property
    def desk_url(self) -> str:
        """Where the desk is reached from a browser, without a trailing slash."""
        if self.web_base_url:
            return self.web_base_url.rstrip("/")
        host = "127.0.0.1" if self.listen_host in ("0.0.0.0", "::", "") else self.listen_host
        return f"http://{host}:{self.listen_port}"

    @property
    def desk_https(self) -> bool:
        return self.desk_url.startswith("https://")

    @property
    def desk_app_url(self) -> str | None:
        """The desk as a Telegram Mini App (menu button, /console): Telegram wants https."""
        return f"{self.desk_url}/desk/app" if self.desk_https else None

    @field_validator("web_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.strip()

    @model_validator(mode="after")
    def _webhook_pair(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET as well")
        return self
