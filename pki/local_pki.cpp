#include "pki/local_pki.hpp"

#include <optional>

#include "pki/pki_files.hpp"

namespace evbroker::pki {

using namespace detail;

namespace {

constexpr const char* csms_root_name = "csms-root";
constexpr const char* csms_server_name = "csms-server";
constexpr const char* csms_rsa_server_name = "csms-server-rsa";
// OCPP 2.0.1 asks for RSA keys of 2048 bits or more; 2048 keeps a first start quick (a 3072-bit key
// takes several times as long to make). An operator who wants more brings a pair (--tls-cert/--tls-key).
constexpr int rsa_server_key_bits = 2048;
constexpr const char* cpo_sub_ca_name = "cpo-sub-ca";
constexpr const char* previous_cpo_file = "cpo-sub-ca.previous.crt";
constexpr const char* v2g_root_name = "v2g-root";
constexpr const char* v2g_sub_ca_1_name = "v2g-cpo-sub-ca-1";
constexpr const char* v2g_sub_ca_2_name = "v2g-cpo-sub-ca-2";
constexpr const char* station_trust_file = "station-trust.pem";

struct KeyPair {
  Certificate cert;
  PrivateKey key;
};

std::string path_in(const std::string& dir, const std::string& file) { return dir + "/" + file; }

void add_pair(std::vector<FileToWrite>& files, const std::string& name, const Certificate& cert,
              const PrivateKey& key) {
  files.push_back({name + ".key", key.pem(), true});
  files.push_back({name + ".crt", cert.pem(), false});
}

/// A part's certificate and key, or nothing when neither file exists (it is then created).
Result<std::optional<KeyPair>> load_pair(const std::string& dir, const std::string& name) {
  const std::string crt_path = path_in(dir, name + ".crt");
  const std::string key_path = path_in(dir, name + ".key");
  const bool has_crt = file_exists(crt_path);
  const bool has_key = file_exists(key_path);
  if (!has_crt && !has_key) return std::optional<KeyPair>{};
  if (!has_crt || !has_key)
    return Unexpected((has_crt ? key_path : crt_path) + " is missing while " + (has_crt ? crt_path : key_path) +
                      " exists; restore it or remove both to have them re-created");
  auto crt_text = read_whole_file(crt_path);
  if (!crt_text) return Unexpected(std::move(crt_text.error()));
  auto cert = Certificate::from_pem(*crt_text);
  if (!cert) return Unexpected(crt_path + ": " + cert.error());
  auto key_text = read_whole_file(key_path);
  if (!key_text) return Unexpected(std::move(key_text.error()));
  auto key = PrivateKey::from_pem(*key_text);
  if (!key) return Unexpected(key_path + ": " + key.error());
  if (cert->public_key_der() != key->public_key_der())
    return Unexpected(key_path + " does not hold the key of " + crt_path);
  return std::optional<KeyPair>(KeyPair{std::move(*cert), std::move(*key)});
}

Result<void*> check_issued(const std::string& dir, const std::string& child, const Certificate& child_cert,
                           const std::string& parent, const Certificate& parent_cert) {
  if (!child_cert.signed_by(parent_cert))
    return Unexpected(path_in(dir, child + ".crt") + " was not issued by " + path_in(dir, parent + ".crt"));
  return nullptr;
}

/// The wss server certificates, one per key type TLS 1.2's required suites need.
struct ServerPart {
  const char* name;
  KeyType key_type;
};
constexpr ServerPart server_parts[] = {{csms_server_name, KeyType::ec}, {csms_rsa_server_name, KeyType::rsa}};

Result<PrivateKey> new_server_key(KeyType type) {
  return type == KeyType::rsa ? PrivateKey::generate_rsa(rsa_server_key_bits) : PrivateKey::generate_p256();
}

Result<KeyPair> make_server(const CertificateAuthority& root, const LocalPkiOptions& options, KeyType key_type) {
  auto key = new_server_key(key_type);
  if (!key) return Unexpected(std::move(key.error()));
  IssueOptions issue;
  issue.profile = CertificateProfile::csms_server;
  issue.validity = options.leaf_validity;
  issue.dns_names = options.server_dns_names;
  issue.ip_addresses = options.server_ip_addresses;
  const std::string common_name = options.server_dns_names.empty() ? "evbroker CSMS" : options.server_dns_names.front();
  auto cert = root.issue(*key, common_name, options.organization, issue);
  if (!cert)
    return Unexpected("cannot issue the " + std::string(key_type_name(key_type)) +
                      " CSMS server certificate: " + cert.error());
  return KeyPair{std::move(*cert), std::move(*key)};
}

/// Checks a server certificate found on disk, or makes it (listing its files in `files`) when it
/// is not there: how a PKI from before the RSA certificate gets one without touching the rest.
Result<void*> load_or_create_server(const std::string& dir, const ServerPart& part, const CertificateAuthority& root,
                                    const LocalPkiOptions& options, std::vector<FileToWrite>& files) {
  auto loaded = load_pair(dir, part.name);
  if (!loaded) return Unexpected(std::move(loaded.error()));
  if (!*loaded) {
    auto made = make_server(root, options, part.key_type);
    if (!made) return Unexpected(std::move(made.error()));
    add_pair(files, part.name, made->cert, made->key);
    return nullptr;
  }
  if (auto issued = check_issued(dir, part.name, (*loaded)->cert, csms_root_name, root.certificate()); !issued)
    return issued;
  if ((*loaded)->cert.key_type() != part.key_type)
    return Unexpected(path_in(dir, std::string(part.name) + ".crt") + " holds an " +
                      std::string(key_type_name((*loaded)->cert.key_type())) + " key where the local PKI keeps its " +
                      std::string(key_type_name(part.key_type)) +
                      " server certificate; remove it and its key to have them re-created");
  return nullptr;
}

Result<CertificateAuthority> make_cpo_sub_ca(const CertificateAuthority& root, const LocalPkiOptions& options) {
  return root.create_sub_ca("evbroker CPO Sub-CA", options.organization, options.sub_ca_validity, 0);
}

/// ISO 15118-2's CPO branch has two sub-CA levels under the V2G root.
Result<std::pair<CertificateAuthority, CertificateAuthority>> make_v2g_sub_cas(const CertificateAuthority& root,
                                                                               const LocalPkiOptions& options) {
  auto first = root.create_sub_ca("evbroker V2G CPO Sub-CA 1", options.organization, options.sub_ca_validity, 1);
  if (!first) return Unexpected(std::move(first.error()));
  auto second = first->create_sub_ca("evbroker V2G CPO Sub-CA 2", options.organization, options.sub_ca_validity, 0);
  if (!second) return Unexpected(std::move(second.error()));
  return std::make_pair(std::move(*first), std::move(*second));
}

/// Loads a root, or creates one (listing its files in `files`) when it does not exist.
Result<CertificateAuthority> load_or_create_root(const std::string& dir, const std::string& name,
                                                 const std::string& common_name, const LocalPkiOptions& options,
                                                 std::vector<FileToWrite>& files) {
  auto loaded = load_pair(dir, name);
  if (!loaded) return Unexpected(std::move(loaded.error()));
  if (*loaded) {
    if (!(*loaded)->cert.self_signed() || !(*loaded)->cert.is_ca())
      return Unexpected(path_in(dir, name + ".crt") + " is not a self-signed CA certificate");
    return CertificateAuthority({(*loaded)->cert}, (*loaded)->key);
  }
  auto key = PrivateKey::generate_p256();
  if (!key) return Unexpected(std::move(key.error()));
  auto root = CertificateAuthority::create_root(common_name, options.organization, options.root_validity, *key);
  if (!root) return Unexpected(std::move(root.error()));
  add_pair(files, name, root->certificate(), root->key());
  return root;
}

/// Loads a sub-CA issued by `parent`, or creates one with `make` when it does not exist.
template <class Make>
Result<CertificateAuthority> load_or_create_sub_ca(const std::string& dir, const std::string& name,
                                                   const CertificateAuthority& parent, const std::string& parent_name,
                                                   std::vector<FileToWrite>& files, Make make) {
  auto loaded = load_pair(dir, name);
  if (!loaded) return Unexpected(std::move(loaded.error()));
  if (*loaded) {
    if (!(*loaded)->cert.is_ca()) return Unexpected(path_in(dir, name + ".crt") + " is not a CA certificate");
    if (auto issued = check_issued(dir, name, (*loaded)->cert, parent_name, parent.certificate()); !issued)
      return Unexpected(std::move(issued.error()));
    std::vector<Certificate> chain{(*loaded)->cert};
    chain.insert(chain.end(), parent.chain().begin(), parent.chain().end());
    return CertificateAuthority(std::move(chain), (*loaded)->key);
  }
  Result<CertificateAuthority> made = make();
  if (made) add_pair(files, name, made->certificate(), made->key());
  return made;
}

}  // namespace

LocalPki::LocalPki(std::string dir, LocalPkiOptions options, CertificateAuthority csms_root,
                   CertificateAuthority cpo_sub_ca, CertificateAuthority v2g_root, CertificateAuthority v2g_sub_ca_1,
                   CertificateAuthority v2g_sub_ca_2)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      csms_root_(std::move(csms_root)),
      cpo_sub_ca_(std::move(cpo_sub_ca)),
      v2g_root_(std::move(v2g_root)),
      v2g_sub_ca_1_(std::move(v2g_sub_ca_1)),
      v2g_sub_ca_2_(std::move(v2g_sub_ca_2)) {}

Result<LocalPki> LocalPki::open_or_create(const std::string& dir, const LocalPkiOptions& options, bool* created) {
  if (auto made = make_private_directory(dir); !made) return Unexpected(std::move(made.error()));
  if (auto recovered = recover_files(dir); !recovered) return Unexpected(std::move(recovered.error()));
  std::vector<FileToWrite> files;

  auto csms_root = load_or_create_root(dir, csms_root_name, "evbroker CSMS Root CA", options, files);
  if (!csms_root) return Unexpected(std::move(csms_root.error()));
  auto cpo = load_or_create_sub_ca(dir, cpo_sub_ca_name, *csms_root, csms_root_name, files,
                                   [&] { return make_cpo_sub_ca(*csms_root, options); });
  if (!cpo) return Unexpected(std::move(cpo.error()));

  for (const ServerPart& part : server_parts)
    if (auto server = load_or_create_server(dir, part, *csms_root, options, files); !server)
      return Unexpected(std::move(server.error()));

  auto v2g_root = load_or_create_root(dir, v2g_root_name, "evbroker V2G Root CA", options, files);
  if (!v2g_root) return Unexpected(std::move(v2g_root.error()));
  // The second V2G sub-CA is created together with the first: a new first one invalidates it.
  std::optional<CertificateAuthority> made_second;
  auto v2g_1 = load_or_create_sub_ca(dir, v2g_sub_ca_1_name, *v2g_root, v2g_root_name, files,
                                     [&]() -> Result<CertificateAuthority> {
                                       auto pair = make_v2g_sub_cas(*v2g_root, options);
                                       if (!pair) return Unexpected(std::move(pair.error()));
                                       made_second = std::move(pair->second);
                                       return std::move(pair->first);
                                     });
  if (!v2g_1) return Unexpected(std::move(v2g_1.error()));
  if (made_second) add_pair(files, v2g_sub_ca_2_name, made_second->certificate(), made_second->key());
  auto v2g_2 = made_second ? Result<CertificateAuthority>(std::move(*made_second))
                           : load_or_create_sub_ca(dir, v2g_sub_ca_2_name, *v2g_1, v2g_sub_ca_1_name, files, [&] {
                               return v2g_1->create_sub_ca("evbroker V2G CPO Sub-CA 2", options.organization,
                                                           options.sub_ca_validity, 0);
                             });
  if (!v2g_2) return Unexpected(std::move(v2g_2.error()));

  LocalPki pki(dir, options, std::move(*csms_root), std::move(*cpo), std::move(*v2g_root), std::move(*v2g_1),
               std::move(*v2g_2));
  const std::string previous_path = path_in(dir, previous_cpo_file);
  if (file_exists(previous_path)) {
    auto text = read_whole_file(previous_path);
    if (!text) return Unexpected(std::move(text.error()));
    auto previous = parse_pem_chain(*text);
    if (!previous) return Unexpected(previous_path + ": " + previous.error());
    for (const auto& cert : *previous)
      if (!cert.signed_by(pki.csms_root_.certificate()))
        return Unexpected(previous_path + " holds a certificate not issued by " + path_in(dir, "csms-root.crt"));
    pki.previous_cpo_ = std::move(*previous);
  }

  if (created) *created = !files.empty();
  // The bundle is derived from the certificates; rewrite it whenever it does not match them.
  const std::string bundle = to_pem_chain(pki.station_trust());
  const auto current_bundle = read_whole_file(pki.station_trust_path());
  if (!current_bundle || *current_bundle != bundle) files.push_back({station_trust_file, bundle, false});
  if (auto written = write_files(dir, files); !written) return Unexpected(std::move(written.error()));
  return pki;
}

std::vector<Certificate> LocalPki::station_trust() const {
  std::vector<Certificate> trust{cpo_sub_ca_.certificate()};
  trust.insert(trust.end(), previous_cpo_.begin(), previous_cpo_.end());
  return trust;
}

std::string LocalPki::server_chain_path() const { return path_in(dir_, std::string(csms_server_name) + ".crt"); }
std::string LocalPki::server_key_path() const { return path_in(dir_, std::string(csms_server_name) + ".key"); }
std::string LocalPki::rsa_server_chain_path() const {
  return path_in(dir_, std::string(csms_rsa_server_name) + ".crt");
}
std::string LocalPki::rsa_server_key_path() const { return path_in(dir_, std::string(csms_rsa_server_name) + ".key"); }
std::string LocalPki::station_trust_path() const { return path_in(dir_, station_trust_file); }

Result<std::pair<Certificate, PrivateKey>> LocalPki::issue_station_certificate(std::string_view station_id) const {
  auto key = PrivateKey::generate_p256();
  if (!key) return Unexpected(std::move(key.error()));
  IssueOptions issue;
  issue.profile = CertificateProfile::charging_station;
  issue.validity = options_.leaf_validity;
  auto cert = cpo_sub_ca_.issue(*key, station_id, options_.organization, issue);
  if (!cert) return Unexpected(std::move(cert.error()));
  return std::make_pair(std::move(*cert), std::move(*key));
}

namespace {
/// The leaf followed by the signing CA's chain without its root.
Result<std::vector<Certificate>> sign_with(const CertificateAuthority& ca, const CertificateRequest& csr,
                                           CertificateProfile profile, std::chrono::seconds validity) {
  IssueOptions issue;
  issue.profile = profile;
  issue.validity = validity;
  auto cert = ca.sign(csr, issue);
  if (!cert) return Unexpected(std::move(cert.error()));
  std::vector<Certificate> chain{std::move(*cert)};
  chain.insert(chain.end(), ca.chain().begin(), ca.chain().end() - 1);
  return chain;
}
}  // namespace

Result<std::vector<Certificate>> LocalPki::sign_charging_station(const CertificateRequest& csr) const {
  return sign_with(cpo_sub_ca_, csr, CertificateProfile::charging_station, options_.leaf_validity);
}

Result<std::vector<Certificate>> LocalPki::sign_v2g(const CertificateRequest& csr) const {
  return sign_with(v2g_sub_ca_2_, csr, CertificateProfile::v2g_secc, options_.leaf_validity);
}

Result<void*> LocalPki::rotate(RotateWhat what) {
  const bool server = what == RotateWhat::server || what == RotateWhat::all;
  const bool cpo = what == RotateWhat::cpo || what == RotateWhat::all;
  const bool v2g = what == RotateWhat::v2g || what == RotateWhat::all;
  std::vector<FileToWrite> files;

  if (server) {
    for (const ServerPart& part : server_parts) {
      auto made = make_server(csms_root_, options_, part.key_type);
      if (!made) return Unexpected(std::move(made.error()));
      add_pair(files, part.name, made->cert, made->key);
    }
  }
  std::optional<CertificateAuthority> new_cpo;
  std::vector<Certificate> new_previous = previous_cpo_;
  if (cpo) {
    auto made = make_cpo_sub_ca(csms_root_, options_);
    if (!made) return Unexpected(std::move(made.error()));
    add_pair(files, cpo_sub_ca_name, made->certificate(), made->key());
    // Only the sub-CA just replaced stays trusted: stations renewed twice since are on the new one.
    new_previous = {cpo_sub_ca_.certificate()};
    files.push_back({previous_cpo_file, to_pem_chain(new_previous), false});
    std::vector<Certificate> trust{made->certificate()};
    trust.insert(trust.end(), new_previous.begin(), new_previous.end());
    files.push_back({station_trust_file, to_pem_chain(trust), false});
    new_cpo = std::move(*made);
  }
  std::optional<std::pair<CertificateAuthority, CertificateAuthority>> new_v2g;
  if (v2g) {
    auto made = make_v2g_sub_cas(v2g_root_, options_);
    if (!made) return Unexpected(std::move(made.error()));
    add_pair(files, v2g_sub_ca_1_name, made->first.certificate(), made->first.key());
    add_pair(files, v2g_sub_ca_2_name, made->second.certificate(), made->second.key());
    new_v2g = std::move(*made);
  }

  if (auto written = write_files(dir_, files); !written) return written;
  // Only now that the files are in place does the object change, so it never disagrees with the disk.
  if (new_cpo) {
    cpo_sub_ca_ = std::move(*new_cpo);
    previous_cpo_ = std::move(new_previous);
  }
  if (new_v2g) {
    v2g_sub_ca_1_ = std::move(new_v2g->first);
    v2g_sub_ca_2_ = std::move(new_v2g->second);
  }
  return nullptr;
}

}  // namespace evbroker::pki
