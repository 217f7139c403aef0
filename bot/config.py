"""Settings from the environment / .env, and office profiles from TOML."""

from __future__ import annotations

import re
import stat
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.duration import Duration
from bot.domain.office import (
    DEFAULT_DRAFT_RETENTION_DAYS,
    Office,
    OnCall,
    OnCallShift,
    OpenPeriod,
    Role,
    ShelterPolicy,
)

__all__ = [
    "ENV_FILE",
    "ConfigError",
    "Settings",
    "env_file_warning",
    "load_offices",
    "load_settings",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"
GRAPH_API = "https://graph.facebook.com/v21.0"


ENV_FILE = Path(".env")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line saying how to fix it."""


class Settings(BaseSettings):
    """Process settings (see .env.example for each)."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_base_url: str = TELEGRAM_API
    telegram_file_base_url: str = TELEGRAM_FILES
    # a SQLite file, or a PostgreSQL server's URL (postgresql://user@host/db; bot/store/pg.py)
    ppa_database: Path | str = Path("data/ppa.sqlite3")
    ppa_offices: Path = Path("config/offices.example.toml")
    # the encrypted evidence files (empty: evidence/ beside the SQLite file, data/evidence with
    # PostgreSQL); every instance of one deployment must see the same folder
    ppa_evidence_dir: Path | None = None
    ppa_secret_key: str = ""
    ppa_time_scale: float = Field(default=1.0, gt=0)
    ppa_log_level: str = "INFO"
    # updates of different chats handled at once (one chat's updates always one after another)
    ppa_concurrency: int = Field(default=8, ge=1, le=256)
    # only for the demo and tests: accept the example office file (made-up roster, numbers)
    ppa_allow_example: bool = False
    # the WhatsApp channel for reporters (off unless all four secrets are set)
    whatsapp_access_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_base_url: str = GRAPH_API
    whatsapp_template_news: str = "ppa_ada_kabar"  # the approved "there is news" template

    @property
    def whatsapp_enabled(self) -> bool:
        """Whether the WhatsApp channel is configured (any of its secrets set)."""
        return any(
            v.strip()
            for v in (
                self.whatsapp_access_token,
                self.whatsapp_phone_number_id,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
            )
        )

    def whatsapp_problem(self) -> str | None:
        """One line saying what is wrong with the WhatsApp settings (None: off, or all fine)."""
        if not self.whatsapp_enabled:
            return None
        for name in (
            "whatsapp_access_token",
            "whatsapp_phone_number_id",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
        ):
            if not str(getattr(self, name)).strip():
                return (
                    f"{name.upper()}: not set, but other WHATSAPP_ settings are; set all four "
                    "(see README, WhatsApp) or none to keep the channel off."
                )
        if not self.whatsapp_phone_number_id.strip().isdigit():
            return (
                "WHATSAPP_PHONE_NUMBER_ID: must be the digits of the phone number ID shown in "
                "Meta's WhatsApp Manager (not the phone number itself)."
            )
        if len(self.whatsapp_verify_token.strip()) < 16:
            return "WHATSAPP_VERIFY_TOKEN: use at least 16 random characters."
        if not self.whatsapp_api_base_url.startswith(
            ("https://", "http://127.", "http://localhost")
        ):
            return "WHATSAPP_API_BASE_URL: must be an https:// URL (http only for a local fake)."
        if not re.fullmatch(r"[a-z0-9_]{1,512}", self.whatsapp_template_news):
            return (
                "WHATSAPP_TEMPLATE_NEWS: a template name has only lower-case letters, digits "
                "and underscores."
            )
        return None

    @field_validator("ppa_database")
    @classmethod
    def _database(cls, v: Path | str) -> Path | str:
        text = str(v)
        if text.startswith(("postgresql://", "postgres://")):
            return text  # a URL: kept as text (a Path would fold its "//")
        return Path(v)

    @field_validator("ppa_evidence_dir", mode="before")
    @classmethod
    def _evidence_dir(cls, v: object) -> object:
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    @field_validator("ppa_log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return v


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one clear ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "setting"
        raise ConfigError(
            f"{name}: {err['msg']}. Fix it in .env or the environment (see .env.example)."
        ) from None


def env_file_warning(path: Path = ENV_FILE) -> str | None:
    """One line when the settings file (it holds the key) is readable by group or others."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"warning: {path} holds PPA_SECRET_KEY and is readable by other users "
        f"(mode {mode:04o}); fix it with: chmod 600 {path}"
    )


class _Hours(BaseModel):
    open: time
    close: time
    breaks: list[tuple[time, time]] = []


class _ShiftModel(BaseModel):
    days: list[str] = Field(min_length=1)
    start: time
    end: time  # at or before start: the shift ends the next day
    people: list[str] = Field(min_length=1)

    @field_validator("days")
    @classmethod
    def _weekdays(cls, v: list[str]) -> list[str]:
        for day in v:
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
        return v


class _OnCallModel(BaseModel):
    ack_minutes: int = Field(default=10, ge=1, le=240)
    shift: list[_ShiftModel] = []

    def to_domain(self) -> OnCall:
        return OnCall(
            shifts=tuple(
                OnCallShift(
                    days=frozenset(WEEKDAYS.index(d) for d in s.days),
                    start=s.start,
                    end=s.end,
                    people=tuple(int(p) for p in s.people),
                )
                for s in self.shift
            ),
            ack_minutes=self.ack_minutes,
        )


class _ShelterModel(BaseModel):
    capacity: int = Field(default=0, ge=0, le=500)
    max_stay_days: int = Field(default=14, ge=1, le=365)
    remind_days_before: int = Field(default=2, ge=0, le=30)
    partners: list[str] = []

    def to_domain(self) -> ShelterPolicy:
        return ShelterPolicy(self.capacity, self.max_stay_days, self.remind_days_before,
                             tuple(self.partners))  # fmt: skip


class _DurationModel(BaseModel):
    value: int
    unit: str


class _OfficeModel(BaseModel):
    id: str = Field(pattern=r"^[A-Z]{2,6}$")
    name: str = Field(min_length=1)
    city: str = Field(min_length=1)
    timezone: str
    staff_chat_id: int  # the Telegram staff group: read only by the Telegram channel
    address: str = ""
    language: str = Field(default="id", pattern=r"^(id|en)$")
    phones: list[str] = []
    whatsapp: list[str] = []
    closed_days: list[date] = []
    first_response: _DurationModel = _DurationModel(value=1, unit="working_days")
    urgent_response_minutes: int = Field(default=60, gt=0)
    hours: dict[str, _Hours]
    escalation_grace_hours: int = Field(default=4, ge=0, le=72)
    retention_days: int = Field(default=365, ge=30, le=3650)
    draft_retention_days: int = Field(default=DEFAULT_DRAFT_RETENTION_DAYS, ge=1, le=90)
    review_days: int = Field(default=30, ge=1, le=365)
    rights_response_days: int = Field(default=3, ge=1, le=30)
    sops: dict[str, str] = {}
    roster: dict[str, list[Role]] = {}
    on_call: _OnCallModel = _OnCallModel()
    shelter: _ShelterModel = _ShelterModel()
    referral_follow_up_days: int = Field(default=14, ge=1, le=180)
    whatsapp_phone_number_id: str = Field(default="", pattern=r"^(\d{5,20})?$")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use Asia/Jakarta, Asia/Makassar or Asia/Jayapura)"
            ) from None
        return v

    @field_validator("hours")
    @classmethod
    def _days(cls, v: dict[str, _Hours]) -> dict[str, _Hours]:
        for day, h in v.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            if h.open >= h.close:
                raise ValueError(f"{day}: open must be before close")
            for b0, b1 in h.breaks:
                if not (h.open < b0 < b1 < h.close):
                    raise ValueError(f"{day}: break {b0}-{b1} must lie inside opening hours")
        return v

    @field_validator("roster")
    @classmethod
    def _roster(cls, v: dict[str, list[Role]]) -> dict[str, list[Role]]:
        for uid in v:
            if not uid.lstrip("-").isdigit():
                raise ValueError(f"roster key {uid!r} must be a Telegram user id (digits)")
        return v

    @model_validator(mode="after")
    def _on_call_rostered(self) -> _OfficeModel:
        for shift in self.on_call.shift:
            for person in shift.people:
                if person not in self.roster:
                    raise ValueError(f"on_call: {person} is not on the office's roster")
        return self

    def to_domain(self) -> Office:
        hours: dict[int, tuple[OpenPeriod, ...]] = {}
        for day, h in self.hours.items():
            cuts = [h.open]
            for b0, b1 in sorted(h.breaks):
                cuts += [b0, b1]
            cuts.append(h.close)
            hours[WEEKDAYS.index(day)] = tuple(
                OpenPeriod(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)
            )
        return Office(
            id=self.id,
            name=self.name,
            city=self.city,
            timezone=self.timezone,
            channels={"telegram": str(self.staff_chat_id)},
            hours=hours,
            closed_days=frozenset(self.closed_days),
            phones=tuple(self.phones),
            whatsapp=tuple(self.whatsapp),
            address=self.address,
            language=self.language,
            roster={int(k): frozenset(v) for k, v in self.roster.items()},
            first_response=Duration.parse(self.first_response.value, self.first_response.unit),
            urgent_response_minutes=self.urgent_response_minutes,
            sops=dict(self.sops),
            escalation_grace_hours=self.escalation_grace_hours,
            retention_days=self.retention_days,
            draft_retention_days=self.draft_retention_days,
            review_days=self.review_days,
            rights_response_days=self.rights_response_days,
            on_call=self.on_call.to_domain(),
            shelter=self.shelter.to_domain(),
            referral_follow_up_days=self.referral_follow_up_days,
            whatsapp_number_id=self.whatsapp_phone_number_id,
        )


def load_offices(path: Path) -> list[Office]:
    """Load and validate the office profiles file; errors name the file, office and field."""
    if not path.exists():
        raise ConfigError(
            f"PPA_OFFICES: file {path} not found. Copy config/offices.example.toml and point "
            "PPA_OFFICES at it."
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"PPA_OFFICES: {path} is not valid TOML: {exc}") from None
    items = raw.get("office")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"PPA_OFFICES: {path} has no [[office]] entries.")
    offices: list[Office] = []
    for i, item in enumerate(items):
        label = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            offices.append(_OfficeModel.model_validate(item).to_domain())
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"PPA_OFFICES: {path}: office {label}: {loc}: {err['msg']}") from None
        except ValueError as exc:
            raise ConfigError(f"PPA_OFFICES: {path}: office {label}: {exc}") from None
    ids = [o.id for o in offices]
    dupes = {x for x in ids if ids.count(x) > 1}
    if dupes:
        raise ConfigError(f"PPA_OFFICES: {path}: office id {sorted(dupes)[0]} appears twice")
    return offices
