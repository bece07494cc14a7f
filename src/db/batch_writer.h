#pragma once

// The write queue shared by CdrStore and EventStore: writes are queued and handed in batches to
// a background thread, so the message path never waits on the disk and the disk sees one fsync
// per batch instead of one per write.

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tg::db {

template <typename Write>
class BatchWriter {
 public:
  // Commits one batch in one transaction, in queue order; returns "" or the message (kept as
  // lastError()) of the failure that lost the whole batch. Runs on the writer thread only.
  using CommitFn = std::function<std::string(const std::vector<Write>&)>;

  struct Options {
    const char* threadName;  // at most 15 characters (the kernel's limit)
    // Writes waiting (queued plus the batch being committed) beyond which new ones are dropped
    // and counted: a stalled disk costs writes, never unbounded memory.
    size_t maxPending;
    // A batch is committed this long after its first write was queued, or as soon as batchSize
    // writes wait, or at once when someone flushes.
    std::chrono::milliseconds batchWindow;
    size_t batchSize;
  };

  BatchWriter(Options options, CommitFn commit)
      : options_(options), commit_(std::move(commit)), thread_([this] { run(); }) {}

  ~BatchWriter() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();  // the writer drains the queue before it returns
  }

  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Never waits for the disk; drops (and counts) the write when maxPending are waiting.
  void enqueue(Write&& w) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() + inFlight_ >= options_.maxPending) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (queue_.empty()) {
        firstQueuedAt_ = std::chrono::steady_clock::now();
        wake = true;
      }
      queue_.push_back(std::move(w));
      ++enqueued_;
      wake = wake || queue_.size() == options_.batchSize;
    }
    if (wake) wake_.notify_one();
  }

  // Blocks until every write queued before the call is committed or counted in failed().
  void flush() {
    std::unique_lock lock(mutex_);
    const uint64_t target = enqueued_;
    if (processed_ >= target) return;
    ++flushWaiters_;
    wake_.notify_one();
    processedCv_.wait(lock, [&] { return processed_ >= target; });
    --flushWaiters_;
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

  std::string lastError() const {
    std::lock_guard lock(errorMutex_);
    return lastError_;
  }

  // For failures outside the writer (the store's reads), so lastError() covers them too.
  void noteError(std::string error) {
    std::lock_guard lock(errorMutex_);
    lastError_ = std::move(error);
  }

 private:
  // After a backlog, batch buffers above this capacity are given back instead of kept.
  static constexpr size_t kRetainedCapacity = 4096;

  void run() {
    pthread_setname_np(pthread_self(), options_.threadName);
    std::vector<Write> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      wake_.wait_until(lock, firstQueuedAt_ + options_.batchWindow, [&] {
        return stop_ || flushWaiters_ > 0 || queue_.size() >= options_.batchSize;
      });
      batch.swap(queue_);
      inFlight_ = batch.size();
      const uint64_t through = enqueued_;
      lock.unlock();

      if (std::string error = commit_(batch); !error.empty()) {
        failed_.fetch_add(batch.size(), std::memory_order_relaxed);
        noteError(std::move(error));
      }
      batch.clear();
      if (batch.capacity() > kRetainedCapacity) std::vector<Write>().swap(batch);

      lock.lock();
      inFlight_ = 0;
      processed_ = through;
      processedCv_.notify_all();
    }
  }

  const Options options_;
  const CommitFn commit_;

  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failed_{0};
  mutable std::mutex errorMutex_;
  std::string lastError_;

  std::mutex mutex_;                     // guards everything below except thread_
  std::condition_variable wake_;         // the writer waits here for work
  std::condition_variable processedCv_;  // flush() waits here for the writer
  std::vector<Write> queue_;
  std::chrono::steady_clock::time_point firstQueuedAt_{};
  size_t inFlight_ = 0;     // writes in the batch being committed
  uint64_t enqueued_ = 0;   // writes accepted so far
  uint64_t processed_ = 0;  // writes committed or failed so far (a prefix of the queue order)
  int flushWaiters_ = 0;    // a waiting flush() cuts the batch window short
  bool stop_ = false;

  std::thread thread_;  // last: starts once every member above exists
};

}  // namespace tg::db
