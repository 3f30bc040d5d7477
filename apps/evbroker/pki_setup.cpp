#include "apps/evbroker/pki_setup.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

namespace evbroker::app {
namespace {

bool is_ip_address(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

void add_once(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

pki::LocalPkiOptions local_pki_options(const NodeConfig& config) {
  pki::LocalPkiOptions options;
  std::vector<std::string> names = config.server_names;
  // Stations reach the node by the name it listens on: a specific --wss-addr host belongs in the
  // certificate without the operator repeating it in --server-names.
  if (config.wss_addr && config.wss_addr->host != "0.0.0.0" && config.wss_addr->host != "::") {
    names.insert(names.begin(), config.wss_addr->host);
  }
  for (const auto& name : names) {
    add_once(is_ip_address(name) ? options.server_ip_addresses : options.server_dns_names, name);
  }
  return options;
}

pki::Result<pki::LocalPki> open_local_pki(const NodeConfig& config, bool* created) {
  return pki::LocalPki::open_or_create(pki_directory(config), local_pki_options(config), created);
}

pki::Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected(path + ": " + std::generic_category().message(errno));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Unexpected(path + ": read error");
  return text;
}

pki::Result<std::vector<pki::Certificate>> load_station_trust(const NodeConfig& config,
                                                              const pki::LocalPki& local_pki) {
  if (config.tls_client_ca.empty()) return local_pki.station_trust();
  auto text = read_text_file(config.tls_client_ca);
  if (!text) return Unexpected("--tls-client-ca " + text.error());
  auto certificates = pki::parse_pem_chain(*text);
  if (!certificates) return Unexpected("--tls-client-ca " + config.tls_client_ca + ": " + certificates.error());
  return std::move(*certificates);
}

}  // namespace evbroker::app
