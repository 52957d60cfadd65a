// A byte buffer that is not zero-filled when made or grown. Receive and read buffers are sized
// for the worst case (a 64 KiB netlink datagram, a large /proc file) but usually get a few KiB
// written: the pages nobody writes stay untouched and out of the agent's resident memory,
// where a std::vector or std::string would have zeroed (and so touched) all of them.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace vitals {

template <typename T>
class RawBuffer {
 public:
  RawBuffer() = default;
  explicit RawBuffer(size_t n) { resize(n, 0); }
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  // Makes the buffer `n` elements long, keeping the first `keep` (which must be <= size()).
  void resize(size_t n, size_t keep) {
    if (n == n_) return;
    auto p = std::make_unique_for_overwrite<T[]>(n);
    if (keep > 0) std::memcpy(p.get(), p_.get(), (keep < n ? keep : n) * sizeof(T));
    p_ = std::move(p);
    n_ = n;
  }

 private:
  std::unique_ptr<T[]> p_;
  size_t n_ = 0;
};

}  // namespace vitals
