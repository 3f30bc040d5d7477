"""Reservations kept by the node (issue 14 item 7; OCPP 2.0.1 H01-H04, 1.6 Reservation): the fork's
POST /api/v0/cs/{csId}/reservation stores the reservation and sends ReserveNow, the station's answer becomes its
status, ReservationStatusUpdate and the transaction that uses it end it, DELETE cancels it, GET .../reservations
lists it, and the token it is for is accepted at that station while it holds."""

import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, now_iso, require_binary, wait_until
from ocpp_ws import NO_REPLY
from payloads import start_tx_16, tx_event


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


@require_binary
class Reservations(NodeTestCase):
    call_timeout = 2

    def reserve(self, client, body, answer="Accepted", status=202):
        client.on_call("ReserveNow", lambda p: answer if answer is NO_REPLY else {"status": answer})
        got = self.assertApi(status, "POST", path(client.station_id, "/reservation"), body)
        return got, client.calls_of("ReserveNow")[-1].payload if client.calls_of("ReserveNow") else None

    def listed(self, cs, which=None):
        query = f"?status={which}" if which else ""
        return self.assertApi(200, "GET", path(cs, "/reservations" + query))["reservations"]

    def body(self, reservation_id, connector=1, tag="TAG1", seconds=600, **extra):
        return dict({"connectorId": connector, "expiryDate": now_iso(seconds), "idTag": tag,
                     "reservationId": reservation_id}, **extra)

    def test_tc_h_01_reserve_a_specific_evse_with_a_registered_token(self):
        self.node.add_token("RES-RFID")
        client = self.station(V201)
        body = self.body(11, connector=2, tag="RES-RFID")
        got, sent = self.reserve(client, body)
        self.assertEqual(got, {"status": "Accepted"})
        self.assertEqual(sent["id"], 11)
        self.assertEqual(sent["evseId"], 2)
        self.assertEqual(sent["idToken"], {"idToken": "RES-RFID", "type": "ISO14443"})  # the token's own type
        [listed] = self.listed(client.station_id)
        self.assertEqual({k: listed[k] for k in ("reservationId", "connectorId", "idTag", "status")},
                         {"reservationId": 11, "connectorId": 2, "idTag": "RES-RFID", "status": "Accepted"})
        self.assertIn("createdAt", listed)

    def test_tc_h_08_tc_h_15_any_evse_and_a_connector_type(self):
        client = self.station(V201)
        _, sent = self.reserve(client, self.body(21, connector=0, connectorType="cCCS2"))
        self.assertNotIn("evseId", sent)
        self.assertEqual(sent["connectorType"], "cCCS2")
        self.assertEqual(sent["idToken"], {"idToken": "TAG1", "type": "Central"})  # not a registered token
        self.assertEqual(self.listed(client.station_id)[0]["connectorType"], "cCCS2")
        c16 = self.station(V16)
        self.assertApiError(400, "POST", path(c16.station_id, "/reservation"), self.body(22, connectorType="cType2"),
                            contains="connector types")
        self.assertApiError(400, "POST", path(client.station_id, "/reservation"), self.body(23, connectorType="plug"),
                            contains="/connectorType")

    def test_tc_h_22_a_rejected_reservation_is_kept_as_rejected_not_active(self):
        client = self.station(V201)
        got, _ = self.reserve(client, self.body(31), answer="Rejected")
        self.assertEqual(got, {"status": "Rejected"})
        self.assertEqual(self.listed(client.station_id), [])
        [kept] = self.listed(client.station_id, "all")
        self.assertEqual(kept["status"], "Rejected")

    def test_tc_h_07_tc_h_20_the_station_ends_a_reservation(self):
        client = self.station(V201)
        cs = client.station_id
        self.reserve(client, self.body(41))
        self.reserve(client, self.body(42, connector=2))
        client.call("ReservationStatusUpdate", {"reservationId": 41, "reservationUpdateStatus": "Expired"})
        client.call("ReservationStatusUpdate", {"reservationId": 42, "reservationUpdateStatus": "Removed"})
        self.assertEqual(self.listed(cs), [])
        self.assertEqual([r["reservationId"] for r in self.listed(cs, "expired")], [41])
        statuses = {r["reservationId"]: (r["status"], r.get("detail", "")) for r in self.listed(cs, "all")}
        self.assertEqual(statuses[41][0], "Expired")
        self.assertEqual(statuses[42][0], "Removed")
        self.assertIn("removed", statuses[42][1])
        # An update of a reservation the node did not make is answered all the same.
        self.assertEqual(client.call("ReservationStatusUpdate", {"reservationId": 99, "reservationUpdateStatus":
                                                                 "Expired"}), {})

    def test_tc_h_17_cancel_a_reservation(self):
        client = self.station(V201)
        cs = client.station_id
        self.reserve(client, self.body(51))
        client.on_call("CancelReservation", lambda p: {"status": "Accepted"})
        self.assertEqual(self.assertApi(202, "DELETE", path(cs, "/reservation/51")), {"status": "Accepted"})
        self.assertEqual(client.calls_of("CancelReservation")[-1].payload, {"reservationId": 51})
        self.assertEqual(self.listed(cs, "all")[0]["status"], "Cancelled")
        self.assertApiError(409, "DELETE", path(cs, "/reservation/51"), contains="Cancelled")
        self.assertApiError(404, "DELETE", path(cs, "/reservation/52"), contains="no reservation 52")
        # The station holds none: Removed.
        self.reserve(client, self.body(53))
        client.on_call("CancelReservation", lambda p: {"status": "Rejected"})
        self.assertEqual(self.assertApi(202, "DELETE", path(cs, "/reservation/53")), {"status": "Rejected"})
        self.assertEqual({r["reservationId"]: r["status"] for r in self.listed(cs, "all")}[53], "Removed")

    def test_tc_h_19_the_reserved_token_and_its_group_are_accepted_at_that_station(self):
        self.node.add_token("RES-MEMBER", groupId="RES-FLEET")
        client = self.station(V201)
        other = self.station(V201)
        _, sent = self.reserve(client, self.body(61, tag="RES-GUEST", parentIdTag="RES-FLEET"))
        self.assertEqual(sent["groupIdToken"], {"idToken": "RES-FLEET", "type": "Central"})
        # The token reserved for is not registered: accepted here, with the group, until the expiry.
        answer = client.call("Authorize", {"idToken": {"idToken": "RES-GUEST", "type": "Central"}})
        self.assertEqual(answer["idTokenInfo"]["status"], "Accepted")
        self.assertEqual(answer["idTokenInfo"]["groupIdToken"], {"idToken": "RES-FLEET", "type": "Central"})
        self.assertIn("cacheExpiryDateTime", answer["idTokenInfo"])
        # Elsewhere it is unknown.
        answer = other.call("Authorize", {"idToken": {"idToken": "RES-GUEST", "type": "Central"}})
        self.assertEqual(answer["idTokenInfo"]["status"], "Unknown")
        # A member of the group gets its groupIdToken, which the station matches with the reservation's.
        answer = client.call("Authorize", {"idToken": {"idToken": "RES-MEMBER", "type": "ISO14443"}})
        self.assertEqual(answer["idTokenInfo"]["groupIdToken"], {"idToken": "RES-FLEET", "type": "Central"})

    def test_a_transaction_on_the_reservation_uses_it_2_0_1(self):
        client = self.station(V201)
        cs = client.station_id
        self.reserve(client, self.body(71, tag="RES-201"))
        event = tx_event("Started", "TX-R71", 0, "Authorized", id_token="RES-201")
        event["reservationId"] = 71
        answer = client.call("TransactionEvent", event)
        self.assertEqual(answer["idTokenInfo"]["status"], "Accepted")
        [used] = self.listed(cs, "all")
        self.assertEqual((used["status"], used["transactionId"]), ("Used", "TX-R71"))
        self.assertEqual(self.listed(cs), [])
        # The transaction's later events keep the token accepted.
        ended = tx_event("Ended", "TX-R71", 1, "StopAuthorized", id_token="RES-201", stopped_reason="Local")
        self.assertEqual(client.call("TransactionEvent", ended)["idTokenInfo"]["status"], "Accepted")

    def test_a_transaction_on_the_reservation_uses_it_1_6(self):
        client = self.station(V16)
        cs = client.station_id
        _, sent = self.reserve(client, self.body(81, connector=1, tag="RES-16", parentIdTag="RES-G"))
        self.assertEqual(sent, {"connectorId": 1, "expiryDate": sent["expiryDate"], "idTag": "RES-16",
                                "parentIdTag": "RES-G", "reservationId": 81})
        self.assertEqual(client.call("Authorize", {"idTag": "RES-16"})["idTagInfo"]["status"], "Accepted")
        start = dict(start_tx_16(1, "RES-16", 100), reservationId=81)
        answer = client.call("StartTransaction", start)
        self.assertEqual(answer["idTagInfo"]["status"], "Accepted")
        self.assertEqual(client.call("StartTransaction", start), answer)  # a replay: the same answer
        [used] = self.listed(cs, "all")
        self.assertEqual((used["status"], used["transactionId"]), ("Used", str(answer["transactionId"])))
        # Used: no longer vouches for the token elsewhere in time.
        self.assertEqual(client.call("Authorize", {"idTag": "RES-16"})["idTagInfo"]["status"], "Invalid")

    def test_a_1_6_reservation_past_its_expiry_is_shown_expired(self):
        client = self.station(V16)
        cs = client.station_id
        self.reserve(client, self.body(91, seconds=1.0))
        self.assertEqual(len(self.listed(cs)), 1)
        wait_until(lambda: self.listed(cs, "expired"), timeout=5, what="the reservation expired")
        self.assertEqual(self.listed(cs), [])
        self.assertEqual(client.call("Authorize", {"idTag": "TAG1"})["idTagInfo"]["status"], "Invalid")

    def test_no_answer_is_504_and_the_reservation_stays_as_requested(self):
        client = self.station(V201)
        self.reserve(client, self.body(95), answer=NO_REPLY, status=504)
        [kept] = self.listed(client.station_id)
        self.assertEqual(kept["status"], "Requested")
        self.assertIn("no answer", kept["detail"])

    def test_bad_requests(self):
        client = self.station(V201)
        cs = client.station_id
        self.assertApiError(400, "POST", path(cs, "/reservation"), self.body(1, seconds=-60), contains="not in the future")
        self.assertApiError(400, "POST", path(cs, "/reservation"), self.body(1, connector=-1), contains="/connectorId")
        self.assertApiError(400, "GET", path(cs, "/reservations?status=soon"), contains="status")
        self.assertApiError(404, "GET", path(self.unique_id(), "/reservations"))
        offline = self.unique_id()
        self.node.register_station(offline)
        self.assertApiError(409, "POST", path(offline, "/reservation"), self.body(1))
        self.assertEqual(client.calls_of("ReserveNow"), [])


if __name__ == "__main__":
    unittest.main()
