#include "exporter/web.h"

#include <prometheus/family.h>

#include <algorithm>
#include <cstdio>

#include "core/config.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/version.h"
#include "exporter/gzip.h"
#include "exporter/openmetrics_format.h"
#include "exporter/protobuf_format.h"
#include "exporter/text_format.h"
#include "http/query.h"
#include "model/gather.h"

namespace vitals {
namespace {

std::string html_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o.push_back(c);
    }
  }
  return o;
}

}  // namespace

Web::Web(Scraper& scraper, WebOptions options)
    : scraper_(scraper),
      opts_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("promhttp_metric_handler_requests_total")
                   .Help("Total number of scrapes by HTTP status code.")
                   .Register(*registry_);
  // Pre-create the codes Prometheus' Go handler shows.
  requests_->Add({{"code", "200"}});
  requests_->Add({{"code", "500"}});
  requests_->Add({{"code", "503"}});
  in_flight_gauge_ = &prometheus::BuildGauge()
                          .Name("promhttp_metric_handler_requests_in_flight")
                          .Help("Current number of scrapes being served.")
                          .Register(*registry_)
                          .Add({});
  auto& errs = prometheus::BuildCounter()
                   .Name("promhttp_metric_handler_errors_total")
                   .Help(
                       "Total number of internal errors encountered by the promhttp metric "
                       "handler.")
                   .Register(*registry_);
  errors_encoding_ = &errs.Add({{"cause", "encoding"}});
  errors_gathering_ = &errs.Add({{"cause", "gathering"}});
  max_requests_ = &prometheus::BuildGauge()
                       .Name("vitals_web_max_requests")
                       .Help("Limit on parallel scrape requests (--web.max-requests); 0 is none.")
                       .Register(*registry_)
                       .Add({});
  max_requests_->Set(opts_.max_requests);
}

WebOptions Web::options() const {
  std::lock_guard<std::mutex> lk(mu_);
  return opts_;
}

void Web::update(WebOptions options) {
  std::lock_guard<std::mutex> lk(mu_);
  options.telemetry_path = opts_.telemetry_path;  // routes are fixed at start
  opts_ = std::move(options);
  max_requests_->Set(opts_.max_requests);
}

void Web::install(HttpServer& server) {
  std::string path = options().telemetry_path;
  server.route(path, [this](HttpRequest& q, HttpResponse& r) { handle_metrics(q, r); });
  if (path != "/") {
    server.route("/", [this](HttpRequest& q, HttpResponse& r) { handle_landing(q, r); });
  }
  server.route("/-/healthy", [](HttpRequest& q, HttpResponse& r) {
    if (q.method() != "GET" && q.method() != "HEAD") {
      r.set(405, "text/plain; charset=utf-8", "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return;
    }
    r.set(200, "text/plain; charset=utf-8", "Healthy\n");
  });
  server.route("/-/ready", [this](HttpRequest& q, HttpResponse& r) {
    if (q.method() != "GET" && q.method() != "HEAD") {
      r.set(405, "text/plain; charset=utf-8", "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return;
    }
    if (ready_.load()) {
      r.set(200, "text/plain; charset=utf-8", "Ready\n");
    } else {
      r.set(503, "text/plain; charset=utf-8", "Not ready\n");
    }
  });
}

int Web::render_metrics(std::string_view query, std::optional<std::string_view> timeout_header,
                        std::string& body, ExpositionFormat format) {
  WebOptions o = options();
  auto set = scraper_.collectors();
  std::vector<std::string> collect, exclude;
  for (auto& [k, v] : parse_query(query)) {
    if (k == "collect[]") collect.push_back(v);
    if (k == "exclude[]") exclude.push_back(v);
  }
  if (!collect.empty() && !exclude.empty()) {
    body = "cannot use collect[] and exclude[] together\n";
    return 400;
  }
  for (const auto* list : {&collect, &exclude}) {
    for (const auto& n : *list) {
      if (!CollectorRegistry::find(n)) {
        body = "unknown collector \"" + n + "\"\n";
        return 400;
      }
      if (!set->find(n)) {
        body = "collector \"" + n + "\" is not enabled\n";
        return 400;
      }
    }
  }
  std::vector<std::string> names = collect;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (!exclude.empty()) {
    for (const auto& s : set->slots) {
      if (std::find(exclude.begin(), exclude.end(), s->name) == exclude.end()) {
        names.push_back(s->name);
      }
    }
    if (names.empty()) names.push_back("");  // everything excluded: run nothing
  }

  auto timeout = o.collector_timeout;
  if (timeout_header) {
    if (auto secs = parse::to_double(parse::trim(*timeout_header)); secs && *secs > 0) {
      auto hdr = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(*secs * 0.9));
      timeout = std::min(timeout, hdr);
    }
  }
  auto snap = scraper_.scrape(names, timeout);

  // The producers' sets are lent from a pool and refilled, so a scrape reuses the families'
  // storage instead of allocating it again.
  std::unique_ptr<std::deque<MetricSet>> lent = produced_pool_.take();
  if (!lent) lent = std::make_unique<std::deque<MetricSet>>();
  struct GiveBack {
    IdlePool<std::deque<MetricSet>>& pool;
    std::unique_ptr<std::deque<MetricSet>>& sets;
    ~GiveBack() { pool.give_back(std::move(sets)); }
  } give_back{produced_pool_, lent};
  std::deque<MetricSet>& produced = *lent;
  produced.resize(producers_.size());
  for (size_t i = 0; i < producers_.size(); ++i) {
    produced[i].recycle();
    producers_[i]->produce(produced[i]);
  }
  std::vector<const MetricSet*> sets;
  for (const auto& m : snap->outputs) sets.push_back(m.get());
  for (const auto& m : produced) sets.push_back(&m);
  sets.push_back(&snap->scrape_metrics);
  Gathered g = gather(sets);
  for (const auto& e : g.errors) {
    errors_gathering_->Increment();
    log::error("gathering metrics", {{"err", e}});
  }
  body.clear();
  body.reserve(64 * 1024);
  switch (format) {
    case ExpositionFormat::kText004:
      write_text(g.families, body);
      break;
    case ExpositionFormat::kOpenMetrics100:
    case ExpositionFormat::kOpenMetrics001:
      write_openmetrics(g.families, body);
      break;
    case ExpositionFormat::kProtobufDelimited:
      write_protobuf(g.families, body);
      break;
  }
  return 200;
}

void Web::handle_metrics(HttpRequest& req, HttpResponse& resp) {
  if (req.method() != "GET" && req.method() != "HEAD") {
    resp.set(405, "text/plain; charset=utf-8", "method not allowed\n");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return;
  }
  WebOptions o = options();
  int now = in_flight_.fetch_add(1) + 1;
  struct Guard {
    std::atomic<int>& n;
    prometheus::Gauge* g;
    ~Guard() {
      n.fetch_sub(1);
      g->Decrement();
    }
  } guard{in_flight_, in_flight_gauge_};
  in_flight_gauge_->Increment();
  if (o.max_requests > 0 && now > o.max_requests) {
    requests_->Add({{"code", "503"}}).Increment();
    resp.set(503, "text/plain; charset=utf-8",
             "Limit of concurrent requests reached (" + std::to_string(o.max_requests) +
                 "), try again later.\n");
    resp.headers.emplace_back("Retry-After", "1");
    return;
  }
  std::string text;
  // Sized like the last response, so building it does not regrow the buffer several times.
  text.reserve(last_size_.load(std::memory_order_relaxed) + 4096);
  auto accept = req.header("Accept");
  ExpositionFormat fmt = accept ? negotiate_format(*accept) : ExpositionFormat::kText004;
  const std::string ctype(content_type(fmt));
  int code =
      render_metrics(req.query(), req.header("X-Prometheus-Scrape-Timeout-Seconds"), text, fmt);
  if (code != 200) {
    requests_->Add({{"code", std::to_string(code)}}).Increment();
    resp.set(code, "text/plain; charset=utf-8", std::move(text));
    return;
  }
  last_size_.store(text.size(), std::memory_order_relaxed);
  auto ae = req.header("Accept-Encoding");
  if (ae && accepts_gzip(*ae)) {
    std::string gz;
    if (gzip_compress(text, o.gzip_level, gz)) {
      resp.set(200, ctype, std::move(gz));
      resp.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      errors_encoding_->Increment();
      resp.set(200, ctype, std::move(text));
    }
  } else {
    resp.set(200, ctype, std::move(text));
  }
  resp.headers.emplace_back("Vary", "Accept, Accept-Encoding");
  requests_->Add({{"code", "200"}}).Increment();
}

void Web::handle_landing(HttpRequest& req, HttpResponse& resp) {
  if (req.method() != "GET" && req.method() != "HEAD") {
    resp.set(405, "text/plain; charset=utf-8", "method not allowed\n");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return;
  }
  WebOptions o = options();
  auto set = scraper_.collectors();
  std::string h;
  h += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vitals</title>"
       "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.fail{color:#b00}"
       "</style></head><body>\n<h1>vitals</h1>\n<p>";
  h += html_escape(version_string());
  h += "</p>\n<p><a href=\"" + html_escape(o.telemetry_path) +
       "\">Metrics</a> &middot; "
       "<a href=\"/-/healthy\">Health</a> &middot; <a href=\"/-/ready\">Ready</a></p>\n";
  h += "<p>Scrapes in flight: " + std::to_string(in_flight_.load()) + "</p>\n";
  h += "<h2>Collectors</h2>\n<table><tr><th>collector</th><th>last duration</th>"
       "<th>last status</th></tr>\n";
  for (const auto& s : set->slots) {
    int st = s->last_success.load();
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.6fs", s->last_duration.load());
    h += "<tr><td>" + html_escape(s->name) + "</td><td>" + (st < 0 ? "-" : dur) + "</td><td" +
         (st == 0 ? " class=\"fail\"" : "") + ">" +
         (st < 0 ? "not run yet"
          : st   ? "ok"
                 : "failed") +
         "</td></tr>\n";
  }
  h += "</table>\n</body></html>\n";
  resp.set(200, "text/html; charset=utf-8", std::move(h));
}

}  // namespace vitals
