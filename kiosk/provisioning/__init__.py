"""Provisioning a new station (`kiosk setup`): from power-on to a validated config.

- `discovery`: what is plugged in (serial ports, PC/SC readers, V4L2 cameras, printers); one small
  function per kind in a registry, each taking the root directories it reads, so tests run them on
  fake /dev and /sys trees.
- `cabinet_probe`: the lock-board bus: scan, polarity, pulses (through
  `locker_firmware_bridge.probe`), and the wire-time floor of what was sent.
- `plan`: the typed result of provisioning (devices, boards, compartments) and compartment labels
  and sizes.
- `station_toml`: the plan as station TOML, validated by the same loader as `kiosk config check`,
  written atomically.
- `report`: the commissioning report (JSON + HTML), every check pass/warn/fail.
- `machine`: the interactive steps as a UI-free state machine (a terminal or a screen drives it).
- `runner`: the non-interactive run, and the final write shared by both modes.
"""
