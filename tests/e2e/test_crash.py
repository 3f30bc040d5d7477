"""Acknowledged means durable: under a stream of 2.0.1 transaction events from 8 stations, kill -9
the node, restart it on the same data directory, and find every acknowledged event stored."""

import os
import shutil
import tempfile
import threading
import unittest

from harness import V201, Node, boot_201, keep_files, now_iso, require_binary
from payloads import meter_value, sv, tx_event

STATIONS = 8
ACKS_BEFORE_KILL = 400
CYCLES = 3
SAMPLES_PER_EVENT = 10


def ten_samples(i):
    """A meter value of 10 sampled values, the energy register rising with i."""
    samples = [sv(1000 + 10 * i, context="Sample.Periodic")]
    for phase in ("L1", "L2", "L3"):
        samples.append(sv(16.0 + i % 3, "Current.Import", "A", "Sample.Periodic", phase))
        samples.append(sv(230.0 + i % 5, "Voltage", "V", "Sample.Periodic", phase + "-N"))
    samples.append(sv(11000 + i, "Power.Active.Import", "W", "Sample.Periodic"))
    samples.append(sv(50.0, "Frequency", None, "Sample.Periodic"))
    samples.append(sv(20 + i % 80, "SoC", "Percent", "Sample.Periodic", location="EV"))
    assert len(samples) == SAMPLES_PER_EVENT
    return samples


class Acks:
    """Every acknowledged (station, transactionId, seqNo), shared by the station threads."""

    def __init__(self):
        self.cond = threading.Condition()
        self.by_tx = {}       # (cs, tx) -> list of acked seqNos
        self.count = 0

    def add(self, cs, tx, seq_no):
        with self.cond:
            self.by_tx.setdefault((cs, tx), []).append(seq_no)
            self.count += 1
            self.cond.notify_all()

    def wait_for(self, n, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: self.count >= n, timeout)


def run_station(node, cs, tx_id, acks, stop, errors):
    """Closed loop: Started, then Updated events, each sent after the previous one was acknowledged."""
    try:
        client = node.connect(cs, V201)
    except Exception as e:
        errors.append(f"{cs}: connect: {e!r}")
        return
    try:
        client.call("BootNotification", boot_201(serial=cs))
        client.call("TransactionEvent", tx_event("Started", tx_id, 0, "CablePluggedIn", charging_state="EVConnected"),
                    timeout=10)
        acks.add(cs, tx_id, 0)
        seq_no = 1
        while not stop.is_set():
            event = tx_event("Updated", tx_id, seq_no, "MeterValuePeriodic", charging_state="Charging",
                             meter=[meter_value(now_iso(), *ten_samples(seq_no))])
            client.call("TransactionEvent", event, timeout=10)
            acks.add(cs, tx_id, seq_no)
            seq_no += 1
    except Exception as e:
        if not stop.is_set():       # errors after the kill are expected
            errors.append(f"{cs}: {e!r}")
    finally:
        client.abort()


@require_binary
class CrashTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="evbroker-e2e-crash-")
        self.addCleanup(lambda: keep_files() or shutil.rmtree(self.root, ignore_errors=True))

    def verify(self, node, acks):
        problems = []
        for (cs, tx), seq_nos in sorted(acks.by_tx.items()):
            status, record = node.api("GET", f"/api/v0/cs/{cs}/transactions/{tx}")
            if status != 200:
                problems.append(f"{cs}/{tx}: HTTP {status} {record!r} ({len(seq_nos)} events acknowledged)")
                continue
            updated = sum(1 for s in seq_nos if s > 0)
            if record.get("lastSeqNo", -1) < max(seq_nos):
                problems.append(f"{cs}/{tx}: lastSeqNo {record.get('lastSeqNo')} < acknowledged {max(seq_nos)}")
            if record.get("events", 0) < len(seq_nos):
                problems.append(f"{cs}/{tx}: events {record.get('events')} < acknowledged {len(seq_nos)}")
            stored = record.get("meterValues", [])
            if len(stored) < updated:
                problems.append(f"{cs}/{tx}: {len(stored)} meter values < {updated} acknowledged Updated events")
            short = [mv for mv in stored if len(mv.get("sampledValue", [])) != SAMPLES_PER_EVENT]
            if short:
                problems.append(f"{cs}/{tx}: {len(short)} meter values without their {SAMPLES_PER_EVENT} samples")
        self.assertEqual(problems, [])

    def stream_and_stop(self, cycles, stop_node):
        """cycles x (start the node, stream events from every station, stop_node(node) mid-stream),
        then a clean start that must find every acknowledged event."""
        data = os.path.join(self.root, "data")
        stations = [f"CRASH-{i}" for i in range(STATIONS)]
        acks = Acks()
        with Node(data_dir=data) as node:
            for cs in stations:
                node.register_station(cs)
        for cycle in range(cycles):
            node = Node(data_dir=data)
            node.start()
            try:
                if cycle > 0:
                    self.verify(node, acks)     # everything from the cycles before is still there
                stop, errors = threading.Event(), []
                start_count = acks.count
                threads = [threading.Thread(target=run_station,
                                            args=(node, cs, f"C{cycle}-{cs}", acks, stop, errors), daemon=True)
                           for cs in stations]
                for t in threads:
                    t.start()
                reached = acks.wait_for(start_count + ACKS_BEFORE_KILL, timeout=120)
                self.assertEqual(errors, [], "station errors before the node was stopped")
                self.assertTrue(reached, f"only {acks.count - start_count} acknowledgements within 120 s")
                stop_node(node)     # in the middle of the stream: events are in flight
                stop.set()
                for t in threads:
                    t.join(15)
                    self.assertFalse(t.is_alive(), "a station thread hangs after the node stopped")
            finally:
                node.kill9()
        with Node(data_dir=data) as node:
            self.verify(node, acks)
            self.assertGreaterEqual(acks.count, cycles * ACKS_BEFORE_KILL)

    def test_acknowledged_events_survive_kill_9(self):
        self.stream_and_stop(CYCLES, lambda node: node.kill9())

    def test_sigterm_under_load_exits_0_and_keeps_every_acknowledged_event(self):
        self.stream_and_stop(2, lambda node: node.stop(timeout=10))

if __name__ == "__main__":
    unittest.main()
