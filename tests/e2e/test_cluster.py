"""Clustering over MQTT (docs/cluster.md): a Mosquitto broker, two gateways holding the station
websockets and one manager running the handlers, the store and the API, each a real process (in its
own network namespace where the machine allows it; see cluster_harness.py).

Stations on both gateways boot, authorize and charge; API calls reach them through either gateway;
what goes over the broker is MaEVe's envelope with the MQTT 5 properties; a MaEVe-shaped message
published by hand is answered; a broker restart keeps the websockets and traffic resumes; a killed
gateway's stations are ended by its will and carry on through the other gateway."""

import json
import time
import unittest
import uuid

import ocpp_schema
from cluster_harness import PREFIX, TRACEPARENT, Cluster, log, topic
from harness import V16, V201, boot_16, boot_201, now_iso, require_binary, seconds_from_now, wait_until
from ocpp_ws import CallError, UpgradeRefused
from payloads import id_token_201, meter_value, start_tx_16, stop_tx_16, sv, sv16, tx_event

GET_VARIABLES = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
GET_VARIABLES_RESULT = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                               "component": {"name": "OCPPCommCtrlr"},
                                               "variable": {"name": "HeartbeatInterval"}}]}
GET_CONFIGURATION_RESULT = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}


def refuse_reset(payload):
    raise CallError("NotSupported", "resets are disabled")


def new_tx_id():
    return "TX-" + uuid.uuid4().hex[:20]


@require_binary
class ClusterCase(unittest.TestCase):
    """One cluster (broker, manager m1, gateways gw1 and gw2) per test class."""

    gateway_ids = ("gw1", "gw2")
    heartbeat_interval = 42
    call_timeout = 5
    cluster = None
    _counter = 0
    _failed = False

    @classmethod
    def setUpClass(cls):
        cls._failed = False
        cls.cluster = Cluster(gateways=cls.gateway_ids, heartbeat_interval=cls.heartbeat_interval,
                              call_timeout=cls.call_timeout).start()
        cls.manager = cls.cluster.manager

    @classmethod
    def tearDownClass(cls):
        if cls.cluster is not None:
            if cls._failed:
                log(f"a test of {cls.__name__} failed; logs:\n{cls.cluster.logs()}")
            cls.cluster.stop(keep=cls._failed)
            cls.cluster = None

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close(timeout=1)

    def run(self, result=None):
        # Remember a failure of any test of the class: its cluster's files are then kept and the
        # node logs printed (tearDownClass).
        before = len(result.failures) + len(result.errors) if result is not None else 0
        outcome = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
        return outcome

    # -- helpers ---------------------------------------------------------------------------------
    def gw(self, node_id):
        return self.cluster.gateway(node_id)

    def unique_id(self, prefix="CL"):
        ClusterCase._counter += 1
        return f"{prefix}{ClusterCase._counter}-{uuid.uuid4().hex[:6]}"

    def connect(self, gateway, cs_id, protocol, password=None):
        client = self.gw(gateway).connect(cs_id, protocol, password=password)
        self.clients.append(client)
        self.assertEqual(client.subprotocol, protocol)
        return client

    def station(self, gateway, protocol, booted=True):
        """Registers a new station (profile 0, Basic auth) on the manager, waits until the gateways
        know it, connects it to `gateway` and optionally boots it. Its password is client.password."""
        cs_id = self.unique_id()
        password = "pw-" + cs_id
        self.cluster.register_station(cs_id, password=password)
        client = self.connect(gateway, cs_id, protocol, password=password)
        client.password = password
        if booted:
            answer = self.call_ok(client, "BootNotification", boot_16() if protocol == V16 else boot_201())
            self.assertEqual(answer["status"], "Accepted", answer)
        return client

    def call_ok(self, client, action, payload, timeout=5, message_id=None):
        """A CALL that must get a CALLRESULT valid against the action's response schema."""
        try:
            answer = client.call(action, payload, timeout=timeout, message_id=message_id)
        except CallError as e:
            self.fail(f"{client.station_id} {action}: CALLERROR {e.code} {e.description!r} {e.details}")
        errors = ocpp_schema.response_errors(client.subprotocol, action, answer)
        self.assertEqual(errors, [], f"{action} answer {answer} breaks the response schema")
        return answer

    def assertApi(self, expected_status, method, path, body=None):
        status, answer = self.manager.api(method, path, body)
        self.assertEqual(status, expected_status, f"{method} {path} -> {status} {answer!r}")
        return answer

    def transactions_of(self, cs_id):
        return [t["transactionId"] for t in self.assertApi(200, "GET", f"/api/v0/transactions?csId={cs_id}&limit=100")]

    def wait_online(self, cs_id, online, timeout=15):
        t0 = time.monotonic()
        wait_until(lambda: self.manager.station(cs_id)["online"] is online, timeout,
                   what=f"{cs_id} online={online} on the manager")
        return time.monotonic() - t0

    def run_transaction_201(self, client, token, tx_id):
        t0, t1, t2 = now_iso(-120), now_iso(-60), now_iso(-1)
        events = [
            tx_event("Started", tx_id, 0, "Authorized", timestamp=t0, id_token=token, charging_state="Charging",
                     meter=[meter_value(t0, sv(1000.0, context="Transaction.Begin"))]),
            tx_event("Updated", tx_id, 1, "MeterValuePeriodic", timestamp=t1, charging_state="Charging",
                     meter=[meter_value(t1, sv(2.5, unit="kWh", context="Sample.Periodic"),
                                        sv(7360, "Power.Active.Import", "W", "Sample.Periodic"))]),
            tx_event("Ended", tx_id, 2, "StopAuthorized", timestamp=t2, id_token=token, stopped_reason="Local",
                     charging_state="Idle", meter=[meter_value(t2, sv(8.0, unit="kWh", context="Transaction.End"))]),
        ]
        for event in events:
            answer = self.call_ok(client, "TransactionEvent", event)
            if "idToken" in event:
                self.assertEqual(answer.get("idTokenInfo", {}).get("status"), "Accepted", answer)
        return events


class ClusterTraffic(ClusterCase):

    def test_stations_on_both_gateways_boot_authorize_and_charge(self):
        token = self.unique_id("TOK")[:20]
        self.manager.add_token(token)
        a = self.station("gw1", V201, booted=False)
        b = self.station("gw2", V16, booted=False)

        # boot: Accepted with the manager's interval
        boot_a, boot_b = boot_201(serial="SN-A"), boot_16()
        for client, boot in ((a, boot_a), (b, boot_b)):
            answer = self.call_ok(client, "BootNotification", boot)
            self.assertEqual((answer["status"], answer["interval"]), ("Accepted", 42), answer)
            self.assertLess(abs(seconds_from_now(answer["currentTime"])), 30, answer)

        # authorize from the manager's token store
        self.assertEqual(self.call_ok(a, "Authorize", {"idToken": id_token_201(token)})["idTokenInfo"]["status"], "Accepted")
        self.assertEqual(self.call_ok(a, "Authorize", {"idToken": id_token_201("NOPE-" + token)})["idTokenInfo"]["status"],
                         "Unknown")
        self.assertEqual(self.call_ok(b, "Authorize", {"idTag": token})["idTagInfo"]["status"], "Accepted")
        self.assertEqual(self.call_ok(b, "Authorize", {"idTag": "NO" + token[:18]})["idTagInfo"]["status"], "Invalid")

        # a 2.0.1 transaction through gw1
        tx_a = new_tx_id()
        t0 = time.monotonic()
        self.run_transaction_201(a, token, tx_a)
        # a 1.6 transaction through gw2
        started = self.call_ok(b, "StartTransaction", start_tx_16(1, token, 1000, now_iso(-300)))
        self.assertEqual(started["idTagInfo"]["status"], "Accepted", started)
        tx_b = started["transactionId"]
        self.call_ok(b, "MeterValues", {"connectorId": 1, "transactionId": tx_b, "meterValue": [
            {"timestamp": now_iso(-200), "sampledValue": [sv16(2500), sv16("7400", "Power.Active.Import", "W")]}]})
        stopped = self.call_ok(b, "StopTransaction", stop_tx_16(tx_b, 8000, token, "Local", now_iso(-1)))
        self.assertEqual(stopped.get("idTagInfo", {}).get("status"), "Accepted", stopped)
        log(f"two transactions (7 CALLs) through the gateways in {time.monotonic() - t0:.3f}s")

        # the manager has each transaction exactly once, complete
        record_a = self.manager.transaction(a.station_id, tx_a)
        self.assertEqual((record_a["csId"], record_a["protocol"], record_a["state"]), (a.station_id, V201, "ended"))
        self.assertEqual((record_a["idToken"], record_a["events"], record_a["lastSeqNo"]), (token, 3, 2))
        self.assertAlmostEqual(record_a["energyWh"], 7000, delta=0.5)
        self.assertEqual(self.transactions_of(a.station_id), [tx_a])
        record_b = self.manager.transaction(b.station_id, tx_b)
        self.assertEqual((record_b["csId"], record_b["protocol"], record_b["state"]), (b.station_id, V16, "ended"))
        self.assertEqual((record_b["meterStartWh"], record_b["meterStopWh"], record_b["energyWh"]), (1000, 8000, 7000))
        self.assertEqual(self.transactions_of(b.station_id), [str(tx_b)])

        # and shows both stations connected, with what they said at boot
        for client, protocol, boot in ((a, V201, boot_a), (b, V16, boot_b)):
            view = self.manager.station(client.station_id)
            self.assertIs(view["online"], True, view)
            self.assertEqual(view["protocol"], protocol)
            self.assertEqual(view["boot"], boot)
        self.assertGreaterEqual(self.gw("gw1").connections(), 1)
        self.assertGreaterEqual(self.gw("gw2").connections(), 1)

    def test_gateways_check_upgrades_against_the_managers_records(self):
        cs = self.unique_id()
        self.cluster.register_station(cs, password="right")
        for gw in self.gateway_ids:
            with self.subTest(gateway=gw):
                for station_id, password, expected in ((self.unique_id("UNKNOWN"), None, 404), (cs, "wrong", 401),
                                                       (cs, None, 401)):
                    with self.assertRaises(UpgradeRefused) as ctx:
                        self.connect(gw, station_id, V201, password=password)
                    self.assertEqual(ctx.exception.status, expected, ctx.exception.body)
                client = self.connect(gw, cs, V201, password="right")
                self.assertEqual(self.call_ok(client, "BootNotification", boot_201())["status"], "Accepted")
                client.close()
        # the gateway's HTTP port is health and metrics only
        status, body = self.gw("gw1").api("GET", "/api/v0/cs")
        self.assertEqual(status, 404, body)
        self.assertEqual(self.gw("gw1").health()[1]["role"], "gateway")
        self.assertEqual(self.manager.health()[1]["role"], "manager")

    def test_api_calls_reach_stations_on_either_gateway(self):
        a = self.station("gw1", V201)
        b = self.station("gw2", V16)
        a.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
        a.on_call("Reset", lambda p: {"status": "Scheduled" if p["type"] == "OnIdle" else "Accepted"})
        b.on_call("GetConfiguration", lambda p: GET_CONFIGURATION_RESULT)
        b.on_call("Reset", lambda p: {"status": "Rejected" if p["type"] == "Hard" else "Accepted"})
        cases = ((a, "GetVariables", GET_VARIABLES, GET_VARIABLES_RESULT),
                 (a, "Reset", {"type": "OnIdle"}, {"status": "Scheduled"}),
                 (b, "GetConfiguration", {"key": ["HeartbeatInterval"]}, GET_CONFIGURATION_RESULT),
                 (b, "Reset", {"type": "Hard"}, {"status": "Rejected"}))
        for client, action, body, expected in cases:
            with self.subTest(station=client.subprotocol, action=action):
                start = len(client.received_calls)
                t0 = time.monotonic()
                status, answer = self.manager.api("POST", f"/api/v0/cs/{client.station_id}/call/{action}", body)
                elapsed = time.monotonic() - t0
                self.assertEqual((status, answer), (200, expected))
                self.assertEqual(client.wait_for_call(action, start=start, timeout=1).payload, body,
                                 "the payload reaches the station as given")
                log(f"API {action} to a {client.subprotocol} station: {elapsed * 1000:.1f} ms round trip")
        # a station's CALLERROR comes back as the API's 502 with its fields
        a.on_call("Reset", refuse_reset)
        status, answer = self.manager.api("POST", f"/api/v0/cs/{a.station_id}/call/Reset", {"type": "Immediate"})
        self.assertEqual(status, 502, answer)
        self.assertEqual((answer.get("error_code"), answer.get("error_description")),
                         ("NotSupported", "resets are disabled"), answer)

    def test_wire_format_on_the_broker(self):
        wire = self.cluster.observer()
        for gw in self.gateway_ids:
            status = wire.wait_for(lambda m: m.topic == f"{PREFIX}/gateway/{gw}/status", what=f"{gw}'s status")
            self.assertEqual((status.payload, status.retain), ("online", True), status)

        # the registry record the gateways learn, without the password
        cs = self.unique_id()
        password = "wire-secret-" + cs
        mark = wire.mark()
        self.cluster.register_station(cs, password=password)
        record = wire.wait_for(lambda m: m.topic == f"{PREFIX}/registry/{cs}", start=mark, what="registry record")
        self.assertIsInstance(record.json, dict, record)
        self.assertNotIn(password, record.payload)

        # the connection event
        mark = wire.mark()
        client = self.connect("gw1", cs, V201, password=password)
        event = wire.wait_for(lambda m: m.topic == topic("event", V201, cs), start=mark, what="connected event")
        self.assertEqual((event.json["event"], event.json["gateway"]), ("connected", "gw1"), event)
        session = event.json["session"]
        self.assertTrue(session.startswith("gw1/"), event)

        # a station CALL: type 2 on in, type 3 on out, one trace context
        mark = wire.mark()
        boot = boot_201()
        msg_id = "wire-" + uuid.uuid4().hex[:8]
        t0 = time.monotonic()
        answer = self.call_ok(client, "BootNotification", boot, message_id=msg_id)
        elapsed = time.monotonic() - t0
        call = wire.wait_for(lambda m: m.topic == topic("in", V201, cs) and (m.json or {}).get("id") == msg_id,
                             start=mark, what="the CALL on in")
        self.assertEqual(call.json, {"type": 2, "action": "BootNotification", "id": msg_id, "request": boot})
        self.assertEqual(call.content_type, "application/json")
        self.assertRegex(call.correlation_data or "", TRACEPARENT)
        self.assertEqual(call.response_topic, topic("out", V201, cs))
        self.assertEqual(call.user_properties.get("gateway"), "gw1", call)
        self.assertEqual(call.user_properties.get("session"), session, call)
        connected_at = call.user_properties.get("connected-at", "")
        self.assertRegex(connected_at, r"^\d+$", call)
        self.assertLess(abs(int(connected_at) / 1000 - time.time()), 120, "connected-at is unix ms of the upgrade")
        result = wire.wait_for(lambda m: m.topic == topic("out", V201, cs) and (m.json or {}).get("id") == msg_id,
                               start=mark, what="the CALLRESULT on out")
        self.assertEqual(result.json, {"type": 3, "action": "BootNotification", "id": msg_id, "response": answer})
        self.assertEqual(result.content_type, "application/json")
        self.assertEqual(result.correlation_data, call.correlation_data, "the answer carries the call's trace context")
        log(f"station CALL through gw1 and the broker: {elapsed * 1000:.1f} ms")

        # a CSMS call: type 2 on out; the station's answer on in has request and response
        client.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
        mark = wire.mark()
        self.assertEqual(self.manager.api("POST", f"/api/v0/cs/{cs}/call/GetVariables", GET_VARIABLES),
                         (200, GET_VARIABLES_RESULT))
        csms_id = client.calls_of("GetVariables")[-1].message_id
        out_call = wire.wait_for(lambda m: m.topic == topic("out", V201, cs) and (m.json or {}).get("id") == csms_id,
                                 start=mark, what="the CSMS call on out")
        self.assertEqual(out_call.json, {"type": 2, "action": "GetVariables", "id": csms_id, "request": GET_VARIABLES})
        self.assertEqual(out_call.content_type, "application/json")
        self.assertRegex(out_call.correlation_data or "", TRACEPARENT)
        self.assertEqual(out_call.response_topic, topic("in", V201, cs))
        in_answer = wire.wait_for(lambda m: m.topic == topic("in", V201, cs) and (m.json or {}).get("id") == csms_id,
                                  start=mark, what="the station's answer on in")
        self.assertEqual(in_answer.json, {"type": 3, "action": "GetVariables", "id": csms_id,
                                          "request": GET_VARIABLES, "response": GET_VARIABLES_RESULT})
        self.assertEqual(in_answer.content_type, "application/json")
        self.assertEqual(in_answer.correlation_data, out_call.correlation_data)
        self.assertEqual(in_answer.user_properties.get("gateway"), "gw1", in_answer)

        # a station's CALLERROR to a CSMS call: type 4 with the error fields and the request
        client.on_call("Reset", refuse_reset)
        mark = wire.mark()
        status, body = self.manager.api("POST", f"/api/v0/cs/{cs}/call/Reset", {"type": "Immediate"})
        self.assertEqual(status, 502, body)
        error = wire.wait_for(lambda m: m.topic == topic("in", V201, cs) and (m.json or {}).get("type") == 4,
                              start=mark, what="the CALLERROR on in")
        self.assertEqual((error.json["action"], error.json["error_code"], error.json["error_description"]),
                         ("Reset", "NotSupported", "resets are disabled"), error)
        self.assertEqual(error.json.get("request"), {"type": "Immediate"}, error)
        self.assertNotIn("response", error.json)

    def test_maeve_shaped_envelope_is_answered(self):
        cs = self.unique_id("MAEVE")
        self.cluster.register_station(cs)
        wire = self.cluster.observer()
        out = topic("out", V201, cs)
        mark = wire.mark()
        # what MaEVe's gateway publishes: the envelope on the in topic, no user properties. The station
        # boots first: what it sends before its first boot is refused (B02.FR.09).
        self.cluster.publish(topic("in", V201, cs), {"type": 2, "action": "BootNotification", "id": "maeve-0",
                                                     "request": boot_201()})
        booted = wire.wait_for(lambda m: m.topic == out and (m.json or {}).get("id") == "maeve-0", timeout=10,
                               start=mark, what="the manager's answer to maeve-0")
        self.assertEqual(booted.json.get("response", {}).get("status"), "Accepted", booted)
        t0 = time.monotonic()
        self.cluster.publish(topic("in", V201, cs), {"type": 2, "action": "Heartbeat", "id": "maeve-1", "request": {}})
        answer = wire.wait_for(lambda m: m.topic == out and (m.json or {}).get("id") == "maeve-1", timeout=10,
                               start=mark, what="the manager's answer to maeve-1")
        log(f"MaEVe-shaped Heartbeat answered in {time.monotonic() - t0:.3f}s (incl. mosquitto_pub start)")
        self.assertEqual(answer.json.get("type"), 3, answer)
        self.assertIn("currentTime", answer.json.get("response", {}), answer)
        self.assertLess(abs(seconds_from_now(answer.json["response"]["currentTime"])), 30, answer)
        self.assertEqual(answer.content_type, "application/json")
        # with a trace context in CorrelationData, the answer carries it back
        trace = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
        self.cluster.publish(topic("in", V201, cs), {"type": 2, "action": "Heartbeat", "id": "maeve-2", "request": {}},
                             content_type="application/json", correlation_data=trace)
        answer = wire.wait_for(lambda m: m.topic == out and (m.json or {}).get("id") == "maeve-2", timeout=10,
                               start=mark, what="the manager's answer to maeve-2")
        self.assertEqual(answer.json.get("type"), 3, answer)
        self.assertEqual(answer.correlation_data, trace, answer)


    def test_deep_json_neither_kills_a_gateway_nor_the_manager(self):
        """Issue 12, item 1: a CALLERROR with 60,000 nested arrays in its details killed the gateway."""
        client = self.station("gw1", V201)
        deep = "[" * 60000 + "1" + "]" * 60000
        client.send_raw(f'[4,"no-such-call","GenericError","x",{{"d":{deep}}}]')
        client.send_raw(f'[2,"deep","DataTransfer",{{"vendorId":"v","data":{deep}}}]')
        answer = json.loads(client.recv_raw(timeout=10))
        self.assertEqual(answer[:3], [4, "deep", "FormatViolation"], answer)
        self.call_ok(client, "Heartbeat", {})
        self.assertEqual(self.gw("gw1").health()[0], 200)
        # An envelope published by hand with the same depth reaches the manager, which drops it.
        cs = self.unique_id("DEEP")
        self.cluster.register_station(cs)
        self.cluster.publish(topic("in", V201, cs), '{"type":2,"action":"DataTransfer","id":"d1","request":'
                                                    '{"vendorId":"v","data":' + deep + "}}")
        self.assertEqual(self.manager.api("GET", "/health")[0], 200)
        self.call_ok(client, "Heartbeat", {})


class BrokerRestart(ClusterCase):

    def test_broker_restart_keeps_the_websockets_and_traffic_resumes(self):
        c = self.cluster
        gw1, gw2 = self.gw("gw1"), self.gw("gw2")
        token = self.unique_id("TOK")[:20]
        self.manager.add_token(token)
        a = self.station("gw1", V201)
        b = self.station("gw2", V16)
        later = self.unique_id("LATER")
        c.register_station(later, password="later-pw")
        tx_id = new_tx_id()
        self.call_ok(a, "TransactionEvent", tx_event("Started", tx_id, 0, "Authorized", id_token=token,
                                                     meter=[meter_value(now_iso(), sv(1000.0))]))
        refused_before = gw1.metric("evbroker_gateway_refused_link_down_total") or 0

        # the broker goes away
        stopped_in = c.mosquitto.stop()
        t0 = time.monotonic()
        noticed = {gw.node_id: gw.wait_health(503, 10, lambda body: body.get("status") == "MQTT_DOWN")
                   for gw in (gw1, gw2)}
        self.manager.wait_health(503, 10)
        log(f"broker stopped in {stopped_in:.2f}s; gateways noticed after "
            + ", ".join(f"{k} {v:.2f}s" for k, v in noticed.items())
            + f"; manager after {time.monotonic() - t0:.2f}s")
        updated = tx_event("Updated", tx_id, 1, "MeterValuePeriodic", meter=[meter_value(now_iso(), sv(4000.0))])
        for client, action, payload in ((a, "Heartbeat", {}), (a, "TransactionEvent", updated), (b, "Heartbeat", {})):
            with self.subTest(station=client.subprotocol, action=action):
                started = time.monotonic()
                with self.assertRaises(CallError, msg=f"{action} got a CALLRESULT without the broker") as ctx:
                    client.call(action, payload, timeout=5)
                elapsed = time.monotonic() - started
                self.assertEqual(ctx.exception.code, "InternalError", ctx.exception.description)
                self.assertLess(elapsed, 2.0, "the CALLERROR comes at once, not after a timeout")
                log(f"{action} during the outage: CALLERROR {ctx.exception.code} in {elapsed * 1000:.1f} ms "
                    f"({ctx.exception.description!r})")
        self.assertFalse(a.closed_event.is_set(), f"gw1 closed the websocket: {a.close_code} {a.close_reason}")
        self.assertFalse(b.closed_event.is_set(), f"gw2 closed the websocket: {b.close_code} {b.close_reason}")
        self.assertGreaterEqual(gw1.metric("evbroker_gateway_refused_link_down_total"), refused_before + 2)
        with self.assertRaises(UpgradeRefused) as ctx:
            self.connect("gw2", later, V201, password="later-pw")
        self.assertEqual(ctx.exception.status, 503, ctx.exception.body)

        # the broker is back on the same port
        t0 = time.monotonic()
        c.mosquitto.start()
        back = {node.node_id: node.wait_health(200, 30) for node in (self.manager, gw1, gw2)}
        log("broker restarted; /health 200 after " + ", ".join(f"{k} {v:.2f}s" for k, v in back.items()))
        self.assertFalse(a.closed_event.is_set(), f"gw1 closed the websocket: {a.close_code} {a.close_reason}")
        self.assertFalse(b.closed_event.is_set(), f"gw2 closed the websocket: {b.close_code} {b.close_reason}")
        # the same websockets carry on
        t1 = time.monotonic()
        self.assertLess(abs(seconds_from_now(self.call_ok(a, "Heartbeat", {})["currentTime"])), 30)
        log(f"first CALL after the restart answered in {time.monotonic() - t1:.3f}s "
            f"({time.monotonic() - t0:.2f}s after starting the broker)")
        self.call_ok(b, "Heartbeat", {})
        self.call_ok(a, "TransactionEvent", updated)  # the station's retry of the refused event
        self.call_ok(a, "TransactionEvent", tx_event("Ended", tx_id, 2, "StopAuthorized", id_token=token,
                                                     stopped_reason="Local",
                                                     meter=[meter_value(now_iso(), sv(9000.0))]))
        self.call_ok(b, "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": now_iso(),
                                                                           "sampledValue": [sv16(1234)]}]})
        record = self.manager.transaction(a.station_id, tx_id)
        self.assertEqual((record["state"], record["events"], record["lastSeqNo"]), ("ended", 3, 2), record)
        self.assertAlmostEqual(record["energyWh"], 8000, delta=0.5)
        self.assertEqual(self.transactions_of(a.station_id), [tx_id])
        self.assertEqual((gw1.connections(), gw2.connections()), (1, 1), "no station had to reconnect")
        for client in (a, b):
            self.assertIs(self.manager.station(client.station_id)["online"], True)
        # and new upgrades are accepted again
        late = self.connect("gw2", later, V201, password="later-pw")
        self.assertEqual(self.call_ok(late, "BootNotification", boot_201())["status"], "Accepted")


class GatewayLoss(ClusterCase):

    def test_a_killed_gateways_stations_move_to_the_other_gateway(self):
        gw1, gw2 = self.gw("gw1"), self.gw("gw2")
        token = self.unique_id("TOK")[:20]
        self.manager.add_token(token)
        a = self.station("gw1", V201)
        b = self.station("gw2", V16)
        tx_id = new_tx_id()
        self.run_transaction_201(a, token, tx_id)
        self.assertEqual(self.transactions_of(a.station_id), [tx_id])
        wire = self.cluster.observer()
        mark = wire.mark()

        # gw1 dies without a word
        gw1.kill9()
        t0 = time.monotonic()
        will = wire.wait_for(lambda m: m.topic == f"{PREFIX}/gateway/gw1/status" and m.payload == "offline",
                             start=mark, timeout=10, what="gw1's will")
        will_after = time.monotonic() - t0
        self.assertTrue(a.closed_event.wait(5), "the station's websocket to the killed gateway is gone")
        self.wait_online(a.station_id, False, 15)
        offline_after = time.monotonic() - t0
        log(f"gw1 SIGKILLed: will seen after {will_after:.3f}s, station offline on the manager after {offline_after:.3f}s")
        # the will is retained: whoever subscribes later learns that gw1 is offline and gw2 online
        status = self.cluster.observer(topics=(f"{PREFIX}/gateway/+/status",))
        for gw, expected in (("gw1", "offline"), ("gw2", "online")):
            retained = status.wait_for(lambda m: m.topic == f"{PREFIX}/gateway/{gw}/status", what=f"{gw}'s status")
            self.assertEqual((retained.payload, retained.retain), (expected, True), retained)
        started = time.monotonic()
        status, body = self.manager.api("POST", f"/api/v0/cs/{a.station_id}/call/Reset", {"type": "Immediate"})
        self.assertEqual(status, 409, f"a call to a station whose gateway died: {status} {body!r}")
        self.assertLess(time.monotonic() - started, 3, "answered at once, not after the call timeout")
        # the other gateway's station is untouched
        self.call_ok(b, "Heartbeat", {})
        self.assertIs(self.manager.station(b.station_id)["online"], True)

        # the station comes back through gw2
        t1 = time.monotonic()
        again = self.connect("gw2", a.station_id, V201, password=a.password)
        self.assertEqual(self.call_ok(again, "BootNotification", boot_201())["status"], "Accepted")
        self.wait_online(a.station_id, True, 5)
        log(f"station reconnected and booted through gw2 in {time.monotonic() - t1:.3f}s")
        again.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
        self.assertEqual(self.manager.api("POST", f"/api/v0/cs/{a.station_id}/call/GetVariables", GET_VARIABLES),
                         (200, GET_VARIABLES_RESULT))
        self.assertEqual(again.wait_for_call("GetVariables", timeout=1).payload, GET_VARIABLES)
        self.assertEqual(gw2.connections(), 2)
        # what it did before is still there, once
        self.assertEqual(self.transactions_of(a.station_id), [tx_id])
        record = self.manager.transaction(a.station_id, tx_id)
        self.assertEqual((record["state"], record["events"]), ("ended", 3), record)


if __name__ == "__main__":
    unittest.main()
