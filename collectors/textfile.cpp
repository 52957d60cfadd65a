// textfile: metrics from *.prom files in --collector.textfile.directory (a directory or a
// glob of directories), node_exporter 1.5.0 semantics: HELP defaults to "Metric read from
// <files>", a family's label names are the union over its samples (missing ones empty), the
// first file's HELP and TYPE win for a name, node_textfile_mtime_seconds{file} for each file
// read, node_textfile_scrape_error 1 when a directory or file could not be read or parsed (or
// holds client-side timestamps); the good files are still exported. A file is parsed again
// only when its inode, size, mtime or ctime changes.
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "collectors/sysfs/sysfs.h"
#include "collectors/textfile/text_parser.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kMtime{"node_textfile_mtime_seconds",
                      "Unixtime mtime of textfiles successfully read.", MetricType::kGauge};
constexpr Desc kScrapeError{"node_textfile_scrape_error",
                            "1 if there was an error opening or reading a file, 0 otherwise",
                            MetricType::kGauge};

struct CachedFile {
  ino_t ino = 0;
  off_t size = -1;
  timespec mtime{}, ctime{};
  std::string error;
  std::vector<textfile::TextFamily> families;
};

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

class TextfileCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths&);
  explicit TextfileCollector(std::string dir) : dir_(std::move(dir)) {}

  void collect(const CollectContext&, MetricSet& out) override {
    bool errored = false;
    std::vector<std::string> dirs;
    if (!dir_.empty()) {
      glob_t g{};
      if (::glob(dir_.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) dirs.emplace_back(g.gl_pathv[i]);
      }
      ::globfree(&g);
      std::sort(dirs.begin(), dirs.end());
      if (dirs.empty()) dirs.push_back(dir_);  // not a pattern: let listing report the error
    }

    struct Loaded {
      std::string path;
      const CachedFile* file;
    };
    std::vector<Loaded> loaded;
    std::map<std::string, CachedFile> next;
    Family& mtime = out.add(kMtime);
    for (const std::string& d : dirs) {
      int err = 0;
      if (!sysfs::list_dir(d, &entries_, &err)) {
        log::error("failed to read textfile collector directory",
                   {{"path", d}, {"err", std::strerror(err)}});
        errored = true;
        continue;
      }
      for (const auto& e : entries_) {
        if (e.name.size() < 5 || e.name.compare(e.name.size() - 5, 5, ".prom") != 0) continue;
        std::string path = d;
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        path += "/" + e.name;
        CachedFile& f = next[path];
        load(path, &f);
        if (!f.error.empty()) {
          log::error("failed to collect textfile data", {{"file", path}, {"err", f.error}});
          errored = true;
          continue;
        }
        mtime.add({{"file", path}},
                  static_cast<double>(f.mtime.tv_sec) + static_cast<double>(f.mtime.tv_nsec) / 1e9);
        loaded.push_back({path, &f});
      }
    }

    // The files each metric name was read from, for the default HELP.
    std::map<std::string, std::string> files_of;
    for (const auto& l : loaded) {
      for (const auto& fam : l.file->families) {
        if (fam.metrics.empty()) continue;
        std::string& s = files_of[fam.name];
        if (!s.empty()) s += ", ";
        s += l.path;
      }
    }
    struct Out {
      Family* family;
      std::set<std::vector<std::pair<std::string, std::string>>> seen;
    };
    std::map<std::string, Out> fams;
    std::vector<Label> labels;
    std::vector<std::pair<std::string, std::string>> padded;
    for (const auto& l : loaded) {
      for (const auto& tf : l.file->families) {
        if (tf.metrics.empty()) continue;
        std::string help =
            tf.help && !tf.help->empty() ? *tf.help : "Metric read from " + files_of[tf.name];
        auto [it, inserted] = fams.try_emplace(tf.name);
        if (inserted) {
          it->second.family = &out.add(tf.name, help, tf.type);
        } else if (it->second.family->help() != help || it->second.family->type() != tf.type) {
          log::error(
              "textfile metric has a HELP or TYPE inconsistent with an earlier file; "
              "dropped",
              {{"file", l.path}, {"metric", tf.name}});
          continue;
        }
        Out& o = it->second;
        // Every metric of the family gets every label name of the family.
        std::set<std::string> names;
        for (const auto& m : tf.metrics) {
          for (const auto& kv : m.labels) names.insert(kv.first);
        }
        for (const auto& m : tf.metrics) {
          padded.clear();
          for (const auto& n : names) {
            auto lv = std::find_if(m.labels.begin(), m.labels.end(),
                                   [&](const auto& kv) { return kv.first == n; });
            padded.emplace_back(n, lv == m.labels.end() ? std::string() : lv->second);
          }
          if (!o.seen.insert(padded).second) {
            log::error("textfile metric was collected before with the same labels; dropped",
                       {{"file", l.path}, {"metric", tf.name}});
            errored = true;
            continue;
          }
          labels.clear();
          for (const auto& [k, v] : padded) labels.push_back({k, v});
          if (tf.type == MetricType::kHistogram) {
            o.family->add_histogram(labels, m.buckets, m.sum, m.count);
          } else if (tf.type == MetricType::kSummary) {
            o.family->add_summary(labels, m.buckets, m.sum, m.count);
          } else {
            o.family->add(labels, m.value);
          }
        }
      }
    }
    cache_ = std::move(next);
    out.add(kScrapeError).add(errored ? 1 : 0);
  }

 private:
  // Fills `f` from the cache or by reading and parsing `path`; f->error says what went wrong.
  void load(const std::string& path, CachedFile* f) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      f->error = std::string("stat: ") + std::strerror(errno);
      return;
    }
    auto it = cache_.find(path);
    if (it != cache_.end() && it->second.ino == st.st_ino && it->second.size == st.st_size &&
        same_time(it->second.mtime, st.st_mtim) && same_time(it->second.ctime, st.st_ctim)) {
      *f = std::move(it->second);
      return;
    }
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->ctime = st.st_ctim;
    std::string_view text;
    int err = 0;
    if (!reader_.try_read(path, &text, &err)) {
      f->error = std::string("read: ") + std::strerror(err);
      return;
    }
    auto r = textfile::parse_text_format(text);
    if (!r.error.empty()) {
      f->error = "failed to parse textfile data: " + r.error;
      return;
    }
    for (const auto& fam : r.families) {
      for (const auto& m : fam.metrics) {
        if (m.timestamp_ms) {
          f->error = "textfile contains unsupported client-side timestamps, skipping entire file";
          return;
        }
      }
    }
    f->families = std::move(r.families);
  }

  std::string dir_;
  FileReader reader_{8192};
  std::vector<sysfs::DirEntry> entries_;
  std::map<std::string, CachedFile> cache_;
};

std::unique_ptr<Collector> TextfileCollector::create(const CollectorOptions& o, const Paths&) {
  return std::make_unique<TextfileCollector>(o.str("directory"));
}

}  // namespace

VITALS_COLLECTOR(TextfileCollector, "textfile", true, "Read prometheus metrics from text files.",
                 {{"directory", OptionKind::kString, "",
                   "Directory to read text files with metrics "
                   "from."}});

}  // namespace vitals
