#pragma once

// The running gateway as one object: the workers (one Gateway and io_context each, worker 0 on
// the thread that calls run()), the services they share (call records, guard services, remote
// phones, call policy) and what reaches across workers: stats, call control and reload.
// docs/architecture.md "Threads" says who owns what.
//
// Threads: run(), stop(), reload() and the signal handling belong to worker 0's thread (or to
// the only thread before run()); listCalls() and endCall() may also be called from a thread
// that is not a worker (they post to each worker and wait), never from workers 1..N;
// snapshot() from any thread (it reads the workers' atomic counters without asking them).

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/control_socket.h"
#include "app/gateway.h"
#include "app/reload_plan.h"
#include "b2bua/b2bua.h"
#include "base/log.h"
#include "config/config.h"
#include "identity/identity_verifier.h"

namespace tg::auth {
class AuthService;
}
namespace tg::db {
class CdrStore;
}
namespace tg::guard::policy {
class CallPolicy;
}
namespace tg::guard::fraud {
class FraudDetector;
}
namespace tg::media {
class MediaAnchor;
class RelayEngine;
}  // namespace tg::media

namespace tg::app {
namespace alerts {
class AlertDispatcher;
}
namespace capture {
class HepExporter;
}
namespace admin_api {
class AdminServer;
class GatewayBackend;
}  // namespace admin_api

class GuardServices;
struct StatusFacts;

// The log settings a config asks for (at start and on reload).
log::Settings logSettings(const config::Config& c);

// Counters summed over the workers, read from any thread (relaxed atomics: each value whole,
// the set not one instant).
struct ServerSnapshot {
  size_t workers = 0;
  size_t activeCalls = 0;
  size_t workersAnswered = 0;  // the workers read: all of them (none has to answer)
  GatewayStats gateway;
  b2bua::B2buaStats calls;
  guard::GuardStats guard;
  transaction::LargeRequestStats largeRequests;  // RFC 3261 §18.1.1 (large_requests.h)
  guard::FilterStatsTable filters;               // each guard filter's own counters
  b2bua::admission::AdmissionStats admission;    // each call-admission filter's, in chain order
  transport::TransportStats transport;           // UDP, TCP and TLS listeners and connections
};

struct CallEntry {
  size_t worker = 0;  // the worker that owns the call
  b2bua::CallSummary call;
  std::optional<b2bua::CallRecord::Media> media;  // relayed media so far (media/)
};

class Server {
 public:
  // Opens the shared services and builds the workers for `config` (read from `configPath`,
  // which reload() reads again). Null on failure, with the reason in *error.
  static std::unique_ptr<Server> create(std::string configPath, config::ConfigPtr config,
                                        std::string* error);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every worker's listeners, the control socket (database.control_socket) and the admin
  // API (admin:, when configured) and starts the shared threads; "" or what failed.
  std::string start();
  // Runs worker 0 on this thread and the others on their own until stop() has finished.
  void run();
  // Ends the active calls (BYE on both legs, CDRs closed), gives the BYEs a moment to leave,
  // then stops every worker; run() returns after that.
  void stop();
  // Reads the config file again. Refused when it has errors; otherwise applies what can change
  // live and names the rest. The result is also logged, as one line.
  ReloadResult reload();

  ServerSnapshot snapshot();
  // Everything `trunkguard status` shows (status_report.h); from a thread that is not a worker.
  StatusFacts status();
  std::vector<CallEntry> listCalls();
  // Call control: ends the call with this uuid on the worker that owns it (read from the uuid,
  // one worker asked): BYE on both legs, or CANCEL and a final answer before the answer; its
  // CDR says "ended-by-gateway: <reason>". False when that worker has no such call.
  bool endCall(std::string_view uuid, std::string_view reason,
               b2bua::EndCause cause = b2bua::EndCause::kAdmin);
  // Runs `fn` on every worker's own thread; returns at once.
  void forEachWorker(std::function<void(Gateway&)> fn);

  // reload() run on worker 0's thread, for a thread that is not a worker (the admin API);
  // nullopt when it did not finish within the ask timeout (it still runs to its end).
  std::optional<ReloadResult> reloadFromOutside();
  // Ends the live calls of a public-zone account on every worker (the admin API's disable);
  // returns at once.
  void endCallsOfAccount(const std::string& account, const std::string& reason);

  // The shared services, for the admin API (app/admin_api/gateway_backend.cc).
  GuardServices& guardServices() { return *guard_; }
  auth::AuthService* phones() { return phones_.get(); }
  b2bua::Bindings* bindings() { return bindings_.get(); }
  capture::HepExporter* capture() { return capture_.get(); }

  size_t workerCount() const { return gateways_.size(); }
  Gateway& worker(size_t index) { return *gateways_[index]; }
  asio::io_context& mainIo() { return *ios_[0]; }
  const config::ConfigPtr& config() const { return config_; }

 private:
  Server(std::string configPath, config::ConfigPtr config);
  std::string open();
  void wireWorkers();
  void scheduleHousekeeping();
  // Once a second on `g`'s thread: ends its calls whose media went silent (media.timeout_s).
  void watchMedia(Gateway& g, media::MediaAnchor& anchor);
  void waitPolicyTick();
  void waitTrimTick();
  void finishStop();
  void rememberReload(const ReloadResult& result);
  std::string openAdminApi();  // "" when none is configured or it is bound
  // `ask` on every worker's thread (inline when that is this thread or nothing runs yet), each
  // answer in its worker's slot; a worker that does not answer in time leaves its slot empty.
  template <typename T>
  std::vector<std::optional<T>> askEachWorker(std::function<T(Gateway&)> ask);
  // The same on one worker.
  template <typename T>
  std::optional<T> askWorker(size_t index, std::function<T(Gateway&)> ask);
  // `ask` posted to worker `index` (its answer to come), or answered inline into *inlineAnswer.
  template <typename T>
  std::optional<std::future<T>> post(size_t index, std::function<T(Gateway&)> ask,
                                     std::optional<T>* inlineAnswer);

  std::string configPath_;
  config::ConfigPtr config_;
  std::unique_ptr<db::CdrStore> cdrs_;
  std::unique_ptr<GuardServices> guard_;
  // Shared pointers: the guard's maintenance thread runs their housekeeping until it stops.
  std::shared_ptr<auth::AuthService> phones_;
  std::shared_ptr<b2bua::Bindings> bindings_;
  // Declared before the workers: their B2BUAs report the end of their calls to it.
  std::unique_ptr<guard::policy::CallPolicy> policy_;
  std::unique_ptr<guard::fraud::FraudDetector> fraud_;  // shared by the workers, like policy_
  uint64_t policyTicks_ = 0;
  // The media relay (null with media.anchor false) and each worker's side of it; declared
  // before the workers, whose B2BUAs hand them bodies and call ends.
  std::unique_ptr<media::RelayEngine> media_;
  std::vector<std::unique_ptr<media::MediaAnchor>> anchors_;
  // SIP capture (capture.hep; null without): declared before the workers, whose transports
  // copy every message into its rings.
  std::unique_ptr<capture::HepExporter> capture_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<std::unique_ptr<Gateway>> gateways_;
  std::vector<Gateway*> peers_;
  // After the workers: destroyed first, its fetch threads joined while the workers' queues
  // still exist (a fetch's answer is posted to one).
  std::unique_ptr<identity::IdentityVerifier> identity_;
  std::unique_ptr<asio::steady_timer> policyTimer_;
  std::unique_ptr<asio::steady_timer> trimTimer_;
  std::unique_ptr<asio::steady_timer> shutdownTimer_;
  std::vector<std::thread> threads_;
  std::atomic<bool> running_{false};
  bool stopping_ = false;
  std::chrono::steady_clock::time_point startedAt_;
  // Written by reload() on worker 0, read by the control socket's thread.
  std::mutex reloadMutex_;
  std::optional<ReloadResult> lastReload_;
  int64_t lastReloadAt_ = 0;  // Unix seconds
  // Last members: their threads read the rest, so they stop first.
  ControlSocket control_;
  std::unique_ptr<admin_api::GatewayBackend> adminBackend_;
  std::unique_ptr<admin_api::AdminServer> admin_;    // none without an admin: section
  std::unique_ptr<alerts::AlertDispatcher> alerts_;  // none without an alerts: section
};

}  // namespace tg::app
