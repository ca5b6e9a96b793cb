"""`[station]`, `[session]`, `[storage]`, `[backoffice]`, `[fleet]`, `[ui]`, `[simulator]`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator, field_validator

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
    cert_file: str | None = Field(default=None, description="client certificate (PEM) for mqtts:// with per-station certs")
    key_file: str | None = Field(default=None, description="client private key (PEM) for cert_file")
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(default=86400, ge=0, description="MQTT 5 SessionExpiryInterval (set explicitly)")
    will_delay_s: int = Field(default=30, ge=0, le=3600, description="delay before the broker publishes 'offline'")
    reconnect_min_s: float = Field(default=1.0, gt=0, le=60)
    reconnect_max_s: float = Field(default=120.0, gt=0, le=3600)
    reconnect_spread_s: float = Field(default=15.0, ge=0, le=600, description="first retry after a lost connection: random in [0, this]")
    connect_timeout_s: float = Field(default=10.0, gt=0, le=120)
    heartbeat_s: float = Field(default=60.0, ge=1, description="how often health is republished")
    drain_batch: int = Field(default=200, ge=1, le=10_000, description="events in flight before waiting for an ack")
    ack_timeout_s: float = Field(default=30.0, gt=0, description="resend from the last ack when none arrives")
    command_max_skew_s: float = Field(default=300.0, ge=0, description="tolerated clock skew on issued_at")
    allow_insecure: bool = Field(default=False, description="accept a plain mqtt:// broker (tests and local development only)")

    @model_validator(mode="after")
    def _no_plain_mqtt(self) -> "FleetSection":
        # RPC answers (the reference photo for the face match among them) travel on this channel
        if self.broker and self.broker.lower().startswith("mqtt://") and not self.allow_insecure:
            raise ValueError("broker: plain mqtt:// is refused; use mqtts:// (TLS), or set allow_insecure = true "
                             "for tests and local development only")
        return self


class UiSection(Section):
    language: Literal["zh", "en"] = "zh"
    fullscreen: bool = False
    show_cursor: bool = True
    technician_pin_hash: str | None = Field(default=None, description="pbkdf2_sha256$ITER$SALT_HEX$HASH_HEX; none = technicians' own PINs")
    width: int = Field(default=1280, ge=640, le=7680, description="window size when not fullscreen")
    height: int = Field(default=800, ge=480, le=4320)
    touch_input: Literal["mouse", "mtdev"] = Field(default="mouse", description="mtdev on a real touch screen (no doubled touches)")
    technician_idle_s: float = Field(default=120.0, ge=20, le=3600)
    final_screen_s: float = Field(default=10.0, ge=3, le=120, description="how long a visit's last screen stays")


class SimulatorSection(Section):
    enabled: bool = False
    control_socket: str = "var/sim.sock"
    pcscd: str | None = Field(default=None, description="pcscd binary for the simulated passport reader "
                              "([devices.passport_reader] url = \"pcsc://{sim}\"); default: pcscd on PATH")
    # with [backoffice] mode = "mqtt": the scripted visits' back-office actions are an operator's, on the
    # office's JSON API (make run writes these three); unset = the scripted visits cannot decide cases
    office_console: str | None = Field(default=None, description="the office console's URL, e.g. http://127.0.0.1:8080")
    office_user: str | None = Field(default=None, description="operator account (approver role) of the scripted visits")
    office_password_file: str | None = Field(default=None, description="file holding that account's password")
