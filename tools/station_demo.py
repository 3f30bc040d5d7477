#!/usr/bin/env python3
"""A one-shot OCPP 2.0.1 station for trying the node by hand (the README walkthrough): connects
over wss with a client certificate (security profile 3), boots, sends SignCertificate for a new
key and prints how long the CertificateSigned took to arrive.

    tools/station_demo.py --station CS100 --cert cs100.pem --key cs100.key --ca csms-root.pem \
        [--url wss://127.0.0.1:9311/ws] [--type ChargingStationCertificate|V2GCertificate]

Python standard library plus the `openssl` command (for the CSR); the websocket client is the one
the end-to-end tests use (tests/e2e/ocpp_ws.py).
"""
import argparse
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import ocpp_ws  # noqa: E402  (path set just above)


def make_csr(common_name):
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", os.path.join(directory, "new.key"), "-out", os.path.join(directory, "new.csr"),
                        "-subj", f"/CN={common_name}/O=evbroker demo"],
                       check=True, capture_output=True)
        with open(os.path.join(directory, "new.csr")) as f:
            return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--station", required=True, help="station id (the CN of --cert)")
    parser.add_argument("--cert", required=True, help="client certificate PEM (evbroker ca issue-station)")
    parser.add_argument("--key", required=True, help="its private key")
    parser.add_argument("--ca", required=True, help="CA the node's server certificate chains to (evbroker ca export csms-root)")
    parser.add_argument("--url", default="wss://127.0.0.1:9311/ws")
    parser.add_argument("--type", default="ChargingStationCertificate", choices=["ChargingStationCertificate", "V2GCertificate"])
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(args.ca)
    context.load_cert_chain(args.cert, args.key)
    arrived = threading.Event()
    received = {}

    def on_certificate_signed(payload):
        received["at"] = time.monotonic()
        received["chain"] = payload["certificateChain"]
        arrived.set()
        return {"status": "Accepted"}

    client = ocpp_ws.connect(args.url, args.station, ["ocpp2.0.1"], ssl_context=context)
    client.on_call("CertificateSigned", on_certificate_signed)
    print("connected with", client.subprotocol)
    boot = client.call("BootNotification", {"chargingStation": {"model": "demo", "vendorName": "evbroker"},
                                            "reason": "PowerUp"})
    print("BootNotification:", boot["status"])
    started = time.monotonic()
    answer = client.call("SignCertificate", {"csr": make_csr(args.station), "certificateType": args.type})
    print("SignCertificate:", answer)
    if not arrived.wait(10):
        print("no CertificateSigned within 10 s", file=sys.stderr)
        return 1
    certificates = received["chain"].count("BEGIN CERTIFICATE")
    print(f"CertificateSigned after {(received['at'] - started) * 1000:.1f} ms ({certificates} certificates in the chain)")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
