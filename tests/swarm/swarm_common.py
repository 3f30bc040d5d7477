"""What the swarm tests share (standard library only): free loopback ports, an HTTP GET, a log's
tail and stopping a process by PID."""

import http.client
import os
import signal
import socket
import subprocess


def free_ports(n):
    """n distinct free loopback ports (held open together while they are picked)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def get(port, path):
    """(status, body) of GET http://127.0.0.1:port/path; (None, "") when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return None, ""
    finally:
        conn.close()


def tail(path, lines=30):
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])


def stop(proc):
    """SIGTERM by PID, then SIGKILL if it does not exit."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
