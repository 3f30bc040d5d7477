"""wss and the security profiles that need TLS, against the real node.

Certificates are made at test time with the openssl command line: a server certificate for
127.0.0.1, a CA the node trusts for client certificates (--tls-client-ca), client certificates
signed by it for station ids, and one signed by a CA the node does not know.
MaEVe's profile numbering: 0 = ws + Basic, 1 = wss + Basic, 2 = wss + client certificate.

The TLS 1.2 cipher suites of OCPP 2.0.1 A00.FR.318/421 (TC_A_04, TC_A_07): with the local PKI's ECDSA
and RSA server certificates, and with an operator's RSA and ECDSA pairs (--tls-cert/--tls-key twice).
"""
import os
import re
import socket
import shutil
import ssl
import subprocess
import tempfile
import unittest
import warnings

import ocpp_ws
from harness import V16, V201, Node, NodeError, boot, free_port, keep_files, node_binary, require_binary
from ocpp_ws import UpgradeRefused

# OCPP 2.0.1 A00.FR.318 (server certificate) and A00.FR.421 (with a client certificate): every one of
# these on TLS 1.2, each with the key type of server certificate it needs.
REQUIRED_TLS12_SUITES = (
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "EC"),  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "EC"),  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    ("AES128-GCM-SHA256", "RSA"),  # TLS_RSA_WITH_AES_128_GCM_SHA256
    ("AES256-GCM-SHA384", "RSA"),  # TLS_RSA_WITH_AES_256_GCM_SHA384
)
# Suites OpenSSL would otherwise offer with these certificates: not on OCPP's list, so refused.
SUITES_OUTSIDE_THE_LIST = ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
                           "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA256", "AES128-SHA")


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


KEY_OPTIONS = {"EC": ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"), "RSA": ("-newkey", "rsa:2048")}


def issued(cwd, name, cn, ca, key_type, extensions):
    """<name>.key of `key_type` and <name>.pem signed by <ca>, with the extensions given (openssl lines)."""
    openssl("req", "-new", *KEY_OPTIONS[key_type], "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={cn}", cwd=cwd)
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write("\n".join(extensions) + "\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=cwd)


CA_EXTENSIONS = ("basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
                 "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid")
SERVER_EXTENSIONS = ("basicConstraints=critical,CA:FALSE", "subjectAltName=IP:127.0.0.1",
                     "extendedKeyUsage=serverAuth", "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid")


def key_type_of_certificate(der):
    """The key type of a DER certificate, "EC" or "RSA", as openssl reads its public key algorithm."""
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=der, check=True,
                          capture_output=True).stdout.decode("ascii", "replace")
    algorithm = re.search(r"Public Key Algorithm: (\S+)", text).group(1)
    return {"id-ecPublicKey": "EC", "rsaEncryption": "RSA"}.get(algorithm, algorithm)


def tls12_context(trusted, suite, client_cert=None):
    """A station's client that speaks TLS 1.2 only and offers one suite; it checks the server's name."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(trusted)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(suite)
    if client_cert:
        ctx.load_cert_chain(*client_cert)
    return ctx


def handshake(port, ctx):
    """A TLS handshake with the wss listener alone; returns (suite, version, server certificate key type)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.cipher()[0], tls.version(), key_type_of_certificate(tls.getpeercert(binary_form=True))


def run_ca(data_dir, *args):
    """`evbroker ca <args> --data-dir <data_dir>`; fails the test run when it fails."""
    done = subprocess.run([node_binary(), "ca", *args, "--data-dir", data_dir], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"evbroker ca {' '.join(args)}: {done.returncode} {done.stdout} {done.stderr}"


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


class RequiredSuitesChecks:
    """TLS 1.2 suite checks against a node reached at `wss_port()`, trusting `trusted()`."""

    def assert_offers_each_required_suite(self):
        for suite, key_type in REQUIRED_TLS12_SUITES:
            with self.subTest(suite=suite):
                negotiated, version, server_key = handshake(self.wss_port(), tls12_context(self.trusted(), suite))
                self.assertEqual((negotiated, version), (suite, "TLSv1.2"))
                self.assertEqual(server_key, key_type)

    def assert_refuses_suites_outside_the_list(self):
        for suite in SUITES_OUTSIDE_THE_LIST:
            with self.subTest(suite=suite):
                with self.assertRaises(ssl.SSLError) as caught:
                    handshake(self.wss_port(), tls12_context(self.trusted(), suite))
                # The server said no (handshake failure alert), not the client that could not offer it.
                self.assertIn("HANDSHAKE_FAILURE", str(caught.exception).upper())


@require_binary
class RequiredCipherSuitesWithTheLocalPki(RequiredSuitesChecks, unittest.TestCase):
    """No certificates configured: the local PKI's ECDSA and RSA server certificates serve all four."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evbroker-tls-suites-")
        cls.node = Node()
        cls.node.start()
        cls.csms_root = os.path.join(cls.dir, "csms-root.pem")
        run_ca(cls.node.data_dir, "export", "csms-root", "--out", cls.csms_root)
        cls.station = "TC-A-07"
        cls.node.register_station(cls.station, profile=2)
        stem = os.path.join(cls.dir, cls.station)
        run_ca(cls.node.data_dir, "issue-station", cls.station, "--cert-out", stem + ".pem", "--key-out", stem + ".key")
        cls.station_certificate = (stem + ".pem", stem + ".key")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.node.stop()
        finally:
            cls.node.cleanup()
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    def wss_port(self):
        return self.node.wss_port

    def trusted(self):
        return self.csms_root

    def test_tc_a_04_tls12_offers_each_required_cipher_suite(self):
        self.assert_offers_each_required_suite()

    def test_tc_a_04_tls13_stays_on(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.csms_root)
        self.assertEqual(handshake(self.wss_port(), ctx)[1], "TLSv1.3")

    def test_tls12_refuses_suites_outside_the_required_list(self):
        self.assert_refuses_suites_outside_the_list()

    def test_tc_a_06_tls_below_1_2_is_refused(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.csms_root)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that this client can offer TLS 1.1 at all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is: that is the point
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises(ssl.SSLError) as caught:
            handshake(self.wss_port(), ctx)
        # The server's protocol_version alert, not a client that could not offer TLS 1.1.
        self.assertIn("PROTOCOL_VERSION", str(caught.exception).upper())

    def test_tc_a_07_client_certificate_with_each_suite(self):
        for suite, key_type in REQUIRED_TLS12_SUITES:
            with self.subTest(suite=suite):
                ctx = tls12_context(self.csms_root, suite, client_cert=self.station_certificate)
                client = ocpp_ws.connect(f"wss://127.0.0.1:{self.node.wss_port}/ws", self.station,
                                         subprotocols=[V201], ssl_context=ctx)
                try:
                    self.assertEqual(client.sock.cipher()[0], suite)
                    self.assertEqual(client.sock.version(), "TLSv1.2")
                    self.assertEqual(key_type_of_certificate(client.sock.getpeercert(binary_form=True)), key_type)
                    self.assertEqual(boot(client)["status"], "Accepted")
                finally:
                    client.close(timeout=1)


@require_binary
class OperatorRsaAndEcdsaPairs(RequiredSuitesChecks, unittest.TestCase):
    """--tls-cert/--tls-key given twice: an operator's RSA and ECDSA certificates, each from a sub-CA of
    its own key type under one root, so the node must send each certificate with its own chain."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evbroker-tls-pairs-")
        d = cls.dir
        self_signed(d, "op_root", "operator root", ("-addext", "basicConstraints=critical,CA:TRUE",
                                                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"))
        for key_type in ("RSA", "EC"):
            sub = f"op_sub_{key_type.lower()}"
            issued(d, sub, f"operator {key_type} sub-CA", "op_root", key_type, CA_EXTENSIONS)
            leaf = f"server_{key_type.lower()}"
            issued(d, leaf, "127.0.0.1", sub, key_type, SERVER_EXTENSIONS)
            with open(os.path.join(d, f"{leaf}.chain.pem"), "w") as chain:
                for part in (leaf, sub):
                    with open(os.path.join(d, f"{part}.pem")) as f:
                        chain.write(f.read())
        cls.pairs = {key_type: (os.path.join(d, f"server_{key_type.lower()}.chain.pem"),
                                os.path.join(d, f"server_{key_type.lower()}.key")) for key_type in ("RSA", "EC")}
        cls.node = Node(extra_args=cls.pair_args(cls.pairs["RSA"], cls.pairs["EC"]))
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.node.stop()
        finally:
            cls.node.cleanup()
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    @staticmethod
    def pair_args(*pairs):
        args = []
        for cert, key in pairs:
            args += ["--tls-cert", cert, "--tls-key", key]
        return args

    def wss_port(self):
        return self.node.wss_port

    def trusted(self):
        return os.path.join(self.dir, "op_root.pem")

    def start_fails(self, args):
        node = Node(extra_args=args)
        try:
            with self.assertRaises(NodeError) as caught:
                node.start()
        finally:
            node.kill9()
            node.cleanup()
        return str(caught.exception)

    def test_tc_a_04_tls12_offers_each_required_cipher_suite_with_both_pairs(self):
        self.assert_offers_each_required_suite()

    def test_tls12_refuses_suites_outside_the_required_list_with_both_pairs(self):
        self.assert_refuses_suites_outside_the_list()

    def test_a_key_that_is_not_its_certificates_is_refused_at_start(self):
        (rsa_cert, rsa_key), (ec_cert, ec_key) = self.pairs["RSA"], self.pairs["EC"]
        error = self.start_fails(self.pair_args((rsa_cert, ec_key), (ec_cert, rsa_key)))
        self.assertIn(f"--tls-key {ec_key} does not hold the private key of the certificate in --tls-cert {rsa_cert}",
                      error)

    def test_two_certificates_of_one_key_type_are_refused_at_start(self):
        rsa = self.pairs["RSA"]
        error = self.start_fails(self.pair_args(rsa, rsa))
        self.assertIn(f"--tls-cert {rsa[0]} and --tls-cert {rsa[0]} both hold an RSA key", error)

    def test_one_pair_alone_serves_the_suites_of_its_key_type(self):
        with Node(extra_args=self.pair_args(self.pairs["EC"])) as node:
            suite = "ECDHE-ECDSA-AES128-GCM-SHA256"
            self.assertEqual(handshake(node.wss_port, tls12_context(self.trusted(), suite))[0], suite)
            with self.assertRaises(ssl.SSLError):
                handshake(node.wss_port, tls12_context(self.trusted(), "AES128-GCM-SHA256"))
            self.assertIn("wss has no RSA server certificate", node.log_text())


if __name__ == "__main__":
    unittest.main()
