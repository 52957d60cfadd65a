// Objects too big to make per call and not thread-safe (a deflate state, a match table) lent
// out from one shared pool: take() hands out an idle one that fits, or nullptr so the caller
// makes a new one; give_back() keeps at most `keep` idle and drops the surplus of a burst of
// concurrent calls. One pool instead of one object per server thread bounds the memory.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace vitals {

template <typename T>
class IdlePool {
 public:
  explicit IdlePool(size_t keep) : keep_(keep) {}

  template <typename Fits>
  std::unique_ptr<T> take(Fits&& fits) {
    std::lock_guard<std::mutex> lk(mu_);
    for (size_t i = 0; i < idle_.size(); ++i) {
      if (!fits(*idle_[i])) continue;
      std::unique_ptr<T> t = std::move(idle_[i]);
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      return t;
    }
    return nullptr;
  }
  std::unique_ptr<T> take() {
    return take([](const T&) { return true; });
  }

  void give_back(std::unique_ptr<T> t) {
    std::lock_guard<std::mutex> lk(mu_);
    if (idle_.size() < keep_) idle_.push_back(std::move(t));
  }

 private:
  const size_t keep_;
  std::mutex mu_;
  std::vector<std::unique_ptr<T>> idle_;
};

}  // namespace vitals
