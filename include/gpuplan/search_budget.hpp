// How much work a search may do: a budget of evaluated scenarios and a cancellation flag the
// caller may set from another thread (a server's request deadline). A search that hits either
// stops early and says so in its result (SearchStop), never throws.
#pragma once
#include <atomic>

namespace gpuplan {

enum class SearchStop { complete, budget_spent, cancelled };
const char* to_string(SearchStop stop);

struct SearchBudget {
  double max_evaluated = 0;                   // scenarios estimated before the search stops; 0 = no limit
  const std::atomic<bool>* cancel = nullptr;  // set to true to stop at the next scenario; nullptr = none
};

// Remembers why a search stopped; `stop(evaluated)` is checked before each scenario.
class SearchStopper {
 public:
  explicit SearchStopper(const SearchBudget& budget) : budget_(budget) {}
  bool stop(double evaluated) {
    if (why_ != SearchStop::complete) return true;
    if (budget_.cancel != nullptr && budget_.cancel->load(std::memory_order_relaxed)) {
      why_ = SearchStop::cancelled;
    } else if (budget_.max_evaluated > 0 && evaluated >= budget_.max_evaluated) {
      why_ = SearchStop::budget_spent;
    }
    return why_ != SearchStop::complete;
  }
  [[nodiscard]] SearchStop why() const { return why_; }

 private:
  SearchBudget budget_;
  SearchStop why_ = SearchStop::complete;
};

inline const char* to_string(SearchStop stop) {
  switch (stop) {
    case SearchStop::complete: return "complete";
    case SearchStop::budget_spent: return "budget_spent";
    case SearchStop::cancelled: return "cancelled";
  }
  return "complete";
}

}  // namespace gpuplan
