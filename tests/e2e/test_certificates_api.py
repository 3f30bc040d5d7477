"""The certificate endpoints of the management API (docs/api.md "Certificates") and the certificate
triggers: uploaded client certificates, roots installed on stations, the node's certificate state, the
stations' installed certificates (asked live) and their deletion, and how MaEVe's triggers reach a 1.6
station. Certificates are made at test time with the openssl command line."""

import base64
import hashlib
import json
import os
import shutil
import ssl
import tempfile
import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, boot_201, keep_files, require_binary, wait_until
from ocpp_ws import CallError
from test_tls import openssl, self_signed

PNC_VENDOR = "org.openchargealliance.iso15118pnc"
# MaEVe's install types and the 2.0.1 certificateType each becomes (docs/api.md).
INSTALL_TYPES = {"V2G": "V2GRootCertificate", "MO": "MORootCertificate", "MF": "ManufacturerRootCertificate",
                 "CSMS": "CSMSRootCertificate"}
HASH_DATA = {"hashAlgorithm": "SHA256",
             "issuerNameHash": "7a9d27b0a9b4ec3f5f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
             "issuerKeyHash": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
             "serialNumber": "4f2a9c"}


def maeve_hash(pem):
    """MaEVe's certificate hash of the first certificate in `pem`: SHA-256 of the DER, base64url without padding."""
    end = pem.index(ssl.PEM_FOOTER) + len(ssl.PEM_FOOTER)
    der = ssl.PEM_cert_to_DER_cert(pem[pem.index(ssl.PEM_HEADER):end])
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode("ascii").rstrip("=")


def query(**params):
    return "?" + urllib.parse.urlencode(params)


class CertificateTestCase(NodeTestCase):
    """A node plus a directory of self-signed CA certificates, one per name in `ROOTS`."""

    ROOTS = ("root-a", "root-b", "v2g", "mo", "mf", "csms")
    call_timeout = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="evbroker-certs-")
        cls.pem = {}
        for name in cls.ROOTS:
            self_signed(cls.dir, name, f"evbroker test {name}", ("-addext", "basicConstraints=critical,CA:TRUE"))
            with open(os.path.join(cls.dir, f"{name}.pem"), encoding="ascii") as f:
                cls.pem[name] = f.read()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)


@require_binary
class UploadedCertificates(CertificateTestCase):
    def test_upload_get_and_delete(self):
        pem = self.pem["root-a"]
        expected = maeve_hash(pem)
        answer = self.assertApi(201, "POST", "/api/v0/certificate", {"certificate": pem})
        self.assertEqual(answer, {"certificateHash": expected})
        self.assertEqual(len(expected), 43)
        self.assertFalse(set(expected) & set("+/="), "base64url without padding")
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/certificate/{expected}"), {"certificate": pem})
        # uploading it again changes nothing
        self.assertEqual(self.assertApi(201, "POST", "/api/v0/certificate", {"certificate": pem}), answer)
        self.assertIsNone(self.assertApi(204, "DELETE", f"/api/v0/certificate/{expected}"))
        error = self.assertApiError(404, "GET", f"/api/v0/certificate/{expected}")
        self.assertEqual(error["status"], "Not Found")
        self.assertApiError(404, "DELETE", f"/api/v0/certificate/{expected}")

    def test_only_the_first_certificate_is_kept_without_surrounding_text(self):
        pem = self.pem["root-b"]
        answer = self.assertApi(201, "POST", "/api/v0/certificate",
                                {"certificate": "subject=CN = root-b\n" + pem + self.pem["root-a"]})
        self.assertEqual(answer, {"certificateHash": maeve_hash(pem)})
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/certificate/{maeve_hash(pem)}"), {"certificate": pem})

    def test_bad_bodies_are_400(self):
        body_lines = self.pem["root-a"].splitlines()
        damaged = "\n".join(body_lines[:2] + [body_lines[2][:10] + "!!!!" + body_lines[2][14:]] + body_lines[3:])
        for body, pointer in (({"certificate": "not a certificate"}, "/certificate"),
                              ({"certificate": damaged}, "/certificate"),
                              ({"certificate": 7}, "/certificate"),
                              ({}, "/certificate"),
                              ({"certificate": self.pem["root-a"], "status": "x"}, "/status")):
            with self.subTest(body=json.dumps(body)[:60]):
                self.assertApiError(400, "POST", "/api/v0/certificate", body, contains=pointer)
        self.assertApiError(400, "POST", "/api/v0/certificate", raw_body="{oops")
        self.assertApiError(404, "GET", "/api/v0/certificate/" + "A" * 43)


@require_binary
class InstallRoots(CertificateTestCase):
    def install(self, cs, *names_and_types):
        body = {"certificates": [{"type": t, "certificate": self.pem[n]} for n, t in names_and_types]}
        return self.assertApi(200, "POST", f"/api/v0/cs/{cs}/certificates", body)

    def installs(self, cs):
        return self.assertApi(200, "GET", f"/api/v0/cs/{cs}/certificates")["installs"]

    def statuses(self, cs):
        return {i["type"]: i["status"] for i in self.installs(cs)}

    def test_the_answer_lists_each_certificate_pending_with_its_hash(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        answer = self.install(cs, ("v2g", "V2G"), ("csms", "CSMS"))
        self.assertEqual(answer, {"certificates": [
            {"type": "V2G", "certificate": self.pem["v2g"], "status": "Pending", "certificateHash": maeve_hash(self.pem["v2g"])},
            {"type": "CSMS", "certificate": self.pem["csms"], "status": "Pending",
             "certificateHash": maeve_hash(self.pem["csms"])}]})
        # a status sent back as MaEVe shows it is ignored
        self.assertApi(200, "POST", f"/api/v0/cs/{cs}/certificates",
                       {"certificates": [{"type": "MO", "certificate": self.pem["mo"], "status": "Accepted"}]})
        installs = sorted(self.installs(cs), key=lambda i: i["type"])
        self.assertEqual([(i["type"], i["status"], i["certificateHash"], i["certificate"]) for i in installs],
                         [(t, "Pending", maeve_hash(self.pem[n]), self.pem[n])
                          for n, t in (("csms", "CSMS"), ("mo", "MO"), ("v2g", "V2G"))])
        self.assertTrue(all("updatedAt" in i and "csId" not in i for i in installs), installs)

    # Depends on the security actor (actors/pnc/install_flow.cpp) sending InstallCertificate.
    def test_roots_reach_a_connected_201_station_and_its_answer_is_stored(self):
        client = self.station(V201)
        client.on_call("InstallCertificate",
                       lambda p: {"status": "Rejected" if p["certificateType"] == "MORootCertificate" else "Accepted"})
        names = {"V2G": "v2g", "MO": "mo", "MF": "mf", "CSMS": "csms"}
        self.install(client.station_id, *[(n, t) for t, n in names.items()])
        wait_until(lambda: len(client.calls_of("InstallCertificate")) == 4, 5, what="four InstallCertificate calls")
        received = {c.payload["certificate"]: c.payload for c in client.calls_of("InstallCertificate")}
        for maeve_type, name in names.items():
            with self.subTest(type=maeve_type):
                self.assertEqual(received.get(self.pem[name]),
                                 {"certificateType": INSTALL_TYPES[maeve_type], "certificate": self.pem[name]})
        wait_until(lambda: self.statuses(client.station_id) ==
                   {"V2G": "Accepted", "MO": "Rejected", "MF": "Accepted", "CSMS": "Accepted"},
                   5, what="the answers stored")

    # Depends on the security actor: pending installs go out after the station's next boot.
    def test_roots_for_an_offline_station_go_out_after_its_boot(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.install(cs, ("v2g", "V2G"))
        self.assertEqual(self.statuses(cs), {"V2G": "Pending"})
        client = self.connect(cs, V201)
        client.on_call("InstallCertificate", lambda p: {"status": "Accepted"})
        self.assertEqual(client.call("BootNotification", boot_201())["status"], "Accepted")
        call = client.wait_for_call("InstallCertificate", timeout=5)
        self.assertEqual(call.payload, {"certificateType": "V2GRootCertificate", "certificate": self.pem["v2g"]})
        wait_until(lambda: self.statuses(cs) == {"V2G": "Accepted"}, 5, what="Accepted stored")

    # Depends on the security actor: 1.6 gets CSMS/MF roots natively, V2G/MO through DataTransfer.
    def test_roots_reach_a_16_station(self):
        client = self.station(V16)
        client.on_call("InstallCertificate", lambda p: {"status": "Accepted"})
        client.on_call("DataTransfer", lambda p: {"status": "Accepted", "data": json.dumps({"status": "Accepted"})})
        self.install(client.station_id, ("csms", "CSMS"), ("v2g", "V2G"))
        native = client.wait_for_call("InstallCertificate", timeout=5)
        self.assertEqual(native.payload, {"certificateType": "CentralSystemRootCertificate",
                                          "certificate": self.pem["csms"]})
        wrapped = client.wait_for_call("DataTransfer", timeout=5)
        self.assertEqual((wrapped.payload["vendorId"], wrapped.payload["messageId"]), (PNC_VENDOR, "InstallCertificate"))
        self.assertEqual(json.loads(wrapped.payload["data"]),
                         {"certificateType": "V2GRootCertificate", "certificate": self.pem["v2g"]})
        wait_until(lambda: self.statuses(client.station_id) == {"CSMS": "Accepted", "V2G": "Accepted"}, 5,
                   what="the answers stored")

    def test_bad_bodies_are_400_naming_the_entry_and_store_nothing(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        good = {"type": "V2G", "certificate": self.pem["v2g"]}
        for body, pointer in (({"certificates": [good, {"type": "V2G", "certificate": "junk"}]}, "/certificates/1/certificate"),
                              ({"certificates": [{"type": "OEM", "certificate": self.pem["v2g"]}]}, "/certificates/0/type"),
                              ({"certificates": [{"certificate": self.pem["v2g"]}]}, "/certificates/0/type"),
                              ({"certificates": [{"type": "MO"}]}, "/certificates/0/certificate"),
                              ({"certificates": [dict(good, extra=1)]}, "/certificates/0/extra"),
                              ({"certificates": ["x"]}, "/certificates/0"),
                              ({"certificates": []}, "/certificates"),
                              ({"certificates": good}, "/certificates"),
                              ({}, "/certificates"),
                              ({"certificates": [good], "more": True}, "/more")):
            with self.subTest(pointer=pointer, body=json.dumps(body)[:80]):
                self.assertApiError(400, "POST", f"/api/v0/cs/{cs}/certificates", body, contains=pointer)
        self.assertEqual(self.installs(cs), [])

    def test_unknown_station_is_404(self):
        cs = self.unique_id("NOPE")
        self.assertApiError(404, "POST", f"/api/v0/cs/{cs}/certificates",
                            {"certificates": [{"type": "V2G", "certificate": self.pem["v2g"]}]}, contains=cs)
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}/certificates", contains=cs)

    def test_a_new_station_has_no_certificate_state(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/certificates"), {"signRequests": [], "installs": []})

    # Depends on the security actor signing with the local CA and delivering CertificateSigned.
    def test_sign_requests_are_shown_without_the_csr(self):
        client = self.station(V201)
        client.on_call("CertificateSigned", lambda p: {"status": "Accepted"})
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{client.station_id}.key", "-out", f"{client.station_id}.csr",
                "-subj", f"/CN={client.station_id}/O=Example", cwd=self.dir)
        with open(os.path.join(self.dir, f"{client.station_id}.csr"), encoding="ascii") as f:
            csr = f.read()
        answer = client.call("SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})
        self.assertEqual(answer["status"], "Accepted")
        chain = client.wait_for_call("CertificateSigned", timeout=5).payload["certificateChain"]

        def delivered():
            requests = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/certificates")["signRequests"]
            return requests if requests and requests[0]["state"] == "Delivered" else None
        requests = wait_until(delivered, 5, what="the sign request Delivered")
        self.assertEqual(len(requests), 1, requests)
        request = requests[0]
        self.assertEqual((request["certificateType"], request["channel"], request["signer"], request["attempts"]),
                         ("ChargingStationCertificate", "ocpp2.0.1", "local", 1))
        self.assertEqual(request["certificateChain"], chain)
        self.assertEqual(request["certificateHash"], maeve_hash(chain))
        for field in ("requestedAt", "signedAt", "deliveredAt"):
            self.assertIn(field, request)
        self.assertNotIn("csr", request)
        self.assertNotIn("csId", request)
        self.assertNotIn("lastError", request)

    def test_deleting_the_station_drops_its_installs(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.install(cs, ("mf", "MF"))
        self.assertApi(204, "DELETE", f"/api/v0/cs/{cs}")
        self.node.register_station(cs)
        self.assertEqual(self.installs(cs), [])


@require_binary
class InstalledCertificates(CertificateTestCase):
    LIST_201 = {"status": "Accepted", "certificateHashDataChain": [
        {"certificateType": "V2GRootCertificate", "certificateHashData": HASH_DATA}]}
    LIST_16 = {"status": "Accepted", "certificateHashData": [HASH_DATA]}

    def installed(self, cs, suffix=""):
        return self.node.api("GET", f"/api/v0/cs/{cs}/certificates/installed{suffix}")

    def test_list_on_a_201_station(self):
        client = self.station(V201)
        client.on_call("GetInstalledCertificateIds", lambda p: self.LIST_201)
        cs = client.station_id
        for suffix, sent in (("", {}),
                             ("?type=V2GRootCertificate,MORootCertificate",
                              {"certificateType": ["V2GRootCertificate", "MORootCertificate"]}),
                             ("?type=CSMSRootCertificate&type=V2GCertificateChain",
                              {"certificateType": ["CSMSRootCertificate", "V2GCertificateChain"]})):
            with self.subTest(suffix=suffix):
                start = len(client.received_calls)
                self.assertEqual(self.installed(cs, suffix), (200, self.LIST_201))
                self.assertEqual(client.wait_for_call("GetInstalledCertificateIds", start=start, timeout=2).payload, sent)

    def test_list_on_a_16_station(self):
        client = self.station(V16)
        client.on_call("GetInstalledCertificateIds", lambda p: self.LIST_16)
        cs = client.station_id
        for suffix, sent in (("", {"certificateType": "CentralSystemRootCertificate"}),
                             ("?type=ManufacturerRootCertificate", {"certificateType": "ManufacturerRootCertificate"})):
            with self.subTest(suffix=suffix):
                start = len(client.received_calls)
                self.assertEqual(self.installed(cs, suffix), (200, self.LIST_16))
                self.assertEqual(client.wait_for_call("GetInstalledCertificateIds", start=start, timeout=2).payload, sent)

    def test_types_the_station_version_lacks_are_400_and_not_sent(self):
        v201, v16 = self.station(V201), self.station(V16)
        for client, suffix in ((v16, "?type=V2GRootCertificate"),
                               (v16, "?type=CentralSystemRootCertificate,ManufacturerRootCertificate"),
                               (v201, "?type=CentralSystemRootCertificate"),
                               (v201, "?type=V2GRootCertificate,Nope")):
            with self.subTest(protocol=client.subprotocol, suffix=suffix):
                status, answer = self.installed(client.station_id, suffix)
                self.assertEqual(status, 400, answer)
                self.assertIn("type", answer["error"])
        self.assertEqual(v201.received_calls + v16.received_calls, [])

    def test_delete_on_both_versions(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.station(protocol)
                client.on_call("DeleteCertificate", lambda p: {"status": "Accepted"})
                status, answer = self.node.api("DELETE", f"/api/v0/cs/{client.station_id}/certificates/installed"
                                               + query(**HASH_DATA))
                self.assertEqual((status, answer), (200, {"status": "Accepted"}))
                self.assertEqual(client.wait_for_call("DeleteCertificate", timeout=2).payload,
                                 {"certificateHashData": HASH_DATA})

    def test_delete_defaults_to_sha256_and_needs_the_other_fields(self):
        client = self.station(V201)
        client.on_call("DeleteCertificate", lambda p: {"status": "NotFound"})
        without_algorithm = {k: v for k, v in HASH_DATA.items() if k != "hashAlgorithm"}
        path = f"/api/v0/cs/{client.station_id}/certificates/installed"
        self.assertEqual(self.node.api("DELETE", path + query(**without_algorithm)), (200, {"status": "NotFound"}))
        self.assertEqual(client.wait_for_call("DeleteCertificate", timeout=2).payload, {"certificateHashData": HASH_DATA})
        for missing in ("issuerNameHash", "issuerKeyHash", "serialNumber"):
            with self.subTest(missing=missing):
                params = {k: v for k, v in HASH_DATA.items() if k != missing}
                self.assertApiError(400, "DELETE", path + query(**params), contains=missing)
        self.assertApiError(400, "DELETE", path + query(**dict(HASH_DATA, hashAlgorithm="MD5")), contains="hashAlgorithm")
        self.assertEqual(len(client.calls_of("DeleteCertificate")), 1, "only the valid request reached the station")

    def test_unknown_404_offline_409_and_station_errors_502(self):
        unknown = self.unique_id("NOPE")
        self.assertApiError(404, "GET", f"/api/v0/cs/{unknown}/certificates/installed")
        self.assertApiError(404, "DELETE", f"/api/v0/cs/{unknown}/certificates/installed" + query(**HASH_DATA))
        offline = self.unique_id("OFF")
        self.node.register_station(offline)
        self.assertEqual(self.assertApiError(409, "GET", f"/api/v0/cs/{offline}/certificates/installed")["status"],
                         "Conflict")
        self.assertApiError(409, "DELETE", f"/api/v0/cs/{offline}/certificates/installed" + query(**HASH_DATA))
        client = self.station(V201)

        def refuse(payload):
            raise CallError("NotSupported", "no certificate store")
        client.on_call("GetInstalledCertificateIds", refuse)
        status, answer = self.installed(client.station_id)
        self.assertEqual(status, 502, answer)
        self.assertEqual(answer.get("error_code"), "NotSupported")


@require_binary
class CertificateTriggers(NodeTestCase):
    def trigger(self, client, value):
        return self.node.api("POST", f"/api/v0/cs/{client.station_id}/trigger", {"trigger": value})

    def test_16_station_certificate_uses_extended_trigger_message(self):
        client = self.station(V16)
        client.on_call("ExtendedTriggerMessage", lambda p: {"status": "Accepted"})
        self.assertEqual(self.trigger(client, "SignChargingStationCertificate"), (200, {"status": "Accepted"}))
        self.assertEqual(client.wait_for_call("ExtendedTriggerMessage", timeout=2).payload,
                         {"requestedMessage": "SignChargePointCertificate"})
        self.assertEqual(self.trigger(client, "LogStatusNotification"), (200, {"status": "Accepted"}))
        self.assertEqual(client.calls_of("ExtendedTriggerMessage")[1].payload, {"requestedMessage": "LogStatusNotification"})
        self.assertEqual(client.calls_of("TriggerMessage"), [])

    def test_16_v2g_certificates_use_the_pnc_data_transfer(self):
        client = self.station(V16)
        answer = {"status": "Accepted", "data": json.dumps({"status": "Accepted"})}
        client.on_call("DataTransfer", lambda p: answer)
        for value in ("SignV2GCertificate", "SignCombinedCertificate"):
            with self.subTest(trigger=value):
                start = len(client.received_calls)
                self.assertEqual(self.trigger(client, value), (200, answer))
                call = client.wait_for_call("DataTransfer", start=start, timeout=2)
                self.assertEqual(call.payload, {"vendorId": PNC_VENDOR, "messageId": "TriggerMessage",
                                                "data": "{\"requestedMessage\":\"SignV2GCertificate\"}"})

    def test_16_core_triggers_still_use_trigger_message(self):
        client = self.station(V16)
        client.on_call("TriggerMessage", lambda p: {"status": "Accepted"})
        for value in ("BootNotification", "Heartbeat", "MeterValues", "StatusNotification",
                      "DiagnosticsStatusNotification", "FirmwareStatusNotification"):
            with self.subTest(trigger=value):
                start = len(client.received_calls)
                self.assertEqual(self.trigger(client, value), (200, {"status": "Accepted"}))
                self.assertEqual(client.wait_for_call("TriggerMessage", start=start, timeout=2).payload,
                                 {"requestedMessage": value})

    def test_16_values_without_a_mapping_are_400_naming_the_supported_ones(self):
        client = self.station(V16)
        for value in ("TransactionEvent", "PublishFirmwareStatusNotification", "Nope"):
            with self.subTest(trigger=value):
                status, answer = self.trigger(client, value)
                self.assertEqual(status, 400, answer)
                self.assertIn(value, answer["error"])
                self.assertIn("SignChargingStationCertificate", answer["error"])
        self.assertEqual(client.received_calls, [])

    def test_201_certificate_triggers_are_trigger_message(self):
        client = self.station(V201)
        client.on_call("TriggerMessage", lambda p: {"status": "Accepted"})
        for value in ("SignV2GCertificate", "SignChargingStationCertificate", "SignCombinedCertificate"):
            with self.subTest(trigger=value):
                start = len(client.received_calls)
                self.assertEqual(self.trigger(client, value), (200, {"status": "Accepted"}))
                self.assertEqual(client.wait_for_call("TriggerMessage", start=start, timeout=2).payload,
                                 {"requestedMessage": value})

    def test_unknown_404_and_offline_409(self):
        self.assertApiError(404, "POST", f"/api/v0/cs/{self.unique_id('NOPE')}/trigger",
                            {"trigger": "SignV2GCertificate"})
        offline = self.unique_id("OFF")
        self.node.register_station(offline)
        self.assertApiError(409, "POST", f"/api/v0/cs/{offline}/trigger", {"trigger": "SignV2GCertificate"})


if __name__ == "__main__":
    unittest.main()
