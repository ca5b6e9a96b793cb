"""The back office: station ingest over MQTT 5, cases, alarms, signed commands, operator console."""
