#include "actors/pnc/backend_actor.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/records/json_read.hpp"
#include "actors/core/messages.hpp"
#include "pki/est.hpp"
#include "pki/password.hpp"
#include "pki/x509.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/transport/http_client.hpp"

namespace evbroker::actors {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using Done = std::function<void(const HttpOutcome&)>;

/// One exchange with its retry budget.
struct Exchange {
  transport::HttpClientRequest request;
  bool hubject_auth = false;  // send the bearer token; refresh it once on 401
  bool refreshed = false;
  int retries_left = 0;
  int attempt = 0;
  Done done;
};

struct CachedBundle {
  std::string pem;
  Clock::time_point fetched{};
  bool fresh(std::chrono::seconds ttl) const { return !pem.empty() && Clock::now() - fetched < ttl; }
};

struct BackendState {
  NodeContextPtr ctx;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, Exchange> exchanges;
  // OAuth2: the token, when it stops being usable, and exchanges waiting for a new one.
  std::string oauth_token;
  Clock::time_point oauth_expiry{};
  bool oauth_fetching = false;
  std::deque<std::uint64_t> waiting_for_token;
  CachedBundle roots;    // Hubject /v1/root/rootCerts as PEM
  CachedBundle cacerts;  // Hubject /cpo/cacerts/ISO15118-2 as PEM (sub-CAs of SECC certificates)
};
using Self = BackendActor::stateful_base<BackendState>;
using ReplyPromise = caf::typed_response_promise<BackendReply>;

bool oauth_configured(const PncSettings& s) { return !s.oauth_client_id.empty(); }

/// The bearer token for Hubject now ("" when none is configured or OAuth2 has none yet).
std::string bearer(Self* self) {
  const auto& pnc = self->state.ctx->pnc;
  if (oauth_configured(pnc)) return self->state.oauth_token;
  if (!pnc.token_env.empty()) {
    const char* value = std::getenv(pnc.token_env.c_str());  // read each time: operators rotate it
    if (value && *value) return value;
  }
  return pnc.token;
}

bool oauth_token_usable(Self* self) {
  return !self->state.oauth_token.empty() && Clock::now() < self->state.oauth_expiry;
}

void send_exchange(Self* self, std::uint64_t id);
void fetch_oauth_token(Self* self);

void begin(Self* self, Exchange exchange) {
  const auto id = self->state.next_id++;
  exchange.retries_left = self->state.ctx->pnc.backend_retries;
  exchange.request.timeout = self->state.ctx->pnc.backend_timeout;
  const bool needs_token = exchange.hubject_auth && oauth_configured(self->state.ctx->pnc);
  self->state.exchanges.emplace(id, std::move(exchange));
  if (needs_token && !oauth_token_usable(self)) {
    self->state.waiting_for_token.push_back(id);
    fetch_oauth_token(self);
    return;
  }
  send_exchange(self, id);
}

void send_exchange(Self* self, std::uint64_t id) {
  auto it = self->state.exchanges.find(id);
  if (it == self->state.exchanges.end()) return;
  auto request = it->second.request;
  ++it->second.attempt;
  if (it->second.hubject_auth) {
    auto token = bearer(self);
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  }
  auto* client = self->state.ctx->http_client;
  if (client == nullptr) {
    HttpOutcome outcome;
    outcome.id = id;
    outcome.error = "no HTTP client in this node";
    self->send(self, http_atom::value, std::move(outcome));
    return;
  }
  client->request(std::move(request),
                  [me = caf::actor_cast<BackendActor>(self), id](transport::HttpClientResult result) {
                    HttpOutcome outcome;
                    outcome.id = id;
                    if (result) {
                      outcome.delivered = true;
                      outcome.status = result->status;
                      outcome.body = std::move(result->body);
                    } else {
                      outcome.error = result.error().message;
                    }
                    caf::anon_send(me, http_atom::value, std::move(outcome));
                  });
}

/// Finishes an exchange: retries what a retry can fix, refreshes the token once on 401.
void on_outcome(Self* self, HttpOutcome& outcome) {
  auto it = self->state.exchanges.find(outcome.id);
  if (it == self->state.exchanges.end()) return;
  auto& exchange = it->second;
  const auto& log = self->state.ctx->pki_log;
  const bool transient = !outcome.delivered || outcome.status >= 500;
  if (transient && exchange.retries_left > 0) {
    --exchange.retries_left;
    const auto backoff = std::chrono::milliseconds(200) * (1 << std::min(exchange.attempt - 1, 5));
    log->warn("{} {}: {}; retrying in {} ms", exchange.request.method, exchange.request.url,
              outcome.delivered ? "HTTP " + std::to_string(outcome.status) : outcome.error, backoff.count());
    self->delayed_send(self, backoff, resend_atom::value, outcome.id);
    return;
  }
  if (outcome.delivered && outcome.status == 401 && exchange.hubject_auth && !exchange.refreshed) {
    exchange.refreshed = true;
    log->info("{} {}: 401, refreshing the token and retrying once", exchange.request.method, exchange.request.url);
    if (oauth_configured(self->state.ctx->pnc)) {
      self->state.oauth_token.clear();
      self->state.waiting_for_token.push_back(outcome.id);
      fetch_oauth_token(self);
    } else {
      send_exchange(self, outcome.id);  // an environment token may have been rotated meanwhile
    }
    return;
  }
  auto done = std::move(exchange.done);
  self->state.exchanges.erase(it);
  done(outcome);
}

/// Form-encodes one value (RFC 3986 unreserved characters kept).
std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void fail_waiting(Self* self, const std::string& error) {
  auto waiting = std::move(self->state.waiting_for_token);
  self->state.waiting_for_token.clear();
  for (auto id : waiting) {
    auto it = self->state.exchanges.find(id);
    if (it == self->state.exchanges.end()) continue;
    auto done = std::move(it->second.done);
    self->state.exchanges.erase(it);
    HttpOutcome outcome;
    outcome.id = id;
    outcome.error = error;
    done(outcome);
  }
}

void fetch_oauth_token(Self* self) {
  if (self->state.oauth_fetching) return;
  self->state.oauth_fetching = true;
  const auto& pnc = self->state.ctx->pnc;
  Exchange exchange;
  exchange.request.method = "POST";
  exchange.request.url = pnc.oauth_token_url;
  exchange.request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  exchange.request.body = "grant_type=client_credentials&client_id=" + form_encode(pnc.oauth_client_id) +
                          "&client_secret=" + form_encode(pnc.oauth_client_secret);
  exchange.done = [self](const HttpOutcome& outcome) {
    self->state.oauth_fetching = false;
    std::string error;
    if (!outcome.delivered) {
      error = "OAuth2 token request failed: " + outcome.error;
    } else if (outcome.status != 200) {
      error = "OAuth2 token request answered HTTP " + std::to_string(outcome.status);
    } else {
      simdjson::dom::object body;
      if (json::thread_parser().parse(outcome.body).get(body) != simdjson::SUCCESS) {
        error = "OAuth2 token response is not a JSON object";
      } else if (auto token = json::get_string(body, "access_token"); !token || token->empty()) {
        error = "OAuth2 token response has no access_token";
      } else {
        const auto expires_in = json::get_int(body, "expires_in").value_or(300);
        self->state.oauth_token = *token;
        // Renew a little early so a request never leaves with a token about to expire.
        self->state.oauth_expiry = Clock::now() + std::chrono::seconds(std::max<std::int64_t>(expires_in - 30, 1));
      }
    }
    if (!error.empty()) {
      self->state.ctx->pki_log->error("{}", error);
      fail_waiting(self, error);
      return;
    }
    auto waiting = std::move(self->state.waiting_for_token);
    self->state.waiting_for_token.clear();
    for (auto id : waiting) send_exchange(self, id);
  };
  begin(self, std::move(exchange));
}

BackendReply failure(const HttpOutcome& outcome, std::string_view what) {
  BackendReply reply;
  reply.http_status = outcome.status;
  if (!outcome.delivered) {
    reply.error = std::string(what) + ": " + outcome.error;
  } else {
    std::string excerpt = outcome.body.substr(0, 200);
    reply.error =
        std::string(what) + ": HTTP " + std::to_string(outcome.status) + (excerpt.empty() ? "" : " " + excerpt);
  }
  return reply;
}

BackendReply success(std::string value, int status) {
  BackendReply reply;
  reply.ok = true;
  reply.value = std::move(value);
  reply.http_status = status;
  return reply;
}

std::string hubject(Self* self, std::string_view path) {
  std::string base = self->state.ctx->pnc.hubject_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(path);
}

/// GET /cpo/cacerts/ISO15118-2 (cached): the sub-CAs that complete an enrolled SECC certificate.
void with_cacerts(Self* self, std::function<void(BackendReply)> then) {
  const auto ttl = self->state.ctx->pnc.root_cache_ttl;
  if (self->state.cacerts.fresh(ttl)) return then(success(self->state.cacerts.pem, 200));
  Exchange exchange;
  exchange.request.url = hubject(self, "/cpo/cacerts/ISO15118-2");
  exchange.request.headers = {{"Accept", "application/pkcs7-mime"}};
  exchange.hubject_auth = true;
  exchange.done = [self, then = std::move(then)](const HttpOutcome& outcome) {
    if (!outcome.delivered || outcome.status != 200) return then(failure(outcome, "Hubject cacerts"));
    auto certs = pki::parse_est_certificates(outcome.body);
    if (!certs) return then(failure(outcome, "Hubject cacerts: " + certs.error()));
    self->state.cacerts = {pki::to_pem_chain(*certs), Clock::now()};
    then(success(self->state.cacerts.pem, outcome.status));
  };
  begin(self, std::move(exchange));
}

/// An EST answer often holds only the new certificate; the station needs the chain up to (not
/// including) the root, leaf first.
void complete_chain(Self* self, std::vector<pki::Certificate> enrolled, ReplyPromise promise) {
  if (enrolled.size() > 1) {
    promise.deliver(success(pki::to_pem_chain(enrolled), 200));
    return;
  }
  with_cacerts(self, [enrolled, promise](BackendReply cacerts) mutable {
    if (!cacerts.ok) {
      promise.deliver(cacerts);
      return;
    }
    auto chain = enrolled;
    if (auto extra = pki::parse_pem_chain(cacerts.value)) {
      // Walk up from the leaf through the CA certificates, stopping before a self-signed root.
      for (bool extended = true; extended;) {
        extended = false;
        for (const auto& ca : *extra) {
          if (!ca.self_signed() && chain.back().signed_by(ca) && !(chain.back() == ca)) {
            chain.push_back(ca);
            extended = true;
            break;
          }
        }
      }
    }
    promise.deliver(success(pki::to_pem_chain(chain), 200));
  });
}

BackendActor::behavior_type backend(Self* self, NodeContextPtr ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [self](stop_atom) {
        fail_waiting(self, "the node is shutting down");
        self->quit();
      },
      [self](http_atom, HttpOutcome& outcome) { on_outcome(self, outcome); },
      [self](resend_atom, std::uint64_t id) { send_exchange(self, id); },

      // POST /cpo/simpleenroll|simplereenroll/ISO15118-2: a SECC certificate for a CSR.
      [self](enroll_atom, const std::string& csr_pem, bool renewal) {
        auto promise = self->make_response_promise<BackendReply>();
        auto csr = pki::CertificateRequest::from_pem(csr_pem);
        if (!csr) {
          BackendReply reply;
          reply.error = "bad CSR: " + csr.error();
          return promise.deliver(reply);
        }
        Exchange exchange;
        exchange.request.method = "POST";
        exchange.request.url =
            hubject(self, renewal ? "/cpo/simplereenroll/ISO15118-2" : "/cpo/simpleenroll/ISO15118-2");
        exchange.request.headers = {{"Content-Type", "application/pkcs10"},
                                    {"Content-Transfer-Encoding", "base64"},
                                    {"Accept", "application/pkcs7-mime"}};
        exchange.request.body = pki::est_request_body(*csr);
        exchange.hubject_auth = true;
        exchange.done = [self, promise](const HttpOutcome& outcome) mutable {
          if (!outcome.delivered || outcome.status != 200) {
            promise.deliver(failure(outcome, "Hubject EST"));
            return;
          }
          auto certs = pki::parse_est_certificates(outcome.body);
          if (!certs || certs->empty()) {
            promise.deliver(
                failure(outcome, "Hubject EST: " + (certs ? std::string("no certificate") : certs.error())));
            return;
          }
          complete_chain(self, std::move(*certs), promise);
        };
        begin(self, std::move(exchange));
        return promise;
      },

      // POST /v1/ccp/signedContractData: the contract certificate pool answers the EV's
      // CertificateInstallationReq.
      [self](contract_atom, const std::string& exi_request, const std::string& schema_version) {
        auto promise = self->make_response_promise<BackendReply>();
        Exchange exchange;
        exchange.request.method = "POST";
        exchange.request.url = hubject(self, "/v1/ccp/signedContractData");
        exchange.request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        ocpp::JsonWriter w(exchange.request.body);
        w.raw("{\"certificateInstallationReq\":");
        w.string(exi_request);
        w.raw(",\"xsdMsgDefNamespace\":");
        w.string(schema_version);
        w.raw('}');
        exchange.hubject_auth = true;
        exchange.done = [promise](const HttpOutcome& outcome) mutable {
          if (!outcome.delivered || outcome.status != 200) {
            promise.deliver(failure(outcome, "contract certificate pool"));
            return;
          }
          // {"CCPResponse":{"emaidContent":[{"messageDef":{"certificateInstallationRes":"..."}}]}}
          simdjson::dom::element doc;
          std::string_view exi;
          if (json::thread_parser().parse(outcome.body).get(doc) != simdjson::SUCCESS ||
              doc["CCPResponse"]["emaidContent"].at(0)["messageDef"]["certificateInstallationRes"].get(exi) !=
                  simdjson::SUCCESS ||
              exi.empty()) {
            promise.deliver(failure(outcome, "contract certificate pool: no certificateInstallationRes in the answer"));
            return;
          }
          promise.deliver(success(std::string(exi), outcome.status));
        };
        begin(self, std::move(exchange));
        return promise;
      },

      // GET /v1/root/rootCerts (cached for root_cache_ttl).
      [self](roots_atom) {
        auto promise = self->make_response_promise<BackendReply>();
        if (self->state.roots.fresh(self->state.ctx->pnc.root_cache_ttl)) {
          return promise.deliver(success(self->state.roots.pem, 200));
        }
        Exchange exchange;
        exchange.request.url = hubject(self, "/v1/root/rootCerts");
        exchange.request.headers = {{"Accept", "application/json"}};
        exchange.hubject_auth = true;
        exchange.done = [self, promise](const HttpOutcome& outcome) mutable {
          if (!outcome.delivered || outcome.status != 200) {
            promise.deliver(failure(outcome, "Hubject root certificates"));
            return;
          }
          simdjson::dom::array roots;
          if (json::thread_parser().parse(outcome.body)["RootCertificateCollection"]["rootCertificates"].get(roots) !=
              simdjson::SUCCESS) {
            promise.deliver(failure(outcome, "Hubject root certificates: unexpected answer"));
            return;
          }
          std::vector<pki::Certificate> certs;
          for (auto entry : roots) {
            std::string_view b64;
            std::string der;
            if (entry["caCertificate"].get(b64) != simdjson::SUCCESS || !pki::base64_decode(b64, der)) continue;
            if (auto cert = pki::Certificate::from_der(der)) certs.push_back(std::move(*cert));
          }
          if (certs.empty()) {
            promise.deliver(failure(outcome, "Hubject root certificates: none readable"));
            return;
          }
          self->state.roots = {pki::to_pem_chain(certs), Clock::now()};
          promise.deliver(success(self->state.roots.pem, outcome.status));
        };
        begin(self, std::move(exchange));
        return promise;
      },

      // POST <responder>: an OCSP request (RFC 6960 appendix A.1), answer as DER.
      [self](ocsp_atom, const std::string& url, const std::string& request_der) {
        auto promise = self->make_response_promise<BackendReply>();
        Exchange exchange;
        exchange.request.method = "POST";
        exchange.request.url = url;
        exchange.request.headers = {{"Content-Type", "application/ocsp-request"},
                                    {"Accept", "application/ocsp-response"}};
        exchange.request.body = request_der;
        exchange.done = [promise](const HttpOutcome& outcome) mutable {
          if (!outcome.delivered || outcome.status != 200) {
            promise.deliver(failure(outcome, "OCSP responder"));
            return;
          }
          promise.deliver(success(outcome.body, outcome.status));
        };
        begin(self, std::move(exchange));
        return promise;
      },
  };
}

}  // namespace

BackendActor spawn_backend_actor(caf::actor_system& system, NodeContextPtr ctx) {
  return system.spawn(backend, std::move(ctx));
}

}  // namespace evbroker::actors
