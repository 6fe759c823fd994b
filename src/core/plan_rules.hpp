// Internal: what the plan's serving, training and search files share (plan.cpp,
// plan_serving.cpp, plan_training.cpp, plan_search.cpp). Not part of the public headers.
#pragma once
#include <optional>
#include <string>

#include "gpuplan/codes.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::plan_rules {

inline constexpr double kSecondsPerMonth = kHoursPerMonth * 3600.0;

inline bool is_gguf(const Precision& p) {
  return p.kind == QuantKind::gguf_mix;
}

// Why a rule rejects a candidate: the rule, and the candidate's message in words.
struct Rejection {
  RejectReason reason;
  std::string message;
};
using CandidateRule = std::optional<Rejection>;  // nullopt when the rule holds
inline Rejection because(RejectReason reason, std::string message = {}) {
  return {reason, message.empty() ? describe(reason) : std::move(message)};
}
// Marks `c` infeasible for `why`; returns it.
inline PlanCandidate& rejected(PlanCandidate& c, Rejection why) {
  c.rejection = why.reason;
  c.reason = std::move(why.message);
  c.feasible = false;
  return c;
}

// The card has the price the ownership needs: a rental price to rent, a purchase price to own.
CandidateRule rule_priced(const Prices& p, Ownership o);

}  // namespace gpuplan::plan_rules
