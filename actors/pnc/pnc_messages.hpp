#pragma once
// Messages to and between the Plug & Charge actors (the security actor and the back-end actor).

#include <cstdint>
#include <string>

#include <caf/all.hpp>

namespace evbroker::actors {

// To the security actor (Router::Service::security):
using booted_atom = caf::atom_constant<caf::atom("booted")>;    // (booted_atom, stationId): deliver what waits
using install_atom = caf::atom_constant<caf::atom("install")>;  // (install_atom, stationId): send pending installs
using retry_atom = caf::atom_constant<caf::atom("retry")>;      // (retry_atom, stationId, certificateType)

// To the back-end actor (Router::Service::backend); each answers a BackendReply:
using enroll_atom = caf::atom_constant<caf::atom("enroll")>;      // (enroll_atom, csrPem, renewal) -> chain PEM
using contract_atom = caf::atom_constant<caf::atom("contract")>;  // (contract_atom, exiBase64, schemaVersion) -> exiResponse
using roots_atom = caf::atom_constant<caf::atom("roots")>;        // (roots_atom) -> PEM bundle of Hubject's roots
using ocsp_atom = caf::atom_constant<caf::atom("ocsp")>;          // (ocsp_atom, url, requestDer) -> response DER

/// What a back end answered.
struct BackendReply {
  bool ok = false;
  std::string value;   // ok: the result (see each message above)
  std::string error;   // !ok: what went wrong, for logs, the API and statusInfo.additionalInfo
  int http_status = 0; // the last HTTP status seen (0: none, e.g. connection refused or timeout)
};

}  // namespace evbroker::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::BackendReply)
