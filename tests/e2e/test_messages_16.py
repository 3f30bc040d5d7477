"""OCPP 1.6: every message a station sends gets a correct, schema-valid answer; transaction ids,
idempotent re-sends, ConcurrentTx, stops of unknown or stopped transactions, and what the API shows."""

import os
import shutil
import tempfile
import threading
import unittest
import urllib.parse

from harness import (V16, Node, NodeTestCase, boot_16, keep_files, now_iso, require_binary, same_time,
                     seconds_from_now, wait_until)
from payloads import STATION_ACTIONS_16 as STATION_ACTIONS, security_event, start_tx_16, status_16, stop_tx_16, sv16


@require_binary
class Messages16(NodeTestCase):
    heartbeat_interval = 42

    def test_boot_notification_is_accepted_with_the_configured_interval(self):
        client = self.station(V16, booted=False)
        answer = self.call_ok(client, "BootNotification", {
            "chargePointVendor": "Acme", "chargePointModel": "Wallbox-11", "chargePointSerialNumber": "ACME-16-1",
            "chargeBoxSerialNumber": "BOX-1", "firmwareVersion": "1.6.9", "iccid": "8931080019062317445",
            "imsi": "204080123456789", "meterType": "EM340", "meterSerialNumber": "M-1"})
        self.assertEqual(answer["status"], "Accepted")
        self.assertEqual(answer["interval"], 42)
        self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)

    def test_heartbeat_answers_the_current_time(self):
        client = self.station(V16)
        answer = self.call_ok(client, "Heartbeat", {})
        self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)

    def test_every_station_message_gets_a_schema_valid_answer(self):
        client = self.station(V16)
        tag = self.unique_id("T")[:20]
        self.node.add_token(tag)
        started = self.call_ok(client, "StartTransaction", start_tx_16(1, tag, 100))
        tx = started["transactionId"]
        hand_written = {
            "Heartbeat": {},
            "StatusNotification": status_16(1, "Charging"),
            "Authorize": {"idTag": tag},
            "MeterValues": {"connectorId": 1, "transactionId": tx,
                            "meterValue": [{"timestamp": now_iso(), "sampledValue": [sv16(150), sv16(16, "Current.Import", "A")]}]},
            "StopTransaction": stop_tx_16(tx, 200, tag),
            "DataTransfer": {"vendorId": "com.example.e2e", "messageId": "Ping", "data": "hello"},
            "FirmwareStatusNotification": {"status": "Downloading"},
            "DiagnosticsStatusNotification": {"status": "Uploading"},
            "SecurityEventNotification": security_event("SettingSystemTime"),
            "SignedFirmwareStatusNotification": {"status": "SignatureVerified", "requestId": 5},
            "LogStatusNotification": {"status": "Uploading", "requestId": 6},
        }
        self.answers_every_message(client, STATION_ACTIONS, hand_written)

    def test_status_notifications_are_kept_per_connector(self):
        client = self.station(V16)
        self.call_ok(client, "StatusNotification", status_16(0, "Available"))
        self.call_ok(client, "StatusNotification", status_16(1, "Preparing"))
        self.call_ok(client, "StatusNotification", status_16(2, "Faulted", "GroundFailure"))
        station = self.node.station(client.station_id)
        self.assertIs(station["online"], True)
        self.assertEqual(station["protocol"], V16)
        self.assertEqual(station["boot"], boot_16())
        connectors = {c["connectorId"]: c for c in station["connectors"]}
        self.assertEqual(connectors[1]["status"], "Preparing")
        self.assertEqual(connectors[1]["evseId"], 1, "1.6 connectors have evseId = connectorId")
        self.assertEqual((connectors[2]["status"], connectors[2]["errorCode"]), ("Faulted", "GroundFailure"))
        self.assertEqual(connectors[0]["status"], "Available")
        client.close()
        wait_until(lambda: self.node.station(client.station_id)["online"] is False, 5, what="online:false")

    def test_authorize_answers_from_the_token_store(self):
        client = self.station(V16)
        valid, blocked, grouped = self.unique_id("OK"), self.unique_id("BL"), self.unique_id("GR")
        self.node.add_token(valid)
        self.node.add_token(blocked, valid=False)
        self.node.add_token(grouped, groupId="FLEET-16")
        for uid, expected in [(valid, "Accepted"), (self.unique_id("NO"), "Invalid"), (blocked, "Blocked"),
                              (grouped, "Accepted")]:
            with self.subTest(uid=uid):
                answer = self.call_ok(client, "Authorize", {"idTag": uid})
                self.assertEqual(answer["idTagInfo"]["status"], expected, answer)
        answer = self.call_ok(client, "Authorize", {"idTag": grouped})
        self.assertEqual(answer["idTagInfo"].get("parentIdTag"), "FLEET-16", answer)

    def test_a_transaction_is_stored_with_meter_values_and_energy(self):
        client = self.station(V16)
        tag = self.unique_id("TG")
        self.node.add_token(tag)
        start = start_tx_16(1, tag, 1000, now_iso(-300))
        answer = self.call_ok(client, "StartTransaction", start)
        self.assertEqual(answer["idTagInfo"]["status"], "Accepted")
        tx = answer["transactionId"]
        self.assertIsInstance(tx, int)
        periodic = [{"timestamp": now_iso(-200), "sampledValue": [
            sv16(2500), sv16("16.1", "Current.Import", "A", phase="L1"), sv16("7400", "Power.Active.Import", "W")]}]
        self.call_ok(client, "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": periodic})
        end_data = [{"timestamp": now_iso(-1), "sampledValue": [sv16(8000, context="Transaction.End")]}]
        stop = stop_tx_16(tx, 8000, tag, "Local", now_iso(-1), end_data)
        answer = self.call_ok(client, "StopTransaction", stop)
        self.assertEqual(answer.get("idTagInfo", {}).get("status"), "Accepted", answer)

        record = self.node.transaction(client.station_id, tx)
        self.assertEqual(record["transactionId"], str(tx))
        self.assertEqual(record["csId"], client.station_id)
        self.assertEqual(record["protocol"], V16)
        self.assertEqual(record["state"], "ended")
        self.assertEqual(record["idToken"], tag)
        self.assertEqual(record["connectorId"], 1)
        self.assertEqual(record["meterStartWh"], 1000)
        self.assertEqual(record["meterStopWh"], 8000)
        self.assertEqual(record["energyWh"], 7000)
        self.assertEqual(record["stopReason"], "Local")
        self.assertTrue(same_time(record["startedAt"], start["timestamp"]), record)
        self.assertTrue(same_time(record["endedAt"], stop["timestamp"]), record)
        stored = [s for mv in record["meterValues"] for s in mv["sampledValue"]]
        for sample in periodic[0]["sampledValue"] + end_data[0]["sampledValue"]:
            self.assertIn(sample, stored)

        listed = self.assertApi(200, "GET", f"/api/v0/transactions?csId={urllib.parse.quote(client.station_id)}")
        self.assertEqual([t["transactionId"] for t in listed], [str(tx)])
        self.assertNotIn("meterValues", listed[0])

    def test_transaction_ids_are_unique_and_increasing_across_stations(self):
        a, b = self.station(V16), self.station(V16)
        ids = []
        for i in range(6):
            client = (a, b)[i % 2]
            tag = self.unique_id("U")
            self.node.add_token(tag)
            ids.append(self.call_ok(client, "StartTransaction", start_tx_16(1 + i // 2, tag, 0))["transactionId"])
        self.assertEqual(ids, sorted(set(ids)), "unique and increasing in the order they were given")

    def test_concurrent_starts_on_several_stations_get_distinct_ids(self):
        clients = [self.station(V16) for _ in range(4)]
        ids, errors = [], []

        def run(client):
            try:
                for i in range(10):
                    tag = f"{client.station_id[-8:]}-{i}"
                    ids.append(client.call("StartTransaction", start_tx_16(1, tag, i))["transactionId"])
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=run, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(ids), 40)
        self.assertEqual(len(set(ids)), 40, "every StartTransaction got its own id")

    def test_a_resent_start_transaction_gets_the_same_id(self):
        client = self.station(V16)
        tag = self.unique_id("RS")
        self.node.add_token(tag)
        start = start_tx_16(1, tag, 4242, now_iso(-10))
        first = self.call_ok(client, "StartTransaction", start)
        client.close()
        again = self.connect(client.station_id, V16)
        self.call_ok(again, "BootNotification", boot_16())
        second = self.call_ok(again, "StartTransaction", start)
        self.assertEqual(second["transactionId"], first["transactionId"])
        self.assertEqual(second["idTagInfo"]["status"], "Accepted", "the re-sent start is the same transaction")
        listed = self.assertApi(200, "GET", f"/api/v0/transactions?csId={urllib.parse.quote(client.station_id)}")
        self.assertEqual(len(listed), 1, listed)

    def test_a_second_start_for_an_active_id_tag_is_concurrent_tx(self):
        client = self.station(V16)
        tag = self.unique_id("CT")
        self.node.add_token(tag)
        first = self.call_ok(client, "StartTransaction", start_tx_16(1, tag, 0))
        self.assertEqual(first["idTagInfo"]["status"], "Accepted")
        second = self.call_ok(client, "StartTransaction", start_tx_16(2, tag, 0))
        self.assertEqual(second["idTagInfo"]["status"], "ConcurrentTx", second)
        # once the first one stopped the idTag is free again
        self.call_ok(client, "StopTransaction", stop_tx_16(first["transactionId"], 10, tag))
        third = self.call_ok(client, "StartTransaction", start_tx_16(2, tag, 10, now_iso(1)))
        self.assertEqual(third["idTagInfo"]["status"], "Accepted", third)

    def test_start_with_unknown_or_blocked_id_tag_is_answered_with_its_status(self):
        client = self.station(V16)
        blocked = self.unique_id("BK")
        self.node.add_token(blocked, valid=False)
        answer = self.call_ok(client, "StartTransaction", start_tx_16(1, self.unique_id("UN"), 0))
        self.assertEqual(answer["idTagInfo"]["status"], "Invalid")
        answer = self.call_ok(client, "StartTransaction", start_tx_16(2, blocked, 0))
        self.assertEqual(answer["idTagInfo"]["status"], "Blocked")

    def test_stop_for_an_unknown_transaction_is_acknowledged(self):
        client = self.station(V16)
        for tx in (999999, -1):
            with self.subTest(transactionId=tx):
                self.call_ok(client, "StopTransaction", stop_tx_16(tx, 1234, reason="PowerLoss"))
        # and the connection is still fine
        self.call_ok(client, "Heartbeat", {})

    def test_a_second_stop_is_acknowledged_without_a_second_stop(self):
        client = self.station(V16)
        tag = self.unique_id("DS")
        self.node.add_token(tag)
        tx = self.call_ok(client, "StartTransaction", start_tx_16(1, tag, 100, now_iso(-60)))["transactionId"]
        first_stop = stop_tx_16(tx, 900, tag, "Local", now_iso(-30))
        self.call_ok(client, "StopTransaction", first_stop)
        self.call_ok(client, "StopTransaction", stop_tx_16(tx, 950, tag, "Remote", now_iso(-1)))
        record = self.node.transaction(client.station_id, tx)
        self.assertEqual(record["state"], "ended")
        self.assertEqual(record["meterStopWh"], 900, "the first stop counts")
        self.assertEqual(record["energyWh"], 800)
        self.assertEqual(record["stopReason"], "Local")
        self.assertTrue(same_time(record["endedAt"], first_stop["timestamp"]), record)

    def test_notifications_are_kept(self):
        client = self.station(V16)
        self.call_ok(client, "FirmwareStatusNotification", {"status": "Installed"})
        self.call_ok(client, "DiagnosticsStatusNotification", {"status": "Uploaded"})
        self.call_ok(client, "LogStatusNotification", {"status": "Uploaded", "requestId": 9})
        event = security_event("InvalidCentralSystemCertificate", "chain incomplete")
        self.call_ok(client, "SecurityEventNotification", event)
        station = self.node.station(client.station_id)
        self.assertEqual(station.get("firmwareStatus"), "Installed", station)
        self.assertEqual(station.get("diagnosticsStatus"), "Uploaded", station)
        self.assertEqual(station.get("logStatus"), "Uploaded", station)
        events = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/events")
        security = [e for e in events if e["type"] == "SecurityEventNotification"]
        self.assertEqual([e["payload"] for e in security], [event], events)


@require_binary
class TransactionIdsAcrossRestart(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="evbroker-e2e-restart-")
        self.addCleanup(lambda: keep_files() or shutil.rmtree(self.root, ignore_errors=True))

    def test_ids_keep_increasing_after_a_restart(self):
        data = os.path.join(self.root, "data")
        ids = []
        for run in range(2):
            with Node(data_dir=data) as node:
                if run == 0:
                    node.register_station("RESTART-1")
                client = node.connect("RESTART-1", V16)
                try:
                    client.call("BootNotification", boot_16())
                    for i in range(3):
                        answer = client.call("StartTransaction", start_tx_16(i + 1, f"R{run}-{i}", 0))
                        ids.append(answer["transactionId"])
                finally:
                    client.close()
        self.assertEqual(len(ids), 6)
        self.assertEqual(ids, sorted(set(ids)), f"ids after the restart must be above those before: {ids}")

    def test_idempotency_survives_a_restart(self):
        data = os.path.join(self.root, "data")
        start = start_tx_16(1, "IDEM-1", 500, now_iso(-60))
        with Node(data_dir=data) as node:
            node.register_station("RESTART-2")
            client = node.connect("RESTART-2", V16)
            try:
                client.call("BootNotification", boot_16())
                tx = client.call("StartTransaction", start)["transactionId"]
                stop = stop_tx_16(tx, 1500, "IDEM-1", "Local", now_iso(-30))
                client.call("StopTransaction", stop)
            finally:
                client.close()
        with Node(data_dir=data) as node:
            client = node.connect("RESTART-2", V16)
            try:
                client.call("BootNotification", boot_16())
                # the station replays its queue after the outage
                self.assertEqual(client.call("StartTransaction", start)["transactionId"], tx)
                client.call("StopTransaction", stop_tx_16(tx, 1600, "IDEM-1", "Local", now_iso()))
            finally:
                client.close()
            record = node.transaction("RESTART-2", tx)
            self.assertEqual((record["state"], record["meterStopWh"], record["energyWh"]), ("ended", 1500, 1000))
            self.assertEqual(len(node.api("GET", "/api/v0/transactions?csId=RESTART-2")[1]), 1)


if __name__ == "__main__":
    unittest.main()
