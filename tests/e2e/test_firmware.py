"""Firmware, logs and diagnostics through the node's own files (issue 14 item 8), driven from the station side:
an operator uploads an image to the node, the node sends the station its URL in UpdateFirmware, the station
downloads it from the node's files listener and reports its progress; for GetLog / 1.6 GetDiagnostics the node
gives the station its own upload URL, the station uploads there and the file is listed and downloadable through
the API. The case ids are the OCTT ones of ../shared/conformance (L01 secure firmware update, N01 logs)."""

import hashlib
import http.client
import os
import unittest
import urllib.parse
import urllib.request

from harness import V16, V201, NodeTestCase, Node, now_iso, require_binary, wait_until

SIGNING_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBfirmwaresigner\n-----END CERTIFICATE-----"


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


def fetch(url, method="GET", data=None, headers=None):
    """(status, body bytes, headers) of one plain HTTP request, errors included."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (("?" + parts.query) if parts.query else ""), body=data,
                     headers=dict(headers or {}, Connection="close"))
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def multipart(filename, content, boundary="evbrokerBoundary7MA4YWxkTrZu0gW"):
    """A body as stations' HTTP clients send a log: one form field, the file."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class FilesCase(NodeTestCase):
    def put_image(self, name, content):
        status, answer = self.node.api("PUT", "/api/v0/firmware/" + name, raw_body=content)
        self.assertIn(status, (200, 201), answer)
        self.assertEqual(answer["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual(answer["size"], len(content))
        return answer

    def api_bytes(self, api_path):
        return fetch(f"http://127.0.0.1:{self.node.api_port}{api_path}")


@require_binary
class FirmwareServedByTheNode(FilesCase):
    def update_firmware(self, client, image, expected_status=202, **extra):
        status, answer = self.node.api("POST", path(client.station_id, "/firmware/update"), {"firmware": image, **extra})
        self.assertEqual(status, expected_status, answer)
        return answer

    def test_tc_l_01_secure_firmware_update_installation_successful(self):
        content = os.urandom(300_000)
        stored = self.put_image("station-fw-2.1.bin", content)
        client = self.station(V201)
        client.on_call("UpdateFirmware", lambda p: {"status": "Accepted"})
        answer = self.update_firmware(client, "station-fw-2.1.bin", signature="c2lnbmF0dXJl",
                                      signingCertificate=SIGNING_CERTIFICATE)
        request = client.wait_for_call("UpdateFirmware").payload
        self.assertEqual(request["requestId"], answer["requestId"])
        firmware = request["firmware"]
        self.assertEqual(firmware["location"], stored["url"])
        self.assertEqual((firmware["signature"], firmware["signingCertificate"]), ("c2lnbmF0dXJl", SIGNING_CERTIFICATE))
        # The station downloads the image from the node and checks it.
        status, body, headers = fetch(firmware["location"])
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), stored["sha256"])
        self.assertEqual(headers["content-length"], str(len(content)))
        for step in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"):
            self.call_ok(client, "FirmwareStatusNotification", {"status": step, "requestId": request["requestId"]})
        status_view = self.assertApi(200, "GET", path(client.station_id, "/firmware/status"))
        self.assertEqual(status_view.get("status"), "Installed", status_view)

    def test_a_1_6_station_downloads_the_image_it_is_sent(self):
        content = b"1.6 image " * 1000
        stored = self.put_image("fw-16.bin", content)
        client = self.station(V16)
        client.on_call("UpdateFirmware", lambda p: {})
        self.assertApi(202, "POST", path(client.station_id, "/firmware/update"), {"firmware": "fw-16.bin"})
        request = client.wait_for_call("UpdateFirmware").payload
        self.assertEqual(request["location"], stored["url"])
        self.assertIn("retrieveDate", request)
        status, body, _ = fetch(request["location"])
        self.assertEqual((status, body), (200, content))
        for step in ("Downloading", "Downloaded", "Installing", "Installed"):
            self.call_ok(client, "FirmwareStatusNotification", {"status": step})
        self.assertEqual(self.assertApi(200, "GET", path(client.station_id, "/firmware/status")).get("status"),
                         "Installed")

    def test_tc_l_07_download_failed_is_kept_as_the_station_said(self):
        self.put_image("fw-fail.bin", b"x" * 2048)
        client = self.station(V201)
        client.on_call("UpdateFirmware", lambda p: {"status": "Accepted"})
        answer = self.update_firmware(client, "fw-fail.bin")
        for step in ("Downloading", "DownloadFailed"):
            self.call_ok(client, "FirmwareStatusNotification", {"status": step, "requestId": answer["requestId"]})
        self.assertEqual(self.assertApi(200, "GET", path(client.station_id, "/firmware/status")).get("status"),
                         "DownloadFailed")

    def test_tc_l_10_a_second_update_cancels_the_first_as_the_station_answers(self):
        self.put_image("fw-a.bin", b"a" * 1024)
        self.put_image("fw-b.bin", b"b" * 1024)
        client = self.station(V201)
        answers = iter([{"status": "Accepted"}, {"status": "AcceptedCanceled"}])
        client.on_call("UpdateFirmware", lambda p: next(answers))
        first = self.update_firmware(client, "fw-a.bin")
        second = self.update_firmware(client, "fw-b.bin")
        self.assertEqual(second["status"], "AcceptedCanceled", second)
        self.assertNotEqual(first["requestId"], second["requestId"])
        calls = client.calls_of("UpdateFirmware")
        self.assertTrue(calls[1].payload["firmware"]["location"].endswith("/fw-b.bin"))

    def test_an_image_url_needs_its_token_and_goes_with_the_image(self):
        stored = self.put_image("fw-gone.bin", b"z" * 100)
        status, _, headers = fetch(stored["url"], method="HEAD")
        self.assertEqual((status, headers.get("content-length")), (200, "100"))
        token = stored["url"].rsplit("/", 2)[1]
        wrong = stored["url"].replace(token, "0" * len(token))
        self.assertEqual(fetch(wrong)[0], 404)
        self.assertEqual(fetch(stored["url"].replace("/fw-gone.bin", "/other.bin"))[0], 404)
        self.assertEqual([i["name"] for i in self.assertApi(200, "GET", "/api/v0/firmware") if i["name"] == "fw-gone.bin"],
                         ["fw-gone.bin"])
        self.assertApi(204, "DELETE", "/api/v0/firmware/fw-gone.bin")
        self.assertEqual(fetch(stored["url"])[0], 404)
        self.assertApiError(404, "GET", "/api/v0/firmware/fw-gone.bin")
        self.assertApiError(404, "DELETE", "/api/v0/firmware/fw-gone.bin")

    def test_bad_names_and_requests_are_refused_clearly(self):
        self.assertApiError(400, "PUT", "/api/v0/firmware/.hidden", raw_body=b"x")
        client = self.station(V201)
        self.assertApiError(404, "POST", path(client.station_id, "/firmware/update"), {"firmware": "no-such.bin"},
                            contains="no firmware image")
        self.assertApiError(400, "POST", path(client.station_id, "/firmware/update"), {})
        self.assertApiError(400, "POST", path(client.station_id, "/firmware/update"),
                            {"firmware": "a.bin", "location": "https://fw.example/a.bin"})
        self.assertEqual(client.calls_of("UpdateFirmware"), [])


@require_binary
class FirmwareRollouts(FilesCase):
    def rollout(self, rollout_id, state=None, timeout=10):
        def reached():
            view = self.assertApi(200, "GET", "/api/v0/firmware-rollouts/" + rollout_id)
            return view if state is None or view["state"] == state else None
        return wait_until(reached, timeout=timeout, what=f"rollout {rollout_id} {state}")

    def stations(self, n, answer=None):
        clients = [self.station(V201) for _ in range(n)]
        for client in clients:
            client.on_call("UpdateFirmware", lambda p, a=answer: a or {"status": "Accepted"})
        return clients

    def install(self, client, final="Installed"):
        request = client.wait_for_call("UpdateFirmware").payload
        self.assertEqual(fetch(request["firmware"]["location"])[0], 200)
        for step in ("Downloading", "Downloaded", "Installing", final):
            self.call_ok(client, "FirmwareStatusNotification", {"status": step, "requestId": request["requestId"]})

    def test_two_at_a_time_until_every_station_installed(self):
        self.put_image("roll.bin", b"r" * 4096)
        clients = self.stations(3)
        started = self.assertApi(202, "POST", "/api/v0/firmware-rollouts", {
            "firmware": "roll.bin", "stations": [c.station_id for c in clients], "concurrency": 2})
        self.assertEqual(started["state"], "running")
        clients[0].wait_for_call("UpdateFirmware")
        clients[1].wait_for_call("UpdateFirmware")
        # The third waits for one of the first two: never more than two at once.
        view = self.rollout(started["id"])
        self.assertEqual(view["counts"]["updating"], 2, view)
        self.assertEqual(clients[2].calls_of("UpdateFirmware"), [])
        self.install(clients[0])
        self.install(clients[2])
        self.install(clients[1])
        done = self.rollout(started["id"], "done")
        self.assertEqual(done["counts"]["installed"], 3, done)
        self.assertEqual([s["state"] for s in done["stations"]], ["installed"] * 3)
        self.assertIn(started["id"], [r["id"] for r in self.assertApi(200, "GET", "/api/v0/firmware-rollouts")])

    def test_a_failure_stops_the_rollout_before_the_next_station(self):
        self.put_image("bad.bin", b"b" * 1024)
        clients = self.stations(3)
        started = self.assertApi(202, "POST", "/api/v0/firmware-rollouts", {
            "firmware": "bad.bin", "stations": [c.station_id for c in clients], "maxFailures": 1})
        self.install(clients[0], final="InstallationFailed")
        stopped = self.rollout(started["id"], "stopped")
        self.assertIn("maxFailures 1", stopped["reason"])
        self.assertEqual([s["state"] for s in stopped["stations"]], ["failed", "waiting", "waiting"])
        self.assertEqual(stopped["stations"][0]["detail"], "InstallationFailed")
        self.assertEqual(clients[1].calls_of("UpdateFirmware"), [])

    def test_a_refusal_fails_an_offline_station_is_skipped_and_cancel_stops_the_rest(self):
        self.put_image("mixed.bin", b"m" * 1024)
        [refusing] = self.stations(1, answer={"status": "Rejected"})
        offline = self.unique_id()
        self.node.register_station(offline)
        [waiting, last] = self.stations(2)
        started = self.assertApi(202, "POST", "/api/v0/firmware-rollouts", {
            "firmware": "mixed.bin", "stations": [refusing.station_id, offline, waiting.station_id, last.station_id],
            "maxFailures": 5})
        waiting.wait_for_call("UpdateFirmware")
        view = self.rollout(started["id"])
        self.assertEqual([s["state"] for s in view["stations"]], ["failed", "skipped", "updating", "waiting"], view)
        self.assertIn("Rejected", view["stations"][0]["detail"])
        cancelled = self.assertApi(200, "DELETE", "/api/v0/firmware-rollouts/" + started["id"])
        self.assertEqual(cancelled["state"], "cancelled")
        self.install(waiting)
        self.assertEqual(last.calls_of("UpdateFirmware"), [])
        self.assertApiError(404, "GET", "/api/v0/firmware-rollouts/r999999")

    def test_a_rollout_needs_an_image_and_known_stations(self):
        client = self.station(V201)
        self.assertApiError(404, "POST", "/api/v0/firmware-rollouts", {"firmware": "none.bin", "stations": [client.station_id]})
        self.put_image("ok.bin", b"o")
        self.assertApiError(404, "POST", "/api/v0/firmware-rollouts", {"firmware": "ok.bin", "stations": ["nobody-here"]})
        self.assertApiError(400, "POST", "/api/v0/firmware-rollouts",
                            {"firmware": "ok.bin", "stations": [client.station_id, client.station_id]})
        self.assertApiError(400, "POST", "/api/v0/firmware-rollouts", {"firmware": "ok.bin", "stations": []})


@require_binary
class LogsUploadedToTheNode(FilesCase):
    def request_log(self, client, log_type, request_id, answer):
        client.on_call("GetLog", lambda p: answer)
        status, result = self.node.api("POST", path(client.station_id, "/logs"),
                                       {"logType": log_type, "requestId": request_id, "log": {}})
        self.assertEqual(status, 202, result)
        return client.wait_for_call("GetLog").payload, result

    def uploads(self, cs_id):
        return self.assertApi(200, "GET", path(cs_id, "/uploads"))

    def test_tc_n_25_diagnostics_log_uploaded_to_the_node(self):
        client = self.station(V201)
        request, result = self.request_log(client, "DiagnosticsLog", 25, {"status": "Accepted", "filename": "diag.log"})
        self.assertEqual(result["status"], "Accepted")
        location = request["log"]["remoteLocation"]
        self.assertTrue(location.startswith(f"http://127.0.0.1:{self.node.files_port}/uploads/"), location)
        self.call_ok(client, "LogStatusNotification", {"status": "Uploading", "requestId": 25})
        content = b"2026-12-04 diagnostics\n" * 500
        body, content_type = multipart("diag.log", content)
        status, text, _ = fetch(location, "POST", body, {"Content-Type": content_type})
        self.assertEqual(status, 201, text)
        self.call_ok(client, "LogStatusNotification", {"status": "Uploaded", "requestId": 25})
        [upload] = self.uploads(client.station_id)
        self.assertTrue(upload["name"].endswith("-diag.log"), upload)
        self.assertEqual(upload["size"], len(content))
        status, downloaded, _ = self.api_bytes(path(client.station_id, "/uploads/" + upload["name"]))
        self.assertEqual((status, downloaded), (200, content))
        status_view = self.assertApi(200, "GET", path(client.station_id, "/logs/status"))
        self.assertEqual(status_view.get("status"), "Uploaded", status_view)
        self.assertApi(204, "DELETE", path(client.station_id, "/uploads/" + upload["name"]))
        self.assertEqual(self.uploads(client.station_id), [])

    def test_tc_n_35_security_log_put_raw_with_its_name_in_the_url(self):
        client = self.station(V201)
        request, _ = self.request_log(client, "SecurityLog", 35, {"status": "Accepted", "filename": "security.log"})
        self.assertEqual(fetch(request["log"]["remoteLocation"] + "security.log", "PUT", b"security events\n")[0], 201)
        self.call_ok(client, "LogStatusNotification", {"status": "Uploaded", "requestId": 35})
        [upload] = self.uploads(client.station_id)
        self.assertTrue(upload["name"].endswith("-security.log"), upload)

    def test_tc_n_34_rejected_leaves_nothing(self):
        client = self.station(V201)
        _, result = self.request_log(client, "DiagnosticsLog", 34, {"status": "Rejected"})
        self.assertEqual(result["status"], "Rejected")
        self.assertEqual(self.uploads(client.station_id), [])

    def test_tc_n_36_a_second_request_is_answered_accepted_canceled(self):
        client = self.station(V201)
        answers = iter([{"status": "Accepted", "filename": "one.log"}, {"status": "AcceptedCanceled", "filename": "two.log"}])
        client.on_call("GetLog", lambda p: next(answers))
        for request_id, expected in ((361, "Accepted"), (362, "AcceptedCanceled")):
            status, result = self.node.api("POST", path(client.station_id, "/logs"),
                                           {"logType": "DiagnosticsLog", "requestId": request_id, "log": {}})
            self.assertEqual((status, result.get("status")), (202, expected), result)
        self.assertEqual(len(client.calls_of("GetLog")), 2)

    def test_a_1_6_station_uploads_its_diagnostics_to_the_node(self):
        client = self.station(V16)
        client.on_call("GetDiagnostics", lambda p: {"fileName": "diagnostics.zip"})
        status, result = self.node.api("POST", path(client.station_id, "/diagnostics"), {})
        self.assertEqual(status, 202, result)
        location = client.wait_for_call("GetDiagnostics").payload["location"]
        body, content_type = multipart("diagnostics.zip", b"PK\x03\x04zip")
        self.assertEqual(fetch(location, "POST", body, {"Content-Type": content_type})[0], 201)
        self.call_ok(client, "DiagnosticsStatusNotification", {"status": "Uploaded"})
        [upload] = self.uploads(client.station_id)
        self.assertTrue(upload["name"].endswith("-diagnostics.zip"))

    def test_a_location_given_is_passed_on_unchanged(self):
        client = self.station(V201)
        client.on_call("GetLog", lambda p: {"status": "Accepted"})
        self.assertApi(202, "POST", path(client.station_id, "/logs"),
                       {"logType": "DiagnosticsLog", "requestId": 5, "log": {"remoteLocation": "ftp://logs.example/"}})
        self.assertEqual(client.wait_for_call("GetLog").payload["log"], {"remoteLocation": "ftp://logs.example/"})

    def test_a_station_uploads_only_with_its_own_token(self):
        one, other = self.station(V201), self.station(V201)
        request, _ = self.request_log(one, "DiagnosticsLog", 1, {"status": "Accepted"})
        location = request["log"]["remoteLocation"]
        other_folder = location.replace(urllib.parse.quote(one.station_id, safe=""),
                                        urllib.parse.quote(other.station_id, safe=""))
        self.assertEqual(fetch(other_folder, "POST", b"forged")[0], 404)
        self.assertEqual(self.uploads(other.station_id), [])
        self.assertApiError(404, "GET", path("no-such-station", "/uploads"))


@require_binary
class FileLimits(FilesCase):
    node_args = ("--max-upload-bytes", "2048", "--station-uploads-max-bytes", "4096", "--max-firmware-bytes", "4096")

    def test_uploads_and_images_are_bounded_and_the_oldest_uploads_go(self):
        status, answer = self.node.api("PUT", "/api/v0/firmware/big.bin", raw_body=b"x" * 5000)
        self.assertEqual(status, 413, answer)
        self.assertEqual(self.node.api("GET", "/api/v0/firmware/big.bin")[0], 404)
        client = self.station(V201)
        client.on_call("GetLog", lambda p: {"status": "Accepted"})
        self.assertApi(202, "POST", path(client.station_id, "/logs"), {"logType": "DiagnosticsLog", "requestId": 1, "log": {}})
        location = client.wait_for_call("GetLog").payload["log"]["remoteLocation"]
        self.assertEqual(fetch(location + "too-big.log", "PUT", b"y" * 70_000)[0], 413)
        for n in range(3):
            self.assertEqual(fetch(location + f"part{n}.log", "PUT", bytes([65 + n]) * 1500)[0], 201)
        names = [u["name"] for u in self.assertApi(200, "GET", path(client.station_id, "/uploads"))]
        self.assertEqual(len(names), 2, names)
        self.assertTrue(names[0].endswith("part1.log") and names[1].endswith("part2.log"), names)
        self.assertTrue(self.node.running())


@require_binary
class WithoutFilesListener(NodeTestCase):
    node_args = ("--files-addr", "")

    def test_the_api_says_no_files_are_served(self):
        self.assertApiError(503, "GET", "/api/v0/firmware", contains="--files-addr")
        client = self.station(V201)
        self.assertApiError(400, "POST", path(client.station_id, "/logs"),
                            {"logType": "DiagnosticsLog", "requestId": 1, "log": {}}, contains="give the location")


if __name__ == "__main__":
    unittest.main()
