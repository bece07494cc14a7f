#include "sip/stream_framer.h"

#include <gtest/gtest.h>

#include <random>

#include "test_messages.h"

namespace tg::sip {
namespace {

using testing::kInvite;
using testing::kOk;

std::vector<Frame> drain(StreamFramer& f) {
  std::vector<Frame> out;
  for (;;) {
    Frame fr = f.next();
    if (fr.status == FrameStatus::kNeedMore) break;
    const bool stop = fr.status == FrameStatus::kError;
    out.push_back(std::move(fr));
    if (stop) break;
  }
  return out;
}

TEST(StreamFramerTest, SeveralMessagesInOneRead) {
  StreamFramer f;
  f.append(kInvite + kOk + kInvite);
  auto frames = drain(f);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].message, kInvite);
  EXPECT_EQ(frames[1].message, kOk);
  EXPECT_EQ(frames[2].message, kInvite);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(StreamFramerTest, ArbitraryPiecesGiveTheSameMessages) {
  const std::string stream = kInvite + "\r\n\r\n" + kOk + kInvite;
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    StreamFramer f;
    std::vector<std::string> messages;
    int pings = 0;
    size_t pos = 0;
    while (pos < stream.size()) {
      const size_t len = std::min<size_t>(1 + rng() % 97, stream.size() - pos);
      f.append(std::string_view(stream).substr(pos, len));
      pos += len;
      for (Frame& fr : drain(f)) {
        ASSERT_NE(fr.status, FrameStatus::kError) << fr.reason;
        if (fr.status == FrameStatus::kMessage) messages.push_back(std::move(fr.message));
        if (fr.status == FrameStatus::kPing) ++pings;
      }
    }
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0], kInvite);
    EXPECT_EQ(messages[1], kOk);
    EXPECT_EQ(messages[2], kInvite);
    EXPECT_EQ(pings, 1);
  }
}

TEST(StreamFramerTest, ByteAtATime) {
  StreamFramer f;
  std::vector<std::string> messages;
  for (char c : kInvite + kOk) {
    f.append(std::string_view(&c, 1));
    for (Frame& fr : drain(f)) messages.push_back(std::move(fr.message));
  }
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1], kOk);
}

TEST(StreamFramerTest, KeepAlivePingAndPong) {
  StreamFramer f;
  f.append("\r\n\r\n");
  auto frames = drain(f);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].status, FrameStatus::kPing);
  f.append("\r\n");
  EXPECT_TRUE(drain(f).empty());  // could still become a ping
  f.append(kOk);
  frames = drain(f);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].status, FrameStatus::kPong);
  EXPECT_EQ(frames[1].status, FrameStatus::kMessage);
}

TEST(StreamFramerTest, RefusesAbsurdContentLengthWithoutWaiting) {
  StreamFramer f;
  f.append("INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999\r\n\r\n");
  auto frames = drain(f);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].status, FrameStatus::kError);
  EXPECT_EQ(frames[0].reason, "invalid or excessive Content-Length");
  // The stream stays failed.
  f.append(kOk);
  EXPECT_EQ(f.next().status, FrameStatus::kError);
}

TEST(StreamFramerTest, RequiresContentLength) {
  StreamFramer f;
  f.append("OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n");
  EXPECT_EQ(f.next().reason, "Content-Length is required on stream transports");
}

TEST(StreamFramerTest, ConflictingContentLengthsAreAnError) {
  StreamFramer f;
  f.append("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab");
  EXPECT_EQ(f.next().status, FrameStatus::kError);
}

TEST(StreamFramerTest, FoldedAndCompactContentLength) {
  StreamFramer f;
  f.append("OPTIONS sip:a@b SIP/2.0\r\nl:\r\n 2\r\n\r\nab");
  Frame fr = f.next();
  ASSERT_EQ(fr.status, FrameStatus::kMessage);
  EXPECT_EQ(fr.message.substr(fr.message.size() - 2), "ab");
}

TEST(StreamFramerTest, HeaderFloodIsBounded) {
  FramerLimits limits;
  limits.maxHeaderBytes = 1024;
  StreamFramer f(limits);
  f.append("OPTIONS sip:a@b SIP/2.0\r\n");
  Frame fr;
  for (int i = 0; i < 100 && fr.status != FrameStatus::kError; ++i) {
    f.append("X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    fr = f.next();
  }
  EXPECT_EQ(fr.status, FrameStatus::kError);
  EXPECT_EQ(fr.reason, "header block too large");
}

TEST(StreamFramerTest, StrayCrIsAnError) {
  StreamFramer f;
  f.append("\rX");
  EXPECT_EQ(f.next().status, FrameStatus::kError);
}

}  // namespace
}  // namespace tg::sip
