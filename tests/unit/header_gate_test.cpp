// The header gate on real loopback TCP connections: a complete header is handed on, half a
// header waits and times out, an oversized one gets 431, a TLS listener hands on at the first
// byte, a full gate closes the oldest.
#include "http/header_gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vitals {
namespace {

class Loopback {
 public:
  Loopback() {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(lfd_, 64), 0);
    socklen_t len = sizeof addr_;
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&addr_), &len);
  }
  ~Loopback() { ::close(lfd_); }
  // A connected pair: {client, accepted server side}.
  std::pair<int, int> connect() {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_), 0);
    int s = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    EXPECT_GE(s, 0);
    return {c, s};
  }

 private:
  int lfd_ = -1;
  sockaddr_in addr_{};
};

struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> ready;  // keys handed on
  std::vector<int> ready_fds;
  std::vector<std::pair<std::string, HeaderGate::Drop>> dropped;

  template <class Pred>
  bool wait(Pred p) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), p);
  }
  ~Seen() {
    for (int fd : ready_fds) ::close(fd);
  }
};

std::unique_ptr<HeaderGate> make_gate(Seen* seen, HeaderGate::Options o) {
  auto g = std::make_unique<HeaderGate>(
      o,
      [seen](int fd, unsigned, const std::string& key) {
        std::lock_guard<std::mutex> lk(seen->mu);
        seen->ready.push_back(key);
        seen->ready_fds.push_back(fd);
        seen->cv.notify_all();
      },
      [seen](const std::string& key, HeaderGate::Drop why) {
        std::lock_guard<std::mutex> lk(seen->mu);
        seen->dropped.emplace_back(key, why);
        seen->cv.notify_all();
      });
  std::string err;
  EXPECT_TRUE(g->start(&err)) << err;
  g->begin();
  return g;
}

TEST(HeaderGate, HandsOnACompleteHeaderAndTimesOutHalfOne) {
  Loopback lo;
  Seen seen;
  HeaderGate::Options o;
  o.timeout_ms = 300;
  auto gate = make_gate(&seen, o);
  auto [c1, s1] = lo.connect();
  auto [c2, s2] = lo.connect();
  ASSERT_TRUE(gate->park(s1, 0, "one"));
  ASSERT_TRUE(gate->park(s2, 0, "two"));
  EXPECT_EQ(gate->parked(), 2u);
  std::string half = "GET / HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(::send(c1, half.data(), half.size(), 0), static_cast<ssize_t>(half.size()));
  ASSERT_EQ(::send(c2, half.data(), half.size(), 0), static_cast<ssize_t>(half.size()));
  ASSERT_EQ(::send(c1, "\r\n", 2, 0), 2);  // c1 completes its header, c2 never does
  ASSERT_TRUE(seen.wait([&] { return !seen.ready.empty() && !seen.dropped.empty(); }));
  EXPECT_EQ(seen.ready, std::vector<std::string>{"one"});
  ASSERT_EQ(seen.dropped.size(), 1u);
  EXPECT_EQ(seen.dropped[0].first, "two");
  EXPECT_EQ(seen.dropped[0].second, HeaderGate::Drop::kTimeout);
  EXPECT_EQ(gate->parked(), 0u);
  // Nothing was consumed: the whole header is still there for the server.
  char buf[64];
  ssize_t n = ::recv(seen.ready_fds[0], buf, sizeof buf, MSG_DONTWAIT);
  EXPECT_EQ(n, static_cast<ssize_t>(half.size() + 2));
  ::close(c1);
  ::close(c2);
}

TEST(HeaderGate, OversizedHeaderGets431) {
  Loopback lo;
  Seen seen;
  HeaderGate::Options o;
  o.max_header_bytes = 1024;
  auto gate = make_gate(&seen, o);
  auto [c, s] = lo.connect();
  ASSERT_TRUE(gate->park(s, 0, "big"));
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a');
  ASSERT_EQ(::send(c, big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
  ASSERT_TRUE(seen.wait([&] { return !seen.dropped.empty(); }));
  EXPECT_EQ(seen.dropped[0].second, HeaderGate::Drop::kTooLarge);
  char buf[64] = {0};
  ASSERT_GT(::recv(c, buf, sizeof buf - 1, 0), 12);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 431");
  ::close(c);
}

TEST(HeaderGate, TlsHandsOnAtTheFirstByteAndClosedClientsLeave) {
  Loopback lo;
  Seen seen;
  HeaderGate::Options o;
  o.tls = true;
  auto gate = make_gate(&seen, o);
  auto [c1, s1] = lo.connect();
  auto [c2, s2] = lo.connect();
  ASSERT_TRUE(gate->park(s1, 3, "hello"));
  ASSERT_TRUE(gate->park(s2, 3, "gone"));
  ASSERT_EQ(::send(c1, "\x16", 1, 0), 1);  // a TLS record starts
  ::close(c2);
  ASSERT_TRUE(seen.wait([&] { return !seen.ready.empty() && !seen.dropped.empty(); }));
  EXPECT_EQ(seen.ready, std::vector<std::string>{"hello"});
  EXPECT_EQ(seen.dropped[0].second, HeaderGate::Drop::kClosed);
  ::close(c1);
}

TEST(HeaderGate, FullGateClosesTheOldest) {
  Loopback lo;
  Seen seen;
  HeaderGate::Options o;
  o.max_parked = 2;
  auto gate = make_gate(&seen, o);
  std::vector<int> clients;
  for (const char* key : {"a", "b", "c"}) {
    auto [c, s] = lo.connect();
    clients.push_back(c);
    ASSERT_TRUE(gate->park(s, 0, key));
  }
  EXPECT_EQ(gate->parked(), 2u);
  ASSERT_TRUE(seen.wait([&] { return !seen.dropped.empty(); }));
  EXPECT_EQ(seen.dropped[0].first, "a");
  EXPECT_EQ(seen.dropped[0].second, HeaderGate::Drop::kEvicted);
  gate->stop();  // closes the rest
  EXPECT_EQ(seen.dropped.size(), 3u);
  for (int c : clients) ::close(c);
}

}  // namespace
}  // namespace vitals
