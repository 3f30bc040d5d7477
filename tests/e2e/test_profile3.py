"""Security profile 3 with the node's own PKI: no certificates configured, the node makes its CSMS root,
server certificate and CPO sub-CA on first start; `evbroker ca` exports them and issues station client
certificates; the CN must name the station. Also TLS offload (--trust-proxy: a proxy terminates TLS and
passes the client certificate in headers, which are ignored without the flag) and CPO sub-CA rotation.

MaEVe's profile numbering: 0 = ws + Basic, 1 = wss + Basic, 2 = wss + client certificate (OCPP's 3).
"""
import base64
import hashlib
import os
import shutil
import ssl
import stat
import subprocess
import tempfile
import unittest
import urllib.parse

import ocpp_ws
from harness import V16, V201, Node, boot, keep_files, node_binary, require_binary
from ocpp_ws import UpgradeRefused


def run_ca(data_dir, *args):
    """`evbroker ca <args> --data-dir <data_dir>`; returns (exit code, stdout, stderr)."""
    done = subprocess.run([node_binary(), "ca", *args, "--data-dir", data_dir], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def openssl(*args, cwd, input_text=None):
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60,
                          input=input_text.encode("ascii") if input_text is not None else None)
    return done.returncode, done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")


def maeve_hash(pem_text):
    """MaEVe's certificate hash: base64url (no padding) of the SHA-256 of the DER."""
    der = ssl.PEM_cert_to_DER_cert(first_pem(pem_text))
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode("ascii").rstrip("=")


def read_text(path):
    with open(path) as f:
        return f.read()


def first_pem(pem_text):
    end = "-----END CERTIFICATE-----"
    return pem_text[:pem_text.index(end) + len(end)] + "\n"


def body_text(refusal):
    body = refusal.body
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


class LocalPkiTestCase(unittest.TestCase):
    """One node with the default local PKI per class, and a directory for certificates."""

    node_args = ()

    @classmethod
    def setUpClass(cls):
        if not node_binary():
            raise unittest.SkipTest("EVBROKER_BIN is not set")
        cls.dir = tempfile.mkdtemp(prefix="evbroker-p3-")
        cls.node = Node(extra_args=list(cls.node_args))
        cls.node.start()
        cls.csms_root = os.path.join(cls.dir, "csms-root.pem")
        code, out, err = run_ca(cls.node.data_dir, "export", "csms-root", "--out", cls.csms_root)
        assert code == 0, f"ca export csms-root: {code} {out} {err}"

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.node.running():
                cls.node.stop()
        finally:
            cls.node.cleanup()
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    _issued = 0

    def issue(self, station_id):
        """A station certificate from the node's CPO sub-CA; returns (certificate file, key file)."""
        LocalPkiTestCase._issued += 1
        stem = os.path.join(self.dir, f"{station_id}-{LocalPkiTestCase._issued}")
        code, out, err = run_ca(self.node.data_dir, "issue-station", station_id,
                                "--cert-out", stem + ".pem", "--key-out", stem + ".key")
        self.assertEqual(code, 0, f"{out}\n{err}")
        return stem + ".pem", stem + ".key"

    def self_signed(self, cn):
        stem = os.path.join(self.dir, f"self-signed-{cn}")
        code, out = openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-days", "2", "-keyout", stem + ".key", "-out", stem + ".pem", "-subj", f"/CN={cn}",
                            cwd=self.dir)
        self.assertEqual(code, 0, out)
        return stem + ".pem", stem + ".key"

    def wss(self, cs_id, protocol=V201, certificate=None, password=None):
        """wss to the node; the client trusts only the exported CSMS root and checks the host (IP SAN)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.csms_root)
        if certificate:
            ctx.load_cert_chain(*certificate)
        return ocpp_ws.connect(f"wss://127.0.0.1:{self.node.wss_port}/ws", cs_id, subprotocols=[protocol],
                               password=password, ssl_context=ctx)

    def proxied(self, cs_id, headers, protocol=V201):
        """Plain ws, as a TLS-terminating proxy would forward the upgrade."""
        return ocpp_ws.connect(self.node.ws_url, cs_id, subprotocols=[protocol], extra_headers=headers)

    def connects(self, connect, protocol=V201):
        client = connect()
        try:
            self.assertEqual(client.subprotocol, protocol)
            self.assertEqual(boot(client)["status"], "Accepted")
        finally:
            client.close(timeout=1)

    def refused(self, statuses, connect, mention=None):
        statuses = (statuses,) if isinstance(statuses, int) else statuses
        with self.assertRaises(UpgradeRefused) as caught:
            connect().close(timeout=1)
        self.assertIn(caught.exception.status, statuses, body_text(caught.exception))
        if mention:
            self.assertIn(mention, body_text(caught.exception))
        return body_text(caught.exception)

    def register(self, cs_id, profile=2, password=None):
        self.node.register_station(cs_id, profile=profile, password=password)
        return cs_id


@require_binary
class Profile3WithTheLocalPki(LocalPkiTestCase):
    def test_the_node_made_its_pki_on_first_start(self):
        self.assertIn("created local PKI in", self.node.log_text())
        self.assertTrue(os.path.isdir(os.path.join(self.node.data_dir, "pki")))

    def test_a_certificate_naming_the_station_connects(self):
        cs = self.register("P3-GOOD")
        certificate = self.issue(cs)
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                self.connects(lambda: self.wss(cs, protocol, certificate=certificate), protocol)

    def test_a_certificate_of_another_station_is_403(self):
        cs, other = self.register("P3-VICTIM"), self.register("P3-OTHER")
        body = self.refused(403, lambda: self.wss(cs, certificate=self.issue(other)))
        self.assertIn(other, body)

    def test_a_self_signed_certificate_is_refused(self):
        cs = self.register("P3-SELF")
        self.refused((401, 403), lambda: self.wss(cs, certificate=self.self_signed(cs)))

    def test_no_certificate_is_401(self):
        cs = self.register("P3-NONE")
        self.refused(401, lambda: self.wss(cs))

    def test_a_password_is_403_for_a_certificate_station(self):
        cs = self.register("P3-PASSWORD")
        self.refused(403, lambda: self.wss(cs, password="anything"))
        self.refused(403, lambda: self.wss(cs, certificate=self.issue(cs), password="anything"))

    def test_a_password_station_cannot_connect_with_only_a_certificate(self):
        cs = self.register("P1-CERT", profile=1, password="p1-secret")
        certificate = self.issue(cs)
        self.refused(401, lambda: self.wss(cs, certificate=certificate))
        self.connects(lambda: self.wss(cs, password="p1-secret"))

    def test_proxy_headers_are_ignored_without_trust_proxy(self):
        cs = self.register("P3-NOPROXY")
        pem = read_text(self.issue(cs)[0])
        headers = {"X-Forwarded-Proto": "https", "X-Client-Cert": urllib.parse.quote(pem, safe="")}
        self.refused(403, lambda: self.proxied(cs, headers), mention="connect with wss")
        self.assertIn("headers ignored", self.node.log_text())

    def test_exported_certificates_parse_with_openssl(self):
        for what in ("csms-root", "v2g-root", "cpo-sub-ca", "station-trust", "server-chain"):
            with self.subTest(what=what):
                code, out, err = run_ca(self.node.data_dir, "export", what)
                self.assertEqual(code, 0, err)
                self.assertTrue(out.startswith("-----BEGIN CERTIFICATE-----"), out[:100])
                parsed, text = openssl("x509", "-noout", "-subject", "-enddate", cwd=self.dir, input_text=out)
                self.assertEqual(parsed, 0, text)
                self.assertIn("subject=", text)
        # The server chain verifies against the exported root, for 127.0.0.1.
        code, chain, err = run_ca(self.node.data_dir, "export", "server-chain")
        chain_file = os.path.join(self.dir, "server-chain.pem")
        with open(chain_file, "w") as f:
            f.write(chain)
        verified, text = openssl("verify", "-CAfile", self.csms_root, "-untrusted", chain_file, "-verify_ip",
                                 "127.0.0.1", chain_file, cwd=self.dir)
        self.assertEqual(verified, 0, text)

    def test_issue_station_prints_what_it_issued_and_keeps_the_key_private(self):
        cert_file, key_file = os.path.join(self.dir, "shown.pem"), os.path.join(self.dir, "shown.key")
        code, out, err = run_ca(self.node.data_dir, "issue-station", "P3-SHOWN", "--cert-out", cert_file,
                                "--key-out", key_file)
        self.assertEqual(code, 0, err)
        pem = read_text(cert_file)
        for expected in ("CN=P3-SHOWN", "serial:", "notAfter:", maeve_hash(pem)):
            self.assertIn(expected, out)
        self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)
        # The file holds the leaf and the CPO sub-CA, which chain to the CSMS root.
        verified, text = openssl("verify", "-CAfile", self.csms_root, "-untrusted", cert_file, cert_file, cwd=self.dir)
        self.assertEqual(verified, 0, text)

    def test_ca_usage_errors_exit_2(self):
        d = self.node.data_dir
        for args, mention in ((("frobnicate",), "unknown command"),
                              ((), "missing command"),
                              (("export", "everything"), "unknown certificate"),
                              (("issue-station", "CS1"), "--cert-out"),
                              (("issue-station", "a/b", "--cert-out", "c", "--key-out", "k"), "'/'"),
                              (("rotate", "moon"), "unknown part"),
                              (("export", "csms-root", "--bogus-flag"), "--bogus-flag")):
            with self.subTest(args=args):
                code, out, err = run_ca(d, *args)
                self.assertEqual(code, 2, out + err)
                self.assertIn(mention, err)
        code, out, _ = run_ca(d, "--help")
        self.assertEqual(code, 0)
        for command in ("export", "issue-station", "rotate"):
            self.assertIn(command, out)


@require_binary
class TlsOffloadWithTrustProxy(LocalPkiTestCase):
    node_args = ("--trust-proxy",)

    @staticmethod
    def escaped(pem):  # nginx's $ssl_client_escaped_cert
        return urllib.parse.quote(pem, safe="")

    def https(self, **headers):
        return {"X-Forwarded-Proto": "https", **headers}

    def test_a_passed_certificate_naming_the_station_connects(self):
        cs = self.register("PX-GOOD")
        pem = read_text(self.issue(cs)[0])
        der = ssl.PEM_cert_to_DER_cert(first_pem(pem))
        forms = {"url-escaped PEM": self.escaped(pem),
                 "PEM on one line": " ".join(pem.splitlines()),
                 "base64 DER": base64.b64encode(der).decode("ascii")}
        for form, value in forms.items():
            with self.subTest(form=form):
                self.connects(lambda: self.proxied(cs, self.https(**{"X-Client-Cert": value})))

    def test_a_passed_certificate_of_another_station_is_403(self):
        cs, other = self.register("PX-VICTIM"), self.register("PX-OTHER")
        pem = read_text(self.issue(other)[0])
        self.refused(403, lambda: self.proxied(cs, self.https(**{"X-Client-Cert": self.escaped(pem)})), mention=other)

    def test_an_untrusted_passed_certificate_is_401(self):
        cs = self.register("PX-UNTRUSTED")
        pem = read_text(self.self_signed(cs)[0])
        self.refused(401, lambda: self.proxied(cs, self.https(**{"X-Client-Cert": self.escaped(pem)})),
                     mention="does not chain to the station trust store")

    def test_garbage_and_missing_certificates_are_401(self):
        cs = self.register("PX-GARBAGE")
        self.refused(401, lambda: self.proxied(cs, self.https(**{"X-Client-Cert": "not%20a%20certificate"})),
                     mention="X-Client-Cert")
        self.refused(401, lambda: self.proxied(cs, self.https()), mention="no client certificate")

    def test_a_certificate_without_forwarded_https_does_not_count(self):
        cs = self.register("PX-NOPROTO")
        pem = read_text(self.issue(cs)[0])
        self.refused(403, lambda: self.proxied(cs, {"X-Client-Cert": self.escaped(pem)}), mention="connect with wss")

    def test_an_uploaded_certificate_is_found_by_its_hash(self):
        cs = self.register("PX-HASH")
        pem = read_text(self.issue(cs)[0])
        status, answer = self.node.api("POST", "/api/v0/certificate", {"certificate": first_pem(pem)})
        self.assertEqual(status, 201, answer)
        self.assertEqual(answer["certificateHash"], maeve_hash(pem))
        self.connects(lambda: self.proxied(cs, self.https(**{"X-Client-Cert-Hash": maeve_hash(pem)})))
        # A hash nobody uploaded.
        unknown = maeve_hash(read_text(self.issue(cs)[0]))
        self.refused(401, lambda: self.proxied(cs, self.https(**{"X-Client-Cert-Hash": unknown})),
                     mention="POST /api/v0/certificate")

    def test_password_stations_behind_the_proxy(self):
        cs = self.register("PX-P1", profile=1, password="p1-secret")
        self.connects(lambda: ocpp_ws.connect(self.node.ws_url, cs, subprotocols=[V201], password="p1-secret",
                                              extra_headers=self.https()))
        plain = self.register("PX-P0", profile=0, password="p0-secret")
        self.refused(403, lambda: ocpp_ws.connect(self.node.ws_url, plain, subprotocols=[V201], password="p0-secret",
                                                  extra_headers=self.https()))

    def test_direct_wss_still_works(self):
        cs = self.register("PX-DIRECT")
        self.connects(lambda: self.wss(cs, certificate=self.issue(cs)))


@require_binary
class RotatingTheCpoSubCa(LocalPkiTestCase):
    def test_old_and_new_station_certificates_connect_after_rotate_cpo_and_restart(self):
        cs_old, cs_new = self.register("ROT-OLD"), self.register("ROT-NEW")
        old_certificate = self.issue(cs_old)
        _, sub_ca_before, _ = run_ca(self.node.data_dir, "export", "cpo-sub-ca")
        self.connects(lambda: self.wss(cs_old, certificate=old_certificate))

        self.node.stop()
        code, out, err = run_ca(self.node.data_dir, "rotate", "cpo")
        self.assertEqual(code, 0, err)
        self.assertIn("restart the node", out)
        _, sub_ca_after, _ = run_ca(self.node.data_dir, "export", "cpo-sub-ca")
        self.assertNotEqual(sub_ca_before, sub_ca_after, "rotate cpo made a new CPO sub-CA")
        self.node.start()

        self.connects(lambda: self.wss(cs_old, certificate=old_certificate))
        new_certificate = self.issue(cs_new)
        self.connects(lambda: self.wss(cs_new, certificate=new_certificate))
        # The new certificate is from the new sub-CA.
        after = os.path.join(self.dir, "cpo-sub-ca-after.pem")
        with open(after, "w") as f:
            f.write(sub_ca_after)
        verified, text = openssl("verify", "-partial_chain", "-CAfile", after, new_certificate[0], cwd=self.dir)
        self.assertEqual(verified, 0, text)


if __name__ == "__main__":
    unittest.main()
