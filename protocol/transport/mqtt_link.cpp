#include "protocol/transport/mqtt_link.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <fstream>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#include <mqtt/async_client.h>

#include "protocol/transport/mqtt_nodelay.hpp"

namespace evbroker::transport {

std::string MqttMessage::user_property(std::string_view name) const {
  for (const auto& [key, value] : user_properties) {
    if (key == name) return value;
  }
  return {};
}

namespace {

using Clock = std::chrono::steady_clock;

// Paho's default (30 s) would keep a dead first URL blocking the failover to the next one.
constexpr std::chrono::seconds kConnectTimeout{10};

// Set while a Paho callback of any link runs on this thread: stop() must not block there, since
// Paho's few threads serve every client and the operation it would wait for needs them.
thread_local bool t_on_paho_thread = false;

class PahoThreadMark {
 public:
  PahoThreadMark() : previous_(t_on_paho_thread) { t_on_paho_thread = true; }
  ~PahoThreadMark() { t_on_paho_thread = previous_; }
  PahoThreadMark(const PahoThreadMark&) = delete;
  PahoThreadMark& operator=(const PahoThreadMark&) = delete;

 private:
  bool previous_;
};

/// Adapts Paho's action-listener interface (success/failure of one token) to a function.
class Listener final : public mqtt::iaction_listener {
 public:
  using Fn = std::function<void(const mqtt::token&, bool ok)>;
  explicit Listener(Fn fn) : fn_(std::move(fn)) {}
  void on_success(const mqtt::token& token) override { fn_(token, true); }
  void on_failure(const mqtt::token& token) override { fn_(token, false); }

 private:
  Fn fn_;
};

struct BrokerUri {
  std::string paho;  // the form Paho understands: tcp://host:port or ssl://host:port
  bool tls = false;
};

/// "mqtt://h:p" -> "tcp://h:p", "mqtts://h:p" -> "ssl://h:p"; tcp:// and ssl:// pass through.
std::optional<std::string> to_paho_uri(const std::string& url, BrokerUri& out) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) return "broker URL '" + url + "' has no scheme (mqtt://, mqtts://, tcp://, ssl://)";
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string rest = url.substr(sep + 3);
  if (scheme == "mqtt" || scheme == "tcp") {
    out = {"tcp://" + rest, false};
  } else if (scheme == "mqtts" || scheme == "ssl") {
    out = {"ssl://" + rest, true};
  } else {
    return "broker URL '" + url + "': unsupported scheme '" + scheme + "' (mqtt://, mqtts://, tcp://, ssl://)";
  }
  const bool blank = std::any_of(rest.begin(), rest.end(), [](unsigned char c) { return std::isspace(c) != 0; });
  if (rest.empty() || rest.front() == ':' || rest.front() == '/' || blank) {
    return "broker URL '" + url + "' has no valid host";
  }
  return std::nullopt;
}

std::optional<std::string> check_readable(const std::string& what, const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream file(path);
  if (!file) return what + " '" + path + "' cannot be read";
  return std::nullopt;
}

bool valid_qos(int qos) { return qos >= 0 && qos <= 2; }

/// "Not authorized (0x87)".
std::string reason_text(int reason_code) {
  static constexpr char kHex[] = "0123456789abcdef";
  return mqtt::exception::reason_code_str(reason_code) + " (0x" + kHex[(reason_code >> 4) & 0xf] +
         kHex[reason_code & 0xf] + ")";
}

std::string topics_of(const mqtt::token& token) {
  std::string out;
  if (const auto topics = token.get_topics()) {
    for (std::size_t i = 0; i < topics->size(); ++i) {
      if (!out.empty()) out += ',';
      out += (*topics)[i];
    }
  }
  return out;
}

MqttMessage to_message(const mqtt::const_message_ptr& in) {
  MqttMessage out;
  out.topic = in->get_topic();
  out.payload = in->get_payload_str();
  out.qos = in->get_qos();
  out.retained = in->is_retained();
  const mqtt::properties& props = in->get_properties();
  // mqtt::get throws when a property is absent: check first.
  if (props.contains(mqtt::property::CONTENT_TYPE)) {
    out.content_type = mqtt::get<std::string>(props, mqtt::property::CONTENT_TYPE);
  }
  if (props.contains(mqtt::property::RESPONSE_TOPIC)) {
    out.response_topic = mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC);
  }
  if (props.contains(mqtt::property::CORRELATION_DATA)) {
    out.correlation_data = mqtt::get<std::string>(props, mqtt::property::CORRELATION_DATA);
  }
  const std::size_t n = props.count(mqtt::property::USER_PROPERTY);
  for (std::size_t i = 0; i < n; ++i) {
    auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
    out.user_properties.emplace_back(std::move(std::get<0>(pair)), std::move(std::get<1>(pair)));
  }
  return out;
}

mqtt::properties publish_properties(const MqttPublish& m) {
  mqtt::properties props;
  if (!m.content_type.empty()) props.add({mqtt::property::CONTENT_TYPE, m.content_type});
  if (!m.response_topic.empty()) props.add({mqtt::property::RESPONSE_TOPIC, m.response_topic});
  if (!m.correlation_data.empty()) props.add({mqtt::property::CORRELATION_DATA, m.correlation_data});
  for (const auto& [name, value] : m.user_properties) {
    props.add({mqtt::property::USER_PROPERTY, name, value});
  }
  return props;
}

// The subscribe listener is shared by every connection; the connection a SUBACK belongs to
// travels in the token's user context, so answers to an earlier connection are recognised and
// dropped. Paho only stores and hands back the pointer value, it never dereferences it.
void* generation_context(std::uint64_t generation) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(generation));
}
std::uint64_t generation_of(const mqtt::token& token) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token.get_user_context()));
}

}  // namespace

// Connection handling is done here rather than with Paho's automatic_reconnect: that one takes
// whole seconds (min_retry is 250 ms), does not retry a first connect that failed, and does not
// resubscribe. A worker thread issues connect() whenever there is no session and the backoff
// has passed; the Paho callbacks move the state machine below (all under mutex_):
//
//   idle --connect()--> connecting --CONNACK--> session_up --all SUBACKs--> connected
//     ^                     | failure                |  lost                    | lost
//     +---- backoff --------+------------------------+--------------------------+
struct MqttLink::Impl {
  Impl(MqttLinkOptions opts, std::vector<MqttSubscription> subs, MqttLinkCallbacks cbs)
      : options(std::move(opts)), subscriptions(std::move(subs)), callbacks(std::move(cbs)) {}

  ~Impl() {
    try {
      stop(std::chrono::milliseconds{2000});
    } catch (...) {
    }
    // client (declared last) is destroyed first: MQTTAsync_destroy ends Paho's use of the
    // listeners and handlers below.
  }

  // ---- configuration (constant after start) -----------------------------------------------------
  const MqttLinkOptions options;
  const std::vector<MqttSubscription> subscriptions;
  const MqttLinkCallbacks callbacks;
  mqtt::connect_options connect_options;

  // ---- connection state ---------------------------------------------------------------------------
  mutable std::mutex mutex;
  std::condition_variable changed;
  bool started = false;
  bool stopping = false;
  bool connecting = false;  // a connect() is under way
  bool session_up = false;  // CONNACK received, not lost since
  bool ever_connected = false;
  std::atomic<bool> connected{false};  // session_up and every SUBACK in (written under mutex)
  std::uint64_t generation = 0;        // one per CONNACK; stale answers carry an older one
  std::size_t pending_subacks = 0;
  std::string refused;            // problems of the current connection (refused filters)
  std::string connected_server;   // URI of the current connection
  std::string server_disconnect;  // reason of a DISCONNECT sent by the broker
  std::chrono::milliseconds backoff{0};
  Clock::time_point next_attempt{};
  std::thread worker;

  // ---- user callbacks: one at a time, none after stop() -------------------------------------------
  // Paho calls back from two threads (receive and send/timeouts): this mutex serialises the user
  // callbacks and keeps state changes in order. Lock order: user_mutex, then mutex.
  std::mutex user_mutex;
  std::atomic<bool> user_closed{false};  // read with user_mutex held

  // ---- counters -----------------------------------------------------------------------------------
  std::atomic<int> inflight{0};  // handed to Paho, token not yet complete (acked, or failed)
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> publish_refused{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> reconnects{0};

  // ---- Paho -----------------------------------------------------------------------------------------
  Listener connect_listener{[this](const mqtt::token& t, bool ok) { ok ? on_connected(t) : on_connect_failed(t); }};
  Listener subscribe_listener{[this](const mqtt::token& t, bool ok) { on_subscribed(t, ok); }};
  Listener publish_listener{[this](const mqtt::token&, bool) { inflight.fetch_sub(1); }};
  std::unique_ptr<mqtt::async_client> client;

  // -----------------------------------------------------------------------------------------------

  std::optional<std::string> validate(std::vector<std::string>& uris, bool& any_tls) const {
    if (options.urls.empty()) return "no broker URL configured";
    for (const auto& url : options.urls) {
      BrokerUri uri;
      if (auto error = to_paho_uri(url, uri)) return error;
      uris.push_back(uri.paho);
      any_tls = any_tls || uri.tls;
    }
    if (options.client_id.empty()) return "client_id must not be empty";
    if (options.min_retry.count() <= 0 || options.max_retry < options.min_retry) {
      return "reconnect backoff needs 0 < min_retry <= max_retry";
    }
    if (options.max_inflight <= 0) return "max_inflight must be positive";
    if (options.keep_alive.count() < 0) return "keep_alive must not be negative";
    if (options.session_expiry.count() < 0 || options.session_expiry.count() > 0xFFFFFFFFLL) {
      return "session_expiry out of range";
    }
    if (options.will && !valid_qos(options.will->qos)) return "will QoS must be 0, 1 or 2";
    if (options.birth && !valid_qos(options.birth->qos)) return "birth QoS must be 0, 1 or 2";
    for (const auto& sub : subscriptions) {
      if (sub.filter.empty()) return "empty subscription filter";
      if (!valid_qos(sub.qos)) return "subscription '" + sub.filter + "': QoS must be 0, 1 or 2";
    }
    if (!options.client_key_file.empty() && options.client_cert_file.empty()) {
      return "client_key_file given without client_cert_file";
    }
    if (auto error = check_readable("ca_file", options.ca_file)) return error;
    if (auto error = check_readable("client_cert_file", options.client_cert_file)) return error;
    if (auto error = check_readable("client_key_file", options.client_key_file)) return error;
    return std::nullopt;
  }

  std::optional<std::string> start() {
    {
      std::lock_guard lock(mutex);
      if (stopping) return std::string("MQTT link was stopped");
      if (started) return std::string("MQTT link already started");
      started = true;
    }
    auto error = setup_client();
    std::lock_guard lock(mutex);
    if (!error && stopping) error = "MQTT link was stopped";
    if (!error) {
      backoff = options.min_retry;
      next_attempt = Clock::now();
      try {
        worker = std::thread([this] { run(); });
      } catch (const std::system_error& e) {
        error = "cannot start the MQTT connect thread: " + std::string(e.what());
      }
    }
    if (error && !stopping) started = false;  // the options may be corrected and start() called again
    return error;
  }

  /// Creates the Paho client and the connect options from `options`.
  std::optional<std::string> setup_client() {
    std::vector<std::string> uris;
    bool any_tls = false;
    if (auto error = validate(uris, any_tls)) return error;

    try {
      // MQTT 5 must be chosen twice: at creation (Paho C then builds v5 packets) and in the
      // connect options. Without send_while_disconnected Paho refuses a publish while offline
      // instead of buffering it (publish() promises not to pretend).
      mqtt::create_options create(MQTTVERSION_5);
      create.set_send_while_disconnected(false);
      // Paho C refuses a publish (MQTTASYNC_MAX_BUFFERED_MESSAGES) once this many commands wait in
      // its queue, also while connected; its default of 100 drops messages in any burst. Our own
      // max_inflight count is the bound instead.
      create.set_max_buffered_messages(options.max_inflight);
      // Paho checks the URI scheme here; the list given to connect() below is what is used.
      client = std::make_unique<mqtt::async_client>(uris.front(), options.client_id, create);

      // Configured in place, never copied: copying a connect_options in Paho C++ 1.2.0 keeps the
      // connect-properties pointer of the source, which dangles once the source is gone (a
      // connect_options_builder's finalize() is such a copy). connect() copies it, but that copy
      // points into this member, which outlives every connect().
      auto& co = connect_options;
      co.set_mqtt_version(MQTTVERSION_5);  // before clean_start: setting the version resets it
      co.set_clean_start(options.session_expiry.count() == 0);
      co.set_servers(std::make_shared<mqtt::string_collection>(uris));
      co.set_keep_alive_interval(options.keep_alive);
      co.set_connect_timeout(kConnectTimeout);
      co.set_max_inflight(options.max_inflight);
      co.set_automatic_reconnect(false);
      if (options.session_expiry.count() > 0) {
        // The property is a four-byte unsigned integer; Paho takes it as int32_t.
        const auto expiry = static_cast<std::uint32_t>(options.session_expiry.count());
        co.set_properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<std::int32_t>(expiry))});
      }
      if (!options.username.empty()) {
        co.set_user_name(options.username);
        co.set_password(options.password);
      }
      if (options.will) {
        co.set_will(mqtt::will_options(options.will->topic, options.will->payload.data(), options.will->payload.size(),
                                       options.will->qos, options.will->retained));
      }
      if (any_tls) {
        mqtt::ssl_options ssl;
        if (!options.ca_file.empty()) ssl.set_trust_store(options.ca_file);  // else the system store
        if (!options.client_cert_file.empty()) ssl.set_key_store(options.client_cert_file);
        if (!options.client_key_file.empty()) ssl.set_private_key(options.client_key_file);
        ssl.set_enable_server_cert_auth(true);  // the chain
        ssl.set_verify(true);                   // and the host name
        co.set_ssl(std::move(ssl));
      }

      client->set_message_callback([this](mqtt::const_message_ptr m) { on_message(m); });
      client->set_connection_lost_handler([this](const std::string& cause) { on_connection_lost(cause); });
      client->set_disconnected_handler(
          [this](const mqtt::properties&, mqtt::ReasonCode code) { on_server_disconnect(code); });
    } catch (const std::exception& e) {  // mqtt::exception: Paho refused a URI or an option
      client.reset();
      return "MQTT client setup failed: " + std::string(e.what());
    }
    return std::nullopt;
  }

  /// The worker: issues connect() whenever there is no session and the backoff has passed.
  void run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (!session_up && !connecting && Clock::now() >= next_attempt) {
        connecting = true;
        lock.unlock();
        bool issued = true;
        try {
          client->connect(connect_options, nullptr, connect_listener);
        } catch (const mqtt::exception&) {
          issued = false;
        }
        lock.lock();
        if (!issued) {
          connecting = false;
          schedule_retry_locked();
        }
        continue;
      }
      if (!session_up && !connecting) {
        changed.wait_until(lock, next_attempt);
      } else {
        changed.wait(lock);
      }
    }
  }

  void schedule_retry_locked() {
    next_attempt = Clock::now() + backoff;
    backoff = std::min(backoff * 2, options.max_retry);
    changed.notify_all();
  }

  // ---- Paho callbacks -------------------------------------------------------------------------------

  void on_connected(const mqtt::token& token) {
    PahoThreadMark mark;
    std::string server;
    try {
      server = token.get_connect_response().get_server_uri();
    } catch (const mqtt::exception&) {
    }
    std::uint64_t gen = 0;
    {
      std::lock_guard lock(mutex);
      connecting = false;
      session_up = true;
      server_disconnect.clear();
      changed.notify_all();
      if (stopping) return;  // stop() disconnects this session
      gen = ++generation;
      // One slot per SUBACK plus one released below once every SUBSCRIBE went out, so the link
      // cannot count as up half-way through (and comes up when there is nothing to subscribe).
      pending_subacks = subscriptions.size() + 1;
      refused.clear();
      connected_server = server;
      detail::disable_nagle_towards(server);  // see mqtt_nodelay.hpp: 40 ms per message otherwise
      if (ever_connected) reconnects.fetch_add(1);
      ever_connected = true;
    }
    if (options.birth) {
      const MqttPublish birth{
          options.birth->topic, options.birth->payload, options.birth->qos, options.birth->retained, {}, {}, {}, {}};
      if (!send(birth)) note_problem(gen, "birth message to '" + options.birth->topic + "' not published");
    }
    // Always subscribe again, even when the broker kept the session: after a broker restart
    // without persistence the session is gone, and a duplicate SUBSCRIBE costs nothing.
    // One SUBSCRIBE per filter: Paho reports a refused single filter through on_failure with
    // its reason code, but a refused one among several only in a success's reason-code list.
    for (const auto& sub : subscriptions) {
      try {
        client->subscribe(sub.filter, sub.qos, generation_context(gen), subscribe_listener);
      } catch (const mqtt::exception& e) {
        subscription_done(gen, "subscribe '" + sub.filter + "' failed: " + e.what());
      }
    }
    subscription_done(gen, std::nullopt);  // the extra slot
  }

  void on_connect_failed(const mqtt::token& token) {
    PahoThreadMark mark;
    std::string detail = "cannot connect to the broker";
    for (std::size_t i = 0; i < options.urls.size(); ++i) detail += (i ? ", " : " at ") + options.urls[i];
    const int reason = token.get_reason_code();
    if (reason >= mqtt::ReasonCode::UNSPECIFIED_ERROR) {
      detail += ": refused, " + reason_text(reason);  // e.g. bad user name or password
    } else if (token.get_return_code() != 0) {
      // Paho C keeps the socket-level cause to itself; "Failure" (-1) mostly means nothing
      // listens there, or the TLS handshake failed.
      detail += ": " + mqtt::exception::error_str(token.get_return_code()) + " (" +
                std::to_string(token.get_return_code()) + ")";
    }
    {
      std::lock_guard lock(mutex);
      connecting = false;
      if (!stopping) schedule_retry_locked();
      changed.notify_all();
    }
    std::lock_guard user(user_mutex);
    if (user_closed || !callbacks.attempt_failed) return;
    try {
      callbacks.attempt_failed(detail);
    } catch (...) {
      // See on_message.
    }
  }

  void on_subscribed(const mqtt::token& token, bool ok) {
    PahoThreadMark mark;
    const std::uint64_t gen = generation_of(token);
    if (ok) {
      subscription_done(gen, std::nullopt);
      return;
    }
    const int reason = token.get_reason_code();
    if (reason >= mqtt::ReasonCode::UNSPECIFIED_ERROR) {
      subscription_done(gen, "subscription '" + topics_of(token) + "' refused: " + reason_text(reason));
    } else if (client->is_connected()) {
      subscription_done(gen, "subscription '" + topics_of(token) +
                                 "' failed: " + mqtt::exception::error_str(token.get_return_code()));
    }
    // Otherwise the connection went down with the SUBSCRIBE outstanding: on_connection_lost
    // follows and the next connection subscribes again.
  }

  void on_connection_lost(const std::string& cause) {
    PahoThreadMark mark;
    std::lock_guard user(user_mutex);
    std::string detail = "connection lost";
    bool report = false;
    {
      std::lock_guard lock(mutex);
      if (!session_up) return;
      session_up = false;
      report = connected.exchange(false);
      ++generation;  // answers still due for the lost connection are stale
      if (!server_disconnect.empty()) detail += ": broker sent DISCONNECT " + server_disconnect;
      if (!cause.empty()) detail += ": " + cause;
      if (!stopping) schedule_retry_locked();
      changed.notify_all();
    }
    if (report) call_state(false, detail);
  }

  // MQTT 5: the broker said why before closing (e.g. 0x8e session taken over, 0x8b shutting down);
  // Paho reports the closed connection separately through on_connection_lost.
  void on_server_disconnect(mqtt::ReasonCode code) {
    PahoThreadMark mark;
    std::lock_guard lock(mutex);
    server_disconnect = reason_text(code);
  }

  void on_message(const mqtt::const_message_ptr& message) {
    PahoThreadMark mark;
    if (!message) return;
    received.fetch_add(1);
    std::lock_guard user(user_mutex);
    if (user_closed || !callbacks.message) return;
    try {
      callbacks.message(to_message(message));
    } catch (...) {
      // An exception must not unwind into Paho's C code; the callback owns its errors.
    }
  }

  // ---- connection bookkeeping -------------------------------------------------------------------

  void note_problem(std::uint64_t gen, const std::string& what) {
    std::lock_guard lock(mutex);
    if (gen != generation) return;
    if (!refused.empty()) refused += "; ";
    refused += what;
  }

  /// One SUBACK (or its failure) of connection `gen` arrived; the last one makes the link
  /// connected. A refused subscription is reported in the detail, the link still counts as up.
  void subscription_done(std::uint64_t gen, const std::optional<std::string>& problem) {
    std::lock_guard user(user_mutex);
    std::string detail;
    {
      std::lock_guard lock(mutex);
      if (gen != generation || !session_up || stopping || pending_subacks == 0) return;
      if (problem) {
        if (!refused.empty()) refused += "; ";
        refused += *problem;
      }
      if (--pending_subacks > 0) return;
      connected.store(true);
      backoff = options.min_retry;  // a connection that came fully up resets the backoff
      detail = "connected" + (connected_server.empty() ? std::string() : " to " + connected_server);
      if (!refused.empty()) detail += "; " + refused;
      changed.notify_all();
    }
    call_state(true, detail);
  }

  /// Called with user_mutex held.
  void call_state(bool up, const std::string& detail) {
    if (user_closed || !callbacks.state) return;
    try {
      callbacks.state(up, detail);
    } catch (...) {
      // See on_message.
    }
  }

  // ---- publishing ---------------------------------------------------------------------------------

  /// Hands a message to Paho unless max_inflight messages are already unacknowledged.
  bool send(const MqttPublish& m) {
    // Reserve the slot first so that concurrent publishers cannot overshoot the limit.
    if (inflight.fetch_add(1) >= options.max_inflight) {
      inflight.fetch_sub(1);
      return false;
    }
    try {
      auto message =
          mqtt::message::create(m.topic, m.payload.data(), m.payload.size(), m.qos, m.retained, publish_properties(m));
      client->publish(std::move(message), nullptr, publish_listener);
      return true;  // publish_listener gives the slot back when the token completes
    } catch (const std::exception&) {
      // Paho refused it (lost connection in the meantime, bad topic or QoS): nothing was sent
      // and the listener is not called.
      inflight.fetch_sub(1);
      return false;
    }
  }

  bool publish(const MqttPublish& m) {
    if (!connected.load() || !send(m)) {
      publish_refused.fetch_add(1);
      return false;
    }
    published.fetch_add(1);
    return true;
  }

  // ---- waiting and stopping -----------------------------------------------------------------------

  bool wait_connected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [this] { return connected.load() || stopping; }) && connected.load();
  }

  void stop(std::chrono::milliseconds timeout) {
    const bool on_paho_thread = t_on_paho_thread;
    const auto deadline = Clock::now() + timeout;
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
      connected.store(false);
      changed.notify_all();
    }
    if (on_paho_thread) {
      user_closed.store(true);  // called from a user callback, which holds user_mutex
    } else {
      std::lock_guard user(user_mutex);  // waits for a user callback in progress
      user_closed.store(true);
    }
    if (worker.joinable()) worker.join();
    if (!client) return;

    std::unique_lock lock(mutex);
    if (!on_paho_thread) {
      // A connect still under way could complete after we looked and leave a connection that
      // the destructor would then drop without DISCONNECT, which publishes the will.
      changed.wait_until(lock, deadline, [this] { return !connecting; });
    }
    const bool disconnect = session_up || connecting;
    lock.unlock();
    if (!disconnect) return;
    try {
      // A normal disconnect (reason 0): the broker discards the will. Paho waits up to the
      // timeout for outstanding messages before sending it.
      const auto remaining = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                                      std::chrono::milliseconds{0});
      auto token = client->disconnect(mqtt::disconnect_options_builder()
                                          .timeout(remaining)
                                          .reason_code(mqtt::ReasonCode::NORMAL_DISCONNECTION)
                                          .finalize());
      if (!on_paho_thread) token->wait_for(remaining + std::chrono::milliseconds{500});
    } catch (const mqtt::exception&) {
      // Already disconnected.
    }
  }

  Stats stats() const { return {published.load(), publish_refused.load(), received.load(), reconnects.load()}; }
};

// ---- MqttLink --------------------------------------------------------------------------------------

MqttLink::MqttLink(MqttLinkOptions options, std::vector<MqttSubscription> subscriptions, MqttLinkCallbacks callbacks)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(subscriptions), std::move(callbacks))) {}

MqttLink::~MqttLink() = default;  // ~Impl stops

std::optional<std::string> MqttLink::start() {
  try {
    return impl_->start();
  } catch (const std::exception& e) {
    return std::string("MQTT link start failed: ") + e.what();
  }
}

bool MqttLink::wait_connected(std::chrono::milliseconds timeout) { return impl_->wait_connected(timeout); }

bool MqttLink::connected() const { return impl_->connected.load(); }

bool MqttLink::publish(MqttPublish message) {
  try {
    return impl_->publish(message);
  } catch (...) {
    impl_->publish_refused.fetch_add(1);
    return false;
  }
}

void MqttLink::stop(std::chrono::milliseconds timeout) {
  try {
    impl_->stop(timeout);
  } catch (...) {
    // stop() is called from destructors: nothing may escape.
  }
}

MqttLink::Stats MqttLink::stats() const { return impl_->stats(); }

}  // namespace evbroker::transport
