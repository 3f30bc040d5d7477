#pragma once
// The TLS context of the wss listener.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "apps/evbroker/config.hpp"
#include "pki/local_pki.hpp"

namespace evbroker::app {

/// Where the wss listener's session ticket keys are kept: <pki dir>/tls-ticket-keys.
std::string ticket_keys_path(const NodeConfig& config);

/// TLS 1.2 and 1.3. Server certificates: every --tls-cert/--tls-key pair (at most one per key type),
/// else the local PKI's ECDSA and RSA ones, so that TLS 1.2 offers exactly the suites of OCPP 2.0.1
/// A00.FR.318/421 (ECDHE-ECDSA-AES128/256-GCM with the ECDSA certificate, AES128/256-GCM-SHA256/384
/// with the RSA one); TLS 1.3 has OpenSSL's default suites. Client certificates (security profile 3)
/// are checked against --tls-client-ca, else the local PKI's station trust; session tickets with the
/// keys in ticket_keys_path (tls_tickets.hpp). Null with `error` set when a file cannot be used, a
/// key does not match its certificate or two certificates hold the same kind of key.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const NodeConfig& config, const pki::LocalPki& local_pki,
                                                            std::string& error);

}  // namespace evbroker::app
