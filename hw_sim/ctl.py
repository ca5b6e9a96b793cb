"""`python -m hw_sim.ctl SOCKET DEVICE CMD [key=value ...]`: drive a running simulator by hand.

`python -m hw_sim.ctl var/sim/sim.sock hub describe` lists every device and command.
Values are parsed as JSON where they can be (numbers, true/false, lists), else taken as text.
"""

from __future__ import annotations

import json
import sys

from hw_sim.control import ControlClient, ControlError


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, device, cmd, *rest = argv
    args = {}
    for item in rest:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"argument {item!r} is not key=value", file=sys.stderr)
            return 2
        args[key] = _value(value)
    try:
        result = ControlClient(path).call(device, cmd, **args)
    except ControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
