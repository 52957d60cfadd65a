// os: node_os_info and node_os_version from os-release under --path.rootfs (etc/os-release,
// then usr/lib/os-release), node_exporter 1.5.0 names. The file is parsed again only when its
// mtime or size changes.
#include <sys/stat.h>

#include "collectors/rootfs/os_release.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_os_info",
                     "A metric with a constant '1' value labeled by build_id, id, id_like, "
                     "image_id, image_version, name, pretty_name, variant, variant_id, version, "
                     "version_codename, version_id.",
                     MetricType::kGauge};
constexpr Desc kVersion{"node_os_version",
                        "Metric containing the major.minor part of the OS version.",
                        MetricType::kGauge};

constexpr std::pair<const char*, const char*> kLabels[] = {
    {"build_id", "BUILD_ID"},
    {"id", "ID"},
    {"id_like", "ID_LIKE"},
    {"image_id", "IMAGE_ID"},
    {"image_version", "IMAGE_VERSION"},
    {"name", "NAME"},
    {"pretty_name", "PRETTY_NAME"},
    {"variant", "VARIANT"},
    {"variant_id", "VARIANT_ID"},
    {"version", "VERSION"},
    {"version_codename", "VERSION_CODENAME"},
    {"version_id", "VERSION_ID"},
};

class OsCollector final : public Collector {
 public:
  explicit OsCollector(const Paths& p)
      : files_{p.root("etc/os-release"), p.root("usr/lib/os-release")} {}
  void collect(const CollectContext&, MetricSet& out) override {
    const std::string* found = nullptr;
    struct stat st;
    for (const auto& f : files_) {
      if (::stat(f.c_str(), &st) == 0) {
        found = &f;
        break;
      }
    }
    if (!found) return;  // no os-release: nothing to report
    if (*found != cached_path_ || st.st_mtim.tv_sec != mtime_s_ ||
        st.st_mtim.tv_nsec != mtime_ns_ || st.st_size != size_) {
      auto r = rootfs::parse_os_release(reader_.read(*found));
      cached_path_ = *found;
      mtime_s_ = st.st_mtim.tv_sec;
      mtime_ns_ = st.st_mtim.tv_nsec;
      size_ = st.st_size;
      fields_ = std::move(r.fields);
      errors_ = std::move(r.errors);
    }
    auto get = [&](const char* k) -> std::string_view {
      auto it = fields_.find(k);
      return it == fields_.end() ? std::string_view() : std::string_view(it->second);
    };
    std::vector<Label> labels;
    for (const auto& [label, key] : kLabels) labels.push_back({label, get(key)});
    out.add(kInfo).add(labels, 1);
    out.add(kVersion).add({{"id", get("ID")}, {"id_like", get("ID_LIKE")}, {"name", get("NAME")}},
                          rootfs::os_version_number(get("VERSION_ID")));
    throw_if_errors(cached_path_, errors_);
  }

 private:
  std::string files_[2];
  std::string cached_path_;
  int64_t mtime_s_ = 0, mtime_ns_ = 0, size_ = -1;
  std::map<std::string, std::string> fields_;
  parse::ParseErrors errors_;
  FileReader reader_{2048};
};

}  // namespace

VITALS_COLLECTOR(OsCollector, "os", true, "Expose OS release info");

}  // namespace vitals
