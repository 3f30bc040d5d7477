#pragma once
// The node's local PKI as the configuration describes it (directory, server certificate names), and
// the certificates profile-3 client certificates must chain to. Shared by the node and by
// `evbroker ca ...`, so that both open the same PKI the same way.

#include <string>
#include <vector>

#include "apps/evbroker/config.hpp"
#include "pki/local_pki.hpp"

namespace evbroker::app {

/// Options for LocalPki::open_or_create: the default names (localhost, 127.0.0.1, ::1), the
/// --wss-addr host when it is a specific one, and --server-names.
pki::LocalPkiOptions local_pki_options(const NodeConfig& config);

/// Opens the local PKI under pki_directory(config), creating whatever is missing.
pki::Result<pki::LocalPki> open_local_pki(const NodeConfig& config, bool* created);

/// What profile-3 client certificates must chain to: the certificates of --tls-client-ca when it is
/// set, else the local PKI's station trust (the CPO sub-CA and, after a rotation, the previous one).
pki::Result<std::vector<pki::Certificate>> load_station_trust(const NodeConfig& config, const pki::LocalPki& local_pki);

/// The whole file at `path`, or why it cannot be read.
pki::Result<std::string> read_text_file(const std::string& path);

}  // namespace evbroker::app
