#include "tools/cs_swarm/registrar.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "protocol/json_writer.hpp"
#include "tools/cs_swarm/credentials.hpp"
#include "tools/cs_swarm/run_context.hpp"

namespace evbroker::swarm {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr int kTriesPerRequest = 3;
constexpr auto kRequestTimeout = std::chrono::seconds(30);

/// One registration: a station (index into the swarm) or a token.
struct Job {
  bool token = false;
  std::size_t index = 0;
};

/// The shared queue of jobs and the tally; every session runs on the one registration thread.
struct Plan {
  const Url& api;
  const SwarmOptions& options;
  std::size_t stations = 0;
  tcp::endpoint server;
  std::string password_hash;  // base64SHA256Password, when --password is given
  std::size_t next = 0;       // jobs handed out: stations first, then tokens
  std::size_t done = 0;
  RegistrationResult result;
  boost::asio::steady_timer* progress = nullptr;  // cancelled when the last request is done

  std::size_t total() const { return stations + options.tokens; }

  std::optional<Job> take() {
    if (next >= total()) return std::nullopt;
    const std::size_t i = next++;
    return i < stations ? Job{false, i} : Job{true, i - stations};
  }

  std::string target(const Job& job) const {
    if (job.token) return api.path + "/api/v0/token";
    return api.path + "/api/v0/cs/" + station_id(options, job.index);
  }

  std::string body(const Job& job) const {
    std::string out;
    ocpp::JsonWriter w(out);
    if (job.token) {
      // MaEVe's Token; the contract id only has to look like an eMAID.
      std::string digits = std::to_string(job.index + 1);
      digits.insert(0, 9 - std::min<std::size_t>(9, digits.size()), '0');
      w.raw(R"({"countryCode":"GB","partyId":"EVB","type":"RFID","uid":)");
      w.string(token_uid(options, job.index));
      w.raw(R"(,"contractId":)");
      w.string("GBEVB" + digits);
      w.raw(R"(,"issuer":"cs_swarm","valid":true,"cacheMode":"ALWAYS"})");
    } else {
      // MaEVe's numbering: 0 ws + Basic, 1 wss + Basic, 2 wss + client certificate; the node
      // refuses a station that connects with another profile than the one it is registered for.
      const int profile = !options.client_cert.empty() ? 2 : (options.tls ? 1 : 0);
      w.raw(R"({"securityProfile":)");
      w.integer(profile);
      if (!password_hash.empty() && profile != 2) {
        w.raw(R"(,"base64SHA256Password":)");
        w.string(password_hash);
      }
      w.raw('}');
    }
    return out;
  }

  void finished(const Job& job, bool ok, const std::string& why) {
    if (++done == total() && progress) progress->cancel();
    if (ok) {
      ++(job.token ? result.tokens_registered : result.stations_registered);
      return;
    }
    ++result.failures;
    ++result.failures_by_kind[(job.token ? "token: " : "cs: ") + why];
  }
};

/// One keep-alive connection sending one request after another until the plan is empty.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::io_context& io, Plan& plan) : stream_(io), plan_(plan) {}

  void start() { next_job(); }

 private:
  void next_job() {
    auto job = plan_.take();
    if (!job) return close();
    job_ = *job;
    tries_ = 0;
    send();
  }

  void send() {
    ++tries_;
    request_ = {};
    request_.method(http::verb::post);
    request_.target(plan_.target(job_));
    request_.version(11);
    request_.set(http::field::host, plan_.api.host_header());
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::user_agent, "cs_swarm");
    if (!plan_.options.api_token.empty()) request_.set(http::field::authorization, "Bearer " + plan_.options.api_token);
    request_.keep_alive(true);
    request_.body() = plan_.body(job_);
    request_.prepare_payload();
    if (!connected_) {
      stream_.expires_after(kRequestTimeout);
      stream_.async_connect(plan_.server, [self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return self->failed(ec);
        self->connected_ = true;
        self->write();
      });
      return;
    }
    write();
  }

  void write() {
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, request_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      if (ec) return self->failed(ec);
      self->read();
    });
  }

  void read() {
    response_ = {};
    http::async_read(stream_, buffer_, response_,
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return self->failed(ec);
                       self->answered();
                     });
  }

  void answered() {
    const unsigned status = response_.result_int();
    const bool ok = status >= 200 && status < 300;
    plan_.finished(job_, ok, "http " + std::to_string(status));
    if (!response_.keep_alive()) close_socket();
    next_job();
  }

  /// A broken connection: reconnect and send the same request again, a few times.
  void failed(const boost::system::error_code& ec) {
    close_socket();
    if (tries_ < kTriesPerRequest) return send();
    plan_.finished(job_, false, ec == beast::error::timeout ? std::string("timeout") : ec.message());
    next_job();
  }

  void close_socket() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
    buffer_.clear();
  }

  void close() { close_socket(); }

  beast::tcp_stream stream_;
  Plan& plan_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  Job job_;
  int tries_ = 0;
  bool connected_ = false;
};

void print_progress(const Plan& plan, std::chrono::steady_clock::time_point start) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("register %6.1fs  %zu/%zu done  %.0f/s  failures %zu\n", s, plan.done, plan.total(),
              s > 0 ? static_cast<double>(plan.done) / s : 0.0, plan.result.failures);
  std::fflush(stdout);
}

void tick(boost::asio::steady_timer& timer, const Plan& plan, std::chrono::steady_clock::time_point start) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer, &plan, start](const boost::system::error_code& ec) {
    if (ec || plan.done >= plan.total()) return;
    print_progress(plan, start);
    tick(timer, plan, start);
  });
}

}  // namespace

RegistrationResult register_all(const Url& api, const SwarmOptions& options, std::size_t stations) {
  const auto start = std::chrono::steady_clock::now();
  boost::asio::io_context io{1};
  Plan plan{api, options, stations, {}, {}, 0, 0, {}, nullptr};
  if (options.password) plan.password_hash = base64_sha256(*options.password);

  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(api.host, std::to_string(api.port), ec);
  if (ec || endpoints.empty()) {
    plan.result.failures = plan.total();
    plan.result.failures_by_kind["resolve " + api.host + ": " + ec.message()] = plan.total();
    return plan.result;
  }
  plan.server = endpoints.begin()->endpoint();

  boost::asio::steady_timer progress(io);
  plan.progress = &progress;
  if (!options.quiet) tick(progress, plan, start);
  const std::size_t sessions = std::min(options.register_connections, plan.total());
  for (std::size_t i = 0; i < sessions; ++i) std::make_shared<Session>(io, plan)->start();
  io.run();
  plan.result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!options.quiet) print_progress(plan, start);
  return plan.result;
}

}  // namespace evbroker::swarm
