#include "gpuplan/api/fields.hpp"
#include <cstdio>

#include <cctype>
#include <charconv>
#include <cmath>

#include "../io/json_guard.hpp"
#include "gpuplan/api/json_request.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::api {
namespace {

std::string fmt_bound(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

std::string display_name(const FieldInfo& info) {
  std::string_view cli = info.cli;
  const auto comma = cli.find(',');
  return std::string(cli.substr(0, comma));
}

Result<double> in_bounds(const FieldInfo& info, double v, std::string_view text) {
  const std::string name = display_name(info);
  if (!std::isfinite(v))
    return make_error(ErrorCode::out_of_range, name + ": '" + std::string(text) + "' is not finite");
  if (info.kind == FieldKind::whole && v != std::floor(v)) {
    return make_error(ErrorCode::out_of_range, name + ": must be a whole number, got '" + std::string(text) + "'");
  }
  if (info.kind == FieldKind::fraction && (v <= 0 || v > 1)) {
    return make_error(ErrorCode::out_of_range, name + ": a fraction in (0, 1], got '" + std::string(text) + "'");
  }
  if (v < info.min || v > info.max) {
    return make_error(ErrorCode::out_of_range, name + ": '" + std::string(text) + "' is outside " +
                                                   fmt_bound(info.min) + ".." + fmt_bound(info.max));
  }
  return v;
}

// "0", "0.0", "+0": a zero the positive parser refuses but a threshold or a price may be.
bool is_zero(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty() && v == 0;
}

}  // namespace

const char* to_string(FieldKind kind) {
  switch (kind) {
    case FieldKind::text: return "text";
    case FieldKind::tokens: return "tokens";
    case FieldKind::count: return "count";
    case FieldKind::whole: return "whole";
    case FieldKind::bytes: return "bytes";
    case FieldKind::duration: return "duration";
    case FieldKind::fraction: return "fraction";
    case FieldKind::positive: return "positive";
    case FieldKind::real: return "real";
    case FieldKind::flag: return "flag";
  }
  return "text";
}

std::string field_key(std::string_view name) {
  while (!name.empty() && name.front() == '-') name.remove_prefix(1);
  std::string key;
  key.reserve(name.size());
  for (const char c : name) {
    key.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return key;
}

Result<double> parse_field_number(const FieldInfo& info, std::string_view text) {
  const std::string name = display_name(info);
  if (text.size() > 64) return make_error(ErrorCode::parse_error, name + ": value too long");
  if (info.takes_max && text == "max") return kFieldMax;
  Result<double> v = 0.0;
  switch (info.kind) {
    case FieldKind::tokens: v = text == "0" ? Result<double>(0.0) : parse_tokens(text, name); break;
    case FieldKind::count:
    case FieldKind::whole: v = text == "0" ? Result<double>(0.0) : parse_count(text, name); break;
    case FieldKind::bytes: v = parse_bytes(text, name); break;
    case FieldKind::duration: {
      if (text == "0" || text == "none") return in_bounds(info, 0.0, text);
      const bool bare = !text.empty() && std::isalpha(static_cast<unsigned char>(text.back())) == 0;
      if (bare) {
        return make_error(ErrorCode::invalid_argument, name + ": '" + std::string(text) + "' needs a unit, e.g. " +
                                                           std::string(text) + "ms or " + std::string(text) + "s");
      }
      v = parse_duration(text, name);
      break;
    }
    case FieldKind::fraction:
    case FieldKind::positive: v = parse_positive(text, name); break;
    case FieldKind::real: v = is_zero(text) ? Result<double>(0.0) : parse_positive(text, name); break;
    case FieldKind::text:
    case FieldKind::flag: return make_error(ErrorCode::invalid_argument, name + " is not a number");
  }
  if (!v) return v;
  return in_bounds(info, v.value(), text);
}

Result<double> check_field_number(const FieldInfo& info, double value) {
  const std::string name = display_name(info);
  if (info.kind == FieldKind::duration) {
    if (value == 0) return 0.0;
    return make_error(ErrorCode::invalid_argument,
                      name + ": give the duration with its unit as a string, e.g. \"50ms\" or \"2s\"");
  }
  if (info.kind == FieldKind::text || info.kind == FieldKind::flag) {
    return make_error(ErrorCode::invalid_argument,
                      name + ": expected " + (info.kind == FieldKind::flag ? "true or false" : "a string"));
  }
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.15g", value);  // -3, 0.85, 1e+30: as it was written
  return in_bounds(info, value, shown);
}

Result<std::string> check_field_text(const FieldInfo& info, std::string_view text) {
  const std::string name = display_name(info);
  if (text.size() > kMaxFieldTextBytes) return make_error(ErrorCode::out_of_range, name + ": value too long");
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return make_error(ErrorCode::invalid_argument, name + ": control characters are not allowed");
    }
  }
  return std::string(text);
}

Result<nlohmann::json> parse_request_json(std::string_view text) {
  return io::detail::parse_json_bounded(text, {kMaxRequestBytes, kMaxRequestDepth, 0, "request"});
}

const char* units_note() {
  return "Units: k/M/B/T are decimal everywhere (32k = 32000 tokens, 70B = 70e9); Ki/Mi are binary (128Ki = 131072\n"
         "tokens); bytes: GB = 10^9, GiB = 2^30 (a bare number is GiB); durations need a unit (50ms, 2s, 30d).\n";
}

}  // namespace gpuplan::api
