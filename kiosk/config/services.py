"""`[catalog]` and `[pickup]`: where the service catalog lives and how pickup codes behave."""

from __future__ import annotations

from pydantic import Field

from kiosk.config.base import Section


class CatalogSection(Section):
    dir: str = Field(default="", description="directory of categories.json and <category>.json; empty = the "
                                             "catalog shipped with the software; relative = under the station root")


class PickupSection(Section):
    code_ttl_h: float = Field(default=168.0, gt=0, le=24 * 90, description="how long an SMS pickup code is valid")
    max_attempts: int = Field(default=3, ge=1, le=10, description="wrong ID cards with a right code before it is blocked")
    max_failures: int = Field(default=5, ge=2, le=100, description="wrong codes station-wide within window_s before lock-out")
    window_s: float = Field(default=600.0, gt=0)
    lockout_s: float = Field(default=900.0, gt=0, le=86400)
    daily_max_failures: int = Field(default=20, ge=2, le=1000,
                                    description="wrong codes station-wide within 24 h before code entry locks "
                                                "until the oldest is a day old (caps a slow guesser)")


class BackupSection(Section):
    dir: str = Field(default="var/backups", description="where backup archives go (relative: under the station root)")
    keep: int = Field(default=7, ge=1, le=1000, description="archives kept; older ones are deleted after a good backup")
    interval_h: float = Field(default=24.0, ge=0, le=24 * 30,
                              description="hours between scheduled backups while the station runs; 0 = no schedule")
