// RTM_GETLINK dump replies through netlink::parse_link_dump (the netdev and netclass collectors'
// netlink source), then each link through netclass_from_link and the netclass writer, as the
// collectors use them. The input is one or more received datagrams: the first byte says where
// to cut it in two (0: one datagram), since the agent parses a dump one recv() buffer at a time.
// Checks: links have names; addresses fit MAX_ADDR_LEN and format to "xx:xx:..."; a message cut
// short ends the parse with an error rather than a read past the buffer (ASan); the writer's
// label values are UTF-8. Seeds: corpus/netlink_link/.
#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "collectors/netlink/link.h"
#include "collectors/netlink/netclass_link.h"
#include "collectors/sysfs/netclass.h"
#include "model/metric.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  if (size < 1) return 0;
  size_t cut = data[0] == 0 ? size - 1 : std::min<size_t>(size - 1, data[0] * 4u);
  // Copies: each datagram in its own heap block, so ASan sees a read past either one.
  std::vector<uint8_t> first(data + 1, data + 1 + cut), second(data + 1 + cut, data + size);
  netlink::LinkDump dump;
  netlink::parse_link_dump(std::span<const uint8_t>(first.data(), first.size()), &dump);
  if (!second.empty()) {
    netlink::parse_link_dump(std::span<const uint8_t>(second.data(), second.size()), &dump);
  }
  for (const parse::ItemError& e : dump.errors) VITALS_FUZZ_CHECK(!e.message.empty());
  std::vector<sysfs::NetClassIface> ifaces;
  for (const netlink::Link& l : dump.links) {
    VITALS_FUZZ_CHECK(!l.name.empty());
    for (const netlink::HwAddr* a : {&l.address, &l.broadcast}) {
      VITALS_FUZZ_CHECK(a->len <= a->bytes.size());
      std::string s = netlink::format_hwaddr(*a);
      VITALS_FUZZ_CHECK(s.size() == (a->len ? a->len * 3u - 1 : 0));
    }
    netlink::netclass_from_link(l, &ifaces.emplace_back());
    VITALS_FUZZ_CHECK(ifaces.back().name == l.name || !ifaces.back().name.empty());
  }
  MetricSet out;
  sysfs::emit_netclass(ifaces, false, out);
  for (const Family& f : out.families()) {
    for (const Sample& s : f.samples()) {
      for (uint32_t i = 0; i < s.label_count; ++i) {
        VITALS_FUZZ_CHECK(fuzz::valid_utf8(f.label(s, i).value));
      }
    }
  }
  return 0;
}
