#include "apps/evbroker/ca_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "apps/evbroker/config.hpp"
#include "apps/evbroker/pki_setup.hpp"

namespace evbroker::app {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr std::string_view kUsageText =
    "Usage: evbroker ca <command> [arguments] [options]\n"
    "\n"
    "The node's local PKI (in --pki-dir, default <data-dir>/pki), created when missing.\n"
    "\n"
    "Commands:\n"
    "  export <what> [--out FILE]      print a certificate (PEM) or write it to FILE; <what> is one of\n"
    "                                  csms-root      the root stations trust for wss (profiles 2, 3)\n"
    "                                  v2g-root       the V2G root (ISO 15118-2 SECC certificates)\n"
    "                                  cpo-sub-ca     the CA that signs station certificates\n"
    "                                  station-trust  what client certificates must chain to\n"
    "                                  server-chain   the wss server certificate and its chain\n"
    "  issue-station <stationId> --cert-out FILE --key-out FILE\n"
    "                                  a client certificate for security profile 3 (CN = stationId,\n"
    "                                  signed by the CPO sub-CA) and its new key (written mode 0600)\n"
    "  rotate <server|cpo|v2g|all>     re-issue the sub-CAs and/or the server certificate under the\n"
    "                                  existing roots; restart the node afterwards. Station\n"
    "                                  certificates of the previous CPO sub-CA stay trusted.\n"
    "\n"
    "Options: the node's own, read the same way (see evbroker --help), e.g. --config FILE,\n"
    "--data-dir DIR, --pki-dir DIR, --server-names LIST.\n"
    "Exit codes: 0 done, 1 failed, 2 usage error.\n";

/// The command line split into the subcommand's words, its own options and the node's options.
struct CaArguments {
  std::vector<std::string> words;  // command and its positional arguments
  std::optional<std::string> out, cert_out, key_out;
  bool help = false;
  std::vector<std::string> node_args;  // handed to parse_config
  std::string error;
};

CaArguments split_arguments(int argc, const char* const* argv) {
  CaArguments a;
  const std::pair<std::string_view, std::optional<std::string>*> own[] = {
      {"--out", &a.out}, {"--cert-out", &a.cert_out}, {"--key-out", &a.key_out}};
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      a.help = true;
      continue;
    }
    if (arg.size() < 2 || arg.front() != '-') {
      a.words.push_back(arg);
      continue;
    }
    const auto equals = arg.find('=');
    const std::string flag = arg.substr(0, equals);
    bool is_own = false;
    for (const auto& [name, slot] : own) {
      if (flag != name) continue;
      is_own = true;
      if (equals != std::string::npos) {
        *slot = arg.substr(equals + 1);
      } else if (i + 1 < argc) {
        *slot = argv[++i];
      } else {
        a.error = std::string(name) + ": missing its FILE";
      }
    }
    if (is_own) continue;
    a.node_args.push_back(arg);
    if (equals == std::string::npos && flag_takes_value(flag) && i + 1 < argc) a.node_args.emplace_back(argv[++i]);
  }
  return a;
}

std::string system_error_text() { return std::generic_category().message(errno); }

/// Writes `content` to `path` with `mode` (also when the file existed with another mode).
std::optional<std::string> write_file(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return path + ": " + system_error_text();
  std::optional<std::string> problem;
  if (::fchmod(fd, mode) != 0) problem = path + ": " + system_error_text();
  std::size_t written = 0;
  while (!problem && written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      problem = path + ": " + system_error_text();
    else
      written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && !problem) problem = path + ": " + system_error_text();
  return problem;
}

std::string utc_time(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "evbroker ca: %s\n(see evbroker ca --help)\n", message.c_str());
  return kUsage;
}

int failure(const std::string& message) {
  std::fprintf(stderr, "evbroker ca: %s\n", message.c_str());
  return kFailed;
}

/// The PEM text `what` names, or nullopt when it names nothing.
std::optional<pki::Result<std::string>> exported_pem(const pki::LocalPki& pki, std::string_view what) {
  if (what == "csms-root") return pki::Result<std::string>(pki.csms_root().certificate().pem());
  if (what == "v2g-root") return pki::Result<std::string>(pki.v2g_root().certificate().pem());
  if (what == "cpo-sub-ca") return pki::Result<std::string>(pki.cpo_sub_ca().certificate().pem());
  if (what == "station-trust") return pki::Result<std::string>(pki::to_pem_chain(pki.station_trust()));
  if (what == "server-chain") return read_text_file(pki.server_chain_path());
  return std::nullopt;
}

int export_certificate(const pki::LocalPki& pki, const CaArguments& a) {
  auto pem = exported_pem(pki, a.words[1]);  // the name was checked by usage_problem()
  if (!pem) return failure("export: unknown certificate " + a.words[1]);
  if (!*pem) return failure("export " + a.words[1] + ": " + pem->error());
  if (!a.out) {
    std::fwrite(pem->value().data(), 1, pem->value().size(), stdout);
    return std::fflush(stdout) == 0 ? kOk : failure("writing to stdout: " + system_error_text());
  }
  if (auto problem = write_file(*a.out, pem->value(), 0644)) return failure(*problem);
  std::fprintf(stderr, "wrote %s to %s\n", a.words[1].c_str(), a.out->c_str());
  return kOk;
}

/// Station ids as the management API accepts them (docs/api.md): 1-48 characters, no '/'.
std::optional<std::string> station_id_problem(std::string_view id) {
  if (id.empty() || id.size() > 48) return "a station id has 1 to 48 characters, got " + std::to_string(id.size());
  for (unsigned char ch : id) {
    if (ch == '/' || ch < 0x20 || ch == 0x7f) return "a station id has no '/' and no control characters";
  }
  return std::nullopt;
}

int issue_station(const pki::LocalPki& pki, const CaArguments& a) {
  const std::string& id = a.words[1];
  auto issued = pki.issue_station_certificate(id);
  if (!issued) return failure("issue-station " + id + ": " + issued.error());
  const auto& [certificate, key] = *issued;
  // The CPO sub-CA goes with the leaf, so that a verifier that trusts only the CSMS root (a proxy,
  // another CSMS) can build the path.
  const std::string chain = certificate.pem() + pki.cpo_sub_ca().certificate().pem();
  if (auto problem = write_file(*a.key_out, key.pem(), 0600)) return failure(*problem);
  if (auto problem = write_file(*a.cert_out, chain, 0644)) return failure(*problem);
  std::printf(
      "issued a client certificate for station %s\n"
      "  subject:          %s\n"
      "  serial:           %s\n"
      "  notAfter:         %s\n"
      "  certificate hash: %s\n"
      "  certificate:      %s (with the CPO sub-CA)\n"
      "  key:              %s (mode 0600)\n",
      id.c_str(), certificate.subject().c_str(), certificate.serial_hex().c_str(),
      utc_time(certificate.not_after()).c_str(), certificate.sha256_hash().c_str(), a.cert_out->c_str(),
      a.key_out->c_str());
  return kOk;
}

std::optional<pki::RotateWhat> rotate_choice(std::string_view what) {
  if (what == "server") return pki::RotateWhat::server;
  if (what == "cpo") return pki::RotateWhat::cpo;
  if (what == "v2g") return pki::RotateWhat::v2g;
  if (what == "all") return pki::RotateWhat::all;
  return std::nullopt;
}

int rotate(pki::LocalPki& pki, const CaArguments& a) {
  const std::string& what = a.words[1];
  const auto choice = rotate_choice(what);
  if (!choice) return failure("rotate: unknown part " + what);
  if (auto done = pki.rotate(*choice); !done) return failure("rotate " + what + ": " + done.error());
  std::printf("rotated %s in %s\n", what.c_str(), pki.dir().c_str());
  if (*choice == pki::RotateWhat::cpo || *choice == pki::RotateWhat::all) {
    std::printf("station certificates issued by the previous CPO sub-CA stay trusted until they are renewed\n");
  }
  std::printf("restart the node (SIGTERM, then start it again) so that it uses the new certificates\n");
  return kOk;
}

constexpr std::string_view kExportable[] = {"csms-root", "v2g-root", "cpo-sub-ca", "station-trust", "server-chain"};

/// What is wrong with the command line, checked before anything touches the PKI.
std::optional<std::string> usage_problem(const CaArguments& a) {
  if (!a.error.empty()) return a.error;
  if (a.words.empty()) return std::string("missing command (export, issue-station or rotate)");
  const std::string& command = a.words[0];
  if (command != "export" && command != "issue-station" && command != "rotate") {
    return "unknown command '" + command + "' (export, issue-station or rotate)";
  }
  if (a.words.size() != 2) {
    return command + " takes exactly one argument, got " + std::to_string(a.words.size() - 1);
  }
  const std::string& argument = a.words[1];
  if (command != "export" && a.out) return std::string("--out is for export (issue-station has --cert-out, --key-out)");
  if (command != "issue-station" && (a.cert_out || a.key_out)) {
    return std::string("--cert-out and --key-out are for issue-station");
  }
  if (command == "export") {
    if (std::find(std::begin(kExportable), std::end(kExportable), argument) == std::end(kExportable)) {
      return "export: unknown certificate '" + argument +
             "' (csms-root, v2g-root, cpo-sub-ca, station-trust or server-chain)";
    }
    if (a.out && a.out->empty()) return std::string("--out: expected a file name, got ''");
  } else if (command == "issue-station") {
    if (auto problem = station_id_problem(argument)) return "issue-station: " + *problem;
    if (!a.cert_out || a.cert_out->empty()) return std::string("issue-station needs --cert-out FILE");
    if (!a.key_out || a.key_out->empty()) return std::string("issue-station needs --key-out FILE");
    if (*a.cert_out == *a.key_out) return std::string("issue-station: --cert-out and --key-out name the same file");
  } else if (!rotate_choice(argument)) {
    return "rotate: unknown part '" + argument + "' (server, cpo, v2g or all)";
  }
  return std::nullopt;
}

}  // namespace

int run_ca_command(int argc, const char* const* argv) {
  const CaArguments a = split_arguments(argc, argv);
  if (a.help) {
    std::fputs(kUsageText.data(), stdout);
    return kOk;
  }
  if (auto problem = usage_problem(a)) return usage_error(*problem);
  const std::string& command = a.words[0];

  std::vector<const char*> node_argv = {"evbroker"};
  for (const auto& arg : a.node_args) node_argv.push_back(arg.c_str());
  node_argv.push_back(nullptr);
  NodeConfig config;
  const auto outcome =
      parse_config(static_cast<int>(node_argv.size() - 1), node_argv.data(), config, ParseChecks::settings_only);
  if (outcome.kind == ParseOutcome::Kind::exit_error) return usage_error(outcome.message);
  if (outcome.kind == ParseOutcome::Kind::exit_ok) {
    std::fputs(outcome.message.c_str(), stdout);  // --version
    return kOk;
  }

  bool created = false;
  auto pki = open_local_pki(config, &created);
  if (!pki) return failure("cannot open the local PKI in " + pki_directory(config) + ": " + pki.error());
  if (created) std::fprintf(stderr, "created local PKI in %s\n", pki_directory(config).c_str());

  if (command == "export") return export_certificate(*pki, a);
  if (command == "issue-station") return issue_station(*pki, a);
  return rotate(*pki, a);
}

}  // namespace evbroker::app
