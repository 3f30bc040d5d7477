"""wss and the security profiles that need TLS, against the real node.

Certificates are made at test time with the openssl command line: a server certificate for
127.0.0.1, a CA the node trusts for client certificates (--tls-client-ca), client certificates
signed by it for station ids, and one signed by a CA the node does not know.
MaEVe's profile numbering: 0 = ws + Basic, 1 = wss + Basic, 2 = wss + client certificate.
"""
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

import ocpp_ws
from harness import V16, V201, Node, boot, free_port, keep_files, require_binary
from ocpp_ws import UpgradeRefused


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def new_key_and_csr(cwd, name, cn):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=cwd)


def self_signed(cwd, name, cn, extra=()):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={cn}", *extra, cwd=cwd)


def signed_by(cwd, name, cn, ca):
    new_key_and_csr(cwd, name, cn)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", cwd=cwd)


@require_binary
class SecurityProfilesOverTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evbroker-tls-")
        d = cls.dir
        self_signed(d, "server", "127.0.0.1", ("-addext", "subjectAltName=IP:127.0.0.1"))
        self_signed(d, "ca", "evbroker test CPO CA", ("-addext", "basicConstraints=critical,CA:TRUE"))
        self_signed(d, "rogue_ca", "someone else", ("-addext", "basicConstraints=critical,CA:TRUE"))
        signed_by(d, "cs_cert", "CERT-1", "ca")
        signed_by(d, "other_cert", "CERT-2", "ca")
        signed_by(d, "rogue_cert", "CERT-1", "rogue_ca")
        cls.wss_port = free_port()
        cls.node = Node(extra_args=["--wss-addr", f"127.0.0.1:{cls.wss_port}",
                                    "--tls-cert", os.path.join(d, "server.pem"),
                                    "--tls-key", os.path.join(d, "server.key"),
                                    "--tls-client-ca", os.path.join(d, "ca.pem")])
        cls.node.start()
        cls.node.register_station("TLS-P1", password="tls-secret", profile=1)
        cls.node.register_station("PLAIN-P0", password="plain-secret", profile=0)
        cls.node.register_station("CERT-1", profile=2)
        cls.node.register_station("CERT-2", profile=2)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.node.stop()
        finally:
            cls.node.cleanup()
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    def context(self, client_cert=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(self.dir, "server.pem"))
        if client_cert:
            ctx.load_cert_chain(os.path.join(self.dir, f"{client_cert}.pem"), os.path.join(self.dir, f"{client_cert}.key"))
        return ctx

    def wss(self, cs_id, protocol=V201, password=None, client_cert=None):
        return ocpp_ws.connect(f"wss://127.0.0.1:{self.wss_port}/ws", cs_id, subprotocols=[protocol],
                               password=password, ssl_context=self.context(client_cert))

    def refused(self, status, connect):
        with self.assertRaises(UpgradeRefused) as caught:
            connect().close(timeout=1)
        self.assertEqual(caught.exception.status, status, caught.exception.body)

    def test_profile_1_connects_over_wss_with_its_password(self):
        for protocol in (V201, V16):
            client = self.wss("TLS-P1", protocol, password="tls-secret")
            try:
                self.assertEqual(client.subprotocol, protocol)
                self.assertEqual(boot(client)["status"], "Accepted")
            finally:
                client.close(timeout=1)

    def test_profile_1_refuses_plain_ws_and_a_wrong_password(self):
        self.refused(403, lambda: self.node.connect("TLS-P1", V201, password="tls-secret"))
        self.refused(401, lambda: self.wss("TLS-P1", password="wrong"))

    def test_profile_0_may_not_use_wss(self):
        self.refused(403, lambda: self.wss("PLAIN-P0", password="plain-secret"))

    def test_profile_2_connects_with_a_client_certificate_naming_the_station(self):
        client = self.wss("CERT-1", client_cert="cs_cert")
        try:
            self.assertEqual(boot(client)["status"], "Accepted")
        finally:
            client.close(timeout=1)

    def test_profile_2_refusals(self):
        # A certificate from the trusted CA proves nothing about which station it is: its CN must
        # be the station id.
        self.refused(403, lambda: self.wss("CERT-1", client_cert="other_cert"))
        # A certificate the node's CA did not sign, and no certificate at all.
        self.refused(401, lambda: self.wss("CERT-1", client_cert="rogue_cert"))
        self.refused(401, lambda: self.wss("CERT-1"))
        # A profile 2 station cannot fall back to a password.
        self.refused(403, lambda: self.wss("CERT-1", password="anything"))
        self.refused(403, lambda: self.node.connect("CERT-1", V201))


if __name__ == "__main__":
    unittest.main()
