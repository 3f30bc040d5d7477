"""Work waiting for a station (issue 14 item 9): GET /api/v0/cs/{csId}/pending lists the settings, root installs
and CertificateSigned deliveries the node keeps for a station; DELETE .../pending/{id} cancels one durably, so
that when the station connects only the rest arrives. Work being sent at that moment is refused with 409."""

import os
import shutil
import tempfile
import time
import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, boot, keep_files, require_binary, wait_until
from ocpp_ws import NO_REPLY
from test_certificates_api import maeve_hash
from test_pnc import make_csr
from test_tls import self_signed


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


@require_binary
class PendingWork(NodeTestCase):
    call_timeout = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="evbroker-pending-")
        cls.pem = {}
        for name in ("root-a", "root-b"):
            self_signed(cls.dir, name, f"evbroker pending {name}", ("-addext", "basicConstraints=critical,CA:TRUE"))
            with open(os.path.join(cls.dir, f"{name}.pem"), encoding="ascii") as f:
                cls.pem[name] = f.read()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if not keep_files():
                shutil.rmtree(cls.dir, ignore_errors=True)

    def pending(self, cs_id):
        answer = self.assertApi(200, "GET", path(cs_id, "/pending"))
        self.assertEqual(answer["csId"], cs_id)
        return answer["pending"]

    def test_a_cancelled_setting_is_never_sent_and_the_others_are(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        settings = {"HeartbeatInterval": "60", "MeterValueSampleInterval": "30", "ConnectionTimeOut": "90"}
        self.assertApi(200, "POST", path(cs, "/reconfigure"), settings)
        listed = self.pending(cs)
        self.assertEqual(sorted(w["key"] for w in listed), sorted(settings))
        for work in listed:
            self.assertEqual(work["kind"], "setting")
            self.assertEqual(work["value"], settings[work["key"]])
            self.assertIn("since", work)
        cancelled = next(w for w in listed if w["key"] == "MeterValueSampleInterval")
        self.assertIsNone(self.assertApi(204, "DELETE", path(cs, "/pending/" + cancelled["id"])))
        self.assertEqual(sorted(w["key"] for w in self.pending(cs)), ["ConnectionTimeOut", "HeartbeatInterval"])
        self.assertApiError(404, "DELETE", path(cs, "/pending/" + cancelled["id"]), contains="no work waiting")

        client = self.connect(cs, V16)
        client.on_call("ChangeConfiguration", lambda p: {"status": "Accepted"})
        boot(client)
        wait_until(lambda: self.pending(cs) == [], timeout=5, what="the settings applied")
        time.sleep(0.3)  # nothing else follows
        sent = sorted(c.payload["key"] for c in client.calls_of("ChangeConfiguration"))
        self.assertEqual(sent, ["ConnectionTimeOut", "HeartbeatInterval"])
        self.assertNotIn("MeterValueSampleInterval", self.node.station(cs).get("settings", {}))

    def test_a_setting_being_sent_is_409_and_cancellable_once_its_call_failed(self):
        client = self.station(V16)
        cs = client.station_id
        client.on_call("ChangeConfiguration", lambda p: NO_REPLY)  # stays in flight until the call timeout
        self.assertApi(200, "POST", path(cs, "/reconfigure"), {"HeartbeatInterval": "61"})
        client.wait_for_call("ChangeConfiguration", timeout=5)
        [work] = self.pending(cs)
        self.assertApiError(409, "DELETE", path(cs, "/pending/" + work["id"]), contains="being sent")
        # Unanswered, the setting stays pending (for the next boot or reconfigure): now it can go.
        wait_until(lambda: self.node.api("DELETE", path(cs, "/pending/" + work["id"]))[0] == 204, timeout=10,
                   interval=0.5, what="the cancel after the call timed out")
        self.assertEqual(self.pending(cs), [])

    def test_a_cancelled_install_is_never_sent_and_the_other_is(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        body = {"certificates": [{"type": "V2G", "certificate": self.pem["root-a"]},
                                 {"type": "MO", "certificate": self.pem["root-b"]}]}
        self.assertApi(200, "POST", path(cs, "/certificates"), body)
        listed = self.pending(cs)
        self.assertEqual([(w["kind"], w["certificateType"]) for w in listed],
                         sorted([("certificateInstall", "V2G"), ("certificateInstall", "MO")],
                                key=lambda kt: maeve_hash(self.pem["root-a" if kt[1] == "V2G" else "root-b"])))
        cancelled = next(w for w in listed if w["certificateType"] == "V2G")
        self.assertEqual(cancelled["certificateHash"], maeve_hash(self.pem["root-a"]))
        self.assertIsNone(self.assertApi(204, "DELETE", path(cs, "/pending/" + cancelled["id"])))

        client = self.connect(cs, V201)
        client.on_call("InstallCertificate", lambda p: {"status": "Accepted"})
        boot(client)
        wait_until(lambda: self.pending(cs) == [], timeout=5, what="the MO root installed")
        time.sleep(0.3)
        sent = [c.payload["certificateType"] for c in client.calls_of("InstallCertificate")]
        self.assertEqual(sent, ["MORootCertificate"])

    def test_a_certificate_the_station_keeps_rejecting_is_no_longer_redelivered_once_cancelled(self):
        client = self.station(V201)
        cs = client.station_id
        client.on_call("CertificateSigned", lambda p: {"status": "Rejected"})
        csr = make_csr(self.dir, cs, cs)
        answer = client.call("SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})
        self.assertEqual(answer["status"], "Accepted")
        client.wait_for_call("CertificateSigned", timeout=5)

        def delivery():
            listed = [w for w in self.pending(cs) if w["kind"] == "certificateSigned"]
            return listed[0] if listed and listed[0].get("attempts", 0) >= 1 else None
        work = wait_until(delivery, timeout=5, what="the rejected delivery listed")
        self.assertEqual(work["certificateType"], "ChargingStationCertificate")
        self.assertIn("Rejected", work["lastOutcome"])
        # Retried with backoff (1 s, 2 s, ...); a cancel that meets a delivery on its way is 409: try again.
        wait_until(lambda: self.node.api("DELETE", path(cs, "/pending/" + work["id"]))[0] == 204, timeout=10,
                   interval=0.2, what="the delivery cancelled")
        count = len(client.calls_of("CertificateSigned"))
        time.sleep(4.5)  # past the next backoffs: no more deliveries
        self.assertEqual(len(client.calls_of("CertificateSigned")), count)
        self.assertEqual(self.pending(cs), [])

    def test_unknown_station_and_bad_ids(self):
        unknown = "NOPE-" + self.unique_id()
        self.assertApiError(404, "GET", path(unknown, "/pending"), contains="unknown charge station")
        self.assertApiError(404, "DELETE", path(unknown, "/pending/setting.SGVhcnRiZWF0SW50ZXJ2YWw"))
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.pending(cs), [])
        self.assertApiError(404, "DELETE", path(cs, "/pending/setting.SGVhcnRiZWF0SW50ZXJ2YWw"),
                            contains="no work waiting")
        self.assertApiError(400, "GET", path("bad id", "/pending"))


if __name__ == "__main__":
    unittest.main()
