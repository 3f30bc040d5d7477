#pragma once
// One simulated charge station: its connection (a Link), its place in the scenario, the one CALL
// it may have in flight (OCPP-J allows one per direction), its transaction, and its reconnects.
// Everything runs on its worker's thread; nothing here locks.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "protocol/frame.hpp"
#include "protocol/version.hpp"
#include "tools/cs_swarm/link.hpp"
#include "tools/cs_swarm/responses.hpp"
#include "tools/cs_swarm/run_context.hpp"
#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {

class Worker;

class Station final : public LinkEvents {
 public:
  Station(Worker& worker, RunContext& run, std::size_t index);
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  /// Opens a connection (the first attempt, or a reconnect).
  void connect();
  /// Drops the connection at once and reconnects (a storm).
  void drop_and_reconnect();
  /// No new CALLs; closes politely once the CALL in flight is answered (or times out).
  void begin_stop();
  /// Counts a timeout when the CALL in flight waited longer than --call-timeout.
  void check_timeout(Clock::time_point now);

 private:
  enum class LinkState : std::uint8_t { idle, connecting, open };
  /// Where a pnc station is between its SignCertificate and the server's CertificateSigned.
  enum class SignState : std::uint8_t {
    none,
    requested,      // SignCertificate sent, not answered yet
    awaiting,       // answered Accepted; CertificateSigned not here yet
    arrived_early,  // CertificateSigned came before the answer (nothing in OCPP-J orders the two)
  };
  struct InFlight {
    std::string message_id;
    Step step;
    Clock::time_point sent;
  };

  // LinkEvents
  void on_open() override;
  void on_open_failed(const std::string& kind) override;
  void on_text(std::string_view text) override;
  void on_closed(const std::string& kind) override;

  void answer_csms_call(const ocpp::Frame& call);
  void on_certificate_signed(const ocpp::Frame& call);
  /// The end of one pnc cycle: pause --pnc-interval, then go on (or close when stopping).
  void pause_after_signing();
  /// The CSR of this station (CN = station id), made on first use; empty when that failed.
  const std::string& csr();
  /// Sends what comes next now, or arms the timer for when it is due.
  void next();
  void send_step(Step step);
  void wait_until(Clock::time_point when);
  /// The gap between two cycle CALLs: --rate's pace, or the heartbeat interval for idle plans.
  Clock::duration period() const;
  void on_answer(Step step, bool ok, const CheckedAnswer* checked);
  void begin_transaction();
  void skip_transaction();
  /// Our side ends the connection (end of run, end of a maeve-k6 cycle).
  void close_link();
  void connection_gone();
  void schedule_reconnect(Clock::duration delay);
  Clock::duration jittered(double seconds, double low, double high);
  void resolve_first_attempt();

  Worker& worker_;
  RunContext& run_;
  const std::size_t index_;
  const std::string id_;
  const std::string id_tag_;
  const ocpp::Version version_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<Link> link_;
  std::shared_ptr<TlsSessionSlot> tls_session_;  // wss with resumption: this station's last session
  LinkState state_ = LinkState::idle;

  bool stopping_ = false;
  bool first_resolved_ = false;
  bool booted_ = false;            // BootNotification accepted on this connection
  bool waiting_recovery_ = false;  // lost a booted connection; not booted again yet

  bool in_boot_sequence_ = true;
  std::size_t cursor_ = 0;           // index into on_connect or cycle
  std::size_t connector_ = 1;        // next connector to report at boot
  Clock::time_point next_due_{};     // pacing of the cycle
  Clock::duration idle_interval_{};  // heartbeat interval (idle plans)

  std::optional<InFlight> in_flight_;
  std::uint64_t message_counter_ = 0;
  std::string timed_out_id_;  // the last CALL given up on, to recognise its late answer

  // pnc
  SignState sign_ = SignState::none;
  Clock::time_point sign_sent_{};
  std::string csr_pem_;

  // the transaction in progress
  std::uint64_t transactions_ = 0;
  std::int64_t transaction_16_ = 0;
  std::string transaction_201_;
  std::int64_t seq_no_ = 0;
  double meter_wh_ = 0;
};

}  // namespace evbroker::swarm
