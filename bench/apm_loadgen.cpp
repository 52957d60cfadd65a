// Load generator for the OTLP/HTTP and OTLP/gRPC receivers: realistic protobuf requests
// (bench/otlp_gen.h) posted over keep-alive loopback connections (with --grpc: unary
// TraceService/Export calls of the same pre-encoded bytes, one gRPC channel per connection, gzip
// as grpc-encoding), one thread per connection. Reports spans per second, the agent's CPU per span
// and resident memory (from /proc/<pid>).
//   build/bench/apm_loadgen --port 4318 --pid $(pidof vitals) --connections 4 --seconds 10 [--gzip]
//   build/bench/apm_loadgen --grpc --port 4317 --pid $(pidof vitals) --connections 4 [--gzip]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
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
  int requests = 1000;  // distinct requests (x100 spans) cycled through
};

double agent_cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
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
    std::string body = vitals::bench::make_request(r % vitals::bench::kServices, 100, rng);
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
  std::printf("requests: %d distinct, 100 spans each, mean body %zu bytes%s%s\n", o.requests,
              body_bytes / distinct, o.gzip ? " (gzip)" : "", o.grpc ? " over gRPC" : "");

  std::atomic<uint64_t> spans{0}, refused{0}, failed{0};
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
            spans += 100;
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
          spans += 100;
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
      "connections %d, %.1f s: %.0f spans/s; %llu answers 429/503 or RESOURCE_EXHAUSTED/"
      "UNAVAILABLE (retried), %llu failures\n",
      o.connections, secs, n / secs, static_cast<unsigned long long>(refused.load()),
      static_cast<unsigned long long>(failed.load()));
  if (o.pid > 0) {
    // RSS counts clean code pages too; anon (RssAnon) and USS (Private_Clean + Private_Dirty)
    // are what the agent alone holds.
    std::printf(
        "agent CPU: %.2f s = %.3f us/span (%.0f spans per CPU-second); RSS %ld kB, anon %ld kB, "
        "USS %ld kB\n",
        cpu, cpu / n * 1e6, n / cpu, proc_kb(o.pid, "status", "VmRSS:"),
        proc_kb(o.pid, "status", "RssAnon:"),
        proc_kb(o.pid, "smaps_rollup", "Private_Clean:") +
            proc_kb(o.pid, "smaps_rollup", "Private_Dirty:"));
  }
  std::printf("load generator CPU: %.2f s\n", self_cpu);
  return failed.load() == 0 ? 0 : 1;
}
