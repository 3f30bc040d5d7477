#pragma once
// The security actor: Plug & Charge and station certificates, for 2.0.1 natively and for 1.6
// through the security extension (SignCertificate, CertificateSigned, InstallCertificate) and
// DataTransfer vendorId "org.openchargealliance.iso15118pnc" (whose data is the 2.0.1 payload).
//
// Routed to it: 2.0.1 SignCertificate, Get15118EVCertificate, GetCertificateStatus, Authorize
// (plain token Authorize goes on to the authorization block); 1.6 SignCertificate and DataTransfer
// (other vendors go on to the data-transfer block). It also takes booted_atom / install_atom /
// retry_atom (core/messages.hpp) to deliver certificates and install roots as soon as it can: no
// polling loop anywhere.

#include <caf/all.hpp>

#include "actors/core/node_context.hpp"

namespace evbroker::actors {

SecurityActor spawn_security_actor(caf::actor_system& system, NodeContextPtr ctx);

}  // namespace evbroker::actors
