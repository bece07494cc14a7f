// The plumbing under the inbound path: the timer bridge runs a worker's timer queue on its
// loop, and messages, writes and send errors reach the worker they belong to.

#include "app/worker_plumbing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tg::app {
namespace {

using namespace std::chrono_literals;

class FakeWorker final : public Worker {
 public:
  asio::io_context& io() override { return io_; }
  void receive(std::unique_ptr<sip::Message> message, const transport::Packet& packet,
               bool handedOver) override {
    callIds.emplace_back(message->callId());
    sources.push_back(packet.source);
    handedOvers.push_back(handedOver);
  }
  bool knowsDialog(transport::Zone, std::string_view, std::string_view) const override {
    return false;
  }
  void sendOnOwnConnection(const transport::SendTarget&, std::string bytes) override {
    writes.push_back(std::move(bytes));
  }
  void onSendError(const transport::SendTarget& target) override { errors.push_back(target); }
  size_t run() {
    io_.restart();
    return io_.poll();
  }

  std::vector<std::string> callIds;
  std::vector<base::Address> sources;
  std::vector<bool> handedOvers;
  std::vector<std::string> writes;
  std::vector<transport::SendTarget> errors;

 private:
  asio::io_context io_;
};

std::unique_ptr<sip::Message> messageWithCallId(const std::string& callId) {
  auto m = std::make_unique<sip::Message>();
  std::string text =
      "OPTIONS sip:100@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKx\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:a@198.51.100.7>;tag=1\r\nTo: <sip:100@192.0.2.10>\r\n";
  text += "Call-ID: " + callId + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  const auto status = m->parse(std::move(text));
  EXPECT_TRUE(status.ok()) << status.reason;
  return m;
}

// A Call-ID that hashes to `shard` of `count`.
std::string callIdOn(size_t shard, size_t count) {
  for (int i = 0;; ++i) {
    std::string id = "call-" + std::to_string(i);
    if (shardOf(id, count) == shard) return id;
  }
}

TEST(ShardOf, OneWorkerOwnsEverything) {
  EXPECT_EQ(shardOf("anything", 1), 0u);
  EXPECT_EQ(shardOf("anything", 0), 0u);
  EXPECT_LT(shardOf("anything", 3), 3u);
  EXPECT_EQ(shardOf("anything", 3), shardOf("anything", 3));
}

TEST(WorkerPeers, AMessageOfAnotherWorkersCallIsPostedToThatWorker) {
  FakeWorker w0;
  FakeWorker w1;
  WorkerPeers peers(Shard{0, 2});
  peers.set({&w0, &w1});
  transport::Packet packet;
  packet.source = *base::Address::parse("198.51.100.7", 5060);

  auto mine = messageWithCallId(callIdOn(0, 2));
  EXPECT_FALSE(peers.handOver(mine, packet));
  EXPECT_NE(mine, nullptr) << "a message of this worker stays here";

  const std::string theirs = callIdOn(1, 2);
  auto other = messageWithCallId(theirs);
  EXPECT_TRUE(peers.handOver(other, packet));
  EXPECT_EQ(other, nullptr);
  EXPECT_TRUE(w1.callIds.empty()) << "posted, not run on the caller's thread";
  EXPECT_EQ(w1.run(), 1u);
  EXPECT_EQ(w1.callIds, std::vector<std::string>{theirs});
  EXPECT_EQ(w1.sources, std::vector<base::Address>{packet.source});
  EXPECT_EQ(w1.handedOvers, std::vector<bool>{true});  // the owner knows it was handed over
  EXPECT_EQ(w0.run(), 0u);
}

TEST(WorkerPeers, WithOneWorkerNothingCrosses) {
  FakeWorker w0;
  WorkerPeers peers(Shard{0, 1});
  peers.set({&w0});
  EXPECT_FALSE(peers.several());
  transport::Packet packet;
  auto m = messageWithCallId("any");
  EXPECT_FALSE(peers.handOver(m, packet));
  std::string bytes = "x";
  EXPECT_FALSE(peers.hopToOwner(0, {}, bytes));
  EXPECT_EQ(bytes, "x");
}

TEST(WorkerPeers, AWriteHopsToTheConnectionsOwnerAndErrorsReachTheOthers) {
  FakeWorker w0;
  FakeWorker w1;
  FakeWorker w2;
  WorkerPeers peers(Shard{1, 3});
  peers.set({&w0, &w1, &w2});
  EXPECT_TRUE(peers.several());
  std::string bytes = "INVITE ...";
  EXPECT_FALSE(peers.hopToOwner(1, {}, bytes)) << "this worker's own connection";
  EXPECT_TRUE(peers.hopToOwner(2, {}, bytes));
  EXPECT_EQ(w2.run(), 1u);
  EXPECT_EQ(w2.writes, std::vector<std::string>{"INVITE ..."});

  transport::SendTarget target;
  target.address = *base::Address::parse("192.0.2.1", 5061);
  peers.tellOthersSendError(target);
  EXPECT_EQ(w0.run(), 1u);
  EXPECT_EQ(w1.run(), 0u) << "the worker that saw the error handles its own";
  EXPECT_EQ(w2.run(), 1u);
  ASSERT_EQ(w0.errors.size(), 1u);
  EXPECT_EQ(w0.errors[0].address, target.address);
}

TEST(TimerBridge, RunsTheQueueOnTheLoopAndStopsWhenTold) {
  asio::io_context io;
  base::TimerQueue timers(base::SystemClock::instance());
  TimerBridge bridge(io, timers, base::SystemClock::instance());
  std::vector<int> fired;
  timers.schedule(base::Duration::zero(), [&] { fired.push_back(0); });  // already due
  timers.schedule(20ms, [&] { fired.push_back(20); });
  bridge.arm();
  io.run_for(200ms);
  EXPECT_EQ(fired, (std::vector<int>{0, 20}));

  timers.schedule(10ms, [&] { fired.push_back(10); });
  bridge.arm();
  bridge.stop();
  io.restart();
  io.run_for(100ms);
  EXPECT_EQ(fired.size(), 2u) << "nothing fires after stop()";
}

}  // namespace
}  // namespace tg::app
