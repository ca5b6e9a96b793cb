"""`[station]`, `[session]`, `[storage]`, `[backoffice]`, `[fleet]`, `[ui]`, `[simulator]`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from kiosk.config.base import Section


class StationSection(Section):
    id: str = Field(description="station id = MQTT username = client id")
    name_zh: str
    name_en: str
    timezone: str = "Asia/Shanghai"

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,39}", v):
            raise ValueError("station id: 3-40 characters of a-z, 0-9 and '-'")
        return v


class SessionSection(Section):
    idle_timeout_s: float = Field(default=60.0, ge=10, le=600)
    warning_s: float = Field(default=20.0, ge=5, le=120)
    more_time_s: float = Field(default=60.0, ge=20, le=600)


class StorageSection(Section):
    database: str = Field(default="var/station.db", description="SQLite file (WAL)")
    hash_key_file: str = Field(default="var/hash.key", description="key for keyed hashes of ID numbers")


class BackofficeSection(Section):
    mode: Literal["in-process", "mqtt"] = "in-process"
    approve_after_s: float = Field(default=30.0, ge=0)


class FleetSection(Section):
    broker: str | None = Field(default=None, description="mqtt://host:1883 or mqtts://...; none = offline")
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    command_public_key: str | None = Field(default=None, description="back office's Ed25519 public key (hex or PEM file)")
    outbox_max_events: int = Field(default=100_000, ge=100)
    outbox_max_age_s: float = Field(default=7 * 86400, gt=0)


class UiSection(Section):
    language: Literal["zh", "en"] = "zh"
    fullscreen: bool = False
    show_cursor: bool = True
    technician_pin_hash: str | None = None


class SimulatorSection(Section):
    enabled: bool = False
    control_socket: str = "var/sim.sock"
