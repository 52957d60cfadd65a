// A paced fork/exit storm for test_faults: `forker RATE SECONDS` forks RATE children per second
// for SECONDS seconds (RATE x SECONDS children in all, catching up when it falls behind), each
// child living 0-10 ms, so a scan of /proc meets processes that vanish between listing and
// reading. At most 200 children are alive at once. Prints "go" when it starts and, at the end,
// "<children> <seconds taken>". A C++ process forks in well under a millisecond; a Python one
// copies its interpreter's page tables and took 15-40 ms per fork on a loaded 2-core VM.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

double now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

bool parse(const char* s, long* out) {
  std::string_view v(s);
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && p == v.data() + v.size() && *out > 0;
}

}  // namespace

int main(int argc, char** argv) {
  long rate = 0;
  long seconds = 0;
  if (argc != 3 || !parse(argv[1], &rate) || !parse(argv[2], &seconds)) {
    std::fprintf(stderr, "usage: forker RATE SECONDS (positive integers)\n");
    return 2;
  }
  const long total = rate * seconds;
  const long max_alive = 200;
  std::printf("go\n");
  std::fflush(stdout);
  const double start = now();
  long forked = 0;
  long alive = 0;
  while (forked < total || alive > 0) {
    // Reap what has exited; block only when at the cap or when everything is forked.
    for (;;) {
      bool block = alive >= max_alive || (forked == total && alive > 0);
      pid_t p = waitpid(-1, nullptr, block ? 0 : WNOHANG);
      if (p > 0) {
        --alive;
        continue;
      }
      if (p < 0 && errno == EINTR) continue;
      break;
    }
    if (forked == total) continue;
    // Pace: child k is due at start + k / rate.
    double due = start + static_cast<double>(forked) / static_cast<double>(rate);
    double wait = due - now();
    if (wait > 0) {
      timespec ts{static_cast<time_t>(wait),
                  static_cast<long>((wait - static_cast<long>(wait)) * 1e9)};
      nanosleep(&ts, nullptr);
      continue;
    }
    pid_t p = fork();
    if (p == 0) {
      timespec life{0, (forked % 11) * 1000000L};
      nanosleep(&life, nullptr);
      _exit(0);
    }
    if (p < 0) {
      std::fprintf(stderr, "forker: fork: %s\n", std::strerror(errno));
      return 1;
    }
    ++forked;
    ++alive;
  }
  std::printf("%ld %.3f\n", forked, now() - start);
  return 0;
}
