"""Several managers (docs/cluster.md "Several managers"): two managers own partitions 0/2 and 1/2 of
the stations, each with its own store; one gateway in front of both. A station's messages are
handled and recorded by its partition's manager only, API calls reach it through that manager, and
the other manager refuses to register it."""

import os
import time
import unittest
import uuid

from cluster_harness import Cluster, Manager, log
from harness import V201, boot_201, now_iso, require_binary, wait_until
from payloads import id_token_201, meter_value, sv, tx_event

GET_VARIABLES = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
GET_VARIABLES_RESULT = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                               "component": {"name": "OCPPCommCtrlr"},
                                               "variable": {"name": "HeartbeatInterval"}}]}


def partition(station_id, partitions):
    """FNV-1a 64 of the id's UTF-8 bytes modulo the partition count (protocol/mqtt_envelope.hpp)."""
    h = 0xcbf29ce484222325
    for byte in station_id.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h % partitions


def station_in(wanted, partitions=2):
    while True:
        cs_id = "PT-" + uuid.uuid4().hex[:8]
        if partition(cs_id, partitions) == wanted:
            return cs_id


@require_binary
class PartitionedManagers(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(gateways=("gw1",), manager="m0", heartbeat_interval=42,
                              manager_args=["--partition", "0/2"]).start()
        cls.m0 = cls.cluster.manager
        # The second manager runs in this namespace and reaches the broker like the test does.
        cls.m1 = Manager(cls.cluster.mosquitto.url, "m1", data_dir=os.path.join(cls.cluster.root, "m1", "data"),
                         heartbeat_interval=42, extra_args=["--partition", "1/2"]).start()
        cls.gw = cls.cluster.gateway("gw1")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.m1.stop()
        finally:
            cls.m1.cleanup()
            cls.cluster.stop()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close(timeout=1)

    def register(self, manager, cs_id):
        before = self.gw.registry_size()
        manager.register_station(cs_id)
        self.gw.wait_registry(before + 1)

    def test_a_manager_refuses_stations_of_another_partition(self):
        cs_id = station_in(1)
        status, answer = self.m0.api("POST", f"/api/v0/cs/{cs_id}", {"securityProfile": 0})
        self.assertEqual(status, 421, answer)
        self.assertIn("belongs to partition 1 of 2", answer["error"] if isinstance(answer, dict) else answer)
        status, _ = self.m0.api("GET", f"/api/v0/cs/{cs_id}")
        self.assertEqual(status, 404)

    def test_each_station_is_handled_and_recorded_by_its_partitions_manager(self):
        token = "TOK" + uuid.uuid4().hex[:10]
        stations = {}
        for index, manager in ((0, self.m0), (1, self.m1)):
            manager.add_token(token)  # tokens live with each manager (docs/cluster.md)
            cs_id = station_in(index)
            self.register(manager, cs_id)
            client = self.gw.connect(cs_id, V201)
            self.clients.append(client)
            self.assertEqual(client.call("BootNotification", boot_201())["status"], "Accepted")
            stations[index] = (cs_id, client, manager)

        for index, (cs_id, client, manager) in stations.items():
            tx_id = "TX-" + uuid.uuid4().hex[:12]
            t0, t1 = now_iso(-60), now_iso(-1)
            started = client.call("TransactionEvent", tx_event(
                "Started", tx_id, 0, "Authorized", timestamp=t0, id_token=token, charging_state="Charging",
                meter=[meter_value(t0, sv(1000.0, context="Transaction.Begin"))]))
            self.assertEqual(started["idTokenInfo"]["status"], "Accepted", started)
            client.call("TransactionEvent", tx_event(
                "Ended", tx_id, 1, "StopAuthorized", timestamp=t1, id_token=token, stopped_reason="Local",
                charging_state="Idle", meter=[meter_value(t1, sv(3.0, unit="kWh", context="Transaction.End"))]))
            other = self.m1 if manager is self.m0 else self.m0
            record = manager.transaction(cs_id, tx_id)
            self.assertEqual((record["state"], record["events"]), ("ended", 2), record)
            status, _ = other.api("GET", f"/api/v0/cs/{cs_id}/transactions/{tx_id}")
            self.assertEqual(status, 404, f"partition {index}'s transaction must not be in the other store")
            self.assertIs(manager.station(cs_id)["online"], True)

            client.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
            t = time.monotonic()
            status, answer = manager.api("POST", f"/api/v0/cs/{cs_id}/call/GetVariables", GET_VARIABLES)
            self.assertEqual((status, answer), (200, GET_VARIABLES_RESULT))
            log(f"partition {index}: transaction recorded once, API call in {(time.monotonic() - t) * 1000:.1f} ms")

        wait_until(lambda: self.m0.metric("evbroker_manager_not_mine_total") > 0
                   and self.m1.metric("evbroker_manager_not_mine_total") > 0,
                   5, what="each manager saw and dropped the other's messages")


if __name__ == "__main__":
    unittest.main()
