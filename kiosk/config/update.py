"""`[update]`: how this station installs signed update bundles (kiosk.update; ADR 0142)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kiosk.config.base import Section


class UpdateSection(Section):
    public_key: str | None = Field(default=None, description="the back office's update key: 64 hex characters or a "
                                                             "PEM file; none = this station refuses every bundle")
    root: str = Field(default="/opt/kiosk", description="install root: versions/, current, state.json")
    restart_command: str = Field(default="systemctl restart kiosk-station.service",
                                 description="restarts the station on `current`; with Type=notify it returns "
                                             "once READY=1 came (or failed)")
    restart_timeout_s: float = Field(default=180.0, gt=0, le=3600)
    selftest_command: str = Field(default="{env}/bin/kiosk selftest --unit kiosk-station.service --settle 15",
                                  description="run after the restart; exit 0 = the new version is good. "
                                              "{env} = the new version's directory, {version}, {root}")
    selftest_timeout_s: float = Field(default=90.0, gt=0, le=3600)
    apply_via: Literal["unit", "process"] = Field(default="unit", description="a back-office notice: stage the "
                                                  "verified bundle and start handoff_command (unit), or apply in "
                                                  "the station process (tests, no systemd)")
    handoff_command: str = Field(default="systemctl start --no-block kiosk-update.service")
    venv_system_site_packages: bool = Field(default=False, description="new envs see the system's site-packages")
    venv_pip: bool = Field(default=True, description="new envs get their own pip (ensurepip); false = the running "
                                                     "interpreter's pip installs into them (faster; tests)")
    pip_no_deps: bool = Field(default=False, description="install only the bundle's wheels, resolve nothing (tests)")
    keep_versions: int = Field(default=3, ge=2, le=20, description="complete versions kept on disk")
    max_bundle_mb: int = Field(default=1024, ge=1, le=16384)
    fetch_timeout_s: float = Field(default=300.0, gt=0, le=3600)
