// The floor of a host exporter's scrape: the CPU time to merely open, read and close a list of
// files (one path per line on stdin), with one reused buffer. Prints CPU microseconds per pass.
//   read_floor PASSES < files.txt
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

static double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  int passes = argc > 1 ? std::atoi(argv[1]) : 200;
  std::vector<std::string> files;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty()) files.push_back(line);
  }
  std::vector<char> buf(1 << 20);
  size_t bytes = 0, failed = 0;
  double t0 = cpu_seconds();
  for (int p = 0; p < passes; ++p) {
    for (const auto& f : files) {
      int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0) {
        ++failed;
        continue;
      }
      ssize_t n;
      while ((n = ::read(fd, buf.data(), buf.size())) > 0) bytes += static_cast<size_t>(n);
      ::close(fd);
    }
  }
  double per_pass = (cpu_seconds() - t0) / passes;
  std::printf("files=%zu passes=%d cpu_us_per_pass=%.1f bytes_per_pass=%zu unreadable=%zu\n",
              files.size(), passes, per_pass * 1e6, bytes / static_cast<size_t>(passes),
              failed / static_cast<size_t>(passes));
  return 0;
}
