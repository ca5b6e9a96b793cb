"""The `[cabinet]` section: boards must fit the protocol named in the URL, errors name the key."""

from __future__ import annotations


def test_config_rejects_boards_that_do_not_fit_the_protocol(sim_config_path) -> None:  # noqa: ANN001
    import tomllib

    import pytest

    from kiosk.config import ConfigError, parse_config

    data = tomllib.loads(sim_config_path.read_text())
    data["cabinet"]["url"] = "serial:///dev/ttyUSB1?protocol=kerong-cu"
    with pytest.raises(ConfigError, match="at most 16 locks"):
        parse_config(data, "k.toml")
    data["cabinet"]["url"] = "serial:///dev/ttyUSB1?protocol=modbus"
    with pytest.raises(ConfigError, match="not a lock-board protocol"):
        parse_config(data, "k.toml")
    data["cabinet"]["url"] = "serial:///dev/ttyUSB1?protocol=8a80"
    data["cabinet"]["boards"][1]["address"] = 1
    with pytest.raises(ConfigError, match="listed twice"):
        parse_config(data, "k.toml")
