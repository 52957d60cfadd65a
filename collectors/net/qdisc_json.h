// node_exporter's qdisc fixture format (results.json beside --collector.qdisc.fixtures): a JSON
// array of github.com/ema/qdisc QdiscInfo objects, keys matched case-insensitively as Go's
// encoding/json does. Absent keys are 0 / "".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::net {

struct QdiscInfo {
  std::string iface;
  std::string kind;
  uint64_t parent = 0;
  uint64_t handle = 0;
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t drops = 0;
  uint64_t requeues = 0;
  uint64_t overlimits = 0;
  uint64_t qlen = 0;
  uint64_t backlog = 0;
};

struct QdiscList {
  std::vector<QdiscInfo> qdiscs;
  parse::ParseErrors errors;  // a document that is not an array of objects: one error, no items;
                              // an element that is not an object or has a bad value: skipped
};

QdiscList parse_qdisc_json(std::string_view json);

}  // namespace vitals::net
