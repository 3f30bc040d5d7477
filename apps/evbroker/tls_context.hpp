#pragma once
// The TLS context of the wss listener.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "apps/evbroker/config.hpp"
#include "pki/local_pki.hpp"

namespace evbroker::app {

/// Server certificate chain and key from --tls-cert/--tls-key, else the local PKI's; client
/// certificates (security profile 3) are checked against --tls-client-ca, else the local PKI's
/// station trust; session tickets with the keys in ticket_keys_path (tls_tickets.hpp). Null with
/// `error` set when a file cannot be used.
/// Where the wss listener's session ticket keys are kept: <pki dir>/tls-ticket-keys.
std::string ticket_keys_path(const NodeConfig& config);

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const NodeConfig& config, const pki::LocalPki& local_pki,
                                                            std::string& error);

}  // namespace evbroker::app
