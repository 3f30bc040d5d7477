"""Plug & Charge and station certificates end to end: the real node, the project's fake Hubject
(tests/fake_hubject/fake_hubject.py: EST, contract certificate pool, root list, OAuth2 and an OCSP
responder backed by its own test PKI) and the node's local PKI.

Each flow in both OCPP versions: 2.0.1 natively, 1.6 through the security extension
(SignCertificate / CertificateSigned) and DataTransfer "org.openchargealliance.iso15118pnc".
Certificates and CSRs are made with the openssl command line, so the node is checked against an
independent implementation. Figures (SignCertificate -> CertificateSigned, Authorize with OCSP)
are printed, not asserted.
"""
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import ocpp_ws
from harness import V16, V201, Node, boot, keep_files, require_binary, wait_until

FAKE_HUBJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake_hubject", "fake_hubject.py")
PNC_VENDOR = "org.openchargealliance.iso15118pnc"
SCHEMA_2 = "urn:iso:15118:2:2013:MsgDef"
TOKEN = "test-token"


def run(*args, cwd=None, input=None):
    return subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, input=input).stdout


def make_csr(directory, name, cn):
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}/O=evbroker e2e", cwd=directory)
    with open(os.path.join(directory, f"{name}.csr")) as f:
        return f.read()


def pem_to_der(pem):
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return base64.b64decode(body)


def der_to_pem(der, label):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def tamper_signature(pem, label):
    """Flips the last byte (inside the signature) of the first PEM object: still parseable, no
    longer verifiable."""
    first_end = pem.index(f"-----END {label}-----") + len(f"-----END {label}-----")
    der = bytearray(pem_to_der(pem[:first_end]))
    der[-1] ^= 0x01
    return der_to_pem(bytes(der), label) + pem[first_end:].lstrip("\n")


def split_pem(bundle):
    parts, current = [], []
    for line in bundle.strip().splitlines():
        current.append(line)
        if line.startswith("-----END"):
            parts.append("\n".join(current) + "\n")
            current = []
    return parts


def openssl_verify(directory, chain_pem, root_file):
    """True when openssl accepts the chain (leaf first) up to root_file."""
    certs = split_pem(chain_pem)
    leaf = os.path.join(directory, "verify-leaf.pem")
    rest = os.path.join(directory, "verify-rest.pem")
    with open(leaf, "w") as f:
        f.write(certs[0])
    with open(rest, "w") as f:
        f.write("".join(certs[1:]) or certs[0])
    result = subprocess.run(["openssl", "verify", "-CAfile", root_file, "-untrusted", rest, leaf],
                            capture_output=True, text=True)
    return result.returncode == 0, result.stdout + result.stderr


def subject_cn(directory, pem):
    path = os.path.join(directory, "subject.pem")
    with open(path, "w") as f:
        f.write(split_pem(pem)[0])
    text = run("openssl", "x509", "-in", path, "-noout", "-subject", "-nameopt", "multiline").decode()
    for line in text.splitlines():
        if "commonName" in line:
            return line.split("=", 1)[1].strip()
    return ""


def ocsp_hash_data(directory, chain_pem, responder_url):
    """OCPP OCSPRequestDataType of the chain's leaf, computed by openssl (-req_text)."""
    certs = split_pem(chain_pem)
    with open(os.path.join(directory, "hd-leaf.pem"), "w") as f:
        f.write(certs[0])
    with open(os.path.join(directory, "hd-issuer.pem"), "w") as f:
        f.write(certs[1])
    text = run("openssl", "ocsp", "-sha256", "-issuer", "hd-issuer.pem", "-cert", "hd-leaf.pem", "-no_nonce",
               "-req_text", "-reqout", "hd-req.der", cwd=directory).decode()
    fields = {}
    for line in text.splitlines():
        line = line.strip()
        for key, name in (("Issuer Name Hash:", "issuerNameHash"), ("Issuer Key Hash:", "issuerKeyHash"),
                          ("Serial Number:", "serialNumber")):
            if line.startswith(key):
                fields[name] = line[len(key):].strip().lower()
    serial = fields["serialNumber"].lstrip("0") or "0"
    return {"hashAlgorithm": "SHA256", "issuerNameHash": fields["issuerNameHash"],
            "issuerKeyHash": fields["issuerKeyHash"], "serialNumber": serial, "responderURL": responder_url}


class FakeHubject:
    """The fake back end as a child process; ready when it prints its JSON line."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.log = open(os.path.join(directory, "..", "fake.log"), "w")
        self.proc = subprocess.Popen([sys.executable, FAKE_HUBJECT, "--port", "0", "--dir", directory,
                                      "--token", TOKEN],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake Hubject did not start; see " + os.path.join(directory, "..", "fake.log"))
        self.info = json.loads(line)
        self.url = f"http://127.0.0.1:{self.info['port']}"

    def post(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def configure(self, **behaviour):
        return self.post("/_test/config", behaviour)

    def reset(self):
        return self.configure(reset=True)

    def contract(self, emaid, **kw):
        return self.post("/_test/contract", {"emaid": emaid, **kw})

    def stats(self):
        return self.get("/_test/stats")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


class PncTestBase(unittest.TestCase):
    """A fake Hubject and one node per class; stations with unique ids per test."""

    hubject = True        # point the node at the fake Hubject (else: local PKI only)
    oauth = False         # authenticate with OAuth2 client credentials instead of a fixed token
    _counter = 0

    @classmethod
    def node_args(cls):
        args = ["--backend-timeout", "1500", "--backend-retries", "1",
                "--contract-roots", cls.fake.info["mo_root"]]
        if cls.hubject:
            args += ["--hubject-url", cls.fake.url]
            if cls.oauth:
                args += ["--hubject-oauth-url", cls.fake.url + "/oauth/token",
                         "--hubject-client-id", "evbroker-test", "--hubject-client-secret", "secret"]
            else:
                args += ["--hubject-token", TOKEN]
        return args

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evbroker-pnc-")
        cls.fake = FakeHubject(os.path.join(cls.dir, "hubject"))
        try:
            cls.node = Node(extra_args=cls.node_args(), call_timeout=5)
            cls.node.start()
        except Exception:
            cls.fake.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.node.stop()
        finally:
            cls.node.cleanup()
            cls.fake.stop()
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.clients = []
        self.fake.reset()

    def tearDown(self):
        for client in self.clients:
            client.close(timeout=1)

    def unique_id(self, prefix="PNC"):
        PncTestBase._counter += 1
        return f"{prefix}{os.getpid() % 10000}-{PncTestBase._counter}"

    def station(self, protocol):
        cs_id = self.unique_id()
        self.node.register_station(cs_id)
        client = self.node.connect(cs_id, protocol)
        self.clients.append(client)
        self.assertEqual(boot(client).get("status"), "Accepted")
        return cs_id, client

    def pki_file(self, name):
        return os.path.join(self.node.data_dir, "pki", name)

    def sign_records(self, cs_id):
        status, body = self.node.api("GET", f"/api/v0/cs/{cs_id}/certificates")
        self.assertEqual(status, 200, body)
        return {r["certificateType"]: r for r in body["signRequests"]}

    # -- station side helpers -----------------------------------------------------------------------
    def accept_certificate_signed(self, client, answers=("Accepted",)):
        """Answers CertificateSigned (2.0.1 / 1.6 native / 1.6 DataTransfer) with `answers` in turn
        (the last one repeats); records when each arrived."""
        arrivals = []
        replies = list(answers)

        def status():
            return replies.pop(0) if len(replies) > 1 else replies[0]

        def on_signed(payload):
            arrivals.append((time.monotonic(), payload))
            return {"status": status()}

        def on_data_transfer(payload):
            if payload.get("vendorId") != PNC_VENDOR or payload.get("messageId") != "CertificateSigned":
                return {"status": "UnknownVendorId"}
            arrivals.append((time.monotonic(), json.loads(payload["data"])))
            return {"status": "Accepted", "data": json.dumps({"status": status()})}

        client.on_call("CertificateSigned", on_signed)
        client.on_call("DataTransfer", on_data_transfer)
        return arrivals

    def pnc_call(self, client, message_id, payload, timeout=10):
        """A 2.0.1 PnC request from a 1.6 station through DataTransfer; returns the inner answer."""
        answer = client.call("DataTransfer", {"vendorId": PNC_VENDOR, "messageId": message_id,
                                              "data": json.dumps(payload)}, timeout=timeout)
        self.assertEqual(answer.get("status"), "Accepted", answer)
        return json.loads(answer["data"])

    def request(self, client, action, payload, timeout=10):
        if client.subprotocol == V201:
            return client.call(action, payload, timeout=timeout)
        return self.pnc_call(client, action, payload, timeout=timeout)

    def authorize(self, client, emaid, **extra):
        return self.request(client, "Authorize", {"idToken": {"idToken": emaid, "type": "eMAID"}, **extra})


@require_binary
class SignCertificateWithLocalCa(PncTestBase):
    """ChargingStationCertificate by the local CPO sub-CA; V2G through Hubject EST (configured)."""

    def sign_and_wait(self, client, cs_id, certificate_type, protocol_path):
        arrivals = self.accept_certificate_signed(client)
        csr = make_csr(self.dir, f"{cs_id}-{certificate_type}", cs_id)
        started = time.monotonic()
        if protocol_path == "v201":
            answer = client.call("SignCertificate", {"csr": csr, "certificateType": certificate_type})
        elif protocol_path == "v16":
            answer = client.call("SignCertificate", {"csr": csr})
        else:
            answer = self.pnc_call(client, "SignCertificate", {"csr": csr, "certificateType": certificate_type})
        self.assertEqual(answer.get("status"), "Accepted", answer)
        wait_until(lambda: arrivals, timeout=5, what="CertificateSigned")
        elapsed_ms = (arrivals[0][0] - started) * 1000
        print(f"\n  {protocol_path} {certificate_type}: SignCertificate -> CertificateSigned {elapsed_ms:.1f} ms",
              file=sys.stderr)
        chain = arrivals[0][1]["certificateChain"]
        records = wait_until(lambda: (r := self.sign_records(cs_id)).get(certificate_type, {}).get("state") == "Delivered" and r,
                             what="state Delivered")
        return chain, records[certificate_type], elapsed_ms

    def test_station_certificate_2_0_1(self):
        cs_id, client = self.station(V201)
        chain, record, _ = self.sign_and_wait(client, cs_id, "ChargingStationCertificate", "v201")
        ok, why = openssl_verify(self.dir, chain, self.pki_file("csms-root.crt"))
        self.assertTrue(ok, why)
        self.assertEqual(subject_cn(self.dir, chain), cs_id)
        self.assertEqual(record["signer"], "local")
        self.assertEqual(record["attempts"], 1)
        call = client.calls_of("CertificateSigned")[0]
        self.assertEqual(call.payload.get("certificateType"), "ChargingStationCertificate")

    def test_station_certificate_1_6_security_extension(self):
        cs_id, client = self.station(V16)
        chain, record, _ = self.sign_and_wait(client, cs_id, "ChargingStationCertificate", "v16")
        ok, why = openssl_verify(self.dir, chain, self.pki_file("csms-root.crt"))
        self.assertTrue(ok, why)
        self.assertEqual(set(client.calls_of("CertificateSigned")[0].payload), {"certificateChain"})

    def test_v2g_certificate_through_hubject_est_2_0_1(self):
        cs_id, client = self.station(V201)
        chain, record, _ = self.sign_and_wait(client, cs_id, "V2GCertificate", "v201")
        self.assertEqual(record["signer"], "hubject")
        ok, why = openssl_verify(self.dir, chain, self.fake.info["v2g_root"])
        self.assertTrue(ok, why)
        self.assertGreaterEqual(len(split_pem(chain)), 2, "the chain carries the sub-CAs")

    def test_v2g_certificate_through_data_transfer_1_6(self):
        cs_id, client = self.station(V16)
        chain, record, _ = self.sign_and_wait(client, cs_id, "V2GCertificate", "v16_pnc")
        ok, why = openssl_verify(self.dir, chain, self.fake.info["v2g_root"])
        self.assertTrue(ok, why)

    def test_csr_for_another_station_is_rejected(self):
        cs_id, client = self.station(V201)
        csr = make_csr(self.dir, f"{cs_id}-wrong", "SOMEONE-ELSE")
        answer = client.call("SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})
        self.assertEqual(answer["status"], "Rejected")
        self.assertEqual(answer["statusInfo"]["reasonCode"], "InvalidCSR")
        self.assertIn("SOMEONE-ELSE", answer["statusInfo"]["additionalInfo"])

    def test_a_v2g_csr_must_name_the_station_exactly_cs1_is_not_cs10(self):
        """Issue 12, item 16: "the CN contains the station id" was a substring test."""
        cs_id, client = self.station(V201)  # e.g. CS123-4
        for cn in (cs_id + "0", "X" + cs_id, cs_id + "A"):
            with self.subTest(cn=cn):
                csr = make_csr(self.dir, f"{cs_id}-{cn}-v2g", cn)
                answer = client.call("SignCertificate", {"csr": csr, "certificateType": "V2GCertificate"})
                self.assertEqual(answer["status"], "Rejected", answer)
                self.assertIn("does not name the station", answer["statusInfo"]["additionalInfo"])
        csr = make_csr(self.dir, f"{cs_id}-secc", "DE*ABC*E*" + cs_id)
        answer = client.call("SignCertificate", {"csr": csr, "certificateType": "V2GCertificate"})
        self.assertEqual(answer["status"], "Accepted", answer)

    def test_csr_with_bad_signature_is_rejected(self):
        cs_id, client = self.station(V201)
        csr = tamper_signature(make_csr(self.dir, f"{cs_id}-bad", cs_id), "CERTIFICATE REQUEST")
        answer = client.call("SignCertificate", {"csr": csr})
        self.assertEqual(answer["status"], "Rejected", answer)

    def test_garbage_csr_is_rejected_in_both_versions(self):
        cs_id, client = self.station(V201)
        self.assertEqual(client.call("SignCertificate", {"csr": "not a CSR"})["status"], "Rejected")
        cs16, client16 = self.station(V16)
        self.assertEqual(client16.call("SignCertificate", {"csr": "not a CSR"})["status"], "Rejected")

    def test_rejected_delivery_is_retried_until_accepted(self):
        cs_id, client = self.station(V201)
        arrivals = self.accept_certificate_signed(client, answers=("Rejected", "Accepted"))
        csr = make_csr(self.dir, f"{cs_id}-retry", cs_id)
        self.assertEqual(client.call("SignCertificate", {"csr": csr})["status"], "Accepted")
        wait_until(lambda: len(arrivals) >= 2, timeout=10, what="a second CertificateSigned")
        records = wait_until(lambda: (r := self.sign_records(cs_id))["ChargingStationCertificate"]["state"] == "Delivered" and r,
                             what="Delivered after the retry")
        self.assertEqual(records["ChargingStationCertificate"]["attempts"], 2)
        self.assertGreaterEqual(arrivals[1][0] - arrivals[0][0], 0.5, "retried after a backoff, not at once")

    def test_certificate_signed_while_away_is_delivered_after_boot(self):
        cs_id = self.unique_id()
        self.node.register_station(cs_id)
        client = self.node.connect(cs_id, V201)
        self.assertEqual(boot(client)["status"], "Accepted")
        client.on_call("CertificateSigned", lambda payload: ocpp_ws.NO_REPLY)  # never answers
        csr = make_csr(self.dir, f"{cs_id}-away", cs_id)
        self.assertEqual(client.call("SignCertificate", {"csr": csr})["status"], "Accepted")
        client.wait_for_call("CertificateSigned", timeout=5)
        client.abort()
        again = self.node.connect(cs_id, V201)
        self.clients.append(again)
        arrivals = self.accept_certificate_signed(again)
        self.assertEqual(boot(again)["status"], "Accepted")
        wait_until(lambda: arrivals, timeout=10, what="CertificateSigned after the reconnect")
        wait_until(lambda: self.sign_records(cs_id)["ChargingStationCertificate"]["state"] == "Delivered",
                   what="Delivered")


@require_binary
class PlugAndChargeWithHubject(PncTestBase):
    """Authorize, GetCertificateStatus and Get15118EVCertificate against the fake back end."""

    def emaid(self):
        PncTestBase._counter += 1
        return f"DEABCC{os.getpid() % 10000:04d}{PncTestBase._counter:04d}X"

    def contract(self, registered=True, **kw):
        emaid = self.emaid()
        if registered:
            self.node.add_token(emaid, type="OTHER", contractId=emaid)
        return emaid, self.fake.contract(emaid, **kw)["chain_pem"]

    def check_authorize(self, protocol, chain_kw, expected_status, expected_certificate_status, registered=True):
        cs_id, client = self.station(protocol)
        emaid, chain = self.contract(registered=registered, **chain_kw)
        answer = self.authorize(client, emaid, certificate=chain)
        self.assertEqual(answer["idTokenInfo"]["status"], expected_status, answer)
        self.assertEqual(answer.get("certificateStatus"), expected_certificate_status, answer)
        return answer

    def test_authorize_good_contract_both_versions(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                self.check_authorize(protocol, {}, "Accepted", "Accepted")

    def test_authorize_revoked_contract_is_blocked(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                self.check_authorize(protocol, {"revoked": True}, "Blocked", "CertificateRevoked")

    def test_authorize_expired_contract_is_blocked(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                self.check_authorize(protocol, {"expired": True}, "Blocked", "CertificateExpired")

    def test_authorize_contract_from_unknown_root_is_a_chain_error(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                self.check_authorize(protocol, {"issuer": "other"}, "Blocked", "CertChainError")

    def test_authorize_tampered_contract_is_a_signature_error(self):
        cs_id, client = self.station(V201)
        emaid, chain = self.contract()
        answer = self.authorize(client, emaid, certificate=tamper_signature(chain, "CERTIFICATE"))
        self.assertEqual(answer["idTokenInfo"]["status"], "Blocked", answer)
        self.assertEqual(answer["certificateStatus"], "SignatureError", answer)

    def test_authorize_valid_certificate_but_unknown_token(self):
        self.check_authorize(V201, {}, "Unknown", "Accepted", registered=False)

    def test_authorize_certificate_of_another_emaid_is_invalid(self):
        cs_id, client = self.station(V201)
        emaid, _ = self.contract()
        _, other_chain = self.contract()
        answer = self.authorize(client, emaid, certificate=other_chain)
        self.assertEqual(answer["idTokenInfo"]["status"], "Invalid", answer)

    def test_authorize_with_hash_data_asks_the_responder(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                cs_id, client = self.station(protocol)
                emaid, chain = self.contract()
                good = ocsp_hash_data(self.dir, chain, self.fake.url + "/ocsp")
                answer = self.authorize(client, emaid, iso15118CertificateHashData=[good])
                self.assertEqual(answer["idTokenInfo"]["status"], "Accepted", answer)
                emaid2, revoked_chain = self.contract(revoked=True)
                revoked = ocsp_hash_data(self.dir, revoked_chain, self.fake.url + "/ocsp")
                answer = self.authorize(client, emaid2, iso15118CertificateHashData=[revoked])
                self.assertEqual(answer["idTokenInfo"]["status"], "Blocked", answer)
                self.assertEqual(answer["certificateStatus"], "CertificateRevoked", answer)

    def test_authorize_when_the_responder_is_down_is_not_accepted(self):
        cs_id, client = self.station(V201)
        emaid, chain = self.contract()
        hash_data = ocsp_hash_data(self.dir, chain, "http://127.0.0.1:9/ocsp")  # nothing listens on port 9
        answer = self.authorize(client, emaid, iso15118CertificateHashData=[hash_data])
        self.assertEqual(answer["idTokenInfo"]["status"], "Unknown", answer)
        self.assertNotIn("certificateStatus", answer)

    def test_authorize_with_ocsp_latency(self):
        """The figure for the note: Authorize with a certificate, chain check + OCSP round trip."""
        cs_id, client = self.station(V201)
        emaid, chain = self.contract()
        samples = []
        for _ in range(20):
            started = time.monotonic()
            answer = self.authorize(client, emaid, certificate=chain)
            samples.append((time.monotonic() - started) * 1000)
            self.assertEqual(answer["certificateStatus"], "Accepted")
        samples.sort()
        print(f"\n  Authorize with certificate + OCSP (fake responder, 20 calls): p50 {statistics.median(samples):.1f} ms, "
              f"max {samples[-1]:.1f} ms", file=sys.stderr)

    def test_get_certificate_status_returns_the_ocsp_response(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                cs_id, client = self.station(protocol)
                _, chain = self.contract()
                hash_data = ocsp_hash_data(self.dir, chain, self.fake.url + "/ocsp")
                answer = self.request(client, "GetCertificateStatus", {"ocspRequestData": hash_data})
                self.assertEqual(answer["status"], "Accepted", answer)
                path = os.path.join(self.dir, "ocsp-response.der")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(answer["ocspResult"]))
                text = run("openssl", "ocsp", "-respin", path, "-resp_text", "-noverify").decode()
                self.assertIn("Cert Status: good", text)

    def test_get_certificate_status_with_the_responder_down_fails(self):
        cs_id, client = self.station(V201)
        _, chain = self.contract()
        hash_data = ocsp_hash_data(self.dir, chain, "http://127.0.0.1:9/ocsp")
        answer = client.call("GetCertificateStatus", {"ocspRequestData": hash_data}, timeout=10)
        self.assertEqual(answer["status"], "Failed", answer)
        self.assertEqual(answer["statusInfo"]["reasonCode"], "OCSPUnavailable")

    def ev_certificate(self, client, exi=b"CertificateInstallationReq from the EV"):
        return self.request(client, "Get15118EVCertificate",
                            {"iso15118SchemaVersion": SCHEMA_2, "action": "Install",
                             "exiRequest": base64.b64encode(exi).decode()}, timeout=15)

    def test_get_15118_ev_certificate_passes_the_exi_through(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                cs_id, client = self.station(protocol)
                answer = self.ev_certificate(client, b"EXI-" + protocol.encode())
                self.assertEqual(answer["status"], "Accepted", answer)
                self.assertIn(b"EXI-" + protocol.encode(), base64.b64decode(answer["exiResponse"]))

    def test_get_15118_ev_certificate_with_hubject_down_fails(self):
        cs_id, client = self.station(V201)
        self.fake.configure(fail_status=503, fail_count=10)
        answer = self.ev_certificate(client)
        self.assertEqual(answer["status"], "Failed", answer)
        self.assertEqual(answer["statusInfo"]["reasonCode"], "BackendError")
        self.assertIn("503", answer["statusInfo"]["additionalInfo"])

    def test_get_15118_ev_certificate_recovers_after_one_failure(self):
        cs_id, client = self.station(V201)
        self.fake.configure(fail_status=503, fail_count=1)
        self.assertEqual(self.ev_certificate(client)["status"], "Accepted", "one retry hides a single 503")

    def test_get_15118_ev_certificate_with_hubject_slow_fails_in_time(self):
        cs_id, client = self.station(V201)
        self.fake.configure(delay_ms=4000)
        started = time.monotonic()
        answer = self.ev_certificate(client)
        elapsed = time.monotonic() - started
        self.assertEqual(answer["status"], "Failed", answer)
        self.assertLess(elapsed, 10, "two attempts of 1.5 s each, not the slow answer")

    def test_get_15118_ev_certificate_with_expired_token_retries_once(self):
        cs_id, client = self.station(V201)
        self.fake.configure(token_expired=True)
        self.assertEqual(self.ev_certificate(client)["status"], "Accepted")


@require_binary
class PlugAndChargeWithOAuth(PncTestBase):
    """OAuth2 client credentials: a token is fetched, reused, and refreshed on a 401."""

    oauth = True

    def test_token_is_fetched_reused_and_refreshed(self):
        cs_id, client = self.station(V201)
        exi = {"iso15118SchemaVersion": SCHEMA_2, "action": "Install", "exiRequest": base64.b64encode(b"x").decode()}
        self.assertEqual(client.call("Get15118EVCertificate", exi, timeout=15)["status"], "Accepted")
        self.assertEqual(client.call("Get15118EVCertificate", exi, timeout=15)["status"], "Accepted")
        before = json.dumps(self.fake.stats())
        self.fake.configure(token_expired=True)
        self.assertEqual(client.call("Get15118EVCertificate", exi, timeout=15)["status"], "Accepted")
        after = json.dumps(self.fake.stats())
        self.assertNotEqual(before, after)
        self.assertIn("/oauth/token", after)


@require_binary
class LocalPkiOnly(PncTestBase):
    """No back end configured: V2G certificates from the local V2G CA, no contract pool."""

    hubject = False

    def test_v2g_certificate_signed_locally(self):
        cs_id, client = self.station(V201)
        arrivals = self.accept_certificate_signed(client)
        csr = make_csr(self.dir, f"{cs_id}-v2g", cs_id)
        self.assertEqual(client.call("SignCertificate", {"csr": csr, "certificateType": "V2GCertificate"})["status"],
                         "Accepted")
        wait_until(lambda: arrivals, timeout=5, what="CertificateSigned")
        ok, why = openssl_verify(self.dir, arrivals[0][1]["certificateChain"], self.pki_file("v2g-root.crt"))
        self.assertTrue(ok, why)
        self.assertEqual(self.sign_records(cs_id)["V2GCertificate"]["signer"], "local")

    def test_v2g_csr_must_name_the_station(self):
        cs_id, client = self.station(V201)
        csr = make_csr(self.dir, f"{cs_id}-v2g-other", "SECC-ELSEWHERE")
        answer = client.call("SignCertificate", {"csr": csr, "certificateType": "V2GCertificate"})
        self.assertEqual(answer["status"], "Rejected", answer)

    def test_no_contract_pool_configured(self):
        cs_id, client = self.station(V201)
        answer = client.call("Get15118EVCertificate", {"iso15118SchemaVersion": SCHEMA_2, "action": "Install",
                                                       "exiRequest": base64.b64encode(b"x").decode()})
        self.assertEqual(answer["status"], "Failed")
        self.assertEqual(answer["statusInfo"]["reasonCode"], "NoContractPool")

    def test_authorize_against_configured_roots_still_checks_ocsp(self):
        cs_id, client = self.station(V201)
        emaid = f"DEABCL{os.getpid() % 10000:04d}0001X"
        self.node.add_token(emaid, type="OTHER", contractId=emaid)
        chain = self.fake.contract(emaid)["chain_pem"]
        answer = self.authorize(client, emaid, certificate=chain)
        self.assertEqual((answer["idTokenInfo"]["status"], answer["certificateStatus"]), ("Accepted", "Accepted"), answer)
        revoked = self.fake.contract(emaid, revoked=True)["chain_pem"]
        answer = self.authorize(client, emaid, certificate=revoked)
        self.assertEqual(answer["certificateStatus"], "CertificateRevoked", answer)


if __name__ == "__main__":
    unittest.main()
