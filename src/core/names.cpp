#include "gpuplan/names.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace gpuplan {

std::string canonical_name(std::string_view name) {
  std::string s;
  s.reserve(name.size());
  for (char c : name) {
    if (c == '_' || c == ' ' || c == '-') {
      if (!s.empty() && s.back() != '-') s += '-';
    } else {
      s += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;  // ASCII, as canonical_equals
    }
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s;
}

bool canonical_equals(std::string_view key, std::string_view name) {
  std::size_t at = 0;
  bool dash_pending = false;
  for (char c : name) {
    if (c == '_' || c == ' ' || c == '-') {
      dash_pending = at > 0;
      continue;
    }
    if (dash_pending) {
      if (at >= key.size() || key[at] != '-') return false;
      ++at;
      dash_pending = false;
    }
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;  // ASCII, no locale call
    if (at >= key.size() || key[at] != lower) return false;
    ++at;
  }
  return at == key.size();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 256 || b.size() > 256) return std::max(a.size(), b.size());
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> nearest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       std::size_t limit) {
  const std::string key = canonical_name(name);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& c : candidates) {
    const std::string cc = canonical_name(c);
    std::size_t score = edit_distance(key, cc);
    if (!key.empty() && (cc.find(key) != std::string::npos || key.find(cc) != std::string::npos)) {
      score = score / 4;  // substring matches rank first
    }
    scored.emplace_back(score, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  const std::size_t max_score = std::max<std::size_t>(3, key.size() / 2 + 1);
  for (const auto& [score, c] : scored) {
    if (out.size() >= limit) break;
    if (score > max_score) break;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

std::string suggestion_suffix(std::string_view name, const std::vector<std::string>& candidates) {
  const auto near = nearest_names(name, candidates);
  if (near.empty()) return {};
  std::string s = " (did you mean: ";
  for (std::size_t i = 0; i < near.size(); ++i) s += (i ? ", " : "") + near[i];
  return s + "?)";
}

}  // namespace gpuplan
