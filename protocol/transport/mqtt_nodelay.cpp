#include "protocol/transport/mqtt_nodelay.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>

namespace evbroker::transport::detail {
namespace {

int port_of(const std::string& uri) {
  const auto colon = uri.rfind(':');
  if (colon == std::string::npos) return -1;
  int port = -1;
  const char* first = uri.data() + colon + 1;
  const char* last = uri.data() + uri.size();
  if (auto [end, ec] = std::from_chars(first, last, port); ec != std::errc{} || (end != last && *end != '/')) return -1;
  return port;
}

int peer_port(int fd) {
  sockaddr_storage peer{};
  socklen_t size = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) != 0) return -1;
  if (peer.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
  if (peer.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
  return -1;
}

}  // namespace

int disable_nagle_towards(const std::string& server_uri) {
  const int port = port_of(server_uri);
  if (port <= 0) return 0;
  DIR* fds = opendir("/proc/self/fd");
  if (!fds) return 0;
  int changed = 0;
  while (const dirent* entry = readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == dirfd(fds)) continue;
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode) || peer_port(fd) != port) continue;
    int on = 0;
    socklen_t size = sizeof on;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &size) != 0 || on) continue;
    on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) ++changed;
  }
  closedir(fds);
  return changed;
}

}  // namespace evbroker::transport::detail
