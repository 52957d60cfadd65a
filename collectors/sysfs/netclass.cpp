#include "collectors/sysfs/netclass.h"

#include "collectors/sysfs/sysfs.h"

namespace vitals::sysfs {
namespace {

using S = NetAttrKind;
using Field = std::optional<int64_t> NetClassIface::*;
using StrField = std::string NetClassIface::*;

struct AttrTarget {
  NetAttr attr;
  Field num;
  StrField str;
};

const std::vector<AttrTarget>& targets() {
  static const std::vector<AttrTarget> t = {
      {{"addr_assign_type", S::kInt}, &NetClassIface::addr_assign_type, nullptr},
      {{"address", S::kString}, nullptr, &NetClassIface::address},
      {{"broadcast", S::kString}, nullptr, &NetClassIface::broadcast},
      {{"carrier", S::kInt}, &NetClassIface::carrier, nullptr},
      {{"carrier_changes", S::kInt}, &NetClassIface::carrier_changes, nullptr},
      {{"carrier_up_count", S::kInt}, &NetClassIface::carrier_up_count, nullptr},
      {{"carrier_down_count", S::kInt}, &NetClassIface::carrier_down_count, nullptr},
      {{"dev_id", S::kInt}, &NetClassIface::dev_id, nullptr},
      {{"dormant", S::kInt}, &NetClassIface::dormant, nullptr},
      {{"duplex", S::kString}, nullptr, &NetClassIface::duplex},
      {{"flags", S::kInt}, &NetClassIface::flags, nullptr},
      {{"ifalias", S::kString}, nullptr, &NetClassIface::ifalias},
      {{"ifindex", S::kInt}, &NetClassIface::ifindex, nullptr},
      {{"iflink", S::kInt}, &NetClassIface::iflink, nullptr},
      {{"link_mode", S::kInt}, &NetClassIface::link_mode, nullptr},
      {{"mtu", S::kInt}, &NetClassIface::mtu, nullptr},
      {{"name_assign_type", S::kInt}, &NetClassIface::name_assign_type, nullptr},
      {{"netdev_group", S::kInt}, &NetClassIface::netdev_group, nullptr},
      {{"operstate", S::kString}, nullptr, &NetClassIface::operstate},
      {{"speed", S::kInt}, &NetClassIface::speed, nullptr},
      {{"tx_queue_len", S::kInt}, &NetClassIface::tx_queue_len, nullptr},
      {{"type", S::kInt}, &NetClassIface::type, nullptr},
  };
  return t;
}

struct Metric {
  Desc desc;
  Field field;
};

constexpr Desc kUp{"node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.",
                   MetricType::kGauge};
constexpr Desc kInfo{"node_network_info",
                     "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
                     MetricType::kGauge};
constexpr Desc kSpeed{"node_network_speed_bytes", "Network device property: speed_bytes",
                      MetricType::kGauge};

#define VITALS_NET_PROP(name, type, field)                                                    \
  Metric {                                                                                    \
    Desc{"node_network_" name, "Network device property: " name, type}, &NetClassIface::field \
  }

const Metric kProps[] = {
    VITALS_NET_PROP("address_assign_type", MetricType::kGauge, addr_assign_type),
    VITALS_NET_PROP("carrier", MetricType::kGauge, carrier),
    VITALS_NET_PROP("carrier_changes_total", MetricType::kCounter, carrier_changes),
    VITALS_NET_PROP("carrier_up_changes_total", MetricType::kCounter, carrier_up_count),
    VITALS_NET_PROP("carrier_down_changes_total", MetricType::kCounter, carrier_down_count),
    VITALS_NET_PROP("device_id", MetricType::kGauge, dev_id),
    VITALS_NET_PROP("dormant", MetricType::kGauge, dormant),
    VITALS_NET_PROP("flags", MetricType::kGauge, flags),
    VITALS_NET_PROP("iface_id", MetricType::kGauge, ifindex),
    VITALS_NET_PROP("iface_link", MetricType::kGauge, iflink),
    VITALS_NET_PROP("iface_link_mode", MetricType::kGauge, link_mode),
    VITALS_NET_PROP("mtu_bytes", MetricType::kGauge, mtu),
    VITALS_NET_PROP("name_assign_type", MetricType::kGauge, name_assign_type),
    VITALS_NET_PROP("net_dev_group", MetricType::kGauge, netdev_group),
    VITALS_NET_PROP("transmit_queue_length", MetricType::kGauge, tx_queue_len),
    VITALS_NET_PROP("protocol_type", MetricType::kGauge, type),
};
#undef VITALS_NET_PROP

}  // namespace

const std::vector<NetAttr>& netclass_attrs() {
  static const std::vector<NetAttr> a = [] {
    std::vector<NetAttr> v;
    for (const auto& t : targets()) v.push_back(t.attr);
    return v;
  }();
  return a;
}

bool set_net_attr(NetClassIface& iface, size_t index, std::string_view value, std::string* error) {
  const AttrTarget& t = targets().at(index);
  if (t.str) {
    iface.*(t.str) = to_valid_utf8(value);
    return true;
  }
  auto v = parse_int_base0(value);
  if (!v) {
    *error = std::string(t.attr.file) + ": invalid integer \"" + std::string(value) + "\"";
    return false;
  }
  iface.*(t.num) = *v;
  return true;
}

void emit_netclass(const std::vector<NetClassIface>& ifaces, bool ignore_invalid_speed,
                   MetricSet& out) {
  Family& up = out.add(kUp);
  Family& info = out.add(kInfo);
  Family* props[std::size(kProps)];
  for (size_t i = 0; i < std::size(kProps); ++i) props[i] = &out.add(kProps[i].desc);
  Family& speed = out.add(kSpeed);
  for (const NetClassIface& n : ifaces) {
    up.add({{"device", n.name}}, n.operstate == "up" ? 1 : 0);
    info.add({{"address", n.address},
              {"broadcast", n.broadcast},
              {"device", n.name},
              {"duplex", n.duplex},
              {"ifalias", n.ifalias},
              {"operstate", n.operstate}},
             1);
    for (size_t i = 0; i < std::size(kProps); ++i) {
      const auto& v = n.*(kProps[i].field);
      if (v) props[i]->add({{"device", n.name}}, static_cast<double>(*v));
    }
    if (n.speed && (*n.speed >= 0 || !ignore_invalid_speed)) {
      // Mbit/s to bytes/s in int64 arithmetic, as node_exporter computes it. Go's multiplication
      // wraps on a speed no link has (over 9.2e12 Mbit/s); an unsigned one wraps the same way
      // without undefined behaviour, and the division truncates towards zero in both.
      const auto bits = static_cast<int64_t>(static_cast<uint64_t>(*n.speed) * 1'000'000u);
      speed.add({{"device", n.name}}, static_cast<double>(bits / 8));
    }
  }
}

}  // namespace vitals::sysfs
