"""OCPP 2.0.1: every message a station sends gets a correct, schema-valid answer, and what it says
is kept (station view, transactions, events)."""

import time
import unittest
import urllib.parse
import uuid

from harness import V201, NodeTestCase, now_iso, parse_iso, require_binary, same_time, seconds_from_now, wait_until
from payloads import STATION_ACTIONS_201 as STATION_ACTIONS
from payloads import id_token_201, meter_value, notify_event_201, notify_report_201, security_event, status_201, sv, tx_event


def new_tx_id():
    return "TX-" + uuid.uuid4().hex[:20]


@require_binary
class Messages201(NodeTestCase):
    heartbeat_interval = 42

    def test_boot_notification_is_accepted_with_the_configured_interval(self):
        client = self.station(V201, booted=False)
        answer = self.call_ok(client, "BootNotification", {
            "chargingStation": {"model": "Wallbox-22", "vendorName": "Acme", "serialNumber": "ACME-0001",
                                "firmwareVersion": "4.2.0", "modem": {"iccid": "8931080019062317445", "imsi": "204080123456789"}},
            "reason": "PowerUp"})
        self.assertEqual(answer["status"], "Accepted")
        self.assertEqual(answer["interval"], 42)
        self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)

    def test_heartbeat_answers_the_current_time(self):
        client = self.station(V201)
        answer = self.call_ok(client, "Heartbeat", {})
        self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)

    def test_every_station_message_gets_a_schema_valid_answer(self):
        client = self.station(V201)
        token = self.unique_id("TOK")
        self.node.add_token(token)
        tx_id = new_tx_id()
        hand_written = {
            "Heartbeat": {},
            "StatusNotification": status_201(1, 1, "Occupied"),
            "Authorize": {"idToken": id_token_201(token)},
            "TransactionEvent": tx_event("Started", tx_id, 0, "Authorized", id_token=token,
                                         meter=[meter_value(now_iso(), sv(100))]),
            "MeterValues": {"evseId": 1, "meterValue": [meter_value(now_iso(), sv(120), sv(7200, "Power.Active.Import", "W"))]},
            "NotifyReport": notify_report_201(),
            "NotifyEvent": notify_event_201(),
            "SecurityEventNotification": security_event("SettingSystemTime"),
            "FirmwareStatusNotification": {"status": "Downloading", "requestId": 7},
            "LogStatusNotification": {"status": "Uploading", "requestId": 8},
            "DataTransfer": {"vendorId": "com.example.e2e", "messageId": "Ping", "data": "hello"},
        }
        self.answers_every_message(client, STATION_ACTIONS, hand_written)

    def test_status_notifications_are_kept_per_evse_and_connector(self):
        client = self.station(V201)
        self.call_ok(client, "StatusNotification", status_201(1, 1, "Available"))
        self.call_ok(client, "StatusNotification", status_201(2, 1, "Occupied"))
        self.call_ok(client, "StatusNotification", status_201(1, 1, "Unavailable"))
        station = self.node.station(client.station_id)
        connectors = {(c["evseId"], c["connectorId"]): c for c in station.get("connectors", [])}
        self.assertEqual(connectors.get((1, 1), {}).get("status"), "Unavailable", station)
        self.assertEqual(connectors.get((2, 1), {}).get("status"), "Occupied", station)
        self.assertIn("timestamp", connectors[(1, 1)])

    def test_station_view_shows_online_protocol_boot_info_and_offline_after_disconnect(self):
        client = self.station(V201, booted=False)
        boot = {"chargingStation": {"model": "Model-V", "vendorName": "Vendor-V", "serialNumber": "S-77"},
                "reason": "ScheduledReset"}
        self.call_ok(client, "BootNotification", boot)
        self.call_ok(client, "StatusNotification", status_201(1, 1, "Available"))
        station = self.node.station(client.station_id)
        self.assertEqual(station["id"], client.station_id)
        self.assertIs(station["online"], True)
        self.assertEqual(station["protocol"], V201)
        self.assertEqual(station["boot"], boot)
        for field in ("lastSeen", "connectedAt", "bootedAt"):
            self.assertLess(abs(seconds_from_now(station[field])), 30, f"{field}: {station}")
        self.assertEqual([(c["evseId"], c["connectorId"], c["status"]) for c in station["connectors"]],
                         [(1, 1, "Available")])
        time.sleep(0.01)
        self.call_ok(client, "Heartbeat", {})
        self.assertGreater(parse_iso(self.node.station(client.station_id)["lastSeen"]), parse_iso(station["lastSeen"]),
                           "lastSeen follows the station's messages")
        client.close()
        wait_until(lambda: self.node.station(client.station_id)["online"] is False, 5,
                   what="online:false after the station closed")

    def test_authorize_answers_from_the_token_store(self):
        client = self.station(V201)
        valid, blocked, grouped = self.unique_id("OK"), self.unique_id("BLK"), self.unique_id("GRP")
        self.node.add_token(valid)
        self.node.add_token(blocked, valid=False)
        self.node.add_token(grouped, groupId="FLEET-42")
        cases = [(valid, "Accepted"), (self.unique_id("NOPE"), "Unknown"), (blocked, "Blocked"), (grouped, "Accepted")]
        for uid, expected in cases:
            with self.subTest(uid=uid):
                answer = self.call_ok(client, "Authorize", {"idToken": id_token_201(uid)})
                self.assertEqual(answer["idTokenInfo"]["status"], expected, answer)
        answer = self.call_ok(client, "Authorize", {"idToken": id_token_201(grouped)})
        self.assertEqual(answer["idTokenInfo"].get("groupIdToken", {}).get("idToken"), "FLEET-42", answer)

    def run_transaction(self, client, token, tx_id):
        """Started (1000 Wh), Updated (2.5 kWh), Ended (8 kWh); returns the events sent."""
        t0, t1, t2 = now_iso(-120), now_iso(-60), now_iso(-1)
        events = [
            tx_event("Started", tx_id, 0, "Authorized", timestamp=t0, id_token=token, charging_state="Charging",
                     meter=[meter_value(t0, sv(1000.0, context="Transaction.Begin"),
                                        sv(16.2, "Current.Import", "A", "Transaction.Begin", "L1"),
                                        sv(231.4, "Voltage", "V", "Transaction.Begin", "L1-N"))]),
            tx_event("Updated", tx_id, 1, "MeterValuePeriodic", timestamp=t1, charging_state="Charging",
                     meter=[meter_value(t1, sv(2.5, unit="kWh", context="Sample.Periodic"),
                                        sv(7360, "Power.Active.Import", "W", "Sample.Periodic"),
                                        sv(41, "SoC", "Percent", "Sample.Periodic", location="EV"))]),
            tx_event("Ended", tx_id, 2, "StopAuthorized", timestamp=t2, id_token=token, stopped_reason="Local",
                     charging_state="Idle",
                     meter=[meter_value(t2, sv(8.0, unit="kWh", context="Transaction.End"),
                                        sv(0.0, "Current.Import", "A", "Transaction.End", "L1"))]),
        ]
        for event in events:
            answer = self.call_ok(client, "TransactionEvent", event)
            if "idToken" in event:
                self.assertEqual(answer.get("idTokenInfo", {}).get("status"), "Accepted", answer)
        return events

    def test_transaction_events_are_stored_with_every_sampled_value_and_the_energy(self):
        client = self.station(V201)
        token = self.unique_id("TOK")
        self.node.add_token(token)
        tx_id = new_tx_id()
        events = self.run_transaction(client, token, tx_id)
        tx = self.node.transaction(client.station_id, tx_id)
        self.assertEqual(tx["csId"], client.station_id)
        self.assertEqual(tx["transactionId"], tx_id)
        self.assertEqual(tx["protocol"], V201)
        self.assertEqual(tx["state"], "ended")
        self.assertEqual(tx["idToken"], token)
        self.assertEqual((tx["evseId"], tx["connectorId"]), (1, 1))
        self.assertEqual(tx["lastSeqNo"], 2)
        self.assertEqual(tx["events"], 3)
        self.assertEqual(tx["stopReason"], "Local")
        self.assertTrue(same_time(tx["startedAt"], events[0]["timestamp"]), tx)
        self.assertTrue(same_time(tx["endedAt"], events[2]["timestamp"]), tx)
        self.assertAlmostEqual(tx["energyWh"], 7000, delta=0.5)
        sent = [mv for e in events for mv in e["meterValue"]]
        stored = tx["meterValues"]
        self.assertEqual(len(stored), len(sent), stored)
        for got, want in zip(stored, sent):
            self.assertTrue(same_time(got["timestamp"], want["timestamp"]), got)
            self.assertEqual(got["sampledValue"], want["sampledValue"])

    def test_transaction_event_id_tokens_are_authorized_from_the_token_store(self):
        client = self.station(V201)
        blocked = self.unique_id("BLK")
        self.node.add_token(blocked, valid=False)
        for uid, expected in ((self.unique_id("NOPE"), "Unknown"), (blocked, "Blocked")):
            with self.subTest(expected=expected):
                answer = self.call_ok(client, "TransactionEvent", tx_event("Started", new_tx_id(), 0, "Authorized",
                                                                           id_token=uid))
                self.assertEqual(answer.get("idTokenInfo", {}).get("status"), expected, answer)

    def test_an_active_transaction_shows_as_active_without_energy(self):
        client = self.station(V201)
        tx_id = new_tx_id()
        self.call_ok(client, "TransactionEvent", tx_event("Started", tx_id, 0, "CablePluggedIn",
                                                         meter=[meter_value(now_iso(), sv(500))]))
        tx = self.node.transaction(client.station_id, tx_id)
        self.assertEqual(tx["state"], "active")
        self.assertNotIn("energyWh", tx)
        self.assertNotIn("endedAt", tx)

    def test_events_resent_after_a_reconnect_create_no_duplicates(self):
        client = self.station(V201)
        token = self.unique_id("TOK")
        self.node.add_token(token)
        tx_id = new_tx_id()
        events = self.run_transaction(client, token, tx_id)
        before = self.node.transaction(client.station_id, tx_id)
        client.close()
        again = self.connect(client.station_id, V201)
        self.call_ok(again, "BootNotification", {"chargingStation": {"model": "M", "vendorName": "V"},
                                                 "reason": "PowerUp"})
        for event in events:
            self.call_ok(again, "TransactionEvent", event)
        after = self.node.transaction(client.station_id, tx_id)
        self.assertEqual(after["events"], before["events"])
        self.assertEqual(len(after["meterValues"]), len(before["meterValues"]))
        self.assertEqual(after["lastSeqNo"], 2)
        self.assertEqual(after["state"], "ended")
        self.assertAlmostEqual(after["energyWh"], 7000, delta=0.5)

    def test_a_late_event_does_not_undo_the_end_of_a_transaction(self):
        client = self.station(V201)
        tx_id = new_tx_id()
        t0, t1, t2 = now_iso(-300), now_iso(-200), now_iso(-100)
        started = tx_event("Started", tx_id, 0, "CablePluggedIn", timestamp=t0, meter=[meter_value(t0, sv(1000))])
        updated = tx_event("Updated", tx_id, 1, "MeterValuePeriodic", timestamp=t1, offline=True,
                           meter=[meter_value(t1, sv(5.0, unit="kWh"))])
        ended = tx_event("Ended", tx_id, 2, "EVDeparted", timestamp=t2, stopped_reason="EVDisconnected",
                         meter=[meter_value(t2, sv(8000))])
        for event in (started, ended, updated):      # the Updated one was queued offline and comes last
            self.call_ok(client, "TransactionEvent", event)
        tx = self.node.transaction(client.station_id, tx_id)
        self.assertEqual(tx["state"], "ended")
        self.assertEqual(tx["lastSeqNo"], 2)
        self.assertEqual(tx["events"], 3)
        self.assertTrue(same_time(tx["endedAt"], t2), tx)
        self.assertEqual(tx["stopReason"], "EVDisconnected")
        self.assertEqual(len(tx["meterValues"]), 3)
        self.assertAlmostEqual(tx["energyWh"], 7000, delta=0.5)

    def test_offline_events_are_accepted_with_the_station_timestamps(self):
        client = self.station(V201)
        tx_id = new_tx_id()
        t0, t1, t2 = now_iso(-7200), now_iso(-3600), now_iso(-1800)
        for event in (
                tx_event("Started", tx_id, 0, "CablePluggedIn", timestamp=t0, offline=True,
                         meter=[meter_value(t0, sv(500))]),
                tx_event("Updated", tx_id, 1, "MeterValuePeriodic", timestamp=t1, offline=True,
                         meter=[meter_value(t1, sv(3.0, unit="kWh"))]),
                tx_event("Ended", tx_id, 2, "EVDeparted", timestamp=t2, offline=True, stopped_reason="EVDisconnected",
                         meter=[meter_value(t2, sv(5.5, unit="kWh"))])):
            self.call_ok(client, "TransactionEvent", event)
        tx = self.node.transaction(client.station_id, tx_id)
        self.assertEqual(tx["state"], "ended")
        self.assertTrue(same_time(tx["startedAt"], t0), tx)
        self.assertTrue(same_time(tx["endedAt"], t2), tx)
        self.assertAlmostEqual(tx["energyWh"], 5000, delta=0.5)
        self.assertEqual(len(tx["meterValues"]), 3)

    def test_transactions_are_listed_by_station_and_start_time(self):
        client = self.station(V201)
        other = self.station(V201)
        old_id, new_id, other_id = new_tx_id(), new_tx_id(), new_tx_id()
        self.call_ok(client, "TransactionEvent", tx_event("Started", new_id, 0, "CablePluggedIn",
                                                         meter=[meter_value(now_iso(), sv(1))]))
        self.call_ok(client, "TransactionEvent", tx_event("Started", old_id, 0, "CablePluggedIn", evse=(2, 1),
                                                         timestamp=now_iso(-7200), offline=True))
        self.call_ok(other, "TransactionEvent", tx_event("Started", other_id, 0, "CablePluggedIn"))
        cs = urllib.parse.quote(client.station_id)

        listed = self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}")
        self.assertEqual([t["transactionId"] for t in listed], [old_id, new_id])
        for t in listed:
            self.assertNotIn("meterValues", t)
            self.assertEqual(t["csId"], client.station_id)
        hour_ago = urllib.parse.quote(now_iso(-3600))
        self.assertEqual([t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&from={hour_ago}")],
                         [new_id])
        self.assertEqual([t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&to={hour_ago}")],
                         [old_id])
        self.assertEqual([t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&limit=1")],
                         [old_id])
        self.assertEqual([t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&offset=1&limit=1")],
                         [new_id])
        everything = self.assertApi(200, "GET", "/api/v0/transactions?limit=100")
        self.assertIn(other_id, [t["transactionId"] for t in everything])

    def test_unknown_transaction_is_404(self):
        client = self.station(V201)
        self.assertApiError(404, "GET", f"/api/v0/cs/{client.station_id}/transactions/NO-SUCH-TX")

    def test_firmware_and_log_status_are_kept(self):
        client = self.station(V201)
        self.call_ok(client, "FirmwareStatusNotification", {"status": "Installed", "requestId": 3})
        self.call_ok(client, "LogStatusNotification", {"status": "Uploaded", "requestId": 4})
        station = self.node.station(client.station_id)
        self.assertEqual(station.get("firmwareStatus"), "Installed", station)
        self.assertEqual(station.get("logStatus"), "Uploaded", station)

    def test_notify_report_fills_the_device_model(self):
        client = self.station(V201)

        def report(seq_no, value, tbc):
            return {"requestId": 7, "generatedAt": "2026-01-01T00:00:00Z", "seqNo": seq_no, "tbc": tbc,
                    "reportData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                                    "variableAttribute": [{"value": value, "mutability": "ReadWrite"}]},
                                   {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
                                    "variableAttribute": [{"value": "22000"}]}]}
        self.call_ok(client, "NotifyReport", report(0, "300", True))
        self.call_ok(client, "NotifyReport", report(1, "60", False))  # the latest report wins
        model = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/device-model")
        by_name = {(d["component"]["name"], d["variable"]["name"]): d for d in model}
        self.assertEqual(set(by_name), {("OCPPCommCtrlr", "HeartbeatInterval"), ("EVSE", "Power")})
        self.assertEqual(by_name[("OCPPCommCtrlr", "HeartbeatInterval")]["variableAttribute"][0]["value"], "60")
        self.assertEqual(by_name[("EVSE", "Power")]["component"]["evse"], {"id": 1})
        self.assertApiError(404, "GET", "/api/v0/cs/NO-SUCH-STATION/device-model")

    def test_security_events_and_notify_events_are_listed_newest_first(self):
        client = self.station(V201)
        security = security_event("FirmwareUpdated", "v4.2.0 installed")
        notify = notify_event_201()
        self.call_ok(client, "SecurityEventNotification", security)
        self.call_ok(client, "NotifyEvent", notify)
        events = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/events")
        kinds = [e["type"] for e in events]
        self.assertIn("SecurityEventNotification", kinds)
        self.assertIn("NotifyEvent", kinds)
        self.assertLess(kinds.index("NotifyEvent"), kinds.index("SecurityEventNotification"), "newest first")
        by_kind = {e["type"]: e for e in events}
        self.assertEqual(by_kind["SecurityEventNotification"]["payload"], security)
        self.assertEqual(by_kind["NotifyEvent"]["payload"], notify)
        for e in events:
            parse_iso(e["timestamp"])
        limited = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/events?offset=0&limit=1")
        self.assertEqual([e["type"] for e in limited], ["NotifyEvent"])


if __name__ == "__main__":
    unittest.main()
