"""The daemon's command line: --help, a TOML --config overridden by flags, and a clear error with a
non-zero exit for a bad option, a port in use or an API open to the network without a token."""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import V201, Node, boot_201, free_port, keep_files, node_binary, require_binary


@require_binary
class CommandLine(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="evbroker-e2e-cli-")
        self.addCleanup(lambda: keep_files() or shutil.rmtree(self.root, ignore_errors=True))

    def run_node(self, *args, timeout=15):
        """Runs the binary expecting it to exit by itself; returns (code, stdout + stderr)."""
        try:
            done = subprocess.run([node_binary(), *args], capture_output=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, cwd=self.root)
        except subprocess.TimeoutExpired:
            self.fail(f"evbroker {' '.join(args)} kept running (expected it to exit)")
        return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")

    def base_args(self, api_port=None):
        return ["--ws-addr", f"127.0.0.1:{free_port()}", "--api-addr", f"127.0.0.1:{api_port or free_port()}",
                "--data-dir", os.path.join(self.root, "data"), "--files-addr", ""]

    def test_help_lists_every_option_and_exits_0(self):
        code, out = self.run_node("--help")
        self.assertEqual(code, 0, out)
        for option in ("--config", "--data-dir", "--ws-addr", "--wss-addr", "--api-addr", "--api-token",
                       "--heartbeat-interval", "--log-level", "--log-format", "--call-timeout"):
            self.assertIn(option, out)
        self.assertIn("9310", out, "defaults are shown")

    def test_a_bad_option_is_a_clear_error(self):
        for args, mention in ((["--no-such-option"], "--no-such-option"),
                              (["--ws-addr", "not-an-endpoint"], "--ws-addr"),
                              (["--heartbeat-interval", "soon"], "--heartbeat-interval"),
                              (["--log-format", "xml"], "--log-format"),
                              (["--no-sync=maybe"], "--no-sync")):
            with self.subTest(args=args):
                code, out = self.run_node(*self.base_args(), *args)
                self.assertEqual(code, 2, out)  # a usage error, not a signal
                self.assertIn(mention, out)

    def test_a_port_in_use_is_a_clear_error(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            code, out = self.run_node("--ws-addr", f"127.0.0.1:{port}", "--api-addr", f"127.0.0.1:{free_port()}",
                                      "--data-dir", os.path.join(self.root, "data"), "--files-addr", "")
            self.assertNotEqual(code, 0, out)
            self.assertIn("--ws-addr", out, "names which listener")
            self.assertIn("in use", out)
            code, out = self.run_node("--ws-addr", f"127.0.0.1:{free_port()}", "--api-addr", f"127.0.0.1:{port}",
                                      "--data-dir", os.path.join(self.root, "data"), "--files-addr", "")
            self.assertNotEqual(code, 0, out)
            self.assertIn("--api-addr", out)
            self.assertIn("in use", out)

    def test_an_api_open_to_the_network_needs_a_token(self):
        code, out = self.run_node("--ws-addr", f"127.0.0.1:{free_port()}", "--api-addr", f"0.0.0.0:{free_port()}",
                                  "--data-dir", os.path.join(self.root, "data"), "--files-addr", "")
        self.assertNotEqual(code, 0, out)
        self.assertIn("token", out.lower())

    def test_a_config_file_is_read_and_flags_override_it(self):
        config = os.path.join(self.root, "evbroker.toml")
        with open(config, "w") as f:
            f.write('heartbeat_interval = 77\nlog_level = "debug"\n')
        for flags, expected in (((), 77), (("--heartbeat-interval", "55"), 55)):
            with self.subTest(flags=flags):
                with Node(extra_args=["--config", config, *flags]) as node:
                    node.register_station("CFG-1")
                    client = node.connect("CFG-1", V201)
                    try:
                        self.assertEqual(client.call("BootNotification", boot_201())["interval"], expected)
                    finally:
                        client.close()

    def test_an_unknown_config_key_is_an_error(self):
        config = os.path.join(self.root, "bad.toml")
        with open(config, "w") as f:
            f.write('heartbeat_intervall = 77\n')
        code, out = self.run_node(*self.base_args(), "--config", config)
        self.assertNotEqual(code, 0, out)
        self.assertIn("heartbeat_intervall", out)


if __name__ == "__main__":
    unittest.main()
