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
/// station trust. Null with `error` set when a file cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const NodeConfig& config, const pki::LocalPki& local_pki,
                                                            std::string& error);

}  // namespace evbroker::app
