// Name matching for user input: canonical form and nearest-name suggestions.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace gpuplan {

// Lowercase, '_' ' ' and '.'-insensitive form used to compare names ("RTX 4090" == "rtx-4090").
std::string canonical_name(std::string_view name);
// canonical_name(name) == key, without building the string (key already canonical).
bool canonical_equals(std::string_view key, std::string_view name);
// Damerau-free Levenshtein distance on canonical names.
std::size_t edit_distance(std::string_view a, std::string_view b);
// Up to `limit` candidates nearest to `name` (substring matches first, then edit distance).
std::vector<std::string> nearest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       std::size_t limit = 3);
// " (did you mean: a, b, c?)" or "".
std::string suggestion_suffix(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace gpuplan
