"""Signed software updates with rollback (ADR 0142).

- `bundle`: the bundle format (tar of wheels + signed manifest); build and verify.
- `layout`: /opt/kiosk/{versions/<v>/, current, state.json}; atomic switch, leftovers.
- `install`: a new venv under a temporary name, pip from the bundle only.
- `apply`: verify -> install -> switch -> restart -> self-test -> keep or roll back.
- `fetch`: a bundle from a path, file:// or http(s):// URL, bounded.
- `notice`: what the back office's `notify_update` command does with a URL.
CLI: `kiosk update keygen | build | apply | status | rollback` (kiosk/cli/update_cmd.py).
"""
