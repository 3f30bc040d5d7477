"""Local authorization lists kept by the node (issue 14 item 6; OCPP 2.0.1 D01/D02, 1.6 Local Auth List
Management): a token's `localList` names the stations that hold it (all, groups, stations); the node sends each
station Full or Differential SendLocalLists by itself after its boot, when a token changes and when asked, within
the limits the station reports, and GET /api/v0/cs/{csId}/local-list shows what the station holds."""

import threading
import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, boot, require_binary, token_body, wait_until
from ocpp_ws import CallError


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


class ListStation:
    """A station's local list as a real one keeps it: Full replaces it, Differential adds, changes and removes
    (an entry without idTokenInfo / idTagInfo), each accepted update sets the version. `answer` overrides the
    SendLocalList answer (a status, or a function of the payload); `limits` are what GetVariables (2.0.1
    ItemsPerMessage, BytesPerMessage) or GetConfiguration (1.6 SendLocalListMaxLength, LocalAuthListMaxLength)
    report."""

    def __init__(self, client, version=0, limits=None, answer=None):
        self.client = client
        self.v16 = client.subprotocol == V16
        self.version = version
        self.entries = {}
        self.limits = limits or {}
        self.answer = answer
        self.lock = threading.Lock()
        client.on_call("GetLocalListVersion", self.get_version)
        client.on_call("SendLocalList", self.send_local_list)
        client.on_call("GetVariables", self.get_variables)
        client.on_call("GetConfiguration", self.get_configuration)

    def get_version(self, _payload):
        with self.lock:
            return {"listVersion" if self.v16 else "versionNumber": self.version}

    def send_local_list(self, payload):
        answer = self.answer(payload) if callable(self.answer) else self.answer
        if answer and answer != "Accepted":
            return {"status": answer}
        with self.lock:
            if payload["updateType"] == "Full":
                self.entries = {}
            for entry in payload.get("localAuthorizationList", []):
                uid = entry["idTag"] if self.v16 else entry["idToken"]["idToken"]
                info = entry.get("idTagInfo" if self.v16 else "idTokenInfo")
                if info is None:
                    self.entries.pop(uid, None)
                else:
                    self.entries[uid] = info["status"]
            self.version = payload["listVersion" if self.v16 else "versionNumber"]
        return {"status": "Accepted"}

    def get_variables(self, payload):
        results = []
        for data in payload["getVariableData"]:
            name = data["variable"]["name"]
            result = {"component": data["component"], "variable": data["variable"]}
            if name in self.limits:
                result.update(attributeStatus="Accepted", attributeValue=str(self.limits[name]))
            else:
                result["attributeStatus"] = "UnknownVariable"
            results.append(result)
        return {"getVariableResult": results}

    def get_configuration(self, payload):
        keys = [{"key": k, "readonly": True, "value": str(self.limits[k])} for k in payload["key"] if k in self.limits]
        unknown = [k for k in payload["key"] if k not in self.limits]
        return {"configurationKey": keys, "unknownKey": unknown}

    def held(self):
        with self.lock:
            return dict(self.entries)

    def sent(self):
        return [c.payload for c in self.client.calls_of("SendLocalList")]


@require_binary
class LocalLists(NodeTestCase):
    call_timeout = 3

    def set_token(self, uid, scope, **extra):
        body = token_body(uid, **extra)
        if scope is not None:
            body["localList"] = scope
        self.assertApi(201, "POST", "/api/v0/token", body)
        return body

    def register(self, cs, groups=None):
        body = {"securityProfile": 0}
        if groups is not None:
            body["groups"] = groups
        self.assertApi(201, "POST", path(cs), body)

    def list_state(self, cs):
        return self.assertApi(200, "GET", path(cs, "/local-list"))

    def synced(self, cs, **expected):
        def check():
            state = self.list_state(cs)
            return state if state["state"] == "synced" and all(state.get(k) == v for k, v in expected.items()) \
                else None
        return wait_until(check, timeout=8, what=f"{cs}'s list synced with {expected}")

    def booted_station(self, cs, protocol, **kw):
        client = self.connect(cs, protocol)
        station = ListStation(client, **kw)
        boot(client)
        return station

    def test_tc_d_01_a_booted_station_gets_its_tokens_as_a_full_list(self):
        cs = self.unique_id()
        self.register(cs)
        self.set_token(self.unique_id("TOK"), {"stations": [cs]})
        blocked = self.unique_id("TOK")
        self.set_token(blocked, {"stations": [cs]}, valid=False)
        self.assertEqual(self.list_state(cs)["state"], "pending")  # assigned, the station not seen yet

        station = self.booted_station(cs, V201, limits={"ItemsPerMessage": 10})
        state = self.synced(cs, listVersion=1)
        self.assertEqual(len(station.held()), 2)
        self.assertEqual(station.held()[blocked], "Blocked")
        self.assertEqual(station.version, 1)
        self.assertEqual([p["updateType"] for p in station.sent()], ["Full"])
        self.assertEqual(len(station.client.calls_of("GetLocalListVersion")), 1)
        self.assertEqual(state["stationVersion"], 0)
        self.assertEqual(state["waiting"], 0)
        self.assertEqual(state["limits"], {"itemsPerMessage": 10})
        self.assertEqual(sorted(e["idTag"] for e in state["localAuthorizationList"]), sorted(station.held()))

    def test_tc_d_02_tc_d_03_a_blocked_and_a_deleted_token_go_as_differential_updates(self):
        cs = self.unique_id()
        self.register(cs)
        keep, block, gone = (self.unique_id("TOK") for _ in range(3))
        for uid in (keep, block, gone):
            self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201)
        self.synced(cs, listVersion=1)

        self.set_token(block, {"stations": [cs]}, valid=False)
        self.synced(cs, listVersion=2)
        self.assertEqual(station.sent()[-1]["updateType"], "Differential")
        self.assertEqual(station.sent()[-1]["localAuthorizationList"],
                         [{"idToken": {"idToken": block, "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}}])

        self.assertIsNone(self.assertApi(204, "DELETE", "/api/v0/token/" + gone))
        self.synced(cs, listVersion=3)
        # D01.FR.17: a removal carries no idTokenInfo.
        self.assertEqual(station.sent()[-1], {"versionNumber": 3, "updateType": "Differential",
                                              "localAuthorizationList": [{"idToken": {"idToken": gone,
                                                                                      "type": "Central"}}]})
        self.assertEqual(station.held(), {keep: "Accepted", block: "Blocked"})

    def test_tc_d_04_a_list_emptied_is_sent_as_an_empty_full_update(self):
        cs = self.unique_id()
        self.register(cs)
        uid = self.unique_id("TOK")
        self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201)
        self.synced(cs, listVersion=1)
        self.set_token(uid, None)  # no longer assigned
        self.synced(cs, listVersion=2)
        self.assertEqual(station.sent()[-1], {"versionNumber": 2, "updateType": "Full"})
        self.assertEqual(station.held(), {})

    def test_tc_d_08_a_station_reporting_another_version_at_boot_gets_the_whole_list_again(self):
        cs = self.unique_id()
        self.register(cs)
        uid = self.unique_id("TOK")
        self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201)
        self.synced(cs, listVersion=1)
        station.client.close()

        # The station lost its list (a reset to factory settings) and comes back at version 0.
        again = self.booted_station(cs, V201, version=0)
        self.synced(cs, listVersion=2, stationVersion=0)
        self.assertEqual([p["updateType"] for p in again.sent()], ["Full"])
        self.assertEqual(again.held(), {uid: "Accepted"})

        # Comes back with the node's version: nothing is sent.
        again.client.close()
        third = self.booted_station(cs, V201, version=2)
        third.client.wait_for_call("GetLocalListVersion", timeout=5)
        self.synced(cs, listVersion=2, stationVersion=2)
        self.assertEqual(third.sent(), [])

    def test_a_version_mismatch_is_answered_with_the_whole_list(self):
        cs = self.unique_id()
        self.register(cs)
        station = self.booted_station(cs, V201)
        self.set_token(self.unique_id("TOK"), {"stations": [cs]})
        self.synced(cs, listVersion=1)
        station.answer = lambda p: "VersionMismatch" if p["updateType"] == "Differential" else "Accepted"
        station.version = 7  # changed behind the node's back
        self.set_token(self.unique_id("TOK"), {"stations": [cs]})
        self.synced(cs, listVersion=8, stationVersion=7)
        self.assertEqual([p["updateType"] for p in station.sent()], ["Full", "Differential", "Full"])
        self.assertEqual(len(station.held()), 2)

    def test_a_failed_update_is_shown_and_the_next_one_is_full(self):
        cs = self.unique_id()
        self.register(cs)
        station = self.booted_station(cs, V201, answer="Failed")
        self.set_token(self.unique_id("TOK"), {"stations": [cs]})
        state = wait_until(lambda: (s := self.list_state(cs))["state"] == "failed" and s, timeout=8,
                           what="the list failed")
        self.assertIn("Failed", state["detail"])
        self.assertEqual(state["waiting"], 1)
        station.answer = None
        self.assertEqual(self.assertApi(202, "POST", path(cs, "/local-list/sync")), {"status": "Accepted"})
        self.synced(cs, listVersion=1)
        self.assertEqual(len(station.held()), 1)

    def test_d01_fr_11_a_list_over_items_per_message_is_split(self):
        cs = self.unique_id()
        self.register(cs)
        uids = [self.unique_id("TOK") for _ in range(5)]
        for uid in uids:
            self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201, limits={"ItemsPerMessage": 2})
        self.synced(cs, listVersion=3)
        sent = station.sent()
        self.assertEqual([p["updateType"] for p in sent], ["Full", "Differential", "Differential"])
        self.assertEqual([len(p["localAuthorizationList"]) for p in sent], [2, 2, 1])
        self.assertEqual(sorted(station.held()), sorted(uids))

    def test_1_6_limits_from_get_configuration_and_id_tag_info(self):
        cs = self.unique_id()
        self.register(cs)
        uids = [self.unique_id("T") for _ in range(3)]
        for uid in uids:
            self.set_token(uid, {"stations": [cs]}, groupId="FLEET")
        station = self.booted_station(cs, V16, limits={"SendLocalListMaxLength": 2, "LocalAuthListMaxLength": 10})
        state = self.synced(cs, listVersion=2)
        self.assertEqual(state["limits"], {"itemsPerMessage": 2, "maxEntries": 10})
        sent = station.sent()
        self.assertEqual([p["updateType"] for p in sent], ["Full", "Differential"])
        self.assertEqual(sent[0]["localAuthorizationList"][0]["idTagInfo"], {"status": "Accepted", "parentIdTag": "FLEET"})
        self.assertEqual(sorted(station.held()), sorted(uids))

    def test_more_tokens_than_the_station_holds_are_refused_not_sent(self):
        cs = self.unique_id()
        self.register(cs)
        for _ in range(3):
            self.set_token(self.unique_id("T"), {"stations": [cs]})
        station = self.booted_station(cs, V16, limits={"LocalAuthListMaxLength": 2})
        state = wait_until(lambda: (s := self.list_state(cs))["state"] == "refused" and s, timeout=8,
                           what="the list refused")
        self.assertIn("at most 2", state["detail"])
        self.assertEqual(station.sent(), [])

    def test_a_station_without_local_lists_is_shown_unsupported(self):
        cs = self.unique_id()
        self.register(cs)

        def not_implemented(_payload):
            raise CallError("NotImplemented", "no local list here")
        self.booted_station(cs, V201, answer=not_implemented)
        self.set_token(self.unique_id("TOK"), {"stations": [cs]})
        state = wait_until(lambda: (s := self.list_state(cs))["state"] == "unsupported" and s, timeout=8,
                           what="the list unsupported")
        self.assertIn("NotImplemented", state["detail"])

    def test_a_token_assigned_to_a_group_goes_to_the_stations_of_that_group(self):
        group = self.unique_id("depot")
        inside, outside = self.unique_id(), self.unique_id()
        self.register(inside, groups=[group])
        self.register(outside, groups=["elsewhere"])
        self.assertEqual(self.assertApi(200, "GET", path(inside))["groups"], [group])
        member = self.booted_station(inside, V201)
        other = self.booted_station(outside, V16)
        uid = self.unique_id("TOK")
        self.set_token(uid, {"groups": [group]})
        self.synced(inside, listVersion=1)
        self.assertEqual(member.held(), {uid: "Accepted"})
        self.assertEqual(self.list_state(outside)["state"], "unmanaged")
        self.assertEqual(other.sent(), [])

        # The other station joins the group: it gets the token too.
        self.assertApi(201, "POST", path(outside), {"securityProfile": 0, "groups": ["elsewhere", group]})
        self.synced(outside, listVersion=1)
        self.assertEqual(other.held(), {uid: "Accepted"})

    def test_the_fork_update_is_409_on_a_list_the_node_keeps_and_relayed_otherwise(self):
        cs = self.unique_id()
        self.register(cs)
        station = self.booted_station(cs, V16)
        body = {"listVersion": 5, "updateType": "Full",
                "localAuthorizationList": [{"idTag": "OWN", "idTagInfo": {"status": "Accepted"}}]}
        self.assertEqual(self.list_state(cs)["state"], "unmanaged")
        self.assertApi(202, "POST", path(cs, "/local-list"), body)
        wait_until(lambda: station.held() == {"OWN": "Accepted"}, timeout=5, what="the operator's list")

        self.set_token(self.unique_id("T"), {"stations": [cs]})
        self.synced(cs)
        self.assertApiError(409, "POST", path(cs, "/local-list"), body, contains="keeps the local list")

    def test_n10_a_customer_information_clear_makes_the_node_forget_the_entry_and_resend_it(self):
        cs = self.unique_id()
        self.register(cs)
        uid = self.unique_id("TOK")
        self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201)
        self.synced(cs, listVersion=1)

        def clear(payload):
            if payload["clear"]:
                station.entries.pop(payload["idToken"]["idToken"], None)  # the station forgets the customer
            return {"status": "Accepted"}
        station.client.on_call("CustomerInformation", clear)
        self.assertApi(200, "POST", path(cs, "/call/CustomerInformation"),
                       {"requestId": 4, "report": False, "clear": True, "idToken": {"idToken": uid, "type": "ISO14443"}})
        # Still assigned to the station: the node sends it again.
        self.synced(cs, listVersion=2)
        self.assertEqual(station.sent()[-1]["updateType"], "Differential")
        self.assertEqual(station.held(), {uid: "Accepted"})

    def test_a_send_local_list_by_hand_is_undone_by_the_next_update(self):
        cs = self.unique_id()
        self.register(cs)
        uid = self.unique_id("TOK")
        self.set_token(uid, {"stations": [cs]})
        station = self.booted_station(cs, V201)
        self.synced(cs, listVersion=1)
        self.assertApi(200, "POST", path(cs, "/call/SendLocalList"), {
            "versionNumber": 9, "updateType": "Full",
            "localAuthorizationList": [{"idToken": {"idToken": "BYHAND", "type": "Central"},
                                        "idTokenInfo": {"status": "Accepted"}}]})
        self.assertEqual(station.held(), {"BYHAND": "Accepted"})
        other = self.unique_id("TOK")
        self.set_token(other, {"stations": [cs]})
        self.synced(cs, listVersion=2)
        self.assertEqual(station.sent()[-1]["updateType"], "Full")
        self.assertEqual(station.held(), {uid: "Accepted", other: "Accepted"})

    def test_sync_errors(self):
        self.assertApiError(404, "POST", path(self.unique_id(), "/local-list/sync"))
        self.assertApiError(404, "GET", path(self.unique_id(), "/local-list"))
        cs = self.unique_id()
        self.register(cs)
        self.assertApiError(409, "POST", path(cs, "/local-list/sync"), contains="not connected")
        self.booted_station(cs, V201)
        self.assertApiError(400, "POST", path(cs, "/local-list/sync?full=maybe"), contains="full")
        self.assertApiError(400, "POST", "/api/v0/token",
                            dict(token_body("BAD"), localList={"groups": ["no spaces"]}), contains="/localList/groups/0")


@require_binary
class LocalListForAll(NodeTestCase):
    """A token for every station (its own node: every station of this class gets it)."""

    def test_a_token_for_all_stations_reaches_each_of_both_versions(self):
        uid = self.unique_id("TOK")
        self.assertApi(201, "POST", "/api/v0/token", dict(token_body(uid), localList={"all": True}))
        stations = []
        for protocol in (V16, V201):
            cs = self.unique_id()
            self.node.register_station(cs)
            client = self.connect(cs, protocol)
            stations.append((cs, ListStation(client)))
            boot(client)
        for cs, station in stations:
            wait_until(lambda s=station: s.held() == {uid: "Accepted"}, timeout=8, what=f"{cs} holds the token")
        self.assertEqual(self.assertApi(200, "GET", "/api/v0/token/" + uid)["localList"], {"all": True})


if __name__ == "__main__":
    unittest.main()
