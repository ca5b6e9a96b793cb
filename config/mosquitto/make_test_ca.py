"""Make a test CA, a broker certificate and client certificates (CN = station id) for TLS:

    .venv/bin/python config/mosquitto/make_test_ca.py OUT_DIR backoffice sh-xuhui-001 sh-xuhui-002

Development and tests only; a city issues station certificates from its own CA.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.services.fleet.certs import make_test_pki  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    paths = make_test_pki(sys.argv[1], sys.argv[2:])
    print(f"CA {paths['ca']}\nserver {paths['server_cert']} {paths['server_key']}")
    for cn, (crt, key) in paths["clients"].items():
        print(f"client {cn}: {crt} {key}")
