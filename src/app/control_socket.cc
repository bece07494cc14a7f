#include "app/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace tg::app {
namespace {

// A client that does not read its answer cannot hold the thread longer than this.
constexpr int kSendTimeoutSeconds = 2;
// How long `status` waits for the answer (the gateway waits 2 s at most for each busy worker).
constexpr int kReadTimeoutSeconds = 15;

bool addressFor(const std::string& path, sockaddr_un* addr) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

std::string systemError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Connected stream socket to `path`, or -1 with errno set.
int connectTo(const std::string& path) {
  sockaddr_un addr;
  if (!addressFor(path, &addr)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void writeAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away or stopped reading: its loss
    done += static_cast<size_t>(n);
  }
}

}  // namespace

ControlSocket::~ControlSocket() { stop(); }

std::string ControlSocket::open(const std::string& path) {
  sockaddr_un addr;
  if (!addressFor(path, &addr)) {
    return "control socket path " + path + " is empty or longer than " +
           std::to_string(sizeof(addr.sun_path) - 1) + " bytes";
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return "control socket " + path + " exists and is not a socket";
    if (const int fd = connectTo(path); fd >= 0) {
      ::close(fd);
      return "control socket " + path + " answers: another gateway is running on this database";
    }
    ::unlink(path.c_str());  // left by a gateway that did not stop cleanly
  }
  listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) return systemError("cannot create the control socket", path);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string why = systemError("cannot bind the control socket", path);
    ::close(listenFd_);
    listenFd_ = -1;
    return why;
  }
  path_ = path;
  // Before listen(): nobody can connect while the mode is still the umask's.
  if (::chmod(path.c_str(), 0660) != 0 || ::listen(listenFd_, 8) != 0 ||
      ::pipe2(wakeFds_, O_CLOEXEC) != 0) {
    std::string why = systemError("cannot set up the control socket", path);
    stop();
    return why;
  }
  return {};
}

void ControlSocket::start(std::function<std::string()> answer) {
  if (listenFd_ < 0 || thread_.joinable()) return;
  answer_ = std::move(answer);
  thread_ = std::thread([this] { serve(); });
}

void ControlSocket::serve() {
  pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakeFds_[0], POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      TG_LOG(kMain, err, "control socket {}: poll failed: {}", path_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const timeval timeout{kSendTimeoutSeconds, 0};
    ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    writeAll(client, answer_());
    ::close(client);
  }
}

void ControlSocket::stop() {
  if (thread_.joinable()) {
    const char wake = 1;
    [[maybe_unused]] const ssize_t n = ::write(wakeFds_[1], &wake, 1);
    thread_.join();
  }
  for (int* fd : {&listenFd_, &wakeFds_[0], &wakeFds_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

bool askControlSocket(const std::string& path, std::string* answer, std::string* error) {
  const int fd = connectTo(path);
  if (fd < 0) {
    *error = systemError("cannot connect to", path);
    return false;
  }
  // The gateway answers within its workers' timeout; a hung one must not hang the caller.
  const timeval timeout{kReadTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  answer->clear();
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = systemError("cannot read from", path);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    answer->append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace tg::app
