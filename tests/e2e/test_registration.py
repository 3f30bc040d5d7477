"""Registration status (OCPP 2.0.1 B01-B03, 1.6 section 4.2), driven from the station side: the node itself
answers BootNotification with the station's registration, refuses what a Pending or Rejected station may not
send (CALLERROR SecurityError), refuses what the CSMS may not send it (409), and triggers a new boot when the
operator accepts it. Test names carry the OCTT case ids of ../shared/conformance/ocpp201-csms-cases.md."""

import time
import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, boot, boot_16, boot_201, require_binary, seconds_from_now, wait_until
from payloads import notify_event_201, notify_report_201, status_16, status_201

RETRY_INTERVAL = 17


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


def accept_calls(client, *actions):
    for action in actions:
        client.on_call(action, lambda payload: {"status": "Accepted"})


@require_binary
class Registration(NodeTestCase):
    heartbeat_interval = 42
    node_args = ("--boot-retry-interval", str(RETRY_INTERVAL))

    def set_registration(self, cs_id, status):
        return self.assertApi(200, "PUT", path(cs_id, "/registration"), {"registrationStatus": status})

    def registered(self, protocol, registration):
        """A station registered with `registration`, connected, not booted yet."""
        return self.station(protocol, booted=False, registration=registration)

    def boot_answer(self, client, expected, reason="PowerUp"):
        payload = boot_16() if client.subprotocol == V16 else dict(boot_201(), reason=reason)
        answer = self.call_ok(client, "BootNotification", payload)
        self.assertEqual(answer["status"], expected, answer)
        self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)
        return answer

    def status_notification(self, client):
        if client.subprotocol == V16:
            return "StatusNotification", status_16(1)
        return "StatusNotification", status_201(1, 1)

    # -- B01 ----------------------------------------------------------------------------------------
    def test_tc_b_01_boot_accepted(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.registered(protocol, None)
                answer = self.boot_answer(client, "Accepted")
                self.assertEqual(answer["interval"], self.heartbeat_interval)
                self.call_ok(client, *self.status_notification(client))
                view = self.node.station(client.station_id)
                self.assertEqual(view["registrationStatus"], "Accepted")
                self.assertEqual(view["bootStatus"], "Accepted")
                self.assertEqual(len(view["connectors"]), 1, view)

    # -- B02 ----------------------------------------------------------------------------------------
    def test_tc_b_02_boot_pending(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.registered(protocol, "Pending")
                answer = self.boot_answer(client, "Pending")
                self.assertEqual(answer["interval"], RETRY_INTERVAL, "the least wait before the next boot")
                view = self.node.station(client.station_id)
                self.assertEqual(view["registrationStatus"], "Pending")
                self.assertEqual(view["bootStatus"], "Pending")
                self.assertIn("boot", view, "the boot itself is kept")

    def test_tc_b_30_pending_station_gets_security_error(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.registered(protocol, "Pending")
                self.boot_answer(client, "Pending")
                error = self.call_error(client, *self.status_notification(client), "SecurityError")
                self.assertIn("Pending", error.description)
                if protocol == V201:
                    self.call_error(client, "NotifyEvent", notify_event_201(), "SecurityError")
                self.call_error(client, "Heartbeat", {}, "SecurityError")
                self.assertNotIn("connectors", self.node.station(client.station_id), "nothing refused is stored")

    def test_tc_b_30_rejected_station_gets_security_error(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.registered(protocol, "Rejected")
                answer = self.boot_answer(client, "Rejected")
                self.assertEqual(answer["interval"], RETRY_INTERVAL)
                error = self.call_error(client, *self.status_notification(client), "SecurityError")
                self.assertIn("Rejected", error.description)
                self.call_error(client, "Heartbeat", {}, "SecurityError")
                self.assertEqual(self.node.station(client.station_id)["bootStatus"], "Rejected")

    def test_tc_b_31_pending_or_rejected_station_is_triggered_to_boot_when_accepted(self):
        for protocol in (V201, V16):
            for first in ("Pending", "Rejected"):
                with self.subTest(protocol=protocol, first=first):
                    client = self.registered(protocol, first)
                    accept_calls(client, "TriggerMessage")
                    self.boot_answer(client, first)
                    changed = self.set_registration(client.station_id, "Accepted")
                    self.assertEqual(changed["registrationStatus"], "Accepted")
                    self.assertTrue(changed["online"])
                    self.assertIn("TriggerMessage BootNotification", changed.get("effect", ""), changed)
                    trigger = client.wait_for_call("TriggerMessage")
                    self.assertEqual(trigger.payload["requestedMessage"], "BootNotification")
                    answer = self.boot_answer(client, "Accepted", reason="Triggered")
                    self.assertEqual(answer["interval"], self.heartbeat_interval)
                    self.call_ok(client, *self.status_notification(client))
                    self.assertEqual(self.node.station(client.station_id)["bootStatus"], "Accepted")

    def test_a_station_accepted_while_away_is_triggered_to_boot_when_it_reconnects(self):
        client = self.registered(V201, "Pending")
        self.boot_answer(client, "Pending")
        client.close()
        wait_until(lambda: not self.node.station(client.station_id)["online"], what="the station offline")
        changed = self.set_registration(client.station_id, "Accepted")
        self.assertFalse(changed["online"])
        self.assertNotIn("effect", changed)
        again = self.connect(client.station_id, V201)
        accept_calls(again, "TriggerMessage")
        # Told Pending last time: not let in before it has booted and heard Accepted.
        self.call_error(again, *self.status_notification(again), "SecurityError")
        self.assertEqual(again.wait_for_call("TriggerMessage").payload["requestedMessage"], "BootNotification")
        self.boot_answer(again, "Accepted", reason="Triggered")
        self.call_ok(again, *self.status_notification(again))

    # -- what the CSMS may send -----------------------------------------------------------------------
    def test_pending_station_is_prepared_but_not_sent_remote_start(self):
        client = self.registered(V201, "Pending")
        accept_calls(client, "GetBaseReport", "TriggerMessage", "SetVariables")
        self.boot_answer(client, "Pending")
        refused = self.assertApiError(409, "POST", path(client.station_id, "/call/RequestStartTransaction"),
                                      {"idToken": {"idToken": "T1", "type": "ISO14443"}, "remoteStartId": 1})
        self.assertIn("Pending", refused["error"])
        self.assertFalse(refused.get("sent", True), refused)
        self.assertEqual(client.calls_of("RequestStartTransaction"), [])
        # B02.FR.09: what the CSMS asks for is let in.
        self.assertApi(200, "POST", path(client.station_id, "/call/GetBaseReport"),
                       {"requestId": 5, "reportBase": "FullInventory"})
        report = notify_report_201(request_id=5)
        self.call_ok(client, "NotifyReport", report)
        self.assertApi(200, "POST", path(client.station_id, "/trigger"), {"trigger": "StatusNotification"})
        self.call_ok(client, *self.status_notification(client))
        self.call_error(client, "Heartbeat", {}, "SecurityError")  # not asked for
        devices = self.assertApi(200, "GET", path(client.station_id, "/device-model"))
        self.assertEqual(len(devices), len(report["reportData"]), devices)

    def test_rejected_station_is_sent_only_trigger_boot(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.registered(protocol, "Rejected")
                accept_calls(client, "TriggerMessage", "Reset")
                self.boot_answer(client, "Rejected")
                payload = {"type": "Immediate"} if protocol == V201 else {"type": "Hard"}
                refused = self.assertApiError(409, "POST", path(client.station_id, "/call/Reset"), payload)
                self.assertIn("Rejected", refused["error"])
                self.assertEqual(client.calls_of("Reset"), [])
                self.assertApi(200, "POST", path(client.station_id, "/trigger"), {"trigger": "BootNotification"})
                self.assertEqual(client.wait_for_call("TriggerMessage").payload["requestedMessage"],
                                 "BootNotification")

    # -- before a boot, after a reconnect, revoked ----------------------------------------------------
    def test_messages_before_the_first_boot_are_refused_and_not_stored(self):
        client = self.registered(V201, None)
        error = self.call_error(client, *self.status_notification(client), "SecurityError")
        self.assertIn("BootNotification first", error.description)
        view = self.node.station(client.station_id)
        self.assertNotIn("connectors", view)
        self.assertNotIn("bootStatus", view)
        self.boot_answer(client, "Accepted")
        self.call_ok(client, *self.status_notification(client))

    def test_an_accepted_station_reconnecting_without_a_boot_is_let_in(self):
        client = self.registered(V16, None)
        self.boot_answer(client, "Accepted")
        client.close()
        again = self.connect(client.station_id, V16)
        self.call_ok(again, *self.status_notification(again))
        self.call_ok(again, "Heartbeat", {})

    def test_revoking_an_accepted_station_refuses_it_at_once_until_it_boots(self):
        client = self.registered(V201, None)
        accept_calls(client, "Reset")
        self.boot_answer(client, "Accepted")
        changed = self.set_registration(client.station_id, "Rejected")
        self.assertIn("next boot", changed.get("effect", ""), changed)
        self.call_error(client, *self.status_notification(client), "SecurityError")
        # Told Accepted, it refuses a trigger to boot (F06.FR.17): a Reset makes it boot.
        self.assertApi(200, "POST", path(client.station_id, "/call/Reset"), {"type": "Immediate"})
        self.boot_answer(client, "Rejected")
        self.assertEqual(self.node.station(client.station_id)["bootStatus"], "Rejected")

    # -- the API ---------------------------------------------------------------------------------------
    def test_registration_in_the_register_body_is_kept_when_registering_again_without_it(self):
        cs_id = self.unique_id()
        self.node.register_station(cs_id, registration="Pending")
        self.assertEqual(self.node.station(cs_id)["registrationStatus"], "Pending")
        self.node.register_station(cs_id)
        self.assertEqual(self.node.station(cs_id)["registrationStatus"], "Pending")
        self.node.register_station(cs_id, registration="Accepted")
        self.assertEqual(self.node.station(cs_id)["registrationStatus"], "Accepted")

    def test_bad_registration_requests_get_clear_errors(self):
        cs_id = self.unique_id()
        self.node.register_station(cs_id)
        self.assertApiError(400, "PUT", path(cs_id, "/registration"), {"registrationStatus": "Maybe"},
                            contains="/registrationStatus")
        self.assertApiError(400, "PUT", path(cs_id, "/registration"), {}, contains="/registrationStatus")
        self.assertApiError(400, "POST", path(cs_id), {"securityProfile": 0, "registrationStatus": "accepted"},
                            contains="/registrationStatus")
        self.assertApiError(404, "PUT", path("NOPE-" + cs_id, "/registration"), {"registrationStatus": "Accepted"})
        self.assertEqual(self.node.station(cs_id)["registrationStatus"], "Accepted", "nothing changed")


@require_binary
class DefaultRegistration(NodeTestCase):
    node_args = ("--registration-status", "Pending")

    def test_new_stations_get_the_configured_default(self):
        client = self.station(V201, booted=False)
        self.assertEqual(self.node.station(client.station_id)["registrationStatus"], "Pending")
        self.assertEqual(boot(client)["status"], "Pending")
        cs_id = self.unique_id()
        self.node.register_station(cs_id, registration="Accepted")
        self.assertEqual(self.node.station(cs_id)["registrationStatus"], "Accepted")


if __name__ == "__main__":
    unittest.main()
