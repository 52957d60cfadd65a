// netclass: node_network_* properties of each interface under /sys/class/net (node_exporter
// 1.5.0 names, --collector.netclass.ignored-devices, --collector.netclass.ignore-invalid-speed).
// Reading goes through a source that fills sysfs::NetClassIface; the emit code does not know
// where the facts came from (see collectors/sysfs/netclass.h). Two sources give the same
// output: the attribute files of every interface directory (sysfs), or, on the live /sys, one
// rtnetlink RTM_GETLINK dump per scrape plus an ethtool ioctl per running interface and three
// sysfs files per interface read once (netlink).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "collectors/net/ethtool.h"
#include "collectors/netlink/link_dumper.h"
#include "collectors/netlink/netclass_link.h"
#include "collectors/sysfs/netclass.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

// Reads the attribute files of every interface directory, each once with one read(2), into
// one reused buffer, opening them relative to the interface directory.
class SysfsNetClassSource {
 public:
  explicit SysfsNetClassSource(std::string dir) : dir_(std::move(dir)) {}
  // Returns false when the class directory cannot be listed.
  bool read(const Regex& ignored, std::vector<sysfs::NetClassIface>* out,
            parse::ParseErrors* errors) {
    out->clear();
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      errors->add_file(dir_, std::string("list: ") + std::strerror(err));
      return false;
    }
    const auto& attrs = sysfs::netclass_attrs();
    std::string msg;
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;  // bonding_masters and other plain files
      if (ignored.search(e.name)) continue;
      std::string ifdir = dir_ + "/" + e.name;
      int dfd = ::open(ifdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) {
        if (errno != ENOENT) errors->add_file(ifdir, std::strerror(errno));
        continue;  // the interface went away
      }
      sysfs::NetClassIface& n = out->emplace_back();
      n.name = e.name;
      for (size_t i = 0; i < attrs.size(); ++i) {
        std::string_view v;
        if (!sysfs::read_attr_at(dfd, attrs[i].file, &buf_, &v, &err)) {
          // The kernel refuses some attributes depending on the link state (EINVAL for
          // carrier/speed of a down link); node_exporter leaves those out.
          if (err != ENOENT && err != EINVAL && err != EACCES && err != EPERM &&
              err != EOPNOTSUPP && err != ENODEV && err != EBUSY) {
            errors->add_file(ifdir + "/" + attrs[i].file, std::strerror(err));
          }
          continue;
        }
        if (!sysfs::set_net_attr(n, i, sysfs::trim_space(v), &msg)) {
          errors->add_file(ifdir + "/" + attrs[i].file, msg);
        }
      }
      ::close(dfd);
    }
    return true;
  }

 private:
  std::string dir_;
  std::string buf_;
  std::vector<sysfs::DirEntry> entries_;
};

// Where the netlink message has nothing: addr_assign_type, name_assign_type and dev_id are read
// from sysfs once per interface (keyed by ifindex and name; addr_assign_type again when the
// address changes, as setting an address makes it NET_ADDR_SET). The rest comes from one
// RTM_GETLINK dump per scrape; speed and duplex from ethtool for running interfaces only.
class NetlinkNetClassSource {
 public:
  explicit NetlinkNetClassSource(std::string dir) : dir_(std::move(dir)) {
    const auto& attrs = sysfs::netclass_attrs();
    auto index = [&](std::string_view file) {
      for (size_t i = 0; i < attrs.size(); ++i) {
        if (file == attrs[i].file) return i;
      }
      throw std::logic_error("no netclass attribute " + std::string(file));
    };
    addr_assign_type_ = index("addr_assign_type");
    name_assign_type_ = index("name_assign_type");
    dev_id_ = index("dev_id");
    ifindex_ = index("ifindex");
  }

  // Throws CollectError when the dump fails as a whole; per-item problems go to *errors.
  void read(const Regex& ignored, std::chrono::steady_clock::time_point deadline,
            std::vector<sysfs::NetClassIface>* out, parse::ParseErrors* errors) {
    // A dump interrupted by a link change (NLM_F_DUMP_INTR) may miss a link: LinkDumper asks
    // again (collectors/netlink/dump_retry.h).
    dumper_.dump("netclass", deadline, RTEXT_FILTER_SKIP_STATS, &dump_);
    errors->append("netlink RTM_GETLINK", dump_.errors);
    // The order of the sysfs directory listing: by name. A name seen twice (one link removed
    // and another made under its name during the dump) keeps the later one.
    order_.clear();
    for (const auto& l : dump_.links) {
      if (!ignored.search(l.name)) order_.push_back(&l);
    }
    std::stable_sort(
        order_.begin(), order_.end(),
        [](const netlink::Link* a, const netlink::Link* b) { return a->name < b->name; });
    ++scrape_;
    out->clear();
    for (size_t i = 0; i < order_.size(); ++i) {
      const netlink::Link& l = *order_[i];
      if (i + 1 < order_.size() && order_[i + 1]->name == l.name) continue;
      sysfs::NetClassIface& n = out->emplace_back();
      netlink::netclass_from_link(l, &n);
      sysfs_attrs(l, &n, errors);
      if (l.flags & IFF_UP) {
        int64_t speed = 0;
        if (ethtool_.get(l.name, &speed, &n.duplex)) n.speed = speed;
      }
    }
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.seen != scrape_; });
  }

 private:
  struct Cached {
    std::string name;
    netlink::HwAddr address;
    std::optional<int64_t> addr_assign_type, name_assign_type, dev_id;
    uint64_t seen = 0;
  };

  // Fills addr_assign_type, name_assign_type and dev_id of `n` from the cache, reading the
  // files when the interface is new, renamed or has a new address.
  void sysfs_attrs(const netlink::Link& l, sysfs::NetClassIface* n, parse::ParseErrors* errors) {
    auto it = cache_.find(l.index);
    const bool fresh = it == cache_.end() || it->second.name != l.name;
    if (fresh || !(it->second.address == l.address)) {
      Cached c = fresh ? Cached{} : it->second;
      c.name = l.name;
      c.address = l.address;
      if (read_files(l, fresh, &c, errors)) {
        it = cache_.insert_or_assign(l.index, std::move(c)).first;
      } else {
        // Vanished, or a file failed: use what was read this once and read again next time.
        if (it != cache_.end()) cache_.erase(it);
        n->addr_assign_type = c.addr_assign_type;
        n->name_assign_type = c.name_assign_type;
        n->dev_id = c.dev_id;
        return;
      }
    }
    it->second.seen = scrape_;
    n->addr_assign_type = it->second.addr_assign_type;
    n->name_assign_type = it->second.name_assign_type;
    n->dev_id = it->second.dev_id;
  }

  // Reads addr_assign_type (and with `all` also name_assign_type, dev_id) of the interface
  // directory, first checking that its ifindex is the link's: /sys shows the network namespace
  // it was mounted in, netlink vitals' own. False when the result must not be cached.
  bool read_files(const netlink::Link& l, bool all, Cached* c, parse::ParseErrors* errors) {
    const std::string ifdir = dir_ + "/" + l.name;
    int dfd = ::open(ifdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      // ENOENT: the interface went away after the dump.
      if (errno != ENOENT) errors->add_file(ifdir, std::strerror(errno));
      c->addr_assign_type = c->name_assign_type = c->dev_id = std::nullopt;
      return false;
    }
    bool ok = true;
    sysfs::NetClassIface got;
    std::string msg;
    auto read = [&](size_t index) {
      const char* file = sysfs::netclass_attrs()[index].file;
      std::string_view v;
      int err = 0;
      if (!sysfs::read_attr_at(dfd, file, &buf_, &v, &err)) {
        // As the sysfs source: the kernel refuses some attributes (EINVAL for a device being
        // unregistered, or name_assign_type NET_NAME_UNKNOWN); those are left out.
        if (err != ENOENT && err != EINVAL && err != EACCES && err != EPERM && err != EOPNOTSUPP &&
            err != ENODEV && err != EBUSY) {
          errors->add_file(ifdir + "/" + file, std::strerror(err));
          ok = false;
        }
        return;
      }
      if (!sysfs::set_net_attr(got, index, sysfs::trim_space(v), &msg)) {
        errors->add_file(ifdir + "/" + file, msg);
        ok = false;
      }
    };
    read(ifindex_);
    if (got.ifindex && *got.ifindex != l.index) {
      errors->add_file(ifdir + "/ifindex", "is " + std::to_string(*got.ifindex) +
                                               " but netlink reports ifindex " +
                                               std::to_string(l.index) +
                                               ": is /sys from another network namespace? (see "
                                               "--collector.netclass.source)");
      ::close(dfd);
      c->addr_assign_type = c->name_assign_type = c->dev_id = std::nullopt;
      return false;
    }
    read(addr_assign_type_);
    if (all) {
      read(name_assign_type_);
      read(dev_id_);
      c->name_assign_type = got.name_assign_type;
      c->dev_id = got.dev_id;
    }
    c->addr_assign_type = got.addr_assign_type;
    ::close(dfd);
    return ok;
  }

  std::string dir_;
  size_t addr_assign_type_ = 0, name_assign_type_ = 0, dev_id_ = 0, ifindex_ = 0;
  netlink::LinkDumper dumper_;
  netlink::LinkDump dump_;
  net::EthtoolLinkSettings ethtool_;
  std::vector<const netlink::Link*> order_;
  std::unordered_map<int32_t, Cached> cache_;
  uint64_t scrape_ = 0;
  std::string buf_;
};

enum class NetclassSource { kSysfs, kNetlink };

class NetclassCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  NetclassCollector(const Paths& p, NetclassSource source, const std::string& ignored,
                    bool ignore_invalid_speed)
      : dir_(p.sys("class/net")),
        sysfs_(dir_),
        netlink_(dir_),
        use_netlink_(source == NetclassSource::kNetlink),
        ignored_(ignored),
        ignore_invalid_speed_(ignore_invalid_speed) {}
  void collect(const CollectContext& ctx, MetricSet& out) override {
    errors_.clear();
    if (use_netlink_) {
      netlink_.read(ignored_, ctx.deadline, &ifaces_, &errors_);
      sysfs::emit_netclass(ifaces_, ignore_invalid_speed_, out);
      throw_if_errors("netclass (netlink source)", errors_);
      return;
    }
    if (sysfs_.read(ignored_, &ifaces_, &errors_)) {
      sysfs::emit_netclass(ifaces_, ignore_invalid_speed_, out);
    }
    throw_if_errors(dir_, errors_);
  }

 private:
  std::string dir_;
  SysfsNetClassSource sysfs_;
  NetlinkNetClassSource netlink_;
  bool use_netlink_;
  Regex ignored_;
  bool ignore_invalid_speed_;
  std::vector<sysfs::NetClassIface> ifaces_;
  parse::ParseErrors errors_;
};

std::unique_ptr<Collector> NetclassCollector::create(const CollectorOptions& o, const Paths& p) {
  const std::string& mode = o.str("source");
  if (mode != "auto" && mode != "netlink" && mode != "sysfs") {
    throw std::invalid_argument("--collector.netclass.source: want auto, netlink or sysfs, got \"" +
                                mode + "\"");
  }
  // Netlink answers for the network namespace vitals runs in, and the netlink source still
  // reads a few files per interface under <sysfs>/class/net: it is right only where that
  // directory lists the same namespace (Paths::live_sysfs; /sys, or a host's /sys mounted into
  // a container that shares the host's network). Any other tree is read as files.
  bool netlink = mode == "netlink" || o.boolean("netlink");
  if (o.boolean("netlink") && mode == "sysfs") {
    throw std::invalid_argument(
        "--collector.netclass.netlink contradicts --collector.netclass.source=sysfs");
  }
  if (mode == "auto" || netlink) {
    const bool live = p.live_sysfs();
    if (netlink && !live) {
      throw std::invalid_argument(
          "the netlink source of netclass needs --path.sysfs to be a sysfs of vitals' own network "
          "namespace (netlink reports that namespace, not the tree at " +
          p.sysfs + "); use --collector.netclass.source=sysfs or auto");
    }
    netlink = live;
  }
  log::debug("netclass source",
             {{"source", netlink ? "netlink" : "file"}, {"path", p.sys("class/net")}});
  return std::make_unique<NetclassCollector>(
      p, netlink ? NetclassSource::kNetlink : NetclassSource::kSysfs, o.str("ignored-devices"),
      o.boolean("ignore-invalid-speed"));
}

}  // namespace

VITALS_COLLECTOR(NetclassCollector, "netclass", true,
                 "Exposes network interface info from /sys/class/net/",
                 {{"ignored-devices", OptionKind::kRegex, "^$",
                   "Regexp of net devices to ignore for netclass collector."},
                  {"ignore-invalid-speed", OptionKind::kBool, "false",
                   "Ignore devices where the speed is invalid. This will be the default behavior "
                   "in 2.x."},
                  {"source", OptionKind::kString, "auto",
                   "Where to read interface facts, same output either way: netlink (one "
                   "RTM_GETLINK dump per scrape, an ethtool ioctl per running interface for speed "
                   "and duplex, three sysfs files per interface read once; only when --path.sysfs "
                   "shows vitals' network namespace), sysfs (<path.sysfs>/class/net/<iface>/ "
                   "files) or auto (netlink when --path.sysfs shows vitals' network namespace, "
                   "else sysfs)."},
                  {"netlink", OptionKind::kBool, "false",
                   "Use the netlink source, as --collector.netclass.source=netlink (accepted for "
                   "node_exporter compatibility; without it the source option decides)."}});

}  // namespace vitals
