// The netclass facts an RTM_NEWLINK message carries, formatted as /sys/class/net/<iface>/ shows
// them (net/core/net-sysfs.c), so that the netclass output is the same from either source. Pure.
#pragma once

#include "collectors/netlink/link.h"
#include "collectors/sysfs/netclass.h"

namespace vitals::netlink {

// Sets every field of `out` that the message determines: name, address, broadcast, carrier and
// dormant (only for running links: sysfs refuses both when the link is down), the carrier
// counters, flags (dev->flags, rebuilt from ifi_flags), ifalias, ifindex, iflink, link_mode, mtu,
// netdev_group, operstate, tx_queue_len and type. Leaves addr_assign_type, name_assign_type,
// dev_id (not in the message) and speed, duplex (ethtool) as they are.
void netclass_from_link(const Link& l, sysfs::NetClassIface* out);

}  // namespace vitals::netlink
