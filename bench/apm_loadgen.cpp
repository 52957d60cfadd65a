// Load generator for the OTLP/HTTP and OTLP/gRPC receivers: realistic protobuf requests
// (bench/otlp_gen.h) posted over keep-alive loopback connections (with --grpc: unary
// TraceService/Export calls of the same pre-encoded bytes, one gRPC channel per connection, gzip
// as grpc-encoding), one thread per connection. Reports spans per second, the agent's CPU per span
// and resident memory (from /proc/<pid>).
//   build/bench/apm_loadgen --port 4318 --pid $(pidof vitals) --connections 4 --seconds 10 [--gzip]
//   build/bench/apm_loadgen --grpc --port 4317 --pid $(pidof vitals) --connections 4 [--gzip]
// Paced (an offered rate instead of back to back; refusals retried after Retry-After, as OTLP
// exporters do; JSON lines out, for bench/stress_spans.py and bench/spike_spans.py):
//   build/bench/apm_loadgen --port 4318 --connections 16 --rate 1500000 --seconds 60 --drain 300
//   build/bench/apm_loadgen --port 4318 --connections 16 --schedule 60000:30,600000:30,60000:30
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <queue>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/otlp_gen.h"
#include "exporter/gzip.h"

namespace {

struct Options {
  int port = 4318;
  int pid = 0;
  int connections = 4;
  double seconds = 10;
  bool gzip = false;
  bool grpc = false;
  int requests = 1000;   // distinct requests cycled through
  int spans = 100;       // spans per request (0: empty requests, the transport's cost alone)
  std::string schedule;  // paced mode: RATE:SECONDS,... (--rate R = R:seconds)
  double rate = 0;
  double drain = 0;  // paced mode: seconds after the schedule to retry what is left
};

double agent_cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
  if (close == std::string::npos || close + 2 > s.size()) return 0;  // the agent is gone
  std::istringstream in(s.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// kB of a field ("VmRSS:", "RssAnon:", "Private_Clean:") of a /proc/<pid> file; -1 if missing.
long proc_kb(int pid, const char* file, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  size_t n = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n);
  }
  return -1;
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response; returns the status (0 on a broken connection).
int read_response(int fd, std::string& buf) {
  buf.clear();
  char tmp[4096];
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
  }
  int status = std::atoi(buf.c_str() + 9);
  size_t cl = 0;
  size_t p = buf.find("Content-Length:");
  if (p != std::string::npos && p < header_end)
    cl = std::strtoul(buf.c_str() + p + 15, nullptr, 10);
  while (buf.size() < header_end + 4 + cl) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
  }
  return status;
}

// --- Paced mode (--rate / --schedule): an offered rate, and refusals retried after Retry-After.
//
// Each connection is one exporter: requests fall due at its share of the offered rate (phases
// shifted, so connections do not send in step); it sends one at a time, the oldest due first,
// back to back when it is behind (the backlog is the exporter's queue, unbounded here so that
// no span is dropped by the client). A request answered 429/503 (gRPC RESOURCE_EXHAUSTED/
// UNAVAILABLE) waits Retry-After seconds (1 s if the answer has none; that is counted) in the
// exporter's retry queue, then is sent again; a broken connection is reconnected and its request
// sent again. After the schedule, --drain seconds more to get the backlog in, without new
// requests. Output: JSON lines, one per second, one per phase and a summary, for bench/ scripts.

struct Phase {
  double rate = 0;  // spans/s, all connections together
  double seconds = 0;
};

struct Attempt {
  float t;           // seconds since start, when the answer came
  float latency;     // seconds from send to answer
  float delay;       // for a 200: seconds from falling due to accepted
  int16_t status;    // HTTP status (gRPC mapped to 429/503/500), 0 = broken connection
  bool retry_after;  // the refusal carried Retry-After
};

struct Answer {
  int status = 0;
  double retry_after = -1;  // seconds; < 0 when absent
};

double quantile(std::vector<float>& v, double q) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// Retry-After in seconds from a response's header block; -1 if absent.
double retry_after_of(const std::string& buf) {
  size_t end = buf.find("\r\n\r\n");
  size_t p = 0;
  while ((p = buf.find("\r\n", p)) != std::string::npos && p < end) {
    p += 2;
    if (strncasecmp(buf.c_str() + p, "Retry-After:", 12) == 0)
      return std::strtod(buf.c_str() + p + 12, nullptr);
  }
  return -1;
}

struct Totals {
  uint64_t accepted = 0, refused = 0, refused_no_retry_after = 0, broken = 0, other = 0;
};

void summarize(const char* what, double t0, double t1, std::vector<Attempt>& all, int spans,
               const char* extra) {
  std::vector<float> lat_ok, lat_refused, delay;
  Totals n;
  // `all` is sorted by t.
  auto by_t = [](const Attempt& a, double t) { return a.t < t; };
  auto first = std::lower_bound(all.begin(), all.end(), t0, by_t);
  auto last = std::lower_bound(all.begin(), all.end(), t1, by_t);
  for (auto it = first; it != last; ++it) {
    const Attempt& a = *it;
    if (a.status == 200) {
      ++n.accepted;
      lat_ok.push_back(a.latency);
      delay.push_back(a.delay);
    } else if (a.status == 429 || a.status == 503) {
      ++n.refused;
      if (!a.retry_after) ++n.refused_no_retry_after;
      lat_refused.push_back(a.latency);
    } else if (a.status == 0) {
      ++n.broken;
    } else {
      ++n.other;
    }
  }
  double secs = std::max(1e-9, t1 - t0);
  std::printf(
      "{\"%s\": [%.3f, %.3f], \"accepted_spans\": %llu, \"accepted_spans_per_s\": %.0f, "
      "\"refused\": %llu, \"refused_without_retry_after\": %llu, \"broken\": %llu, "
      "\"other\": %llu, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, "
      "\"refused_p50_ms\": %.2f, \"refused_p99_ms\": %.2f, \"delay_p50_s\": %.3f, "
      "\"delay_p99_s\": %.3f, \"delay_max_s\": %.3f%s}\n",
      what, t0, t1, static_cast<unsigned long long>(n.accepted * static_cast<uint64_t>(spans)),
      static_cast<double>(n.accepted) * spans / secs, static_cast<unsigned long long>(n.refused),
      static_cast<unsigned long long>(n.refused_no_retry_after),
      static_cast<unsigned long long>(n.broken), static_cast<unsigned long long>(n.other),
      quantile(lat_ok, 0.5) * 1e3, quantile(lat_ok, 0.99) * 1e3, quantile(lat_ok, 1.0) * 1e3,
      quantile(lat_refused, 0.5) * 1e3, quantile(lat_refused, 0.99) * 1e3, quantile(delay, 0.5),
      quantile(delay, 0.99), quantile(delay, 1.0), extra);
}

using Clock = std::chrono::steady_clock;

struct ExporterResult {
  std::vector<Attempt> attempts;
  std::vector<uint32_t> due_per_second;  // requests that fell due, by second
  uint64_t due = 0, accepted = 0, dropped = 0, unsent = 0;
};

// One paced exporter (connection c of n); `send` makes one attempt of request i.
void paced_exporter(int c, int n, const std::vector<Phase>& phases, double drain, int spans,
                    Clock::time_point start, const std::function<Answer(size_t)>& send,
                    ExporterResult& r) {
  double sched_end = 0;
  for (const Phase& p : phases) sched_end += p.seconds;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  // The phase holding time t, its start, and this connection's interval there.
  auto interval_at = [&](double t, double* phase_end) {
    double s = 0;
    for (const Phase& p : phases) {
      if (t < s + p.seconds) {
        *phase_end = s + p.seconds;
        return p.rate > 0 ? spans * static_cast<double>(n) / p.rate : -1.0;
      }
      s += p.seconds;
    }
    *phase_end = s;
    return -1.0;
  };
  double pe;
  double iv = interval_at(0, &pe);
  double next_due = iv > 0 ? iv * c / n : pe;
  struct Retry {
    double ready, due;
    size_t idx;
    bool operator>(const Retry& o) const { return ready > o.ready; }
  };
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries;
  std::deque<std::pair<double, size_t>> fresh;  // due time, request index
  size_t counter = static_cast<size_t>(c) * 7919;
  double last_answer = 0;
  r.due_per_second.assign(static_cast<size_t>(sched_end + drain) + 2, 0);
  while (true) {
    double now = elapsed();
    while (next_due <= now && next_due < sched_end) {
      fresh.emplace_back(next_due, counter++);
      ++r.due;
      ++r.due_per_second[static_cast<size_t>(next_due)];
      double end;
      double step = interval_at(next_due, &end);
      if (step > 0 && next_due + step < end) {
        next_due += step;
      } else {  // the next phase starts afresh with its own interval, shifted as at the start
        double e2;
        double iv2 = interval_at(end, &e2);
        next_due = iv2 > 0 ? end + iv2 * c / n : e2;
        while (iv2 <= 0 && next_due < sched_end) {
          iv2 = interval_at(next_due, &e2);
          next_due = iv2 > 0 ? next_due + iv2 * c / n : e2;
        }
      }
    }
    if (now >= sched_end + drain) break;
    double due;
    size_t idx;
    if (!retries.empty() && retries.top().ready <= now) {
      due = retries.top().due;
      idx = retries.top().idx;
      retries.pop();
    } else if (!fresh.empty()) {
      due = fresh.front().first;
      idx = fresh.front().second;
      fresh.pop_front();
    } else {
      if (now >= sched_end && retries.empty()) break;  // all in
      double wake = now < sched_end ? sched_end : sched_end + drain;
      if (next_due < sched_end) wake = std::min(wake, next_due);
      if (!retries.empty()) wake = std::min(wake, retries.top().ready);
      std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, wake - now)));
      continue;
    }
    double sent_at = elapsed();
    Answer a = send(idx);
    double t = elapsed();
    if (a.status != 0) last_answer = t;
    Attempt at{static_cast<float>(t), static_cast<float>(t - sent_at), 0,
               static_cast<int16_t>(a.status), a.retry_after >= 0};
    if (a.status == 200) {
      at.delay = static_cast<float>(t - due);
      ++r.accepted;
    } else if (a.status == 429 || a.status == 503) {
      retries.push({t + (a.retry_after >= 0 ? a.retry_after : 1.0), due, idx});
    } else if (a.status == 0) {
      retries.push({t + 0.1, due, idx});  // reconnect and send it again
      if (t - last_answer > 10) {         // nobody answers any more
        r.attempts.push_back(at);
        break;
      }
    } else {
      ++r.dropped;  // not retryable (4xx other than 429, 5xx other than 503)
    }
    r.attempts.push_back(at);
  }
  r.unsent = fresh.size() + retries.size();
}

// Parses "RATE:SECONDS,RATE:SECONDS,..." (spans/s).
std::vector<Phase> parse_schedule(const std::string& s) {
  std::vector<Phase> v;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t colon = item.find(':');
    if (colon == std::string::npos)
      throw std::invalid_argument("--schedule wants RATE:SECONDS,...");
    v.push_back({std::stod(item.substr(0, colon)), std::stod(item.substr(colon + 1))});
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--port")
      o.port = std::stoi(next());
    else if (a == "--pid")
      o.pid = std::stoi(next());
    else if (a == "--connections")
      o.connections = std::stoi(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--requests")
      o.requests = std::stoi(next());
    else if (a == "--spans")
      o.spans = std::stoi(next());
    else if (a == "--rate")
      o.rate = std::stod(next());
    else if (a == "--schedule")
      o.schedule = next();
    else if (a == "--drain")
      o.drain = std::stod(next());
    else if (a == "--gzip")
      o.gzip = true;
    else if (a == "--grpc")
      o.grpc = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::mt19937_64 rng(7);
  std::vector<std::string> wire;
  size_t body_bytes = 0;
  std::vector<std::string> messages;  // --grpc: the request bytes (gRPC compresses them)
  for (int r = 0; r < o.requests; ++r) {
    std::string body = vitals::bench::make_request(r % vitals::bench::kServices, o.spans, rng);
    if (o.grpc) {
      body_bytes += body.size();
      messages.push_back(std::move(body));
      continue;
    }
    if (o.gzip) {
      std::string z;
      vitals::gzip_compress(body, 6, z);
      body.swap(z);
    }
    body_bytes += body.size();
    std::string req =
        "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n";
    if (o.gzip) req += "Content-Encoding: gzip\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    wire.push_back(std::move(req));
  }
  const size_t distinct = o.grpc ? messages.size() : wire.size();
  std::printf("requests: %d distinct, %d spans each, mean body %zu bytes%s%s\n", o.requests,
              o.spans, body_bytes / distinct, o.gzip ? " (gzip)" : "", o.grpc ? " over gRPC" : "");

  if (o.rate > 0 || !o.schedule.empty()) {
    if (o.spans < 1) {
      std::fprintf(stderr, "--rate and --schedule want --spans of 1 or more\n");
      return 2;
    }
    std::vector<Phase> phases =
        o.schedule.empty() ? std::vector<Phase>{{o.rate, o.seconds}} : parse_schedule(o.schedule);
    const int n = o.connections;
    std::vector<ExporterResult> results(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    std::printf("{\"start\": true}\n");
    std::fflush(stdout);
    double cpu0 = agent_cpu_seconds(o.pid);
    const auto start = Clock::now();
    for (int c = 0; c < n; ++c) {
      threads.emplace_back([&, c] {
        std::function<Answer(size_t)> send;
        int fd = -1;
        std::string buf;
        std::shared_ptr<grpc::Channel> ch;
        const grpc::internal::RpcMethod method(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            grpc::internal::RpcMethod::NORMAL_RPC);
        if (o.grpc) {
          grpc::ChannelArguments args;
          args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
          args.SetMaxReceiveMessageSize(-1);
          ch = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(o.port),
                                         grpc::InsecureChannelCredentials(), args);
          send = [&](size_t i) {
            const std::string& m = messages[i % messages.size()];
            grpc::Slice slice(m.data(), m.size());
            grpc::ByteBuffer req(&slice, 1), resp;
            grpc::ClientContext ctx;
            if (o.gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
            grpc::Status st = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
                ch.get(), method, &ctx, req, &resp);
            Answer a;
            // google.rpc.RetryInfo in the status details stands for Retry-After (the receiver
            // puts 1 s there).
            bool retry_info = st.error_details().find("google.rpc.RetryInfo") != std::string::npos;
            if (st.ok()) {
              a.status = 200;
            } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
              a.status = 429;
            } else if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {
              a.status = 503;
            } else {
              std::fprintf(stderr, "gRPC %d: %s\n", static_cast<int>(st.error_code()),
                           st.error_message().c_str());
              a.status = 500;
            }
            if (retry_info) a.retry_after = 1;
            return a;
          };
        } else {
          send = [&](size_t i) {
            Answer a;
            if (fd < 0) fd = connect_to(o.port);
            if (fd < 0) return a;
            a.status = send_all(fd, wire[i % wire.size()]) ? read_response(fd, buf) : 0;
            if (a.status == 0) {
              close(fd);
              fd = -1;
            } else {
              a.retry_after = retry_after_of(buf);
            }
            return a;
          };
        }
        paced_exporter(c, n, phases, o.drain, o.spans, start, send,
                       results[static_cast<size_t>(c)]);
        if (fd >= 0) close(fd);
      });
    }
    for (auto& t : threads) t.join();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = agent_cpu_seconds(o.pid) - cpu0;
    std::vector<Attempt> all;
    ExporterResult sum;
    size_t seconds = 0;
    for (auto& r : results) {
      all.insert(all.end(), r.attempts.begin(), r.attempts.end());
      sum.due += r.due;
      sum.accepted += r.accepted;
      sum.dropped += r.dropped;
      sum.unsent += r.unsent;
      seconds = std::max(seconds, r.due_per_second.size());
    }
    std::sort(all.begin(), all.end(), [](const Attempt& a, const Attempt& b) { return a.t < b.t; });
    // Per second: what fell due (offered), what was answered, and the exporters' backlog.
    int64_t backlog = 0;
    for (size_t s = 0; s < seconds && s < static_cast<size_t>(secs) + 1; ++s) {
      uint64_t due = 0;
      for (auto& r : results) due += s < r.due_per_second.size() ? r.due_per_second[s] : 0;
      uint64_t ok = 0;
      auto by_t = [](const Attempt& a, double t) { return a.t < t; };
      for (auto it = std::lower_bound(all.begin(), all.end(), static_cast<double>(s), by_t);
           it != all.end() && it->t < static_cast<double>(s + 1); ++it)
        ok += it->status == 200;
      backlog += static_cast<int64_t>(due) - static_cast<int64_t>(ok);
      char extra[128];
      std::snprintf(extra, sizeof extra, ", \"offered_spans\": %llu, \"backlog_spans\": %lld",
                    static_cast<unsigned long long>(due * static_cast<uint64_t>(o.spans)),
                    static_cast<long long>(backlog * o.spans));
      summarize("second", static_cast<double>(s), static_cast<double>(s + 1), all, o.spans, extra);
    }
    double t = 0;
    for (size_t p = 0; p < phases.size(); ++p) {
      char extra[64];
      std::snprintf(extra, sizeof extra, ", \"index\": %zu, \"rate\": %.0f", p, phases[p].rate);
      summarize("phase", t, t + phases[p].seconds, all, o.spans, extra);
      t += phases[p].seconds;
    }
    summarize("drain", t, secs + 1, all, o.spans, "");
    char extra[256];
    std::snprintf(extra, sizeof extra,
                  ", \"offered_spans_total\": %llu, \"accepted_spans_total\": %llu, "
                  "\"dropped_spans\": %llu, \"unsent_spans\": %llu, \"agent_cpu_s\": %.2f",
                  static_cast<unsigned long long>(sum.due * static_cast<uint64_t>(o.spans)),
                  static_cast<unsigned long long>(sum.accepted * static_cast<uint64_t>(o.spans)),
                  static_cast<unsigned long long>(sum.dropped * static_cast<uint64_t>(o.spans)),
                  static_cast<unsigned long long>(sum.unsent * static_cast<uint64_t>(o.spans)),
                  cpu);
    summarize("total", 0, secs + 1, all, o.spans, extra);
    return sum.dropped == 0 && sum.unsent == 0 ? 0 : 1;
  }

  std::atomic<uint64_t> spans{0}, refused{0}, failed{0}, ok_requests{0};
  std::atomic<bool> stop{false};
  double cpu0 = agent_cpu_seconds(o.pid);
  rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    if (o.grpc) {
      threads.emplace_back([&, c] {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per channel
        args.SetMaxReceiveMessageSize(-1);
        auto ch = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(o.port),
                                            grpc::InsecureChannelCredentials(), args);
        const grpc::internal::RpcMethod method(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            grpc::internal::RpcMethod::NORMAL_RPC);
        size_t i = static_cast<size_t>(c) * 7919;
        while (!stop.load(std::memory_order_relaxed)) {
          const std::string& m = messages[i % messages.size()];
          grpc::Slice slice(m.data(), m.size());
          grpc::ByteBuffer req(&slice, 1), resp;
          grpc::ClientContext ctx;
          if (o.gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
          grpc::Status st = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
              ch.get(), method, &ctx, req, &resp);
          if (st.ok()) {
            spans += static_cast<uint64_t>(o.spans);
            ok_requests++;
            ++i;
          } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                     st.error_code() == grpc::StatusCode::UNAVAILABLE) {
            refused++;
          } else {
            std::fprintf(stderr, "gRPC %d: %s\n", static_cast<int>(st.error_code()),
                         st.error_message().c_str());
            failed++;
            return;
          }
        }
      });
      continue;
    }
    threads.emplace_back([&, c] {
      int fd = connect_to(o.port);
      std::string buf;
      size_t i = static_cast<size_t>(c) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        if (fd < 0) fd = connect_to(o.port);
        if (fd < 0) {
          failed++;
          return;
        }
        const std::string& req = wire[i % wire.size()];
        int st = send_all(fd, req) ? read_response(fd, buf) : 0;
        if (st == 200) {
          spans += static_cast<uint64_t>(o.spans);
          ok_requests++;
          ++i;
        } else if (st == 429 || st == 503) {
          refused++;
        } else {
          failed++;
          close(fd);
          fd = -1;
        }
      }
      if (fd >= 0) close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = agent_cpu_seconds(o.pid) - cpu0;
  rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  double self_cpu = tv(ru1.ru_utime) - tv(ru0.ru_utime) + tv(ru1.ru_stime) - tv(ru0.ru_stime);
  double n = static_cast<double>(spans.load());
  std::printf(
      "connections %d, %.1f s: %.0f spans/s, %.0f requests/s; %llu answers 429/503 or "
      "RESOURCE_EXHAUSTED/"
      "UNAVAILABLE (retried), %llu failures\n",
      o.connections, secs, n / secs, static_cast<double>(ok_requests.load()) / secs,
      static_cast<unsigned long long>(refused.load()),
      static_cast<unsigned long long>(failed.load()));
  if (o.pid > 0) {
    // RSS counts clean code pages too; anon (RssAnon) and USS (Private_Clean + Private_Dirty)
    // are what the agent alone holds.
    std::printf(
        "agent CPU: %.2f s = %.3f us/span (%.0f spans per CPU-second); RSS %ld kB, anon %ld kB, "
        "USS %ld kB\n",
        cpu, n > 0 ? cpu / n * 1e6 : 0.0, n / cpu, proc_kb(o.pid, "status", "VmRSS:"),
        proc_kb(o.pid, "status", "RssAnon:"),
        proc_kb(o.pid, "smaps_rollup", "Private_Clean:") +
            proc_kb(o.pid, "smaps_rollup", "Private_Dirty:"));
  }
  std::printf("load generator CPU: %.2f s\n", self_cpu);
  return failed.load() == 0 ? 0 : 1;
}
