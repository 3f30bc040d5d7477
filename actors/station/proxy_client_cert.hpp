#pragma once
// TLS offload: a proxy in front of the node terminates TLS and forwards the upgrade over plain ws,
// telling the node what it saw in headers (MaEVe's and nginx's names):
//   X-Forwarded-Proto: https          the station connected with TLS
//   X-Client-Cert: <certificate>      its client certificate: URL-escaped PEM (nginx's
//                                     $ssl_client_escaped_cert), raw PEM, or base64 DER
//   X-Client-Cert-Hash: <hash>        only the certificate's hash (base64url SHA-256 of the DER); the
//                                     certificate was uploaded through POST /api/v0/certificate
// Anyone can send these headers, so they are read only with --trust-proxy, and a certificate passed
// in full must chain to the station trust store, as on the node's own wss listener.

#include <optional>
#include <string>

#include "actors/core/node_context.hpp"
#include "protocol/transport/ws_server.hpp"

namespace evbroker::actors {

struct ProxiedTls {
  bool tls = false;                           // X-Forwarded-Proto says https
  std::optional<std::string> client_cert_cn;  // subject CN of an accepted client certificate
  /// Why a certificate the proxy passed on was not accepted (names the header and the problem);
  /// empty when none was passed or it was accepted.
  std::string problem;
};

/// What the proxy says about a plain-ws upgrade. Only for ctx.trust_proxy; certificate headers count
/// only together with X-Forwarded-Proto: https.
ProxiedTls read_proxied_tls(const transport::UpgradeRequest& request, const NodeContext& ctx);

/// Does the upgrade carry any of the headers above? (To log that they were ignored.)
bool has_proxy_headers(const transport::UpgradeRequest& request);

}  // namespace evbroker::actors
