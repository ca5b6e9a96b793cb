"""Tests of the cabinet: lock-board bridge, board emulator, cabinet device and service, CLI."""
