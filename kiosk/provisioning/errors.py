"""`SetupError`: provisioning cannot go on. It names the step (`check`, as in the report) and
says what the technician should check; the CLI prints it and exits non-zero, having written nothing."""

from __future__ import annotations


class SetupError(Exception):
    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message
