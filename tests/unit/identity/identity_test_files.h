#pragma once

// The identity tests' fixtures: the certificates and PASSporTs of make_passports.py (made once
// per test executable, relative to its clock) and the loopback HTTPS server x5u_server.py.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tg::identity::testing {

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// make_passports.py's output in a fresh folder, removed with the object.
class TestFiles {
 public:
  TestFiles() {
    dir_ = std::filesystem::temp_directory_path() /
           ("tg-identity-" + std::to_string(::getpid()) + "-" + std::to_string(++serial()));
    std::filesystem::create_directories(dir_);
    now_ = static_cast<int64_t>(std::time(nullptr));
    const std::string command = "/usr/bin/python3 '" + std::string(TG_SOURCE_DIR) +
                                "/tests/unit/identity/make_passports.py' '" + dir_.string() + "' " +
                                std::to_string(now_);
    ok_ = std::system(command.c_str()) == 0;
  }
  ~TestFiles() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestFiles(const TestFiles&) = delete;
  TestFiles& operator=(const TestFiles&) = delete;

  bool ok() const { return ok_; }
  int64_t now() const { return now_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string read(const std::string& name) const { return readFile(dir_ / name); }

 private:
  static int& serial() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  int64_t now_ = 0;
  bool ok_ = false;
};

// x5u_server.py serving `files`' folder; stopped (its input closed, then killed) on destruction.
class X5uServer {
 public:
  explicit X5uServer(const TestFiles& files) {
    int in[2];
    int out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      const std::string script = std::string(TG_SOURCE_DIR) + "/tests/unit/identity/x5u_server.py";
      const std::string dir = files.dir().string();
      const std::string cert = files.path("server.pem");
      const std::string key = files.path("server.key");
      ::execl("/usr/bin/python3", "python3", script.c_str(), dir.c_str(), cert.c_str(), key.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    input_ = in[1];
    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(out[0]);
    port_ = std::atoi(line.c_str());
  }
  ~X5uServer() {
    if (input_ >= 0) ::close(input_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  X5uServer(const X5uServer&) = delete;
  X5uServer& operator=(const X5uServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  pid_t pid_ = -1;
  int input_ = -1;
  int port_ = 0;
};

}  // namespace tg::identity::testing
