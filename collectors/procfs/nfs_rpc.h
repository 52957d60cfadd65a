// /proc/net/rpc/nfs and /proc/net/rpc/nfsd: lines of a key and numbers ("net 70 70 69 45",
// "proc3 22 0 1061909262 ...", "th 8 0 0.000 ..."). The parser keeps each line's numbers; the
// nfs and nfsd collectors pick the lines and fields node_exporter 1.5.0 exports.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct RpcStats {
  struct Line {
    std::string_view key;  // a view into the parsed text
    uint32_t begin = 0;    // into values
    uint32_t count = 0;
    int number = 0;  // line number, for errors about its values
  };
  std::vector<Line> lines;
  std::vector<double> values;
  parse::ParseErrors errors;  // "line N: ..."

  // The numbers of the line `key`; nullopt when the file has none.
  const Line* find(std::string_view key) const {
    for (const auto& l : lines) {
      if (l.key == key) return &l;
    }
    return nullptr;
  }
  std::span<const double> of(const Line& l) const { return {values.data() + l.begin, l.count}; }
};

// Reuses `out`'s storage. A line with a value that is not a number is an item error and left
// out.
void parse_rpc_stats(std::string_view text, RpcStats& out);

// A "procN" line's values after its leading count, checked as prometheus/procfs does: the
// count must equal the number of values that follow and be at least `min`. An empty span (and
// an item error) otherwise.
std::span<const double> rpc_procedures(const RpcStats& s, const RpcStats::Line& l, size_t min,
                                       parse::ParseErrors& errors);

// The values of the line `key` when it has at least `min` of them. An empty span when the file
// has no such line, and also (with an item error in s.errors) when it has fewer values.
std::span<const double> rpc_line(RpcStats& s, std::string_view key, size_t min);

// Value `i` of a line's values; 0 when the line was absent or in error.
inline double rpc_at(std::span<const double> v, size_t i) {
  return i < v.size() ? v[i] : 0;
}

}  // namespace vitals::procfs
