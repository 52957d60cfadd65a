// netclass: node_network_* properties of each interface under /sys/class/net (node_exporter
// 1.5.0 names, --collector.netclass.ignored-devices, --collector.netclass.ignore-invalid-speed).
// Reading goes through a source that fills sysfs::NetClassIface; the emit code does not know
// where the facts came from (see collectors/sysfs/netclass.h).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <regex>

#include "collectors/sysfs/netclass.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

// Reads the attribute files of every interface directory, each once with one read(2), into
// one reused buffer, opening them relative to the interface directory.
class SysfsNetClassSource {
 public:
  explicit SysfsNetClassSource(std::string dir) : dir_(std::move(dir)) {}
  // Returns false when the class directory cannot be listed.
  bool read(const std::regex& ignored, std::vector<sysfs::NetClassIface>* out,
            std::vector<std::string>* errors) {
    out->clear();
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      errors->push_back("list " + dir_ + ": " + std::strerror(err));
      return false;
    }
    const auto& attrs = sysfs::netclass_attrs();
    std::string msg;
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;  // bonding_masters and other plain files
      if (std::regex_search(e.name, ignored)) continue;
      std::string ifdir = dir_ + "/" + e.name;
      int dfd = ::open(ifdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) {
        if (errno != ENOENT) errors->push_back(ifdir + ": " + std::strerror(errno));
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
            errors->push_back(ifdir + "/" + attrs[i].file + ": " + std::strerror(err));
          }
          continue;
        }
        if (!sysfs::set_net_attr(n, i, sysfs::trim_space(v), &msg)) {
          errors->push_back(ifdir + "/" + msg);
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

class NetclassCollector final : public Collector {
 public:
  NetclassCollector(const Paths& p, const std::string& ignored, bool ignore_invalid_speed)
      : dir_(p.sys("class/net")),
        source_(dir_),
        ignored_(ignored, std::regex::ECMAScript),
        ignore_invalid_speed_(ignore_invalid_speed) {}
  void collect(const CollectContext&, MetricSet& out) override {
    errors_.clear();
    if (source_.read(ignored_, &ifaces_, &errors_)) {
      sysfs::emit_netclass(ifaces_, ignore_invalid_speed_, out);
    }
    throw_if_errors(dir_, errors_);
  }

 private:
  std::string dir_;
  SysfsNetClassSource source_;
  std::regex ignored_;
  bool ignore_invalid_speed_;
  std::vector<sysfs::NetClassIface> ifaces_;
  std::vector<std::string> errors_;
};

}  // namespace

VITALS_REGISTER_COLLECTOR(netclass,
                          {.name = "netclass",
                           .default_enabled = true,
                           .help = "Exposes network interface info from /sys/class/net/",
                           .options = {{"ignored-devices", OptionKind::kRegex, "^$",
                                        "Regexp of net devices to ignore for netclass collector."},
                                       {"ignore-invalid-speed", OptionKind::kBool, "false",
                                        "Ignore devices where the speed is invalid. This will be "
                                        "the default behavior in 2.x."},
                                       {"netlink", OptionKind::kBool, "false",
                                        "Use netlink to gather stats instead of /proc/net/dev "
                                        "(accepted for node_exporter compatibility; vitals "
                                        "reads /sys/class/net either way)."}},
                           .make = [](const CollectorOptions& o, const Paths& p) {
                             return std::make_unique<NetclassCollector>(
                                 p, o.str("ignored-devices"), o.boolean("ignore-invalid-speed"));
                           }});

}  // namespace vitals
