"""A small OCPP-J websocket client for the end-to-end tests (Python standard library only).

Client side of RFC 6455 over a plain TCP socket (or TLS when given an ssl.SSLContext): the opening
handshake with subprotocols and HTTP Basic auth, masked text frames, fragmented messages on receive,
automatic pong, and the close handshake. On top of it, OCPP-J framing (CALL / CALLRESULT / CALLERROR)
with a background reader thread that matches results to calls and answers calls from the CSMS.

    client = connect("ws://127.0.0.1:9310/ws", "CS001", ["ocpp2.0.1"], password="secret")
    client.call("Heartbeat", {})          # -> {"currentTime": ...} or raises CallError
    client.on_call("Reset", lambda payload: {"status": "Accepted"})
    client.close()

The framing helpers (encode_frame, decode_frame, apply_mask, accept_key) are plain functions so that
they can be tested without a server.
"""

import base64
import hashlib
import json
import os
import queue
import socket
import ssl
import struct
import threading
import time
import urllib.parse
import uuid

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CALL, CALLRESULT, CALLERROR = 2, 3, 4

# A handler may return NO_REPLY to leave a CSMS call unanswered (to provoke a timeout).
NO_REPLY = object()


class UpgradeRefused(Exception):
    """The server answered the websocket upgrade with a status other than 101."""

    def __init__(self, status, body, headers=None):
        super().__init__(f"upgrade refused: HTTP {status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class HandshakeError(Exception):
    """The server answered 101 but the handshake is not valid (bad accept key, subprotocol...)."""


class CallError(Exception):
    """A CALLERROR, received (raised by OcppClient.call) or to send (raised by a handler)."""

    def __init__(self, code, description="", details=None):
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = {} if details is None else details


class ConnectionClosed(ConnectionError):
    pass


class ProtocolError(Exception):
    pass


# ---- framing (no I/O) ------------------------------------------------------------------------------

def apply_mask(data, key):
    """XORs data with the 4-byte masking key (masking and unmasking are the same operation)."""
    if len(key) != 4:
        raise ValueError("masking key must be 4 bytes")
    n = len(data)
    if n == 0:
        return b""
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def encode_frame(opcode, payload=b"", fin=True, mask=True, mask_key=None):
    """One websocket frame. Clients must mask (RFC 6455 5.3); mask=False is for tests only."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    head = bytearray([(0x80 if fin else 0) | (opcode & 0x0F)])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n <= 125:
        head.append(mask_bit | n)
    elif n <= 0xFFFF:
        head.append(mask_bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return bytes(head) + key + apply_mask(payload, key)


def decode_frame(buf):
    """Parses one frame from the start of buf.

    Returns (fin, opcode, payload, masked, consumed) or None when buf holds no complete frame yet.
    A masked frame is unmasked (servers must not mask; the caller decides what to do about it).
    """
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    if b0 & 0x70:
        raise ProtocolError("reserved bits set (no extension was negotiated)")
    fin = bool(b0 & 0x80)
    opcode = b0 & 0x0F
    masked = bool(b1 & 0x80)
    n = b1 & 0x7F
    pos = 2
    if n == 126:
        if len(buf) < 4:
            return None
        n = struct.unpack_from("!H", buf, 2)[0]
        pos = 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n = struct.unpack_from("!Q", buf, 2)[0]
        pos = 10
    key = None
    if masked:
        if len(buf) < pos + 4:
            return None
        key = bytes(buf[pos:pos + 4])
        pos += 4
    if len(buf) < pos + n:
        return None
    payload = bytes(buf[pos:pos + n])
    if masked:
        payload = apply_mask(payload, key)
    return fin, opcode, payload, masked, pos + n


def accept_key(sec_websocket_key):
    """The Sec-WebSocket-Accept value the server must send for this key."""
    digest = hashlib.sha1((sec_websocket_key + _WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


class MessageAssembler:
    """Joins fragmented data frames into messages; control frames pass through (RFC 6455 5.4)."""

    def __init__(self):
        self._opcode = None
        self._parts = []

    def feed(self, fin, opcode, payload):
        """Returns (opcode, payload) when a message or control frame is complete, else None."""
        if opcode >= 0x8:
            if not fin or len(payload) > 125:
                raise ProtocolError("bad control frame")
            return opcode, payload
        if opcode == OP_CONT:
            if self._opcode is None:
                raise ProtocolError("continuation frame without a message")
        else:
            if self._opcode is not None:
                raise ProtocolError("new data frame inside a fragmented message")
            self._opcode = opcode
        self._parts.append(payload)
        if not fin:
            return None
        message = (self._opcode, b"".join(self._parts))
        self._opcode, self._parts = None, []
        return message


def parse_close_payload(payload):
    """(code, reason) of a close frame; (1005, "") when it carries no code."""
    if len(payload) < 2:
        return 1005, ""
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")


# ---- opening handshake ---------------------------------------------------------------------------

def _read_http_head(sock, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            raise HandshakeError("HTTP response head too large")
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionClosed(f"connection closed during the handshake after {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HandshakeError(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return status, headers, rest


def _read_http_body(sock, headers, rest, deadline):
    """Body of a non-101 answer: Content-Length, chunked, or up to EOF (bounded by the deadline)."""
    def more():
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            return sock.recv(65536)
        except (socket.timeout, OSError):
            return b""

    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = more()
            if not chunk:
                break
            rest += chunk
        return rest[:n]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = more()
                if not chunk:
                    return body
                rest += chunk
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return body
            while len(rest) < size + 2:
                chunk = more()
                if not chunk:
                    return body + rest
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
    while True:
        chunk = more()
        if not chunk:
            return rest
        rest += chunk


def connect(url, station_id, subprotocols=("ocpp2.0.1",), username=None, password=None, timeout=5,
            ssl_context=None, extra_headers=None, source_address=None):
    """Opens ws(s)://host:port/<path>/<station_id> and returns a started OcppClient.

    `url` is the base (e.g. "ws://127.0.0.1:9310/ws"); the station id is appended, percent-encoded.
    Basic auth is sent when a password is given (username defaults to the station id) or when a
    username is given. Raises UpgradeRefused for a non-101 answer. source_address ("127.0.0.2")
    picks the local address (any of 127/8 reaches a loopback listener).
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("ws", "wss"):
        raise ValueError(f"not a websocket url: {url}")
    host = parsed.hostname
    port = parsed.port or (443 if parsed.scheme == "wss" else 80)
    path = parsed.path.rstrip("/") + "/" + urllib.parse.quote(station_id, safe="")
    deadline = time.monotonic() + timeout

    sock = socket.create_connection((host, port), timeout=timeout,
                                    source_address=(source_address, 0) if source_address else None)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if parsed.scheme == "wss":
            if ssl_context is None:
                ssl_context = ssl.create_default_context()
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if subprotocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(subprotocols))
        if password is not None or username is not None:
            user = station_id if username is None else username
            creds = f"{user}:{password or ''}".encode("utf-8")
            lines.append("Authorization: Basic " + base64.b64encode(creds).decode("ascii"))
        for name, value in (extra_headers or {}).items():
            lines.append(f"{name}: {value}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))

        status, headers, rest = _read_http_head(sock, deadline)
        if status != 101:
            body = _read_http_body(sock, headers, rest, deadline)
            sock.close()
            raise UpgradeRefused(status, body.decode("utf-8", "replace"), headers)
        if headers.get("sec-websocket-accept") != accept_key(key):
            raise HandshakeError(f"bad Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}")
        chosen = headers.get("sec-websocket-protocol")
        if subprotocols and chosen is not None and chosen not in subprotocols:
            raise HandshakeError(f"server chose subprotocol {chosen!r}, not offered")
        client = OcppClient(sock, station_id, chosen, headers, rest)
        client.start()
        return client
    except BaseException:
        try:
            sock.close()
        except OSError:
            pass
        raise


# ---- the OCPP-J client ---------------------------------------------------------------------------

class ReceivedCall:
    __slots__ = ("message_id", "action", "payload", "seq", "time")

    def __init__(self, message_id, action, payload, seq):
        self.message_id, self.action, self.payload, self.seq = message_id, action, payload, seq
        self.time = time.monotonic()

    def __repr__(self):
        return f"ReceivedCall({self.action}, {self.message_id}, seq={self.seq})"


class _Pending:
    __slots__ = ("event", "frame", "seq")

    def __init__(self):
        self.event = threading.Event()
        self.frame = None
        self.seq = None


class OcppClient:
    """One OCPP-J connection. Thread-safe: calls may be made from several threads."""

    def __init__(self, sock, station_id, subprotocol, response_headers=None, initial=b""):
        self.sock = sock
        self.station_id = station_id
        self.subprotocol = subprotocol
        self.response_headers = response_headers or {}
        self._buf = bytearray(initial)
        self._send_lock = threading.Lock()
        self._state_lock = threading.Condition()
        self._pending = {}
        self._handlers = {}
        self._raw = queue.Queue()
        self._calls_in = queue.Queue()
        self._seq = 0
        self._close_sent = False
        self._stop = False
        self.received_calls = []       # ReceivedCall, in arrival order
        self.inbound = []              # (seq, parsed frame or raw text), every text message in order
        self.pongs = []
        self.pings = []                # monotonic arrival times of the server's pings
        self.auto_pong = True          # False: play a dead station that never answers pings
        self.closed_event = threading.Event()
        self.close_code = None
        self.close_reason = None
        self._reader = threading.Thread(target=self._read_loop, name=f"ws-reader-{station_id}", daemon=True)
        self._worker = threading.Thread(target=self._handle_loop, name=f"ws-handler-{station_id}", daemon=True)

    def start(self):
        self._reader.start()
        self._worker.start()

    # -- sending ---------------------------------------------------------------------------------
    def _send_frame(self, opcode, payload):
        data = encode_frame(opcode, payload)
        with self._send_lock:
            if self._close_sent and opcode != OP_CLOSE:
                raise ConnectionClosed("close already sent")
            if opcode == OP_CLOSE:
                self._close_sent = True
            try:
                self.sock.sendall(data)
            except OSError as e:
                raise ConnectionClosed(str(e)) from e

    def send_raw(self, text):
        """Sends text as one websocket text message, as is."""
        self._send_frame(OP_TEXT, text)

    def send_fragmented(self, text, pieces=3):
        """Sends one text message split over several frames (continuations)."""
        data = text.encode("utf-8")
        step = max(1, len(data) // pieces)
        chunks = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
        with self._send_lock:
            for i, chunk in enumerate(chunks):
                opcode = OP_TEXT if i == 0 else OP_CONT
                self.sock.sendall(encode_frame(opcode, chunk, fin=(i == len(chunks) - 1)))

    def ping(self, payload=b"p"):
        self._send_frame(OP_PING, payload)

    def recv_raw(self, timeout=5):
        """The next text message that was not a result for a pending call nor a CSMS CALL."""
        try:
            return self._raw.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.station_id}: no message within {timeout} s") from None

    def call(self, action, payload, timeout=5, message_id=None):
        """Sends a CALL and returns the CALLRESULT payload; raises CallError for a CALLERROR."""
        message_id = message_id or str(uuid.uuid4())
        pending = _Pending()
        with self._state_lock:
            if self.closed_event.is_set():
                raise ConnectionClosed(f"{self.station_id}: connection closed ({self.close_code})")
            self._pending[message_id] = pending
        try:
            self.send_raw(json.dumps([CALL, message_id, action, payload]))
            if not pending.event.wait(timeout):
                raise TimeoutError(f"{self.station_id}: no answer to {action} within {timeout} s")
        finally:
            with self._state_lock:
                self._pending.pop(message_id, None)
        frame = pending.frame
        if frame is None:
            raise ConnectionClosed(f"{self.station_id}: connection closed ({self.close_code}) during {action}")
        if frame[0] == CALLRESULT:
            return frame[2]
        details = frame[4] if len(frame) > 4 else None
        raise CallError(frame[2], frame[3] if len(frame) > 3 else "", details)

    # -- CSMS -> station calls ---------------------------------------------------------------------
    def on_call(self, action, fn):
        """fn(payload) returns the response payload (or NO_REPLY), or raises CallError."""
        self._handlers[action] = fn

    def wait_for_call(self, action=None, timeout=5, start=0):
        """The first received CALL (of `action`, if given) at index >= start of received_calls."""
        deadline = time.monotonic() + timeout
        with self._state_lock:
            while True:
                for call in self.received_calls[start:]:
                    if action is None or call.action == action:
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = [c.action for c in self.received_calls]
                    raise TimeoutError(f"{self.station_id}: no {action or 'CALL'} within {timeout} s (got {got})")
                self._state_lock.wait(remaining)

    def calls_of(self, action):
        with self._state_lock:
            return [c for c in self.received_calls if c.action == action]

    def _handle_loop(self):
        while True:
            item = self._calls_in.get()
            if item is None:
                return
            call = item
            fn = self._handlers.get(call.action)
            try:
                if fn is None:
                    raise CallError("NotImplemented", f"test station has no handler for {call.action}")
                result = fn(call.payload)
                if result is NO_REPLY:
                    continue
                reply = [CALLRESULT, call.message_id, result]
            except CallError as e:
                reply = [CALLERROR, call.message_id, e.code, e.description, e.details]
            except Exception as e:  # a bug in a test handler: tell the CSMS, keep running
                reply = [CALLERROR, call.message_id, "InternalError", repr(e)[:200], {}]
            try:
                self.send_raw(json.dumps(reply))
            except ConnectionClosed:
                pass

    # -- receiving -------------------------------------------------------------------------------
    def _read_loop(self):
        assembler = MessageAssembler()
        code, reason = 1006, "connection lost"
        try:
            self.sock.settimeout(0.25)
            while not self._stop:
                frame = decode_frame(self._buf)
                if frame is None:
                    try:
                        chunk = self.sock.recv(65536)
                    except socket.timeout:
                        continue
                    except ssl.SSLWantReadError:
                        continue
                    if not chunk:
                        break
                    self._buf += chunk
                    continue
                fin, opcode, payload, masked, used = frame
                del self._buf[:used]
                if masked:
                    raise ProtocolError("server sent a masked frame")
                message = assembler.feed(fin, opcode, payload)
                if message is None:
                    continue
                opcode, payload = message
                if opcode == OP_PING:
                    self.pings.append(time.monotonic())
                    if self.auto_pong:
                        try:
                            self._send_frame(OP_PONG, payload)
                        except ConnectionClosed:
                            pass
                elif opcode == OP_PONG:
                    self.pongs.append(payload)
                elif opcode == OP_CLOSE:
                    code, reason = parse_close_payload(payload)
                    try:
                        if not self._close_sent:
                            self._send_frame(OP_CLOSE, payload[:2])
                    except ConnectionClosed:
                        pass
                    break
                elif opcode == OP_TEXT:
                    self._on_text(payload.decode("utf-8"))
                else:
                    self._on_text(payload.decode("utf-8", "replace"))
        except (OSError, ProtocolError, ValueError) as e:
            if not self._stop:
                reason = f"{type(e).__name__}: {e}"
        finally:
            self._finish(code, reason)

    def _on_text(self, text):
        with self._state_lock:
            self._seq += 1
            seq = self._seq
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        with self._state_lock:
            self.inbound.append((seq, msg if msg is not None else text))
            if isinstance(msg, list) and len(msg) >= 3 and msg[0] in (CALLRESULT, CALLERROR) \
                    and isinstance(msg[1], str) and msg[1] in self._pending:
                pending = self._pending[msg[1]]
                pending.frame, pending.seq = msg, seq
                pending.event.set()
                return
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == CALL:
                call = ReceivedCall(msg[1], msg[2], msg[3], seq)
                self.received_calls.append(call)
                self._state_lock.notify_all()
                self._calls_in.put(call)
                return
        self._raw.put(text)

    def inbound_index(self, predicate):
        """Sequence number of the first inbound message matching predicate(parsed), or None."""
        with self._state_lock:
            for seq, msg in self.inbound:
                if predicate(msg):
                    return seq
        return None

    def _finish(self, code, reason):
        with self._state_lock:
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
            for pending in self._pending.values():
                pending.event.set()
            self._state_lock.notify_all()
        try:
            self.sock.close()
        except OSError:
            pass
        self._calls_in.put(None)
        self.closed_event.set()

    # -- closing ---------------------------------------------------------------------------------
    def close(self, code=1000, reason="", timeout=3):
        """Close handshake: send close, wait for the server's close, then drop the socket."""
        if not self.closed_event.is_set():
            try:
                self._send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))
            except ConnectionClosed:
                pass
            self.closed_event.wait(timeout)
        self._stop = True
        self.closed_event.wait(1)
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Drops the TCP connection without a close handshake (a station losing power)."""
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.closed_event.wait(2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
