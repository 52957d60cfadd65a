// Remote write: encoding (decoded back with protozero), snappy, the segment log, Retry-After,
// backoff, label validation and the flags.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <snappy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <protozero/pbf_reader.hpp>
#include <set>

#include "remote_write/client.h"
#include "remote_write/encode.h"
#include "remote_write/options.h"
#include "remote_write/queue.h"
#include "remote_write/wal.h"
#include "tests/unit/parse_args.h"

namespace vitals::remote_write {
namespace {

struct DecodedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<double, int64_t>> samples;
  std::string name() const {
    for (const auto& [n, v] : labels) {
      if (n == "__name__") return v;
    }
    return "";
  }
  std::string label(const std::string& name) const {
    for (const auto& [n, v] : labels) {
      if (n == name) return v;
    }
    return "";
  }
};

// Decodes a WriteRequest (uncompressed).
std::vector<DecodedSeries> decode(std::string_view body) {
  std::vector<DecodedSeries> out;
  protozero::pbf_reader req(body.data(), body.size());
  while (req.next()) {
    EXPECT_EQ(req.tag(), 1u);
    protozero::pbf_reader ts = req.get_message();
    DecodedSeries s;
    while (ts.next()) {
      if (ts.tag() == 1) {
        protozero::pbf_reader l = ts.get_message();
        std::string n, v;
        while (l.next()) {
          if (l.tag() == 1)
            n = l.get_string();
          else if (l.tag() == 2)
            v = l.get_string();
          else
            l.skip();
        }
        s.labels.emplace_back(n, v);
      } else if (ts.tag() == 2) {
        protozero::pbf_reader smp = ts.get_message();
        double v = 0;
        int64_t t = 0;
        while (smp.next()) {
          if (smp.tag() == 1)
            v = smp.get_double();
          else if (smp.tag() == 2)
            t = smp.get_int64();
          else
            smp.skip();
        }
        s.samples.emplace_back(v, t);
      } else {
        ts.skip();
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<DecodedSeries> decode_chunks(const std::vector<Chunk>& chunks) {
  std::string all;
  for (const auto& c : chunks) all += c.payload;
  return decode(all);
}

std::vector<const Family*> families(const MetricSet& set) {
  std::vector<const Family*> out;
  for (const Family& f : set.families()) out.push_back(&f);
  return out;
}

TEST(RemoteWriteEncode, CounterGaugeHistogramSummaryWithExternalLabels) {
  MetricSet set;
  set.add("node_cpu_seconds_total", "", MetricType::kCounter)
      .add({{"mode", "idle"}, {"cpu", "0"}}, 12.5);
  set.add("up_like", "", MetricType::kGauge).add({{"job", "own"}}, 1);
  std::vector<Bucket> b = {{0.1, 2}, {1, 5}};
  set.add("lat_seconds", "", MetricType::kHistogram).add_histogram({}, b, 3.5, 7);
  std::vector<Bucket> q = {{0.5, 0.2}};
  set.add("sum_s", "", MetricType::kSummary).add_summary({}, q, 9, 4);

  SeriesEncoder enc({{"job", "ext"}, {"region", "eu"}}, 1, 100);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(set), 1000, &chunks, &stats);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].samples, 2u + 5u + 3u);
  EXPECT_EQ(chunks[0].min_ts, 1000);
  EXPECT_EQ(chunks[0].max_ts, 1000);
  EXPECT_EQ(stats.samples, 10u);
  EXPECT_EQ(stats.invalid, 0u);
  auto series = decode_chunks(chunks);
  ASSERT_EQ(series.size(), 10u);
  std::map<std::string, const DecodedSeries*> by;
  for (const auto& s : series) {
    // Sorted and unique names.
    for (size_t i = 1; i < s.labels.size(); ++i)
      EXPECT_LT(s.labels[i - 1].first, s.labels[i].first);
    ASSERT_EQ(s.samples.size(), 1u);
    EXPECT_EQ(s.samples[0].second, 1000);
    by[s.name() + "{" + s.label("le") + s.label("quantile") + "}"] = &s;
  }
  const auto* cpu = by.at("node_cpu_seconds_total{}");
  EXPECT_EQ(cpu->labels, (std::vector<std::pair<std::string, std::string>>{
                             {"__name__", "node_cpu_seconds_total"},
                             {"cpu", "0"},
                             {"job", "ext"},
                             {"mode", "idle"},
                             {"region", "eu"}}));
  EXPECT_EQ(cpu->samples[0].first, 12.5);
  // The series' own job wins over the external one.
  EXPECT_EQ(by.at("up_like{}")->label("job"), "own");
  EXPECT_EQ(by.at("lat_seconds_bucket{0.1}")->samples[0].first, 2);
  EXPECT_EQ(by.at("lat_seconds_bucket{1}")->samples[0].first, 5);
  EXPECT_EQ(by.at("lat_seconds_bucket{+Inf}")->samples[0].first, 7);
  EXPECT_EQ(by.at("lat_seconds_sum{}")->samples[0].first, 3.5);
  EXPECT_EQ(by.at("lat_seconds_count{}")->samples[0].first, 7);
  EXPECT_EQ(by.at("sum_s{0.5}")->samples[0].first, 0.2);
  EXPECT_EQ(by.at("sum_s_count{}")->samples[0].first, 4);
}

TEST(RemoteWriteEncode, StalenessMarkerOnceForADisappearedSeries) {
  SeriesEncoder enc({}, 2, 100);
  MetricSet a;
  Family& f = a.add("g", "", MetricType::kGauge);
  f.add({{"k", "1"}}, 1);
  f.add({{"k", "2"}}, 2);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(a), 1000, &chunks, &stats);
  EXPECT_EQ(stats.samples, 2u);

  MetricSet b;
  b.add("g", "", MetricType::kGauge).add({{"k", "1"}}, 3);
  chunks.clear();
  stats = {};
  enc.encode(families(b), 2000, &chunks, &stats);
  EXPECT_EQ(stats.samples, 2u);
  EXPECT_EQ(stats.stale, 1u);
  auto series = decode_chunks(chunks);
  ASSERT_EQ(series.size(), 2u);
  int stale = 0;
  for (const auto& s : series) {
    if (s.label("k") == "2") {
      ++stale;
      EXPECT_EQ(std::bit_cast<uint64_t>(s.samples[0].first), kStaleNaNBits);
      EXPECT_EQ(s.samples[0].second, 2000);
    } else {
      EXPECT_EQ(s.samples[0].first, 3);
    }
  }
  EXPECT_EQ(stale, 1);

  // Once: the next collection has no marker for it.
  chunks.clear();
  stats = {};
  enc.encode(families(b), 3000, &chunks, &stats);
  EXPECT_EQ(stats.samples, 1u);
  EXPECT_EQ(stats.stale, 0u);
}

TEST(RemoteWriteEncode, ShardsAreStableAndChunksBounded) {
  MetricSet set;
  for (int n = 0; n < 10; ++n) {
    Family& f = set.add("g" + std::to_string(n), "", MetricType::kGauge);
    for (int i = 0; i < 10; ++i) f.add({{"i", std::to_string(n * 10 + i)}}, i);
  }
  SeriesEncoder enc({}, 4, 10);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(set), 5, &chunks, &stats);
  std::map<std::string, uint32_t> shard_of;
  uint32_t total = 0;
  for (const auto& c : chunks) {
    EXPECT_LE(c.samples, 10u);
    EXPECT_LT(c.shard, 4u);
    total += c.samples;
    for (const auto& s : decode(c.payload)) {
      shard_of[s.label("i")] = c.shard;
      // One metric name, one shard.
      EXPECT_EQ(shard_of.emplace("name " + s.label("__name__"), c.shard).first->second, c.shard);
    }
  }
  EXPECT_EQ(total, 100u);
  std::set<uint32_t> used;
  for (const auto& [k, shard] : shard_of) used.insert(shard);
  EXPECT_GT(used.size(), 1u);  // ten names spread over the shards
  // Same series, same shard, next time.
  chunks.clear();
  enc.encode(families(set), 6, &chunks, &stats);
  for (const auto& c : chunks) {
    for (const auto& s : decode(c.payload)) EXPECT_EQ(shard_of.at(s.label("i")), c.shard);
  }
}

TEST(RemoteWriteEncode, InvalidSeriesLeftOutAndCounted) {
  MetricSet set;
  set.add("bad-name", "", MetricType::kGauge).add(1);
  set.add("good", "", MetricType::kGauge).add({{"ok", "1"}}, 1);
  set.add("badlabel", "", MetricType::kGauge).add({{"0x", "1"}}, 1);
  SeriesEncoder enc({}, 1, 100);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(set), 5, &chunks, &stats);
  EXPECT_EQ(stats.invalid, 2u);
  EXPECT_NE(stats.first_invalid.find("bad-name"), std::string::npos) << stats.first_invalid;
  auto series = decode_chunks(chunks);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].name(), "good");
}

TEST(RemoteWriteValidate, Labels) {
  using L = std::vector<std::pair<std::string_view, std::string_view>>;
  EXPECT_EQ(validate_labels(L{{"__name__", "a"}, {"b", "c"}}), "");
  EXPECT_NE(validate_labels(L{{"__name__", "a"}, {"b", "c"}, {"b", "d"}}).find("duplicate"),
            std::string::npos);
  EXPECT_NE(validate_labels(L{{"", "x"}, {"__name__", "a"}}).find("empty"), std::string::npos);
  EXPECT_NE(validate_labels(L{{"__name__", "a"}, {"b", "\xff"}}).find("UTF-8"), std::string::npos);
  EXPECT_NE(validate_labels(L{{"__name__", "1a"}}).find("metric name"), std::string::npos);
  EXPECT_NE(validate_labels(L{{"__name__", "a"}, {"a.b", "x"}}).find("label name"),
            std::string::npos);
}

TEST(RemoteWriteSnappy, RoundTrip) {
  MetricSet set;
  Family& f = set.add("node_x", "", MetricType::kGauge);
  for (int i = 0; i < 1000; ++i) f.add({{"dev", "sd" + std::to_string(i)}}, i * 0.5);
  SeriesEncoder enc({}, 1, 5000);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(set), 42, &chunks, &stats);
  ASSERT_EQ(chunks.size(), 1u);
  std::string compressed, back;
  snappy::Compress(chunks[0].payload.data(), chunks[0].payload.size(), &compressed);
  EXPECT_LT(compressed.size(), chunks[0].payload.size() / 2);
  ASSERT_TRUE(snappy::Uncompress(compressed.data(), compressed.size(), &back));
  EXPECT_EQ(back, chunks[0].payload);
  EXPECT_EQ(decode(back).size(), 1000u);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vitals-rw-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RemoteWriteWal, WriteReplayAndAcked) {
  TempDir tmp;
  std::string dir = tmp.path() + "/ep";
  {
    Wal wal(dir, 1 << 20);
    std::vector<WalRecord> replay;
    uint64_t next = 0;
    WalError err;
    ASSERT_TRUE(wal.open(&replay, &next, &err)) << err.message;
    EXPECT_TRUE(replay.empty());
    EXPECT_EQ(next, 1u);
    for (uint64_t seq = 1; seq <= 4; ++seq) {
      WalRecord r;
      std::string payload = "payload-" + std::to_string(seq);
      ASSERT_TRUE(wal.append(seq, seq % 2, 10, 100 * seq, 100 * seq + 1, payload, &r, &err));
      std::string back;
      ASSERT_TRUE(wal.read(r, &back, &err));
      EXPECT_EQ(back, payload);
    }
    ASSERT_TRUE(wal.sync(&err));
    // Shard 1 sent up to 3 (records 1 and 3), shard 0 nothing.
    ASSERT_TRUE(wal.write_acked({{1, 3}}, 5, &err));
  }
  Wal wal(dir, 1 << 20);
  std::vector<WalRecord> replay;
  uint64_t next = 0;
  WalError err;
  ASSERT_TRUE(wal.open(&replay, &next, &err));
  EXPECT_EQ(next, 5u);
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].seq, 2u);
  EXPECT_EQ(replay[1].seq, 4u);
  EXPECT_EQ(replay[1].shard, 0u);
  EXPECT_EQ(replay[1].samples, 10u);
  EXPECT_EQ(replay[1].min_ts, 400);
  EXPECT_EQ(replay[1].max_ts, 401);
  std::string back;
  ASSERT_TRUE(wal.read(replay[1], &back, &err));
  EXPECT_EQ(back, "payload-4");
}

TEST(RemoteWriteWal, SegmentsRollAndAreTrimmed) {
  TempDir tmp;
  Wal wal(tmp.path(), 200);
  std::vector<WalRecord> replay;
  uint64_t next = 0;
  WalError err;
  ASSERT_TRUE(wal.open(&replay, &next, &err));
  std::vector<WalRecord> recs;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    WalRecord r;
    ASSERT_TRUE(wal.append(seq, 0, 1, 1, 1, std::string(100, 'x'), &r, &err));
    recs.push_back(r);
  }
  auto segs = wal.segments();
  EXPECT_EQ(segs.size(), 5u);  // two 140-byte records per 200-byte segment
  EXPECT_EQ(wal.disk_bytes(), 10u * 140u);
  wal.remove_segment(segs[0]);
  EXPECT_EQ(wal.disk_bytes(), 8u * 140u);
  EXPECT_EQ(segment_files(tmp.path()).size(), 4u);
}

TEST(RemoteWriteWal, TornTailTruncated) {
  TempDir tmp;
  {
    Wal wal(tmp.path(), 1 << 20);
    std::vector<WalRecord> replay;
    uint64_t next = 0;
    WalError err;
    ASSERT_TRUE(wal.open(&replay, &next, &err));
    WalRecord r;
    ASSERT_TRUE(wal.append(1, 0, 3, 5, 5, "first", &r, &err));
    ASSERT_TRUE(wal.append(2, 0, 3, 6, 6, "second", &r, &err));
  }
  auto files = segment_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  auto full = std::filesystem::file_size(files[0]);
  // A crash in the middle of the second record.
  std::filesystem::resize_file(files[0], full - 3);
  Wal wal(tmp.path(), 1 << 20);
  std::vector<WalRecord> replay;
  uint64_t next = 0;
  WalError err;
  ASSERT_TRUE(wal.open(&replay, &next, &err));
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_EQ(replay[0].seq, 1u);
  EXPECT_EQ(next, 2u);
  EXPECT_EQ(std::filesystem::file_size(files[0]), kRecordHeaderBytes + 5);
}

TEST(RemoteWriteWal, ChecksumMismatchEndsTheSegment) {
  TempDir tmp;
  WalRecord second;
  {
    Wal wal(tmp.path(), 1 << 20);
    std::vector<WalRecord> replay;
    uint64_t next = 0;
    WalError err;
    ASSERT_TRUE(wal.open(&replay, &next, &err));
    WalRecord r;
    ASSERT_TRUE(wal.append(1, 0, 3, 5, 5, "first", &r, &err));
    ASSERT_TRUE(wal.append(2, 0, 3, 6, 6, "second", &second, &err));
    ASSERT_TRUE(wal.append(3, 0, 3, 7, 7, "third", &r, &err));
  }
  auto files = segment_files(tmp.path());
  {
    int fd = ::open(files[0].c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "X", 1, static_cast<off_t>(second.offset + 1)), 1);
    ::close(fd);
  }
  Wal wal(tmp.path(), 1 << 20);
  std::vector<WalRecord> replay;
  uint64_t next = 0;
  WalError err;
  ASSERT_TRUE(wal.open(&replay, &next, &err));
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_EQ(replay[0].seq, 1u);
  EXPECT_EQ(std::filesystem::file_size(files[0]), kRecordHeaderBytes + 5);
}

TEST(RemoteWriteWal, UnwritableDirIsAnError) {
  Wal wal("/dev/null/vitals-rw-test", 1 << 20);  // not a directory, even for root
  std::vector<WalRecord> replay;
  uint64_t next = 0;
  WalError err;
  EXPECT_FALSE(wal.open(&replay, &next, &err));
  EXPECT_EQ(err.op, "open");
}

TEST(RemoteWriteRetry, RetryAfter) {
  auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  EXPECT_EQ(parse_retry_after("3", now), std::chrono::seconds(3));
  EXPECT_EQ(parse_retry_after(" 0 ", now), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("100000", now), std::chrono::minutes(10));
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:27 GMT", now), std::chrono::seconds(7));
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), std::chrono::seconds(0));
}

TEST(RemoteWriteRetry, BackoffBounds) {
  using std::chrono::milliseconds;
  milliseconds min(30), max(5000);
  for (int attempt = 0; attempt < 20; ++attempt) {
    for (double r : {0.0, 0.5, 0.999}) {
      auto d = backoff_delay(attempt, min, max, r);
      EXPECT_GE(d, min / 2);
      EXPECT_LE(d, max);
    }
  }
  EXPECT_EQ(backoff_delay(2, min, max, 0.0), milliseconds(60));
  EXPECT_EQ(backoff_delay(30, min, max, 0.0), milliseconds(2500));
}

TEST(RemoteWriteOptions, FlagsAndErrors) {
  auto r = parse_args({"--remote-write.url=http://u:p@h:9090/api/v1/write",
                       "--remote-write.url=http://other/api/v1/write",
                       "--remote-write.external-label=b=2", "--remote-write.external-label=a=1",
                       "--remote-write.max-disk-bytes=1MiB", "--remote-write.interval=2s"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  RemoteWriteConfig c = remote_write_config(r.config);
  ASSERT_EQ(c.urls.size(), 2u);
  EXPECT_EQ(c.max_disk_bytes, 1 << 20);
  EXPECT_EQ(c.interval, std::chrono::seconds(2));
  ASSERT_EQ(c.external_labels.size(), 2u);
  EXPECT_EQ(c.external_labels[0].first, "a");
  EXPECT_EQ(c.shards, 1);
  EXPECT_EQ(c.batch_samples, 2000);
  EXPECT_EQ(c.min_backoff, std::chrono::milliseconds(30));

  r = parse_args({"--remote-write.url=ftp://x"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("--remote-write.url"), std::string::npos) << r.text;
  r = parse_args({"--remote-write.external-label=__x=1"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  r = parse_args({"--remote-write.max-disk-bytes=12XB"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("max-disk-bytes"), std::string::npos) << r.text;
}

TEST(RemoteWriteOptions, SizesAndUrls) {
  EXPECT_EQ(parse_size("256MiB"), int64_t{256} << 20);
  EXPECT_EQ(parse_size("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(parse_size("4096"), 4096);
  EXPECT_EQ(parse_size("2KB"), 2000);
  EXPECT_EQ(parse_size("-1"), std::nullopt);
  EXPECT_EQ(parse_size("MiB"), std::nullopt);
  EXPECT_EQ(redact_url("https://user:secret@host:9090/api/v1/write"),
            "https://host:9090/api/v1/write");
  EXPECT_EQ(redact_url("http://host/a@b"), "http://host/a@b");
  EXPECT_EQ(endpoint_dir_name("http://u:p@127.0.0.1:9090/api/v1/write"),
            endpoint_dir_name("http://127.0.0.1:9090/api/v1/write"));
  EXPECT_EQ(endpoint_dir_name("http://127.0.0.1:9090/api/v1/write")
                .rfind("127.0.0.1_9090_api_v1_write-", 0),
            0u);
}

// A minimal HTTP/1.1 receiver on a loopback port: answers each POST with the next status of
// `codes` (the last one repeated) and keeps the decoded bodies.
class FakeReceiver {
 public:
  explicit FakeReceiver(std::vector<int> codes, int port = 0) : codes_(std::move(codes)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  int requests() const { return requests_.load(); }
  int port() const { return port_; }

 private:
  void serve() {
    std::vector<std::thread> conns;
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;
      conns.emplace_back([this, c] { connection(c); });
    }
    for (auto& t : conns) t.join();
  }
  void connection(int c) {
    std::string in;
    char buf[65536];
    for (;;) {
      size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = in.find("Content-Length: ");
        size_t n = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + n) {
          std::string body = in.substr(end + 4, n);
          in.erase(0, end + 4 + n);
          int i = requests_++;
          int code = codes_[std::min<size_t>(static_cast<size_t>(i), codes_.size() - 1)];
          if (code / 100 == 2) {
            std::string raw;
            snappy::Uncompress(body.data(), body.size(), &raw);
            std::lock_guard lock(mu_);
            bodies_.push_back(raw);
          }
          std::string resp = "HTTP/1.1 " + std::to_string(code) +
                             " X\r\nContent-Length: 5\r\nRetry-After: 0\r\n\r\nnope\n";
          if (::write(c, resp.data(), resp.size()) < 0) break;
          continue;
        }
      }
      ssize_t r = ::read(c, buf, sizeof buf);
      if (r <= 0) break;
      in.append(buf, static_cast<size_t>(r));
    }
    ::close(c);
  }

  std::vector<int> codes_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

bool poll_until(const std::function<bool()>& f) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

double metric(prometheus::Registry& r, const std::string& name,
              const std::string& label_value = "") {
  double sum = 0;
  for (const auto& fam : r.Collect()) {
    if (fam.name != name) continue;
    for (const auto& m : fam.metric) {
      bool match = label_value.empty();
      for (const auto& l : m.label) match |= l.value == label_value;
      if (match) sum += m.counter.value + m.gauge.value;
    }
  }
  return sum;
}

std::vector<Chunk> some_chunks(int series, int64_t ts, int shards) {
  MetricSet set;
  Family& f = set.add("g", "", MetricType::kGauge);
  for (int i = 0; i < series; ++i) f.add({{"i", std::to_string(i)}}, i);
  SeriesEncoder enc({}, shards, 1000);
  std::vector<Chunk> chunks;
  EncodeStats stats;
  enc.encode(families(set), ts, &chunks, &stats);
  return chunks;
}

TEST(RemoteWriteEndpoint, SendsRetriesDropsAndKeepsTheRestOnDisk) {
  TempDir tmp;
  RemoteWriteConfig c;
  c.queue_dir = tmp.path();
  c.batch_deadline = std::chrono::nanoseconds(0);
  c.min_backoff = std::chrono::milliseconds(1);
  c.max_backoff = std::chrono::milliseconds(5);
  c.timeout = std::chrono::seconds(5);
  c.shards = 2;
  prometheus::Registry registry;
  MetricFamilies fams(registry);
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  {
    // 500 first (retried), then 204.
    FakeReceiver rx({500, 204});
    Endpoint ep(c, rx.url(), fams);
    ep.start();
    ep.enqueue(some_chunks(50, now, 2));
    ASSERT_TRUE(poll_until(
        [&] { return metric(registry, "vitals_remote_write_samples_sent_total") == 50; }));
    EXPECT_GT(metric(registry, "vitals_remote_write_samples_retried_total"), 0);
    EXPECT_EQ(metric(registry, "vitals_remote_write_requests_total", "500"), 1);
    std::map<std::string, double> got;
    for (const auto& b : rx.bodies()) {
      for (const auto& s : decode(b)) got[s.label("i")] = s.samples.at(0).first;
    }
    EXPECT_EQ(got.size(), 50u);
    EXPECT_EQ(got["7"], 7);
    ep.stop(std::chrono::seconds(1));
  }
  {
    // 400: dropped, counted, not retried.
    FakeReceiver rx({400});
    Endpoint ep(c, rx.url(), fams);
    ep.start();
    ep.enqueue(some_chunks(10, now + 1000, 1));
    ASSERT_TRUE(poll_until([&] {
      return metric(registry, "vitals_remote_write_samples_dropped_total", "http_4xx") == 10;
    }));
    EXPECT_EQ(metric(registry, "vitals_remote_write_samples_failed_total"), 10);
    ep.stop(std::chrono::seconds(1));
    EXPECT_EQ(rx.requests(), 1);
  }
  {
    // The receiver always fails: what is queued stays on disk at stop, and the next endpoint
    // on the same dir sends it.
    int port = 0;
    {
      FakeReceiver rx({503});
      port = rx.port();
      Endpoint ep(c, rx.url(), fams);
      ep.start();
      ep.enqueue(some_chunks(20, now + 2000, 2));
      ASSERT_TRUE(poll_until([&] { return rx.requests() >= 2; }));
      ep.stop(std::chrono::milliseconds(50));
    }
    FakeReceiver rx2({204}, port);
    Endpoint ep(c, rx2.url(), fams);
    ep.start();
    ASSERT_TRUE(poll_until([&] { return rx2.bodies().size() >= 1; }));
    ASSERT_TRUE(poll_until([&] {
      size_t n = 0;
      for (const auto& b : rx2.bodies()) n += decode(b).size();
      return n == 20;
    }));
    ep.stop(std::chrono::seconds(1));
  }
}
}  // namespace
}  // namespace vitals::remote_write
