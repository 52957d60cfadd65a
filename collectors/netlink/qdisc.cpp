#include "collectors/netlink/qdisc.h"

#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>

namespace vitals::netlink {
namespace {

uint32_t u32_at(const uint8_t* p, size_t off) {
  uint32_t v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

uint64_t u64_at(const uint8_t* p, size_t off) {
  uint64_t v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

bool short_payload(const char* name, size_t len, size_t want, std::string* why) {
  if (len >= want) return false;
  *why = std::string(name) + " payload is " + std::to_string(len) + " bytes, want at least " +
         std::to_string(want);
  return true;
}

}  // namespace

void parse_qdisc_dump(std::span<const uint8_t> buf, QdiscDump* out) {
  walk_messages(buf, RTM_NEWQDISC, &out->state, &out->errors,
                [out](const uint8_t* msg, size_t len, size_t off) {
                  auto fail = [&](const std::string& why) {
                    out->errors.add(0,
                                    "RTM_NEWQDISC at offset " + std::to_string(off) + ": " + why);
                  };
                  if (len < NLMSG_HDRLEN + sizeof(tcmsg)) {
                    fail(std::to_string(len) + " bytes, shorter than its header and tcmsg");
                    return;
                  }
                  tcmsg tc;
                  std::memcpy(&tc, msg + NLMSG_HDRLEN, sizeof tc);
                  Qdisc q;
                  q.ifindex = tc.tcm_ifindex;
                  q.handle = tc.tcm_handle;
                  q.parent = tc.tcm_parent == TC_H_ROOT ? 0 : tc.tcm_parent;
                  std::string why;
                  bool ok = true;
                  auto stats2 = [&](uint16_t type, const uint8_t* p, size_t n) {
                    if (!ok) return;
                    if (type == TCA_STATS_BASIC) {
                      if (short_payload("TCA_STATS_BASIC", n, 12, &why)) {
                        ok = false;
                        return;
                      }
                      q.bytes = u64_at(p, 0);
                      q.packets = u32_at(p, 8);
                    } else if (type == TCA_STATS_QUEUE) {
                      if (short_payload("TCA_STATS_QUEUE", n, 20, &why)) {
                        ok = false;
                        return;
                      }
                      q.qlen = u32_at(p, 0);
                      q.backlog = u32_at(p, 4);
                      q.drops = u32_at(p, 8);
                      q.requeues = u32_at(p, 12);
                      q.overlimits = u32_at(p, 16);
                    }
                  };
                  auto on_attr = [&](uint16_t type, const uint8_t* p, size_t n) {
                    if (!ok) return;
                    if (type == TCA_KIND) {
                      q.kind.assign(reinterpret_cast<const char*>(p),
                                    strnlen(reinterpret_cast<const char*>(p), n));
                    } else if (type == TCA_STATS2) {
                      std::string inner;
                      if (!walk_attrs(p, p + n, &inner, stats2)) {
                        why = "TCA_STATS2: " + inner;
                        ok = false;
                      }
                    } else if (type == TCA_STATS) {
                      if (short_payload("TCA_STATS", n, 36, &why)) {
                        ok = false;
                        return;
                      }
                      q.bytes = u64_at(p, 0);
                      q.packets = u32_at(p, 8);
                      q.drops = u32_at(p, 12);
                      q.overlimits = u32_at(p, 16);
                      q.qlen = u32_at(p, 28);
                      q.backlog = u32_at(p, 32);
                    }
                  };
                  const size_t attr_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(tcmsg));
                  if (attr_off < len && !walk_attrs(msg + attr_off, msg + len, &why, on_attr)) {
                    ok = false;
                  }
                  if (!ok) {
                    fail("ifindex " + std::to_string(q.ifindex) + ": " + why);
                    return;
                  }
                  out->qdiscs.push_back(std::move(q));
                });
}

}  // namespace vitals::netlink
