"""The fleet link: the station's MQTT 5 connection to the back office (topics, payload contract,
signed commands, the link thread that drains the outbox, and the back-office RPC transport).

Modules: `topics` (topic names), `contract` (JSON Schemas in `schemas/`), `signing` (Ed25519 over a
canonical encoding), `commands` (verify/store/dispatch back-office commands to a `CommandTarget`),
`link` (`FleetLink`: one network thread, outbox drain, reconnect with jitter), `backoffice_mqtt`
(`MqttBackOffice`: the `BackOffice` interface over the link).
"""
