#pragma once

// The gateway's local control socket: a Unix stream socket (never a network one) that
// `trunkguard status` connects to. Each connection gets one answer, written whole, then
// closed; nothing is read from the client. Mode 0660: the service's user and group (and
// root) may ask. Served on a thread of its own, never on a SIP worker.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace tg::app {

class ControlSocket {
 public:
  ControlSocket() = default;
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Binds `path`; "" or why not. A leftover socket file nobody answers on is replaced; one a
  // running gateway answers on is an error (two gateways on one database).
  std::string open(const std::string& path);
  // Answers every connection with `answer()` on the socket's own thread.
  void start(std::function<std::string()> answer);
  // Stops the thread (after the answer in progress) and removes the socket file.
  void stop();

  const std::string& path() const { return path_; }

 private:
  void serve();

  std::string path_;
  int listenFd_ = -1;
  int wakeFds_[2] = {-1, -1};  // stop() writes to [1]; the thread polls [0]
  std::function<std::string()> answer_;
  std::thread thread_;
};

// Connects to the control socket at `path` and reads its whole answer. False with the reason
// in *error ("cannot connect to PATH: No such file or directory").
bool askControlSocket(const std::string& path, std::string* answer, std::string* error);

}  // namespace tg::app
