#pragma once
// A local HTTP server for the download tests: python3's http.server on 127.0.0.1 (a free port
// chosen by the OS) serving one folder, started by the test and stopped with it. A file NAME
// with a sibling NAME.claim is sent with the Content-Length written in NAME.claim and the
// connection closed after its real bytes: a transfer cut short.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace hs::test {

inline constexpr const char* kServerScript = R"(import functools, http.server, os, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        path = self.translate_path(self.path)
        if os.path.exists(path + ".claim"):
            with open(path, "rb") as f:
                data = f.read()
            with open(path + ".claim") as f:
                claim = f.read().strip()
            self.send_response(200)
            self.send_header("Content-Length", claim)
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        super().do_GET()
server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
)";

class LocalServer {
 public:
  explicit LocalServer(const std::filesystem::path& folder) {
    const std::filesystem::path script = folder.parent_path() / "http_server.py";
    std::ofstream(script) << kServerScript;
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::execlp("python3", "python3", script.c_str(), folder.c_str(), nullptr);
      ::_exit(127);
    }
    pid_ = pid;
    ::close(out[1]);
    char line[32] = {};
    std::size_t used = 0;
    while (used + 1 < sizeof line) {
      const ssize_t n = ::read(out[0], line + used, 1);
      if (n <= 0 || line[used] == '\n') break;
      ++used;
    }
    ::close(out[0]);
    port_ = std::atoi(line);
    INFO("python3 -m http.server did not start");
    REQUIRE(port_ > 0);
  }
  ~LocalServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// The URL of a port on 127.0.0.1 where nothing listens (bound, then released): offline.
inline std::string unreachable_url() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";
}

}  // namespace hs::test
