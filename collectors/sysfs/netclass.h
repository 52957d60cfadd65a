// The facts the netclass collector reports about one network interface, independent of where
// they come from: the /sys/class/net/<iface>/ attribute files, or a netlink RTM_GETLINK dump
// when --path.sysfs shows vitals' network namespace (one message per interface instead of ~22
// file reads). Not only a parser: emit_netclass() below also writes the families, so both
// sources share one writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/metric.h"

namespace vitals::sysfs {

struct NetClassIface {
  std::string name;
  std::string address, broadcast, duplex, ifalias, operstate;
  std::optional<int64_t> addr_assign_type, carrier, carrier_changes, carrier_up_count,
      carrier_down_count, dev_id, dormant, flags, ifindex, iflink, link_mode, mtu, name_assign_type,
      netdev_group, speed, tx_queue_len, type;
};

// One attribute file of /sys/class/net/<iface>/: which field it fills.
enum class NetAttrKind { kString, kInt };
struct NetAttr {
  const char* file;
  NetAttrKind kind;
};
// The attribute files the collector needs, in the order set_net_attr() expects.
const std::vector<NetAttr>& netclass_attrs();

// Stores the trimmed text `value` of attribute number `index` (of netclass_attrs()) into
// `iface`. Integers are parsed as Go's ParseInt(s, 0, 64) does (so "0x1003" is hex). Returns
// false with *error set when an integer does not parse.
bool set_net_attr(NetClassIface& iface, size_t index, std::string_view value, std::string* error);

// Adds node_network_* families (node_exporter 1.5.0's netclass names) for `ifaces`.
void emit_netclass(const std::vector<NetClassIface>& ifaces, bool ignore_invalid_speed,
                   MetricSet& out);

}  // namespace vitals::sysfs
