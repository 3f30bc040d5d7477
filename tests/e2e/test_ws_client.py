"""The test client itself, without the node: websocket framing, the handshake against a tiny
in-process server, OCPP-J call matching, and the schema checker."""

import json
import os
import socket
import struct
import threading
import unittest

import ocpp_schema
import ocpp_ws
from ocpp_ws import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT


class Framing(unittest.TestCase):
    def test_masking_twice_gives_back_the_data(self):
        key = b"\x01\x02\xfe\xff"
        for data in (b"", b"a", b"abcd", b"abcde", os.urandom(1000)):
            masked = ocpp_ws.apply_mask(data, key)
            self.assertEqual(len(masked), len(data))
            self.assertEqual(ocpp_ws.apply_mask(masked, key), data)
        self.assertNotEqual(ocpp_ws.apply_mask(b"hello", key), b"hello")

    def test_masking_matches_rfc6455_example(self):
        # RFC 6455 5.7: a masked "Hello" from a client.
        frame = ocpp_ws.encode_frame(OP_TEXT, "Hello", mask_key=bytes([0x37, 0xfa, 0x21, 0x3d]))
        self.assertEqual(frame, bytes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]))

    def test_header_length_encoding(self):
        for n, header in ((0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (70000, 10)):
            with self.subTest(n=n):
                frame = ocpp_ws.encode_frame(OP_TEXT, b"x" * n)
                self.assertEqual(len(frame), header + 4 + n)   # + masking key
                self.assertEqual(frame[1] & 0x80, 0x80, "client frames are masked")
                fin, opcode, payload, masked, used = ocpp_ws.decode_frame(frame)
                self.assertTrue(fin)
                self.assertEqual(opcode, OP_TEXT)
                self.assertTrue(masked)
                self.assertEqual(payload, b"x" * n)
                self.assertEqual(used, len(frame))
        self.assertEqual(ocpp_ws.encode_frame(OP_TEXT, b"x" * 125, mask=False)[1], 125)
        self.assertEqual(ocpp_ws.encode_frame(OP_TEXT, b"x" * 126, mask=False)[1:4], bytes([126, 0, 126]))
        self.assertEqual(ocpp_ws.encode_frame(OP_TEXT, b"x" * 65536, mask=False)[1:10],
                         bytes([127]) + struct.pack("!Q", 65536))

    def test_incomplete_frames_wait_for_more(self):
        frame = ocpp_ws.encode_frame(OP_TEXT, b"y" * 300, mask=False)
        for cut in (0, 1, 2, 3, len(frame) - 1):
            self.assertIsNone(ocpp_ws.decode_frame(frame[:cut]))
        two = frame + ocpp_ws.encode_frame(OP_PING, b"p", mask=False)
        first = ocpp_ws.decode_frame(two)
        second = ocpp_ws.decode_frame(two[first[4]:])
        self.assertEqual(second[1], OP_PING)
        self.assertEqual(second[2], b"p")

    def test_fragmented_messages_are_joined_and_control_frames_pass_between(self):
        assembler = ocpp_ws.MessageAssembler()
        self.assertIsNone(assembler.feed(False, OP_TEXT, b"[2,"))
        self.assertEqual(assembler.feed(True, OP_PING, b"x"), (OP_PING, b"x"))
        self.assertIsNone(assembler.feed(False, OP_CONT, b'"a",'))
        self.assertEqual(assembler.feed(True, OP_CONT, b'"B",{}]'), (OP_TEXT, b'[2,"a","B",{}]'))
        self.assertEqual(assembler.feed(True, OP_BINARY, b"\x00"), (OP_BINARY, b"\x00"))
        with self.assertRaises(ocpp_ws.ProtocolError):
            assembler.feed(True, OP_CONT, b"orphan")

    def test_reserved_bits_are_refused(self):
        with self.assertRaises(ocpp_ws.ProtocolError):
            ocpp_ws.decode_frame(bytes([0xC1, 0x00]))

    def test_accept_key_matches_rfc6455_example(self):
        self.assertEqual(ocpp_ws.accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    def test_close_payload(self):
        self.assertEqual(ocpp_ws.parse_close_payload(struct.pack("!H", 1001) + b"bye"), (1001, "bye"))
        self.assertEqual(ocpp_ws.parse_close_payload(b""), (1005, ""))


class FakeServer:
    """A websocket server just good enough to exercise the client: one connection, scripted."""

    def __init__(self, status=101, subprotocol="ocpp2.0.1", body=b""):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.status, self.subprotocol, self.body = status, subprotocol, body
        self.request = None
        self.conn = None
        self.buf = b""
        self.accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        conn, _ = self.listener.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        head, self.buf = data.split(b"\r\n\r\n", 1)
        self.request = head.decode()
        key = [l.split(":", 1)[1].strip() for l in self.request.split("\r\n") if l.lower().startswith("sec-websocket-key")][0]
        if self.status == 101:
            conn.sendall((f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {ocpp_ws.accept_key(key)}\r\n"
                          f"Sec-WebSocket-Protocol: {self.subprotocol}\r\n\r\n").encode())
        else:
            conn.sendall(f"HTTP/1.1 {self.status} Nope\r\nContent-Length: {len(self.body)}\r\n\r\n".encode() + self.body)
        self.conn = conn
        self.accepted.set()

    def send(self, opcode, payload, fin=True):
        self.conn.sendall(ocpp_ws.encode_frame(opcode, payload, fin=fin, mask=False))

    def recv(self):
        """The next frame from the client, unmasked: (opcode, payload)."""
        self.conn.settimeout(5)
        while True:
            frame = ocpp_ws.decode_frame(self.buf)
            if frame:
                self.buf = self.buf[frame[4]:]
                assert frame[3], "client frames must be masked"
                return frame[1], frame[2]
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("client closed")
            self.buf += chunk

    def close(self):
        for s in (self.conn, self.listener):
            if s:
                s.close()


class ClientAgainstFakeServer(unittest.TestCase):
    def setUp(self):
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.close()

    def open(self, **kw):
        self.server = FakeServer(**kw)
        return ocpp_ws.connect(f"ws://127.0.0.1:{self.server.port}/ws", "CS/1", ["ocpp2.0.1", "ocpp1.6"],
                               password="pw:1")

    def test_handshake_sends_path_subprotocols_and_basic_auth(self):
        client = self.open()
        self.server.accepted.wait(5)
        self.assertEqual(client.subprotocol, "ocpp2.0.1")
        request = self.server.request
        self.assertTrue(request.startswith("GET /ws/CS%2F1 HTTP/1.1\r\n"), request)
        self.assertIn("Sec-WebSocket-Protocol: ocpp2.0.1, ocpp1.6", request)
        import base64
        self.assertIn("Authorization: Basic " + base64.b64encode(b"CS/1:pw:1").decode(), request)
        client.close(timeout=0.2)

    def test_refused_upgrade_raises_with_status_and_body(self):
        with self.assertRaises(ocpp_ws.UpgradeRefused) as ctx:
            self.open(status=401, body=b"wrong password")
        self.assertEqual(ctx.exception.status, 401)
        self.assertEqual(ctx.exception.body, "wrong password")

    def test_call_result_error_ping_fragments_csms_calls_and_close(self):
        client = self.open()
        self.server.accepted.wait(5)
        result = {}
        t = threading.Thread(target=lambda: result.update(r=client.call("Heartbeat", {})))
        t.start()
        opcode, payload = self.server.recv()
        frame = json.loads(payload)
        self.assertEqual((opcode, frame[0], frame[2], frame[3]), (OP_TEXT, 2, "Heartbeat", {}))
        # a ping in the middle of a fragmented CALLRESULT
        text = json.dumps([3, frame[1], {"currentTime": "2026-01-01T00:00:00Z"}]).encode()
        self.server.send(OP_TEXT, text[:5], fin=False)
        self.server.send(OP_PING, b"hi")
        self.server.send(OP_CONT, text[5:], fin=True)
        self.assertEqual(self.server.recv(), (OP_PONG, b"hi"))
        t.join(5)
        self.assertEqual(result["r"], {"currentTime": "2026-01-01T00:00:00Z"})

        # CALLERROR for a call
        errors = []

        def failing():
            try:
                client.call("Authorize", {"idToken": {"idToken": "X", "type": "Central"}})
            except ocpp_ws.CallError as e:
                errors.append(e)
        t = threading.Thread(target=failing)
        t.start()
        frame = json.loads(self.server.recv()[1])
        self.server.send(OP_TEXT, json.dumps([4, frame[1], "FormatViolation", "bad", {"x": 1}]))
        t.join(5)
        self.assertEqual((errors[0].code, errors[0].description, errors[0].details), ("FormatViolation", "bad", {"x": 1}))

        # CSMS -> station: a handled call, an unhandled one (NotImplemented), unmatched text to recv_raw
        client.on_call("Reset", lambda p: {"status": "Accepted" if p["type"] == "Immediate" else "Rejected"})
        self.server.send(OP_TEXT, json.dumps([2, "m1", "Reset", {"type": "Immediate"}]))
        self.assertEqual(json.loads(self.server.recv()[1]), [3, "m1", {"status": "Accepted"}])
        self.server.send(OP_TEXT, json.dumps([2, "m2", "GetVariables", {}]))
        answer = json.loads(self.server.recv()[1])
        self.assertEqual(answer[:3], [4, "m2", "NotImplemented"])
        self.assertEqual([c.action for c in client.received_calls], ["Reset", "GetVariables"])
        self.server.send(OP_TEXT, '[4,"-1","RpcFrameworkError","not json",{}]')
        self.assertEqual(json.loads(client.recv_raw(5))[2], "RpcFrameworkError")

        # server-initiated close: the client answers with the same code and reports it
        self.server.send(OP_CLOSE, struct.pack("!H", 4000) + b"replaced")
        self.assertEqual(self.server.recv(), (OP_CLOSE, struct.pack("!H", 4000)))
        self.assertTrue(client.closed_event.wait(5))
        self.assertEqual((client.close_code, client.close_reason), (4000, "replaced"))
        with self.assertRaises(ocpp_ws.ConnectionClosed):
            client.call("Heartbeat", {})

    def test_client_close_handshake(self):
        client = self.open()
        self.server.accepted.wait(5)
        done = threading.Thread(target=lambda: client.close(1000, "bye"))
        done.start()
        self.assertEqual(self.server.recv(), (OP_CLOSE, struct.pack("!H", 1000) + b"bye"))
        self.server.send(OP_CLOSE, struct.pack("!H", 1000))
        done.join(5)
        self.assertTrue(client.closed_event.is_set())
        self.assertEqual(client.close_code, 1000)


class SchemaChecker(unittest.TestCase):
    def test_checks_the_subset_used_by_ocpp_schemas(self):
        schema = {
            "type": "object", "additionalProperties": False, "required": ["a", "b"],
            "definitions": {"E": {"type": "string", "enum": ["X", "Y"]}},
            "properties": {
                "a": {"type": "integer", "minimum": 0, "maximum": 10},
                "b": {"$ref": "#/definitions/E"},
                "c": {"type": "array", "minItems": 1, "items": {"type": "string", "maxLength": 3}},
                "d": {"type": "string", "format": "date-time"},
            },
        }
        self.assertEqual(ocpp_schema.check(schema, {"a": 1, "b": "X", "c": ["abc"], "d": "2026-01-01T00:00:00.123Z"}), [])
        cases = [
            ({"b": "X"}, "/a: required"),
            ({"a": 11, "b": "X"}, "/a: 11 above maximum"),
            ({"a": -1, "b": "X"}, "/a: -1 below minimum"),
            ({"a": True, "b": "X"}, "/a: expected integer"),
            ({"a": 1, "b": "Z"}, "/b: 'Z' not in enum"),
            ({"a": 1, "b": "X", "c": []}, "/c: fewer than minItems"),
            ({"a": 1, "b": "X", "c": ["abcd"]}, "/c/0: longer than maxLength"),
            ({"a": 1, "b": "X", "z": 1}, "/z: property not allowed"),
            ({"a": 1, "b": "X", "d": "yesterday"}, "/d: 'yesterday' is not"),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                errors = ocpp_schema.check(schema, value)
                self.assertTrue(any(e.startswith(expected) for e in errors), errors)

    def test_real_response_schemas_load(self):
        ok = {"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
        self.assertEqual(ocpp_schema.response_errors("ocpp2.0.1", "BootNotification", ok), [])
        self.assertEqual(ocpp_schema.response_errors("ocpp1.6", "BootNotification", ok), [])
        self.assertNotEqual(ocpp_schema.response_errors("ocpp2.0.1", "BootNotification", {"status": "Accepted"}), [])
        self.assertEqual(ocpp_schema.response_errors("ocpp1.6", "StartTransaction",
                                                     {"idTagInfo": {"status": "ConcurrentTx"}, "transactionId": 3}), [])


if __name__ == "__main__":
    unittest.main()
