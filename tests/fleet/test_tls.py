"""TLS with per-station client certificates (CN = station id = MQTT username) on a real mosquitto:
events flow, the ACL still binds a certificate to its own topics, and a client without a
certificate signed by the CA cannot connect."""

from __future__ import annotations

import ssl
import time

import paho.mqtt.client as mqtt

from kiosk.services.fleet.certs import make_test_pki
from tests.fleet.conftest import PASSWORDS, STATIONS


def test_station_over_tls_with_its_certificate(broker_factory, make_station, tmp_path, command_key):
    from hw_sim.backoffice_mqtt import MqttBackOfficeSim
    pki = make_test_pki(tmp_path / "pki", [STATIONS[0], STATIONS[1], "backoffice"])
    broker = broker_factory(tls={"ca_file": pki["ca"], "cert_file": pki["server_cert"],
                                 "key_file": pki["server_key"], "require_certificate": True})
    assert broker.url.startswith("mqtts://")
    crt, key = pki["clients"][STATIONS[0]]
    st = make_station(broker, STATIONS[0], ca_file=pki["ca"], cert_file=crt, key_file=key, password=None,
                      username=None)
    bo = MqttBackOfficeSim(broker.url, "unused", ca_file=pki["ca"], signing_key=command_key,
                           client_cert=pki["clients"]["backoffice"], db_path=str(tmp_path / "bo.db"))
    bo.start()
    try:
        assert st.link.wait_connected(5), st.link.stats
        st.emit(20)
        assert bo.wait_upto(STATIONS[0], 20, 10)
        assert bo.event_ids(STATIONS[0]) == set(st.produced)
        # station B's certificate cannot publish as A
        evil = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        bcrt, bkey = pki["clients"][STATIONS[1]]
        evil.tls_set(ca_certs=pki["ca"], certfile=bcrt, keyfile=bkey)
        evil.connect("127.0.0.1", broker.port)
        evil.loop_start()
        evil.publish(f"k/v1/{STATIONS[0]}/evt/x", b'{"forged": true}', qos=1).wait_for_publish(3)
        time.sleep(0.3)
        evil.loop_stop()
        assert not bo.contract_violations  # the forged (schema-breaking) event never arrived
        # without a client certificate: no connection
        anon = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        anon.tls_set(ca_certs=pki["ca"])
        anon.username_pw_set(STATIONS[0], PASSWORDS[STATIONS[0]])
        refused = False
        try:
            anon.connect("127.0.0.1", broker.port)
            anon.loop(1.0)
            anon.loop(1.0)
            refused = not anon.is_connected()
        except (ssl.SSLError, OSError):
            refused = True
        assert refused
    finally:
        bo.close()
