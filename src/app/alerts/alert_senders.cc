#include "app/alerts/alert_senders.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "app/alerts/alert_format.h"

namespace tg::app::alerts {

std::string postWebhook(const config::WebhookTarget& hook, const std::string& body,
                        const std::string& delivery, std::chrono::seconds timeout) {
  const size_t schemeEnd = hook.url.find("://");
  if (schemeEnd == std::string::npos) return "not a URL";
  const size_t pathStart = hook.url.find('/', schemeEnd + 3);
  const std::string origin = hook.url.substr(0, pathStart);
  const std::string path = pathStart == std::string::npos ? "/" : hook.url.substr(pathStart);
  httplib::Client client(origin);
  if (!client.is_valid()) return "cannot use " + origin;
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Headers headers{{"X-Trunkguard-Delivery", delivery},
                           {"User-Agent", "trunkguard-alerts"}};
  if (!hook.secret.empty()) {
    headers.emplace("X-Trunkguard-Signature", signature(hook.secret.reveal(), body));
  }
  const httplib::Result r = client.Post(path, headers, body, "application/json");
  if (!r) return "no answer (" + httplib::to_string(r.error()) + ")";
  if (r->status < 200 || r->status > 299) return "answered " + std::to_string(r->status);
  return {};
}

SyslogSender::SyslogSender(const config::SyslogTarget& target) : target_(target) {}

SyslogSender::~SyslogSender() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SyslogSender::send(const std::string& line) {
  if (fd_ < 0) {
    fd_ = ::socket(target_.udp ? target_.address.sockaddrPtr()->sa_family : AF_UNIX,
                   SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return std::string("socket: ") + std::strerror(errno);
    int rc = 0;
    if (target_.udp) {
      rc = ::connect(fd_, target_.address.sockaddrPtr(), target_.address.sockaddrLen());
    } else {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      if (target_.socketPath.size() >= sizeof(addr.sun_path)) {
        ::close(fd_);
        fd_ = -1;
        return "socket path too long";
      }
      std::memcpy(addr.sun_path, target_.socketPath.c_str(), target_.socketPath.size() + 1);
      rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    }
    if (rc != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return "connect: " + why;
    }
  }
  if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) < 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return "send: " + why;
  }
  return {};
}

}  // namespace tg::app::alerts
