"""Issue 12, what the node keeps: per-station storage budgets and retention (item 8), time-index keys
for every timestamp (item 10), damaged data files (item 11) and a data directory in use (item 12)."""

import os
import subprocess
import unittest

from harness import V16, V201, Node, NodeTestCase, free_port, node_binary, require_binary, wait_until
from payloads import tx_event


def storage_of(node, cs, kind):
    return node.station(cs)["storage"][kind]


@require_binary
class StationBudgets(NodeTestCase):
    node_args = ("--station-events-max", "20", "--station-events-max-bytes", "65536",
                 "--station-meter-values-max", "5", "--station-device-model-max", "3", "--station-max-connectors", "4")

    def test_unknown_vendor_data_transfers_beyond_the_budget_are_rejected_not_stored(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.station(protocol)
                statuses = [self.call_ok(client, "DataTransfer", {"vendorId": "x.y", "data": "d" * 100})["status"]
                            for _ in range(25)]
                self.assertEqual(statuses, ["UnknownVendorId"] * 20 + ["Rejected"] * 5)
                usage = storage_of(self.node, client.station_id, "events")
                self.assertEqual((usage["entries"], usage["maxEntries"]), (20, 20), usage)
                events = self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/events?limit=100")
                self.assertEqual(len(events), 20, "everything acknowledged as recorded is there")

    def test_events_beyond_the_budget_get_a_callerror_and_clearing_gives_the_room_back(self):
        client = self.station(V201)
        event = {"type": "SettingSystemTime", "timestamp": "2024-01-01T00:00:00Z"}
        for _ in range(20):
            self.call_ok(client, "SecurityEventNotification", event)
        error = self.call_error(client, "SecurityEventNotification", event, "GenericError")
        self.assertIn("storage budget", error.description)
        self.assertIn("DELETE /api/v0/cs/", error.description)
        self.assertEqual(self.assertApi(200, "DELETE", f"/api/v0/cs/{client.station_id}/events"), {"deleted": 20})
        self.assertEqual(storage_of(self.node, client.station_id, "events")["entries"], 0)
        self.call_ok(client, "SecurityEventNotification", event)
        metrics = self.node.api("GET", "/metrics")[1]
        refused = [line for line in metrics.splitlines() if line.startswith("evbroker_station_budget_refusals_total")]
        self.assertTrue(refused and int(refused[0].split()[-1]) >= 1, refused)

    def test_one_station_flooding_does_not_take_room_from_another(self):
        flooder = self.station(V201)
        for _ in range(30):
            flooder.call("DataTransfer", {"vendorId": "x", "data": "z" * 1000})
        other = self.station(V201)
        self.assertEqual(self.call_ok(other, "DataTransfer", {"vendorId": "x"})["status"], "UnknownVendorId")

    def test_the_byte_budget_holds_as_well(self):
        client = self.station(V201)
        answers = [client.call("DataTransfer", {"vendorId": "x", "data": "b" * 20000})["status"] for _ in range(5)]
        self.assertEqual(answers[:3], ["UnknownVendorId"] * 3)
        self.assertIn("Rejected", answers)
        self.assertLessEqual(storage_of(self.node, client.station_id, "events")["bytes"], 65536)

    def test_meter_values_outside_transactions_device_model_and_connectors_are_bounded(self):
        client = self.station(V201)
        mv = {"evseId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 1}]}]}
        for _ in range(5):
            self.call_ok(client, "MeterValues", mv)
        self.call_error(client, "MeterValues", mv, "GenericError")
        report = {"requestId": 1, "generatedAt": "2024-01-01T00:00:00Z", "seqNo": 0,
                  "reportData": [{"component": {"name": f"C{i}"}, "variable": {"name": "V"},
                                  "variableAttribute": [{"value": "1"}]} for i in range(4)]}
        self.call_error(client, "NotifyReport", report, "GenericError")
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/device-model"), [],
                         "a refused report is not stored in part")
        report["reportData"] = report["reportData"][:3]
        self.call_ok(client, "NotifyReport", report)
        self.call_ok(client, "NotifyReport", report)  # the same variables again: replaced, no new room
        status = {"timestamp": "2024-01-01T00:00:00Z", "connectorStatus": "Available", "evseId": 1}
        for connector in range(1, 5):
            self.call_ok(client, "StatusNotification", dict(status, connectorId=connector))
        self.call_ok(client, "StatusNotification", dict(status, connectorId=1, connectorStatus="Occupied"))
        self.call_error(client, "StatusNotification", dict(status, connectorId=99), "GenericError")
        self.assertEqual(self.assertApi(200, "DELETE", f"/api/v0/cs/{client.station_id}/meter-values"), {"deleted": 5})
        self.call_ok(client, "MeterValues", mv)


@require_binary
class EventRetention(NodeTestCase):
    node_args = ("--event-retention", "1")

    def test_events_older_than_the_retention_are_deleted_and_their_room_given_back(self):
        client = self.station(V201)
        for _ in range(3):
            self.call_ok(client, "SecurityEventNotification", {"type": "X", "timestamp": "2024-01-01T00:00:00Z"})
        wait_until(lambda: self.node.api("GET", f"/api/v0/cs/{client.station_id}/events")[1] == [], 10,
                   what="old events deleted")
        self.assertEqual(storage_of(self.node, client.station_id, "events")["entries"], 0)


@require_binary
class TimeIndex(NodeTestCase):
    """Item 10: transactions from unset station clocks (year 1) sort first and filter correctly."""

    def test_transactions_before_1970_sort_and_filter_correctly(self):
        client = self.station(V201)
        starts = {"TX-YEAR1": "0001-01-01T00:00:00Z", "TX-1969": "1969-12-31T23:59:59Z",
                  "TX-2024": "2024-06-01T12:00:00Z"}
        for tx, at in starts.items():
            self.call_ok(client, "TransactionEvent", tx_event("Started", tx, 0, "Authorized", timestamp=at))
        cs = client.station_id
        listed = [t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}")]
        self.assertEqual(listed, ["TX-YEAR1", "TX-1969", "TX-2024"])
        later = self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&from=1970-01-01T00:00:00Z")
        self.assertEqual([t["transactionId"] for t in later], ["TX-2024"])
        earlier = self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&to=1970-01-01T00:00:00Z")
        self.assertEqual([t["transactionId"] for t in earlier], ["TX-YEAR1", "TX-1969"])
        window = self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs}&from=1000-01-01T00:00:00Z"
                                            "&to=1969-12-31T23:59:59Z")
        self.assertEqual([t["transactionId"] for t in window], ["TX-1969"])


def run_node_briefly(args, timeout=20):
    """Runs the binary to its exit; returns (exit code, stderr+stdout)."""
    proc = subprocess.run([node_binary(), *args], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stderr.decode("utf-8", "replace") + proc.stdout.decode("utf-8", "replace")


@require_binary
class DataDirectory(unittest.TestCase):
    """Items 11 and 12: a damaged store or one already in use is refused at start, with a message."""

    def node_with_data(self):
        node = Node()
        node.start()
        node.register_station("CS-DD")
        for i in range(200):  # enough pages for a truncation to cut into
            node.add_token(f"TOKEN{i:04d}", contractId="X" * 20)
        node.stop()
        return node

    def args_for(self, node):
        return ["--data-dir", node.data_dir, "--ws-addr", f"127.0.0.1:{free_port()}", "--wss-addr", "",
                "--api-addr", f"127.0.0.1:{free_port()}", "--files-addr", ""]

    def test_a_truncated_data_file_is_refused_with_a_message(self):
        node = self.node_with_data()
        try:
            data = os.path.join(node.data_dir, "data.mdb")
            size = os.path.getsize(data)
            with open(data, "r+b") as f:
                f.truncate(size // 2)
            code, output = run_node_briefly(self.args_for(node))
            self.assertNotEqual(code, 0, output)
            self.assertGreater(code, 0, f"a signal ({code}), not an exit with a message")
            self.assertIn("truncated", output)
        finally:
            node.cleanup()

    def test_a_zero_length_data_file_is_refused_not_started_empty(self):
        node = self.node_with_data()
        try:
            open(os.path.join(node.data_dir, "data.mdb"), "w").close()
            code, output = run_node_briefly(self.args_for(node))
            self.assertGreater(code, 0, output)
            self.assertIn("empty", output)
        finally:
            node.cleanup()

    def test_a_second_node_on_the_same_data_directory_names_the_first(self):
        first = Node()
        first.start()
        try:
            code, output = run_node_briefly(self.args_for(first))
            self.assertGreater(code, 0, output)
            self.assertIn(f"PID {first.proc.pid}", output)
            self.assertEqual(first.api("GET", "/health")[0], 200, "the first node is unaffected")
        finally:
            first.stop()
            first.cleanup()


if __name__ == "__main__":
    unittest.main()
