// /proc/drbd (DRBD 8.x), read as node_exporter 1.5.0's drbd collector reads it: a stream of
// whitespace-separated "key:value" words. "<N>:" starts device drbd<N>; the counters (ns, nr,
// dw, dr, al, bm, lo, pe, ua, ap, ep, oos), the "local/remote" pairs ro and ds, and cs (the
// connection state) belong to the device last started ("unknown" before any). Other words are
// ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct DrbdValue {
  enum class Kind { kNumber, kPair, kConnection };
  std::string_view device;  // "drbd1" (a view into DrbdStatus::devices) or "unknown"
  Kind kind = Kind::kNumber;
  std::string_view key;     // "ns", "ro", "cs", ...
  double number = 0;        // kNumber: the value as printed (ns, nr, dw, dr, oos count KiB)
  std::string_view local;   // kPair: the part before '/'; kConnection: the state
  std::string_view remote;  // kPair: the part after '/'
};

struct DrbdStatus {
  std::vector<std::string> devices;  // names made for "<N>:" words (stable storage)
  std::vector<DrbdValue> values;
  parse::ParseErrors errors;  // "line N: ..."
};

DrbdStatus parse_drbd(std::string_view text);

}  // namespace vitals::procfs
