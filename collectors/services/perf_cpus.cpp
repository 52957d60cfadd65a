#include "collectors/services/perf_cpus.h"

#include <cerrno>
#include <cstring>

#include "core/parse.h"

namespace vitals::perf {
namespace {

std::optional<int> cpu_number(std::string_view s) {
  auto v = parse::to_i64(s);
  if (!v || *v < 0 || *v > 1 << 20) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

std::optional<std::vector<int>> parse_cpus(std::string_view flag, std::string* error) {
  std::vector<int> out;
  if (flag.empty()) return out;
  auto bad = [&](std::string_view part) {
    if (error) *error = "invalid CPU list entry \"" + std::string(part) + "\"";
    return std::nullopt;
  };
  while (true) {
    size_t comma = flag.find(',');
    std::string_view part = flag.substr(0, comma);
    size_t dash = part.find('-');
    if (dash == std::string_view::npos) {
      auto c = cpu_number(part);
      if (!c) return bad(part);
      out.push_back(*c);
    } else {
      std::string_view range = part;
      int stride = 1;
      if (size_t colon = part.find(':'); colon != std::string_view::npos) {
        auto s = cpu_number(part.substr(colon + 1));
        if (!s || *s < 1) return bad(part);
        stride = *s;
        range = part.substr(0, colon);
      }
      auto a = cpu_number(range.substr(0, dash));
      auto b = cpu_number(range.substr(dash + 1));
      if (!a || !b || *a > *b) return bad(part);
      for (int i = *a; i <= *b; i += stride) out.push_back(i);
    }
    if (comma == std::string_view::npos) break;
    flag.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<Tracepoint> parse_tracepoint(std::string_view flag, std::string* error) {
  size_t colon = flag.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == flag.size() ||
      flag.find(':', colon + 1) != std::string_view::npos ||
      flag.find('/') != std::string_view::npos) {
    if (error) *error = "invalid tracepoint \"" + std::string(flag) + "\", want subsystem:event";
    return std::nullopt;
  }
  return Tracepoint{std::string(flag.substr(0, colon)), std::string(flag.substr(colon + 1))};
}

std::optional<uint64_t> tracepoint_id(const Paths& p, const Tracepoint& t, std::string* error) {
  FileReader r(64, FileReader::Mode::kReopen);
  std::string tried;
  for (const char* dir : {"kernel/tracing/events/", "kernel/debug/tracing/events/"}) {
    std::string path = p.sys(dir) + t.subsystem + "/" + t.event + "/id";
    std::string_view text;
    int err = 0;
    if (r.try_read(path, &text, &err)) {
      if (auto id = parse::to_u64(parse::trim(text))) return id;
      if (error) *error = path + ": invalid id";
      return std::nullopt;
    }
    if (!tried.empty()) tried += "; ";
    tried += path + ": " + std::strerror(err);
  }
  if (error) *error = tried;
  return std::nullopt;
}

}  // namespace vitals::perf
