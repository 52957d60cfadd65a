#include "core/resident.h"

#include <sys/mman.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/parse.h"

namespace vitals {
namespace {

struct Mapping {
  uintptr_t begin = 0, end = 0;
  bool candidate = false;  // file-backed and not writable
  size_t rss_kb = 0;
  // No anonymous pages: nothing in the mapping was copied on write (relocated RELRO data
  // was), so every page is the file's. ("Private_Dirty" is no test: it also counts page-cache
  // pages not yet written back, e.g. of a binary just linked.)
  bool clean = true;
};

void finish(const Mapping& m, DroppedPages* out) {
  if (!m.candidate || !m.clean || m.rss_kb == 0) return;
  if (::madvise(reinterpret_cast<void*>(m.begin), m.end - m.begin, MADV_DONTNEED) == 0) {
    ++out->mappings;
    out->bytes += m.rss_kb * 1024;
  }
}

size_t kb_field(std::string_view line) {
  // "Private_Dirty:         12 kB"
  auto v = parse::trim(line.substr(line.find(':') + 1));
  v = v.substr(0, v.find(' '));
  size_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

}  // namespace

DroppedPages drop_clean_file_pages() {
  DroppedPages out;
  FileReader reader(1 << 16, FileReader::Mode::kReopen);
  std::string_view text;
  int err = 0;
  if (!reader.try_read("/proc/self/smaps", &text, &err)) return out;
  Mapping m;
  std::string_view line;
  while (parse::next_line(text, line)) {
    // A mapping header: "7f12...-7f13... r-xp 00000000 08:01 1234   /usr/lib/libc.so.6"
    size_t dash = line.find('-');
    bool header = dash != std::string_view::npos && dash > 0 && line.find(' ') > dash &&
                  line.substr(0, dash).find(':') == std::string_view::npos;
    if (header) {
      finish(m, &out);
      m = Mapping{};
      auto [p1, e1] = std::from_chars(line.data(), line.data() + dash, m.begin, 16);
      size_t sp = line.find(' ');
      auto [p2, e2] = std::from_chars(line.data() + dash + 1, line.data() + sp, m.end, 16);
      if (e1 != std::errc() || e2 != std::errc()) continue;
      std::string_view rest = line.substr(sp + 1);
      std::string_view perms = rest.substr(0, 4);
      // Fields: perms offset dev inode [path]; a path starting with '/' is a file.
      size_t slash = rest.find('/');
      m.candidate = perms.size() == 4 && perms[1] != 'w' && perms[3] == 'p' &&
                    slash != std::string_view::npos &&
                    rest.find("(deleted)") == std::string_view::npos;
      continue;
    }
    if (line.starts_with("Rss:")) {
      m.rss_kb = kb_field(line);
    } else if (line.starts_with("Anonymous:")) {
      if (kb_field(line) != 0) m.clean = false;
    }
  }
  finish(m, &out);
  return out;
}

}  // namespace vitals
