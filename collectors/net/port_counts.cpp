#include "collectors/net/port_counts.h"

#include <algorithm>

namespace vitals::net {

uint64_t PortCounts::Row::total() const {
  uint64_t t = 0;
  for (uint32_t v : states) t += v;
  return t;
}

void PortCounts::clear() {
  for (const Row& r : rows_) index_[static_cast<uint16_t>(r.port)] = 0;
  rows_.clear();
}

void PortCounts::top(size_t max_ports, std::vector<Row>* out) const {
  out->assign(rows_.begin(), rows_.end());
  std::sort(out->begin(), out->end(), [](const Row& a, const Row& b) {
    uint64_t ta = a.total(), tb = b.total();
    return ta != tb ? ta > tb : a.port < b.port;
  });
  if (max_ports == 0 || out->size() <= max_ports) return;
  Row other;
  other.port = kOther;
  for (size_t i = max_ports; i < out->size(); ++i) {
    for (int s = 0; s < kStates; ++s) other.states[s] += (*out)[i].states[s];
  }
  out->resize(max_ports);
  out->push_back(other);
}

}  // namespace vitals::net
