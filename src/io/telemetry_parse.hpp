// Internal to gpuplan_io: what the telemetry readers share (telemetry_nvidia_smi.cpp,
// telemetry_dcgm.cpp, telemetry.cpp): bounds, text helpers, a line splitter and the parse state
// that collects GPUs, samples and skipped lines.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "gpuplan/io/telemetry.hpp"

namespace gpuplan::io::detail {

inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kMaxMemoryBytes = 1024.0 * 1024 * 1024 * 1024 * 1024;  // 1 PiB per GPU
inline constexpr double kMaxPowerW = 100000;
inline constexpr double kMaxGpuIndex = 1e6;
inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::size_t kMaxLabels = 64;
inline constexpr std::size_t kDetectLines = 1000;
// DCGM reports "no value" as sentinels (dcgm_structs.h): DCGM_INT32_BLANK 0x7ffffff0 is the
// smallest of them; DCGM_FT_FP64_BLANK is 140737488355328.0 (2^47), DCGM_INT64_BLANK 0x7ffffffffffffff0.
inline constexpr double kDcgmBlankInt32 = 2147483632.0;
inline constexpr double kMaxTimestampMs = 253402300799999;  // 9999-12-31 23:59:59.999

// Spaces and tabs (and a trailing '\r') removed from both ends.
std::string_view trim(std::string_view s);
char lower(char c);
bool iequals(std::string_view a, std::string_view b);
bool is_digit(char c);
bool is_ident_start(char c);
bool is_ident(char c);
// Printable, bounded text for messages and names: control bytes become '?'.
std::string printable(std::string_view s, std::size_t max_bytes = 40);
// A finite decimal number, surrounding blanks and a leading '+' allowed.
std::optional<double> number(std::string_view s);
// A GPU index of at most 7 digits, at most kMaxGpuIndex.
std::optional<unsigned> gpu_index(std::string_view s);

// Lines of the text, '\n'-separated, a trailing '\r' removed; line numbers are 1-based.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 BOM
  }
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = std::min(text_.find('\n', pos_), text_.size());
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  [[nodiscard]] std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

// ---------------------------------------------------------------- shared parse state

class Parse {
 public:
  explicit Parse(TelemetryFormat format) { out_.format = format; }

  void skip(std::size_t line, std::string reason) {
    ++out_.lines_skipped;
    if (out_.skipped_examples.size() < kMaxSkippedExamples) out_.skipped_examples.push_back({line, std::move(reason)});
  }

  // The GPU with this id, added on first sight; nullopt beyond kMaxTelemetryGpus.
  std::optional<std::uint32_t> gpu(const std::string& id, std::optional<unsigned> index, std::string_view name,
                                   std::string_view host) {
    if (const auto it = ids_.find(id); it != ids_.end()) return it->second;
    if (out_.log.gpus.size() >= kMaxTelemetryGpus) return std::nullopt;
    TelemetryGpu g;
    g.id = id;
    g.index = index.value_or(static_cast<unsigned>(out_.log.gpus.size()));
    g.name = printable(trim(name), kMaxNameBytes);
    g.host = printable(host, kMaxNameBytes);
    const auto slot = static_cast<std::uint32_t>(out_.log.gpus.size());
    out_.log.gpus.push_back(std::move(g));
    ids_.emplace(id, slot);
    return slot;
  }
  void set_name_if_empty(std::uint32_t gpu, std::string_view name) {
    if (out_.log.gpus[gpu].name.empty()) out_.log.gpus[gpu].name = printable(trim(name), kMaxNameBytes);
  }

  // The next line worth reading: a line above kMaxTelemetryLineBytes is skipped (and counted),
  // blank lines and '#' comments are passed over; the line is trimmed. False at the end.
  bool next_line(Lines& lines, std::string_view& line) {
    while (lines.next(line)) {
      if (line.size() > kMaxTelemetryLineBytes) {
        skip(lines.number(), "line longer than " + std::to_string(kMaxTelemetryLineBytes) + " bytes");
        continue;
      }
      line = trim(line);
      if (!line.empty() && line.front() != '#') return true;
    }
    return false;
  }

  ParsedTelemetry& out() { return out_; }

  Result<ParsedTelemetry> finish(std::size_t lines) && {
    out_.lines = lines;
    if (!out_.log.samples.empty()) return std::move(out_);
    std::string message = "no readable telemetry";
    if (out_.lines_skipped == 0) {
      const bool csv = out_.format == TelemetryFormat::nvidia_smi_csv;
      return make_error(ErrorCode::parse_error,
                        message + (csv ? " (no data rows)"
                                       : " (no DCGM_FI_DEV_GPU_UTIL, _FB_USED, _FB_FREE or _POWER_USAGE readings)"));
    }
    message += " (" + std::to_string(out_.lines_skipped) + " lines skipped";
    for (const auto& s : out_.skipped_examples) message += "; line " + std::to_string(s.line) + ": " + s.reason;
    return make_error(ErrorCode::parse_error, message + ")");
  }

 private:
  ParsedTelemetry out_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar, and back (H. Hinnant,
// "chrono-Compatible Low-Level Date Algorithms": days_from_civil, civil_from_days).
long long days_from_civil(long long y, unsigned m, unsigned d);
struct Civil {
  long long year = 1970;
  unsigned month = 1, day = 1;
};
Civil civil_from_days(long long z);

enum class Quantity { percent, bytes, watts };
// The largest plausible reading of a quantity in base units (100 %, kMaxPowerW, kMaxMemoryBytes).
double upper_bound(Quantity q);

Result<ParsedTelemetry> parse_nvidia_smi(std::string_view text);
Result<ParsedTelemetry> parse_dcgm(std::string_view text, double scrape_interval_s);

}  // namespace gpuplan::io::detail
