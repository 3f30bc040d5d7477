"""A station's Basic-auth password changed by the node as one operation (OCPP 2.0.1 A01, 1.6 security
extension AuthorizationKey), driven from the station side: the node sends the new password itself, adopts it
when the station answers Accepted (TC_A_09, A01.FR.03), keeps the old one when it answers Rejected (TC_A_10,
A01.FR.04), and accepts the old one only until the station has logged in with the new."""

import unittest
import urllib.parse

import ocpp_ws
from harness import V16, V201, NodeTestCase, boot, require_binary, wait_until

OLD = "old-password-0001"


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


def password_of(call):
    """The password a SetVariables or ChangeConfiguration carries, as the station would log in with it."""
    if call.action == "ChangeConfiguration":
        assert call.payload["key"] == "AuthorizationKey", call.payload
        return bytes.fromhex(call.payload["value"]).decode()
    (item,) = call.payload["setVariableData"]
    assert item["component"]["name"] == "SecurityCtrlr", item
    assert item["variable"]["name"] == "BasicAuthPassword", item
    return item["attributeValue"]


def answer_password(client, status):
    if client.subprotocol == V16:
        client.on_call("ChangeConfiguration", lambda payload: {"status": status})
    else:
        client.on_call("SetVariables", lambda payload: {"setVariableResult": [{
            "attributeStatus": status, "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"}}]})


@require_binary
class PasswordChange(NodeTestCase):
    call_timeout = 2

    def logs_in(self, cs_id, protocol, password):
        client = self.connect(cs_id, protocol, password=password)
        client.close()
        return True

    def refused(self, cs_id, protocol, password):
        with self.assertRaises(ocpp_ws.UpgradeRefused) as ctx:
            self.connect(cs_id, protocol, password=password)
        self.assertEqual(ctx.exception.status, 401, ctx.exception.body)

    def test_tc_a_09_password_accepted_is_adopted_and_the_old_one_lasts_until_the_new_is_used(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.station(protocol, password=OLD)
                answer_password(client, "Accepted")
                changed = self.assertApi(200, "POST", path(client.station_id, "/password"), {})
                self.assertEqual(changed, {"stationStatus": "Accepted", "adopted": True})
                call = client.wait_for_call("ChangeConfiguration" if protocol == V16 else "SetVariables")
                new = password_of(call)
                self.assertEqual(len(new), 20)
                self.assertTrue(new.isalnum(), new)
                client.close()
                # The old one still works until the station has logged in with the new one...
                self.assertTrue(self.logs_in(client.station_id, protocol, OLD))
                again = self.connect(client.station_id, protocol, password=new)
                self.assertEqual(boot(again)["status"], "Accepted")
                again.close()
                # ...and not after.
                wait_until(lambda: self.refused_now(client.station_id, protocol, OLD), what="the old password refused")
                self.assertTrue(self.logs_in(client.station_id, protocol, new))

    def refused_now(self, cs_id, protocol, password):
        try:
            self.connect(cs_id, protocol, password=password).close()
            return False
        except ocpp_ws.UpgradeRefused as e:
            self.assertEqual(e.status, 401, e.body)
            return True

    def test_tc_a_10_password_rejected_keeps_the_old_one(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.station(protocol, password=OLD)
                answer_password(client, "Rejected")
                changed = self.assertApi(200, "POST", path(client.station_id, "/password"),
                                         {"password": "chosen-by-operator-1"})
                self.assertEqual(changed, {"stationStatus": "Rejected", "adopted": False})
                call = client.wait_for_call("ChangeConfiguration" if protocol == V16 else "SetVariables")
                self.assertEqual(password_of(call), "chosen-by-operator-1")
                client.close()
                self.refused(client.station_id, protocol, "chosen-by-operator-1")
                self.assertTrue(self.logs_in(client.station_id, protocol, OLD))

    def test_a_password_whose_answer_never_came_is_adopted_when_the_station_logs_in_with_it(self):
        client = self.station(V201, password=OLD)
        client.on_call("SetVariables", lambda payload: ocpp_ws.NO_REPLY)
        failed = self.assertApi(504, "POST", path(client.station_id, "/password"), {"password": "taken-but-unanswered"})
        self.assertTrue(failed.get("sent"), failed)
        client.close()
        again = self.connect(client.station_id, V201, password="taken-but-unanswered")
        again.close()
        wait_until(lambda: self.refused_now(client.station_id, V201, OLD), what="the old password refused")

    def test_bad_password_requests_get_clear_errors(self):
        client = self.station(V16, password=OLD)
        self.assertApiError(400, "POST", path(client.station_id, "/password"), {"password": "short"},
                            contains="/password")
        self.assertApiError(400, "POST", path(client.station_id, "/password"), {"password": "x" * 21},
                            contains="at most 20")
        self.assertApiError(400, "POST", path(client.station_id, "/password"), {"password": "with space 0123456789"[:20]},
                            contains="identifierString")
        self.assertApiError(400, "POST", path(client.station_id, "/password"), {"colour": "red"})
        self.assertEqual(client.calls_of("ChangeConfiguration"), [], "nothing went out")
        no_password = self.unique_id()
        self.node.register_station(no_password)
        self.assertApiError(409, "POST", path(no_password, "/password"), {}, contains="without a password")
        offline = self.unique_id()
        self.node.register_station(offline, password=OLD)
        self.assertApiError(409, "POST", path(offline, "/password"), {}, contains="not connected")
        self.assertApiError(404, "POST", path("NOPE-" + offline, "/password"), {})
        self.assertTrue(self.logs_in(client.station_id, V16, OLD))


if __name__ == "__main__":
    unittest.main()
