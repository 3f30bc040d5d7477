"""Tests of the fake Hubject + OCSP responder (fake_hubject.py): every endpoint over real HTTP, with
the certificates checked by the openssl command-line tool. Standard library only.

    cd tests/fake_hubject && python3 -m unittest -v test_fake_hubject
"""

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_TOKEN = "fixed-test-token"


def openssl(*args, data=None, check=True):
    proc = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {proc.stderr.decode()}")
    return proc


class FakeHubject:
    """Runs fake_hubject.py in a temporary directory; the JSON line on stdout means it is ready."""

    def __init__(self, *extra):
        self.tmp = tempfile.TemporaryDirectory(prefix="fake-hubject-")
        self.log = open(os.path.join(self.tmp.name, "server.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_hubject.py"), "--port", "0",
             "--dir", os.path.join(self.tmp.name, "pki"), "--token", FIXED_TOKEN, "--token-ttl", "600", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("fake_hubject exited before it was ready: " + self.read_log())
        self.info = json.loads(line)
        self.url = self.info["url"]
        self.ssl_context = None
        if self.info["tls_ca"]:
            self.ssl_context = ssl.create_default_context(cafile=self.info["tls_ca"])

    def read_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.tmp.cleanup()

    def request(self, method, path, body=None, headers=None, token=FIXED_TOKEN):
        """-> (status, headers, body bytes); never raises for an HTTP status."""
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=20, context=self.ssl_context) as res:
                return res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, token=None):
        status, _, data = self.request(method, path, body, token=token)
        return status, json.loads(data)

    def contract(self, **fields):
        status, answer = self.json("POST", "/_test/contract", {"emaid": "DE-EVB-C12345678-9", **fields})
        assert status == 200, answer
        return answer


def pem_certs(text):
    marker = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + marker + "\n" for part in text.split(marker) if "BEGIN CERTIFICATE" in part]


class FakeHubjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeHubject()
        cls.dir = tempfile.TemporaryDirectory(prefix="fake-hubject-test-")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.dir.cleanup()

    def setUp(self):
        status, _ = self.fake.json("POST", "/_test/config", {"reset": True})
        self.assertEqual(status, 200)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write(self, name, content):
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(content)
        return self.path(name)

    def stats(self):
        return self.fake.json("GET", "/_test/stats")[1]

    def make_csr(self, cn):
        key = self.path(cn + ".key")
        der = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", key, "-subj", f"/CN={cn}/O=evbroker/C=DE/DC=CPO", "-outform", "DER").stdout
        return base64.b64encode(der)

    def p7_certs(self, body):
        der = base64.b64decode(body)
        return pem_certs(openssl("pkcs7", "-inform", "DER", "-print_certs", data=der).stdout.decode())

    def ocsp_status(self, issuer_pem, leaf_pem, trust):
        """`openssl ocsp` against the fake: 'good', 'revoked' or 'unknown' (response signature verified)."""
        leaf = self.write("ocsp-leaf.pem", leaf_pem)
        out = openssl("ocsp", "-issuer", issuer_pem, "-cert", leaf, "-url", self.fake.url + "/ocsp",
                      "-CAfile", trust, "-verify_other", self.fake.info["mo_chain"]).stdout.decode()
        first = out.splitlines()[0]
        self.assertTrue(first.startswith(leaf + ": "), out)
        return first.split(": ", 1)[1].strip()

    # ---- the ready line and the PKI -----------------------------------------------------------------

    def test_ready_line_names_the_pki_files(self):
        info = self.fake.info
        self.assertIsInstance(info["port"], int)
        for key in ("v2g_root", "mo_root", "other_root", "ca_bundle", "cpo_chain", "mo_chain"):
            self.assertTrue(os.path.isfile(info[key]), key)
        self.assertIsNone(info["tls_ca"])
        with open(info["ca_bundle"]) as f:
            self.assertEqual(len(pem_certs(f.read())), 2)
        # The sub-CAs chain to their roots and carry this server's OCSP URL.
        openssl("verify", "-CAfile", info["v2g_root"], "-untrusted", info["cpo_chain"], info["cpo_sub2"])
        openssl("verify", "-CAfile", info["mo_root"], "-untrusted", info["mo_chain"], info["mo_sub2"])
        text = openssl("x509", "-in", info["cpo_sub2"], "-noout", "-ocsp_uri").stdout.decode().strip()
        self.assertEqual(text, self.fake.url + "/ocsp")

    # ---- EST ----------------------------------------------------------------------------------------

    def test_simpleenroll_returns_a_secc_certificate_that_chains_to_the_v2g_root(self):
        for path in ("/cpo/simpleenroll/ISO15118-2", "/cpo/simplereenroll/ISO15118-2"):
            status, headers, body = self.fake.request("POST", path, self.make_csr("SECC-1"),
                                                      {"Content-Type": "application/pkcs10"})
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["Content-Type"], "application/pkcs7-mime")
            certs = self.p7_certs(body)
            self.assertEqual(len(certs), 1)
            leaf = self.write("secc.pem", certs[0])
            out = openssl("verify", "-CAfile", self.fake.info["v2g_root"], "-untrusted",
                          self.fake.info["cpo_chain"], leaf).stdout.decode()
            self.assertIn("OK", out)
            text = openssl("x509", "-in", leaf, "-noout", "-text").stdout.decode()
            self.assertIn("CN = SECC-1", text)
            self.assertIn("X509v3 Key Usage: critical\n                Digital Signature, Key Agreement", text)
            self.assertIn("OCSP - URI:" + self.fake.url + "/ocsp", text)
            issuer = openssl("x509", "-in", leaf, "-noout", "-issuer").stdout.decode()
            self.assertIn("CPO Sub2 CA", issuer)
            days = openssl("x509", "-in", leaf, "-noout", "-checkend", str(364 * 86400), check=False)
            self.assertEqual(days.returncode, 0, "valid for about a year")
            self.assertNotEqual(openssl("x509", "-in", leaf, "-noout", "-checkend", str(366 * 86400),
                                        check=False).returncode, 0)

    def test_simpleenroll_refuses_a_bad_csr_and_a_missing_token(self):
        status, _, _ = self.fake.request("POST", "/cpo/simpleenroll/ISO15118-2", base64.b64encode(b"not a csr"))
        self.assertEqual(status, 400)
        der = bytearray(base64.b64decode(self.make_csr("SECC-2")))
        der[-5] ^= 0xFF  # breaks the CSR's signature
        status, _, _ = self.fake.request("POST", "/cpo/simpleenroll/ISO15118-2", base64.b64encode(bytes(der)))
        self.assertEqual(status, 400)
        status, headers, _ = self.fake.request("POST", "/cpo/simpleenroll/ISO15118-2", self.make_csr("S"), token=None)
        self.assertEqual(status, 401)
        self.assertIn("Bearer", headers["WWW-Authenticate"])
        status, _, _ = self.fake.request("POST", "/cpo/simpleenroll/ISO15118-2", self.make_csr("S"), token="wrong")
        self.assertEqual(status, 401)

    def test_cacerts_is_the_cpo_chain_up_to_the_v2g_root(self):
        status, headers, body = self.fake.request("GET", "/cpo/cacerts/ISO15118-2")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/pkcs7-mime")
        certs = self.p7_certs(body)
        subjects = [openssl("x509", "-noout", "-subject", data=c.encode()).stdout.decode() for c in certs]
        self.assertEqual(len(subjects), 3)
        for subject, cn in zip(subjects, ("CPO Sub2 CA", "CPO Sub1 CA", "V2G Root CA")):
            self.assertIn(cn, subject)

    # ---- contract certificates and roots ------------------------------------------------------------

    def test_signed_contract_data_passes_the_exi_through(self):
        exi = b"\x80\x98\x02\x10fake EXI"
        body = {"certificateInstallationReq": base64.b64encode(exi).decode(),
                "xsdMsgDefNamespace": "urn:iso:15118:2:2013:MsgDef"}
        status, answer = self.fake.json("POST", "/v1/ccp/signedContractData", body, token=FIXED_TOKEN)
        self.assertEqual(status, 200, answer)
        content = answer["CCPResponse"]["emaidContent"]
        self.assertEqual(len(content), 1)
        message = content[0]["messageDef"]
        self.assertIsNone(message["metaData"])
        self.assertEqual(base64.b64decode(message["certificateInstallationRes"]), b"CertificateInstallationRes:" + exi)
        self.assertEqual(message["emaid"], "DE-EVB-C00000001-0")

        self.fake.json("POST", "/_test/config", {"emaid": "DE-ABC-C99"})
        status, answer = self.fake.json("POST", "/v1/ccp/signedContractData", body, token=FIXED_TOKEN)
        self.assertEqual(answer["CCPResponse"]["emaidContent"][0]["messageDef"]["emaid"], "DE-ABC-C99")

    def test_signed_contract_data_errors(self):
        ok = {"certificateInstallationReq": base64.b64encode(b"x").decode(),
              "xsdMsgDefNamespace": "urn:iso:15118:2:2013:MsgDef"}
        for broken in ({"xsdMsgDefNamespace": ok["xsdMsgDefNamespace"]},
                       {**ok, "xsdMsgDefNamespace": "urn:nope"},
                       {**ok, "certificateInstallationReq": "!!not base64!!"},
                       {**ok, "certificateInstallationReq": 5}):
            status, answer = self.fake.json("POST", "/v1/ccp/signedContractData", broken, token=FIXED_TOKEN)
            self.assertEqual(status, 400, broken)
            self.assertIn("error", answer)
        status, _, _ = self.fake.request("POST", "/v1/ccp/signedContractData", "{not json",
                                         {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        status, answer = self.fake.json("POST", "/v1/ccp/signedContractData",
                                        {**ok, "certificateInstallationReq": base64.b64encode(b"NO-CONTRACT").decode()},
                                        token=FIXED_TOKEN)
        self.assertEqual(status, 404)
        self.assertIn("error", answer)
        status, _ = self.fake.json("POST", "/v1/ccp/signedContractData", ok, token=None)
        self.assertEqual(status, 401)

    def test_root_certs_lists_the_v2g_and_mo_roots(self):
        status, answer = self.fake.json("GET", "/v1/root/rootCerts", token=FIXED_TOKEN)
        self.assertEqual(status, 200)
        roots = answer["RootCertificateCollection"]["rootCertificates"]
        self.assertEqual(sorted(r["rootType"] for r in roots), ["MO", "V2G"])
        for root in roots:
            pem_path = self.fake.info["v2g_root" if root["rootType"] == "V2G" else "mo_root"]
            der = openssl("x509", "-in", pem_path, "-outform", "DER").stdout
            self.assertEqual(base64.b64decode(root["caCertificate"]), der)
            self.assertIn(root["commonName"], ("V2G Root CA", "MO Root CA"))
            self.assertIn("CN=" + root["commonName"], root["distinguishedName"])
            self.assertRegex(root["validFrom"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(root["validTo"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(root["rootAuthorityKeyIdentifier"], r"^[0-9A-F]{40}$")
            self.assertTrue(root["rootSerialNumber"])
            self.assertEqual(len(root["rootCertificateId"]), 64)

    # ---- OAuth2 -------------------------------------------------------------------------------------

    def oauth(self, body, headers=None):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        status, _, data = self.fake.request("POST", "/oauth/token", body, hdrs, token=None)
        return status, json.loads(data)

    def test_oauth_client_credentials_and_token_expiry(self):
        status, answer = self.oauth("grant_type=client_credentials&client_id=evbroker-test&client_secret=secret")
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertEqual(answer["expires_in"], 600)
        token = answer["access_token"]
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=token)[0], 200)

        basic = base64.b64encode(b"evbroker-test:secret").decode()
        status, answer = self.oauth("grant_type=client_credentials", {"Authorization": "Basic " + basic})
        self.assertEqual(status, 200)
        second = answer["access_token"]
        self.assertNotEqual(second, token)

        self.assertEqual(self.oauth("grant_type=client_credentials&client_id=evbroker-test&client_secret=no")[0], 401)
        self.assertEqual(self.oauth("grant_type=password&client_id=evbroker-test&client_secret=secret")[0], 400)

        # token_expired: issued tokens die (a refresh is needed), the fixed token is refused once.
        self.fake.json("POST", "/_test/config", {"token_expired": True})
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=token)[0], 401)
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=second)[0], 401)
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=FIXED_TOKEN)[0], 401)
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=FIXED_TOKEN)[0], 200)
        status, answer = self.oauth("grant_type=client_credentials&client_id=evbroker-test&client_secret=secret")
        self.assertEqual(self.fake.json("GET", "/v1/root/rootCerts", token=answer["access_token"])[0], 200)

        stats = self.stats()
        self.assertEqual(stats["tokens_issued"], 3)
        self.assertEqual(stats["by_endpoint"]["POST /oauth/token"], {"200": 3, "401": 1, "400": 1})
        self.assertEqual(stats["by_endpoint"]["GET /v1/root/rootCerts"], {"200": 3, "401": 3})

    # ---- OCSP and contract certificates -------------------------------------------------------------

    def test_contract_certificates_good_revoked_and_via_revoke(self):
        info = self.fake.info
        good = self.fake.contract()
        self.assertEqual(len(pem_certs(good["chain_pem"])), 3)
        leaf = self.write("good.pem", good["leaf_pem"])
        chain = self.write("good-chain.pem", "".join(pem_certs(good["chain_pem"])[1:]))
        self.assertIn("OK", openssl("verify", "-CAfile", info["mo_root"], "-untrusted", chain, leaf).stdout.decode())
        subject = openssl("x509", "-in", leaf, "-noout", "-subject").stdout.decode()
        self.assertIn("CN = DE-EVB-C12345678-9", subject)
        fingerprint = openssl("x509", "-in", leaf, "-noout", "-fingerprint", "-sha256").stdout.decode()
        self.assertEqual(fingerprint.split("=", 1)[1].strip().replace(":", "").lower(), good["leaf_sha256"])
        self.assertIn("BEGIN PRIVATE KEY", good["key_pem"])
        data = good["ocsp_request_data"]
        self.assertEqual(data["hashAlgorithm"], "SHA256")
        self.assertEqual(len(data["issuerNameHash"]), 64)
        self.assertEqual(data["serialNumber"], good["serial"])
        self.assertEqual(data["responderURL"], self.fake.url + "/ocsp")

        self.assertEqual(self.ocsp_status(info["mo_sub2"], good["leaf_pem"], info["mo_root"]), "good")
        revoked = self.fake.contract(revoked=True)
        self.assertEqual(self.ocsp_status(info["mo_sub2"], revoked["leaf_pem"], info["mo_root"]), "revoked")

        status, answer = self.fake.json("POST", "/_test/revoke", {"serial": good["serial"]})
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.ocsp_status(info["mo_sub2"], good["leaf_pem"], info["mo_root"]), "revoked")
        self.assertEqual(self.fake.json("POST", "/_test/revoke", {"serial": "ABCDEF"})[0], 404)

    def test_ocsp_for_sub_cas_and_by_get(self):
        info = self.fake.info
        # A sub-CA's status comes from its parent (here MO sub-CA 1, answered by the MO root).
        req = self.path("sub.req")
        openssl("ocsp", "-issuer", info["mo_sub1"], "-cert", info["mo_sub2"], "-no_nonce", "-reqout", req)
        with open(req, "rb") as f:
            der = f.read()
        encoded = urllib.parse.quote(base64.b64encode(der).decode(), safe="")
        status, headers, body = self.fake.request("GET", "/ocsp/" + encoded, token=None)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/ocsp-response")
        resp = self.write("sub.resp", body)
        out = openssl("ocsp", "-respin", resp, "-issuer", info["mo_sub1"], "-cert", info["mo_sub2"],
                      "-CAfile", info["mo_root"], "-verify_other", info["mo_chain"]).stdout.decode()
        self.assertIn(": good", out)
        # POST with a SHA-256 CertID, as OCPP's hash data uses.
        openssl("ocsp", "-issuer", info["cpo_sub1"], "-sha256", "-cert", info["cpo_sub2"], "-no_nonce",
                "-reqout", req)
        with open(req, "rb") as f:
            der = f.read()
        status, _, body = self.fake.request("POST", "/ocsp", der, {"Content-Type": "application/ocsp-request"},
                                            token=None)
        self.assertEqual(status, 200)
        text = openssl("ocsp", "-respin", self.write("sha.resp", body), "-resp_text", "-noverify").stdout.decode()
        self.assertIn("Cert Status: good", text)

    def test_expired_and_foreign_contract_certificates(self):
        info = self.fake.info
        expired = self.fake.contract(expired=True)
        leaf = self.write("expired.pem", expired["leaf_pem"])
        chain = self.write("expired-chain.pem", "".join(pem_certs(expired["chain_pem"])[1:]))
        out = openssl("verify", "-CAfile", info["mo_root"], "-untrusted", chain, leaf, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("certificate has expired", out.stdout.decode() + out.stderr.decode())
        # Entirely in the past: not yet expired a year ago, no.
        self.assertNotEqual(openssl("x509", "-in", leaf, "-noout", "-checkend", "0", check=False).returncode, 0)

        foreign = self.fake.contract(issuer="other")
        self.assertEqual(len(pem_certs(foreign["chain_pem"])), 1)
        leaf = self.write("foreign.pem", foreign["leaf_pem"])
        out = openssl("verify", "-CAfile", info["mo_root"], "-untrusted", info["mo_chain"], leaf, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("OK", openssl("verify", "-CAfile", info["other_root"], leaf).stdout.decode())
        self.assertEqual(self.fake.json("POST", "/_test/contract", {"emaid": "X", "issuer": "nobody"})[0], 400)

    # ---- behaviour under test control ---------------------------------------------------------------

    def test_fail_count_fails_the_next_requests_then_recovers(self):
        status, config = self.fake.json("POST", "/_test/config", {"fail_count": 2, "fail_status": 503})
        self.assertEqual(config["fail_count"], 2)
        statuses = [self.fake.request("GET", "/v1/root/rootCerts")[0] for _ in range(3)]
        self.assertEqual(statuses, [503, 503, 200])
        stats = self.stats()
        self.assertEqual(stats["by_endpoint"]["GET /v1/root/rootCerts"], {"503": 2, "200": 1})
        self.assertEqual(stats["statuses"], {"503": 2, "200": 1})
        self.assertEqual(stats["total"], 3)

        self.fake.json("POST", "/_test/config", {"fail_status": 500})  # alone: until cleared
        self.assertEqual([self.fake.request("GET", "/cpo/cacerts/ISO15118-2")[0] for _ in range(2)], [500, 500])
        self.fake.json("POST", "/_test/config", {"fail_status": None})
        self.assertEqual(self.fake.request("GET", "/cpo/cacerts/ISO15118-2")[0], 200)

    def test_delay_slows_every_answer(self):
        self.fake.json("POST", "/_test/config", {"delay_ms": 400})
        started = time.monotonic()
        status, _, _ = self.fake.request("GET", "/v1/root/rootCerts")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.4)
        started = time.monotonic()
        self.fake.json("GET", "/_test/stats")  # test control is never delayed
        self.assertLess(time.monotonic() - started, 0.4)

    def test_unknown_paths_are_404(self):
        self.assertEqual(self.fake.request("GET", "/nothing/here")[0], 404)


class FakeHubjectTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeHubject("--tls")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def test_https_with_the_printed_tls_ca(self):
        info = self.fake.info
        self.assertTrue(self.fake.url.startswith("https://127.0.0.1:"))
        self.assertTrue(os.path.isfile(info["tls_ca"]))
        status, answer = self.fake.json("GET", "/v1/root/rootCerts", token=FIXED_TOKEN)
        self.assertEqual(status, 200)
        self.assertEqual(len(answer["RootCertificateCollection"]["rootCertificates"]), 2)
        # by name as well (the certificate names localhost and 127.0.0.1)
        url = self.fake.url.replace("127.0.0.1", "localhost") + "/_test/stats"
        with urllib.request.urlopen(url, timeout=20, context=self.fake.ssl_context) as res:
            self.assertEqual(res.status, 200)
        # without the CA the handshake fails
        with self.assertRaises(urllib.error.URLError):
            urllib.request.urlopen(self.fake.url + "/_test/stats", timeout=20,
                                   context=ssl.create_default_context())


if __name__ == "__main__":
    unittest.main()
