#pragma once
// How the node reaches the Plug & Charge back ends (Hubject or any compatible CPO back end, OCSP
// responders) and which roots it trusts for contract certificates. Filled from the configuration.

#include <chrono>
#include <string>
#include <vector>

namespace evbroker::actors {

struct PncSettings {
  /// Base URL of Hubject's Open Plug&Charge API ("https://open.plugncharge-test.hubject.com").
  /// Empty: V2G certificates are signed by the local PKI and Get15118EVCertificate answers Failed.
  std::string hubject_url;

  /// Bearer token for Hubject, in order of precedence: OAuth2 client credentials when client_id is
  /// set; else the environment variable token_env; else the fixed token.
  std::string token;
  std::string token_env;
  std::string oauth_token_url;  // client credentials grant
  std::string oauth_client_id;
  std::string oauth_client_secret;

  /// PEM files of trusted roots for contract certificates (V2G and MO roots). Hubject's
  /// /v1/root/rootCerts are added when hubject_url is set, cached for root_cache_ttl.
  std::vector<std::string> root_files;
  std::chrono::seconds root_cache_ttl{3600};

  std::chrono::milliseconds backend_timeout{10000};  // one HTTP exchange with a back end or OCSP responder
  int backend_retries = 2;                           // extra attempts after a 5xx or a connection failure
};

}  // namespace evbroker::actors
