#include "collectors/net/socket_source.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/log.h"

namespace vitals::net {

bool parse_source_mode(std::string_view s, SourceMode* out) {
  if (s == "auto") {
    *out = SourceMode::kAuto;
  } else if (s == "netlink") {
    *out = SourceMode::kNetlink;
  } else if (s == "procfs") {
    *out = SourceMode::kProcfs;
  } else {
    return false;
  }
  return true;
}

SocketSource::SocketSource(SourceMode mode, const Paths& paths)
    : mode_(mode), paths_(paths), buf_(64 << 10) {}

std::string SocketSource::proc_path(const DumpRequest& r) const {
  const bool v6 = r.family != AF_INET;
  if (r.protocol == IPPROTO_UDP) return paths_.proc(v6 ? "net/udp6" : "net/udp");
  return paths_.proc(v6 ? "net/tcp6" : "net/tcp");
}

void SocketSource::throw_error(const DumpRequest& r, const DiagError& err) const {
  std::string what = r.protocol == IPPROTO_UDP ? "udp" : "tcp";
  if (r.family == AF_INET6) what += "6";
  if (r.family == AF_UNSPEC) what += " and tcp6";
  throw netlink::DumpError(err.fault, err.message + " (" + what + " dump)");
}

void SocketSource::note_fallback(const std::string& why) {
  if (fallback_logged_) return;
  fallback_logged_ = true;
  log::warn("netlink sock_diag unavailable, reading /proc/net instead",
            {{"reason", why}, {"procfs", paths_.procfs}});
}

}  // namespace vitals::net
