"""Tests of `kiosk setup` (provisioning)."""
