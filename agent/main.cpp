// vitals: process lifecycle. Parses the configuration, builds the collectors, starts the HTTP
// server and then waits for signals: SIGTERM/SIGINT stop it (in-flight scrapes finish), SIGHUP
// reloads the configuration (a bad one is logged and the old one stays).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "apm/module.h"
#include "collectors/cgroup/runtime.h"
#include "collectors/netlink/dump_retry.h"
#include "collectors/self/process_metrics.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/fs_metrics.h"
#include "core/log.h"
#include "core/malloc_tune.h"
#include "core/scraper.h"
#include "core/self_metrics.h"
#include "core/worker_pool.h"
#include "exporter/web.h"
#include "http/server.h"
#include "http/web_config.h"
#include "remote_write/options.h"
#include "remote_write/remote_write.h"

namespace {

using vitals::Config;
using vitals::ConfigResult;

vitals::WebOptions web_options(const Config& c) {
  vitals::WebOptions w;
  w.telemetry_path = c.telemetry_path;
  w.max_requests = c.web_max_requests;
  w.gzip_level = c.web_gzip_level;
  w.collector_timeout = c.collector_timeout;
  return w;
}

// Reads --web.config.file (or --apm.web.config.file) into *out; an empty path is no file (plain
// HTTP, no auth). False with the one-line reason.
bool load_web(const std::string& path, std::shared_ptr<const vitals::WebConfig>* out,
              std::string* error) {
  if (path.empty()) {
    out->reset();
    return true;
  }
  auto c = std::make_shared<vitals::WebConfig>();
  if (!vitals::load_web_config(path, c.get(), error)) return false;
  *out = std::move(c);
  return true;
}

// The metrics listener's web config and the span listeners' (--apm.web.config.file, else the
// same).
struct WebConfigs {
  std::shared_ptr<const vitals::WebConfig> metrics, apm;
};
bool load_webs(const Config& c, WebConfigs* out, std::string* error) {
  WebConfigs w;
  if (!load_web(c.web_config_file, &w.metrics, error)) return false;
  std::string apm_file = vitals::apm::apm_config(c).web_config_file;
  if (apm_file.empty()) {
    w.apm = w.metrics;
  } else if (!load_web(apm_file, &w.apm, error)) {
    return false;
  }
  *out = std::move(w);
  return true;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// --collector.keep-open-files, but at most a quarter of the open-file limit, so that kept
// procfs/sysfs files never crowd out connections and fresh opens.
int keep_open_limit(int flag) {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY) return flag;
  return static_cast<int>(std::min<rlim_t>(static_cast<rlim_t>(flag), nofile.rlim_cur / 4));
}

}  // namespace

int main(int argc, char** argv) {
  // Few malloc arenas, large blocks always mmapped (core/malloc_tune.h).
  vitals::tune_malloc();

  // A collector name registered twice (two files, one name) is refused here, not by a throw
  // from a static initializer.
  if (!vitals::CollectorRegistry::errors().empty()) {
    for (const auto& e : vitals::CollectorRegistry::errors()) {
      std::fprintf(stderr, "vitals: %s\n", e.c_str());
    }
    return 2;
  }

  ConfigResult cr = vitals::parse_config(argc, argv);
  switch (cr.action) {
    case ConfigResult::kListCollectors:
    case ConfigResult::kHelp:
      std::fputs(cr.text.c_str(), stdout);
      return 0;
    case ConfigResult::kVersion:
      std::printf("%s\n", cr.text.c_str());
      return 0;
    case ConfigResult::kError:
      std::fprintf(stderr, "vitals: %s\n", cr.text.c_str());
      return 2;
    case ConfigResult::kRun:
      break;
  }
  Config config = std::move(cr.config);
  vitals::log::configure(config.log_level, config.log_format);

  // Parked connections (up to --web.max-parked-connections per listener) each hold a file
  // descriptor: raise the soft limit to the hard one, as Go programs such as node_exporter do.
  if (rlimit nofile{};
      getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    rlim_t before = nofile.rlim_cur;
    nofile.rlim_cur = nofile.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &nofile) == 0) {
      vitals::log::debug("raised the open file limit", {{"from", std::to_string(before)},
                                                        {"to", std::to_string(nofile.rlim_cur)}});
    }
  }

  // Signals are taken by sigwait in this thread only; every thread started later inherits the
  // mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  vitals::FileReader::set_keep_open_limit(keep_open_limit(config.collector_keep_open_files));
  std::string err;
  auto set = vitals::build_collector_set(config, nullptr, &err);
  if (!set) {
    std::fprintf(stderr, "vitals: %s\n", err.c_str());
    return 2;
  }
  vitals::WorkerPool pool(config.collector_workers, config.collector_max_threads);
  vitals::Scraper scraper(pool);
  scraper.set_collectors(set);
  vitals::Web web(scraper, web_options(config));

  WebConfigs webs;
  if (!load_webs(config, &webs, &err)) {
    std::fprintf(stderr, "vitals: %s\n", err.c_str());
    return 1;
  }
  vitals::HttpServerOptions so;
  so.web_config = webs.metrics;
  so.listen_addresses = config.listen_addresses;
  so.threads = config.web_max_connections;
  so.max_connections_per_source = config.web_max_connections_per_source;
  so.request_timeout_ms = config.web_read_header_timeout_ms;
  so.max_header_bytes = config.web_max_header_bytes;
  so.max_parked_connections = static_cast<size_t>(config.web_max_parked_connections);
  auto server = vitals::make_http_server(so);
  // APM: span receivers on their own listeners; their metrics are served on every scrape.
  vitals::apm::ApmModule apm(vitals::apm::apm_config(config));
  web.add_producer(apm.aggregator());
  // The agent's own metrics: each owner hands out its prometheus-cpp collectable.
  using Group = vitals::SelfMetrics::Group;
  auto self = std::make_shared<vitals::SelfMetrics>();
  self->add(vitals::build_info_metrics(), Group::kAlways);
  self->add(vitals::process_metrics());
  self->add(scraper.metrics());
  self->add(pool.metrics());
  self->add(vitals::file_cache_metrics());
  self->add(vitals::cgroup::container_runtime_metrics());
  self->add(vitals::netlink::netlink_dump_metrics());
  self->add(web.metrics());
  self->add(vitals::http_server_metrics());
  for (auto& c : apm.metrics()) self->add(std::move(c), Group::kAlways);
  // Remote write: collects on its own interval through the same scraper (one collection when it
  // coincides with a scrape) and the same producers.
  vitals::remote_write::RemoteWrite remote_write(vitals::remote_write::remote_write_config(config),
                                                 scraper, config.collector_timeout);
  remote_write.add_producer(apm.aggregator());
  remote_write.add_producer(self);
  if (remote_write.enabled()) self->add(remote_write.metrics(), Group::kAlways);
  self->set_exporter_metrics(!config.disable_exporter_metrics);
  web.add_producer(self);
  web.install(*server);
  if (!server->start(&err)) {
    vitals::log::error("cannot start", {{"err", err}});
    return 1;
  }
  if (!apm.start(&err, webs.apm)) {
    vitals::log::error("cannot start", {{"err", err}});
    std::fprintf(stderr, "vitals: %s\n", err.c_str());
    server->stop();
    return 1;
  }
  web.set_ready(true);
  remote_write.start();
  std::vector<std::string> names;
  for (const auto& s : set->slots) names.push_back(s->name);
  vitals::log::info("vitals started", {{"version", vitals::version_string()},
                                       {"address", join(config.listen_addresses)},
                                       {"collectors", join(names)}});

  for (;;) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      ConfigResult next = vitals::parse_config(argc, argv);
      // The web config files first, on their own: a bad one keeps the running one (and the
      // other settings still reload), a bad flag set still re-reads them.
      WebConfigs next_webs;
      std::string werr;
      if (!load_webs(next.action == ConfigResult::kRun ? next.config : config, &next_webs, &werr) ||
          !server->set_web_config(next_webs.metrics, &werr) ||
          !apm.set_web_config(next_webs.apm, &werr)) {
        vitals::log::error("web config reload failed, keeping the running one", {{"err", werr}});
      } else if (next_webs.metrics || webs.metrics || next_webs.apm || webs.apm) {
        webs = std::move(next_webs);
        vitals::log::info("web config reloaded");
      }
      if (next.action != ConfigResult::kRun) {
        vitals::log::error(
            "reload failed, keeping the running configuration",
            {{"err", next.action == ConfigResult::kError ? next.text : "an action flag"}});
        continue;
      }
      std::string rerr;
      auto next_set = vitals::build_collector_set(next.config, scraper.collectors().get(), &rerr);
      if (!next_set) {
        vitals::log::error("reload failed, keeping the running configuration", {{"err", rerr}});
        continue;
      }
      if (next.config.listen_addresses != config.listen_addresses ||
          next.config.telemetry_path != config.telemetry_path ||
          next.config.web_max_connections != config.web_max_connections ||
          next.config.web_max_connections_per_source != config.web_max_connections_per_source ||
          next.config.web_read_header_timeout_ms != config.web_read_header_timeout_ms ||
          next.config.web_max_header_bytes != config.web_max_header_bytes ||
          next.config.web_max_parked_connections != config.web_max_parked_connections ||
          next.config.collector_workers != config.collector_workers ||
          next.config.collector_max_threads != config.collector_max_threads) {
        vitals::log::warn(
            "listen addresses, telemetry path, web.max-connections* and other web.* server limits "
            "and collector thread limits change only on restart");
      }
      for (const auto& [name, opts] : next.config.module_options) {
        auto it = config.module_options.find(name);
        if (it == config.module_options.end() || !(it->second == opts)) {
          vitals::log::warn("--" + name + ".* flags change only on restart");
        }
      }
      config = std::move(next.config);
      vitals::log::configure(config.log_level, config.log_format);
      vitals::FileReader::set_keep_open_limit(keep_open_limit(config.collector_keep_open_files));
      scraper.set_collectors(next_set);
      web.update(web_options(config));
      self->set_exporter_metrics(!config.disable_exporter_metrics);
      names.clear();
      for (const auto& s : next_set->slots) names.push_back(s->name);
      vitals::log::info("configuration reloaded", {{"collectors", join(names)}});
      continue;
    }
    vitals::log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    web.set_ready(false);
    // Span receivers first, then the metrics server: in-flight requests finish (scrapes are
    // bounded by the collector deadline) and new ones get 503. Then leave at once: civetweb's
    // own stop polls for seconds, and a collector stuck in the kernel can never be joined, so
    // no destructor may wait for either.
    bool drained = apm.drain(std::chrono::milliseconds(1000));
    drained = server->drain(std::chrono::milliseconds(1500)) && drained;
    // Remote write: no more collections; what is queued is sent for up to 2 s, the rest stays
    // in the queue dir for the next start.
    remote_write.shutdown(std::chrono::seconds(2));
    pool.shutdown(std::chrono::milliseconds(0));
    vitals::log::info("stopped", {{"in_flight_finished", drained ? "true" : "false"}});
    std::fflush(nullptr);
    _exit(0);
  }
}
