#pragma once
// `evbroker ca ...`: the operator's hands on the node's local PKI (export certificates, issue a
// station client certificate, rotate). Reads the same settings as the node (--config, --data-dir,
// --pki-dir, --server-names, ...) so that it works on the PKI the node uses; creates the PKI when it
// is missing.

namespace evbroker::app {

/// Runs `evbroker ca <command> ...` (argv[1] is "ca"). Returns the exit code: 0 done, 1 failed,
/// 2 usage error. Prints results on stdout, problems on stderr.
int run_ca_command(int argc, const char* const* argv);

}  // namespace evbroker::app
