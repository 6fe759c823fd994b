#include "gpuplan/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace gpuplan {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "12.5GiB" into 12.5 and "GiB". Fails on anything that is not a finite number.
Result<std::pair<double, std::string_view>> split_number(std::string_view text, std::string_view what) {
  const std::string_view s = trim(text);
  if (s.empty()) return make_error(ErrorCode::parse_error, std::string(what) + ": empty value");
  if (s.size() > 64) return make_error(ErrorCode::parse_error, std::string(what) + ": value too long");
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '-' || s[i] == '+' ||
                          ((s[i] == 'e' || s[i] == 'E') && i > 0 && i + 1 < s.size() &&
                           (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '-')))) {
    ++i;
  }
  double value = 0;
  const std::string number(s.substr(0, i));
  const auto* begin = number.data();
  const auto* end = number.data() + number.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || number.empty()) {
    return make_error(ErrorCode::parse_error,
                      std::string(what) + ": '" + std::string(s) + "' is not a number (examples: 8192, 32k, 70B)");
  }
  if (!std::isfinite(value)) {
    return make_error(ErrorCode::parse_error, std::string(what) + ": '" + std::string(s) + "' is not finite");
  }
  if (value <= 0) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": must be positive, got '" + std::string(s) + "'");
  }
  return std::pair<double, std::string_view>{value, trim(s.substr(i))};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

Result<double> scaled(std::string_view text, std::string_view what,
                      std::initializer_list<std::pair<std::string_view, double>> suffixes, bool case_sensitive) {
  auto split = split_number(text, what);
  if (!split) return split.error();
  const auto [value, suffix] = split.value();
  if (suffix.empty()) return value;
  for (const auto& [name, factor] : suffixes) {
    if (case_sensitive ? suffix == name : iequals(suffix, name)) {
      const double result = value * factor;
      if (!std::isfinite(result) || result > 1e30) {
        return make_error(ErrorCode::out_of_range, std::string(what) + ": '" + std::string(text) + "' is too large");
      }
      return result;
    }
  }
  std::string allowed;
  for (const auto& [name, factor] : suffixes) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  return make_error(ErrorCode::parse_error, std::string(what) + ": unknown unit '" + std::string(suffix) + "' in '" +
                                                std::string(trim(text)) + "' (use one of: " + allowed + ")");
}

}  // namespace

Result<double> parse_count(std::string_view text, std::string_view what) {
  return scaled(
      text, what,
      {{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"B", 1e9}, {"G", 1e9}, {"T", 1e12}, {"b", 1e9}, {"m", 1e6}, {"t", 1e12}},
      true);
}

Result<double> parse_tokens(std::string_view text, std::string_view what) {
  // Decimal as every other count (32k = 32000); Ki/Mi for the powers of two a model card quotes
  // (128Ki = 131072), as KiB/MiB do for bytes.
  auto r = scaled(
      text, what,
      {{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"m", 1e6}, {"Ki", kKiB}, {"ki", kKiB}, {"Mi", kMiB}, {"mi", kMiB}}, true);
  if (!r) return r;
  if (r.value() < 1.0) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": must be at least 1 token");
  }
  return std::floor(r.value());
}

Result<double> parse_bytes(std::string_view text, std::string_view what) {
  auto split = split_number(text, what);
  if (!split) return split.error();
  if (split.value().second.empty()) {  // a bare number means GiB
    const double bytes = split.value().first * kGiB;
    if (!std::isfinite(bytes) || bytes > 1e30) {
      return make_error(ErrorCode::out_of_range,
                        std::string(what) + ": '" + std::string(trim(text)) + "' is too large");
    }
    return bytes;
  }
  return scaled(text, what,
                {{"B", 1.0},
                 {"KB", 1e3},
                 {"MB", 1e6},
                 {"GB", 1e9},
                 {"TB", 1e12},
                 {"KiB", kKiB},
                 {"MiB", kMiB},
                 {"GiB", kGiB},
                 {"TiB", kGiB * 1024.0}},
                false);
}

Result<double> parse_duration(std::string_view text, std::string_view what) {
  return scaled(text, what,
                {{"s", 1.0},
                 {"sec", 1.0},
                 {"ms", 1e-3},
                 {"us", 1e-6},
                 {"m", 60.0},
                 {"min", 60.0},
                 {"h", 3600.0},
                 {"hr", 3600.0},
                 {"d", 86400.0}},
                true);
}

Result<double> parse_positive(std::string_view text, std::string_view what) {
  auto split = split_number(text, what);
  if (!split) return split.error();
  if (!split.value().second.empty()) {
    return make_error(ErrorCode::parse_error,
                      std::string(what) + ": '" + std::string(trim(text)) + "' is not a plain number");
  }
  return split.value().first;
}

std::string format_gib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / kGiB);
  return buf;
}

std::string format_whole(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  char buf[48];
  if (std::fabs(x) < 9e15) {
    const auto rounded = static_cast<long long>(std::nearbyint(x));  // half to even, as printf's %.0f
    const auto end = std::to_chars(buf, buf + sizeof buf, rounded).ptr;
    return std::string(buf, end);
  }
  std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

std::string format_mib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / kMiB);
  return buf;
}

std::string format_gb(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GB", bytes / kGB);
  return buf;
}

std::string format_count(double count) {
  char buf[64];
  if (count >= 1e12) {
    std::snprintf(buf, sizeof buf, "%.2f T", count / 1e12);
  } else if (count >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f B", count / 1e9);
  } else if (count >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f M", count / 1e6);
  } else if (count >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1f k", count / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", count);
  }
  return buf;
}

std::string format_tokens(double tokens) {
  char buf[64];
  // Beyond what a long long holds (e.g. --context 9e299, which parse_tokens accepts) the cast
  // below would be undefined: print the number as it is.
  if (!std::isfinite(tokens) || std::fabs(tokens) >= 9e18) {
    std::snprintf(buf, sizeof buf, "%.6g", tokens);
    return buf;
  }
  const auto n = static_cast<long long>(tokens);
  if (n >= 1000 && n % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lldk", n / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%lld", n);
  }
  return buf;
}

std::string count_of(double n, const std::string& noun) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f ", n);
  std::string out = buf;  // appended, not `buf + noun`: GCC 12 warns falsely (-Wrestrict) on that
  out += noun;
  if (n != 1) out += 's';
  return out;
}

}  // namespace gpuplan
