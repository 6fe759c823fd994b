#include "gpuplan/io/telemetry.hpp"

#include "gpuplan/io/json_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>
#include <unordered_map>

namespace gpuplan::io {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kMaxMemoryBytes = 1024.0 * 1024 * 1024 * 1024 * 1024;  // 1 PiB per GPU
constexpr double kMaxPowerW = 100000;
constexpr double kMaxGpuIndex = 1e6;
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kDetectLines = 1000;
// DCGM reports "no value" as sentinels (dcgm_structs.h): DCGM_INT32_BLANK 0x7ffffff0 is the
// smallest of them; DCGM_FT_FP64_BLANK is 140737488355328.0 (2^47), DCGM_INT64_BLANK 0x7ffffffffffffff0.
constexpr double kDcgmBlankInt32 = 2147483632.0;
constexpr double kMaxTimestampMs = 253402300799999;  // 9999-12-31 23:59:59.999

// ---------------------------------------------------------------- text helpers

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_ident(char c) {
  return is_ident_start(c) || is_digit(c);
}

// Printable, bounded text for messages and names: control bytes become '?'.
std::string printable(std::string_view s, std::size_t max_bytes = 40) {
  std::string out;
  for (const char c : s.substr(0, max_bytes)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  if (s.size() > max_bytes) out += "...";
  return out;
}

std::optional<double> number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<unsigned> gpu_index(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 7 || !std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > kMaxGpuIndex) return std::nullopt;
  return v;
}

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

// ---------------------------------------------------------------- timestamps

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? static_cast<unsigned>(-3) : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

struct Civil {
  long long year = 1970;
  unsigned month = 1, day = 1;
};

Civil civil_from_days(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  Civil c;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<long long>(yoe) + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

unsigned days_in_month(long long y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
std::optional<unsigned> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[pos + i] - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, std::string_view allowed) {
  if (pos >= s.size() || allowed.find(s[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

// "2024/05/01 12:00:00.123", "2024-05-01T12:00:00Z", or epoch seconds; seconds since 1970 on the
// log's own clock.
std::optional<double> timestamp_s(std::string_view s) {
  s = trim(s);
  if (const auto epoch = number(s)) {
    if (*epoch >= 0 && *epoch <= kMaxTimestampMs / 1000) return *epoch + 0.0;
    return std::nullopt;
  }
  std::size_t pos = 0;
  const auto year = digits(s, pos, 4);
  if (!year || !expect(s, pos, "/-")) return std::nullopt;
  const auto month = digits(s, pos, 2);
  if (!month || !expect(s, pos, "/-")) return std::nullopt;
  const auto day = digits(s, pos, 2);
  if (!day || !expect(s, pos, " T")) return std::nullopt;
  const auto hour = digits(s, pos, 2);
  if (!hour || !expect(s, pos, ":")) return std::nullopt;
  const auto minute = digits(s, pos, 2);
  if (!minute || !expect(s, pos, ":")) return std::nullopt;
  const auto second = digits(s, pos, 2);
  if (!second) return std::nullopt;
  double fraction = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    double scale = 0.1;
    for (++pos; pos < s.size() && is_digit(s[pos]); ++pos, scale /= 10) fraction += (s[pos] - '0') * scale;
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size() || *year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) ||
      *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const long long days = days_from_civil(*year, *month, *day);
  return static_cast<double>(days) * 86400 + *hour * 3600.0 + *minute * 60.0 + *second + fraction;
}

// ---------------------------------------------------------------- readings with units

enum class Quantity { percent, bytes, watts };

struct Reading {
  double value = kNotReported;  // base units; negative when not reported
  std::string error;            // non-empty: the field is bad
};

bool not_reported(std::string_view s) {
  return s.empty() || s.front() == '[' || iequals(s, "N/A") || iequals(s, "NA") || iequals(s, "-");
}

// The scale of a unit to base units; 0 when the unit does not fit the quantity.
double unit_scale(std::string_view unit, Quantity q) {
  unit = trim(unit);
  switch (q) {
    case Quantity::percent: return unit == "%" ? 1 : 0;
    case Quantity::watts:
      if (iequals(unit, "W")) return 1;
      if (iequals(unit, "mW")) return 1e-3;
      if (iequals(unit, "kW")) return 1e3;
      return 0;
    case Quantity::bytes:
      if (iequals(unit, "MiB")) return kMiB;
      if (iequals(unit, "GiB")) return kMiB * 1024;
      if (iequals(unit, "KiB")) return 1024;
      if (iequals(unit, "B")) return 1;
      if (iequals(unit, "MB")) return 1e6;
      if (iequals(unit, "GB")) return 1e9;
      return 0;
  }
  return 0;
}

double upper_bound(Quantity q) {
  switch (q) {
    case Quantity::percent: return 100;
    case Quantity::watts: return kMaxPowerW;
    case Quantity::bytes: return kMaxMemoryBytes;
  }
  return 0;
}

// "37 %", "37", "1024 MiB", "[N/A]". `default_scale` applies when the value has no unit.
Reading reading(std::string_view field, Quantity q, double default_scale, std::string_view what) {
  field = trim(field);
  Reading r;
  if (not_reported(field)) return r;
  std::size_t split = field.size();
  while (split > 0 && !is_digit(field[split - 1]) && field[split - 1] != '.') --split;
  const std::string_view unit = field.substr(split);
  const double scale = unit.empty() ? default_scale : unit_scale(unit, q);
  const auto v = number(field.substr(0, split));
  if (!v || scale <= 0) {
    r.error = std::string(what) + ": cannot read '" + printable(field) + "'";
    return r;
  }
  const double value = *v * scale + 0.0;  // + 0.0: no -0
  if (!std::isfinite(value) || value < 0 || value > upper_bound(q)) {
    r.error = std::string(what) + ": '" + printable(field) + "' is out of range";
    return r;
  }
  r.value = value;
  return r;
}

// ---------------------------------------------------------------- nvidia-smi CSV

enum Column : std::size_t { kTime, kIndex, kUuid, kBus, kName, kUtil, kMemUsed, kMemTotal, kMemFree, kPower, kColumns };
constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

struct CsvLayout {
  std::array<std::size_t, kColumns> at{};  // field position of each column, kAbsent if missing
  std::array<double, kColumns> scale{};    // unit from the header ("[MiB]"), for values without one
  std::size_t fields = 0;
  std::string problem;  // non-empty: the header cannot be used
};

// The order of `--query-gpu=timestamp,index,name,utilization.gpu,memory.used,memory.total,power.draw`.
CsvLayout default_layout() {
  CsvLayout l;
  l.at.fill(kAbsent);
  l.at[kTime] = 0;
  l.at[kIndex] = 1;
  l.at[kName] = 2;
  l.at[kUtil] = 3;
  l.at[kMemUsed] = 4;
  l.at[kMemTotal] = 5;
  l.at[kPower] = 6;
  l.fields = 7;
  l.scale = {1, 1, 1, 1, 1, 1, kMiB, kMiB, kMiB, 1};
  return l;
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(
        trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::optional<Column> column_of(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, Column>, 12> kNames{{
      {"timestamp", kTime},
      {"index", kIndex},
      {"uuid", kUuid},
      {"gpu_uuid", kUuid},
      {"pci.bus_id", kBus},
      {"gpu_bus_id", kBus},
      {"name", kName},
      {"utilization.gpu", kUtil},
      {"memory.used", kMemUsed},
      {"memory.total", kMemTotal},
      {"memory.free", kMemFree},
      {"power.draw", kPower},
  }};
  for (const auto& [n, c] : kNames) {
    if (iequals(name, n)) return c;
  }
  if (name.size() > 10 && iequals(name.substr(0, 11), "power.draw.")) return kPower;  // .average, .instant
  return std::nullopt;
}

// A header line names the timestamp or utilization.gpu column.
bool is_header(const std::vector<std::string_view>& fields) {
  return std::any_of(fields.begin(), fields.end(), [](std::string_view f) {
    const std::string_view name = trim(f.substr(0, f.find('[')));
    return iequals(name, "timestamp") || iequals(name, "utilization.gpu");
  });
}

CsvLayout header_layout(const std::vector<std::string_view>& fields) {
  CsvLayout l;
  l.at.fill(kAbsent);
  l.scale = {1, 1, 1, 1, 1, 1, kMiB, kMiB, kMiB, 1};
  l.fields = fields.size();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t bracket = fields[i].find('[');
    const auto column = column_of(trim(fields[i].substr(0, bracket)));
    if (!column || l.at[*column] != kAbsent) continue;  // first power.draw* wins
    l.at[*column] = i;
    if (bracket == std::string_view::npos) continue;
    const std::string_view unit = fields[i].substr(bracket + 1, fields[i].find(']', bracket) - bracket - 1);
    const Quantity q = *column == kUtil ? Quantity::percent : *column == kPower ? Quantity::watts : Quantity::bytes;
    if (const double s = unit_scale(unit, q); s > 0) l.scale[*column] = s;
  }
  if (l.at[kTime] == kAbsent) l.problem = "the CSV header has no timestamp column";
  if (l.at[kUtil] == kAbsent) l.problem = "the CSV header has no utilization.gpu column";
  return l;
}

std::string_view field_at(const std::vector<std::string_view>& fields, const CsvLayout& l, Column c) {
  return l.at[c] == kAbsent ? std::string_view{} : fields[l.at[c]];
}

// The GPU's id: index, else UUID, else PCI bus id, else "0" (one GPU).
std::optional<std::string> csv_gpu_id(const std::vector<std::string_view>& fields, const CsvLayout& l,
                                      std::optional<unsigned>& index, std::string& error) {
  if (l.at[kIndex] != kAbsent) {
    index = gpu_index(fields[l.at[kIndex]]);
    if (!index) {
      error = "bad GPU index '" + printable(fields[l.at[kIndex]]) + "'";
      return std::nullopt;
    }
    return std::to_string(*index);
  }
  for (const Column c : {kUuid, kBus}) {
    const std::string_view v = field_at(fields, l, c);
    if (!v.empty() && !not_reported(v)) return printable(v, kMaxNameBytes);
  }
  if (l.at[kUuid] != kAbsent || l.at[kBus] != kAbsent) {
    error = "no GPU uuid or bus id";
    return std::nullopt;
  }
  index = 0;
  return std::string("0");
}

// One data row -> a sample, or the reason it cannot be read.
std::string csv_row(Parse& p, const std::vector<std::string_view>& fields, const CsvLayout& l) {
  if (fields.size() != l.fields) {
    return "expected " + std::to_string(l.fields) + " fields, got " + std::to_string(fields.size());
  }
  TelemetrySample s;
  const auto time = timestamp_s(fields[l.at[kTime]]);
  if (!time) return "bad timestamp '" + printable(fields[l.at[kTime]]) + "'";
  s.time_s = *time;
  struct Target {
    Column column;
    Quantity quantity;
    double* value;
  };
  const Target targets[] = {{kUtil, Quantity::percent, &s.utilization_pct},
                            {kMemUsed, Quantity::bytes, &s.memory_used_bytes},
                            {kMemTotal, Quantity::bytes, &s.memory_total_bytes},
                            {kPower, Quantity::watts, &s.power_w}};
  static constexpr std::array<std::string_view, kColumns> kWhat{
      "timestamp",       "index",       "uuid",         "pci.bus_id",  "name",
      "utilization.gpu", "memory.used", "memory.total", "memory.free", "power.draw"};
  for (const Target& t : targets) {
    const Reading r = reading(field_at(fields, l, t.column), t.quantity, l.scale[t.column], kWhat[t.column]);
    if (!r.error.empty()) return r.error;
    *t.value = r.value;
  }
  const Reading free = reading(field_at(fields, l, kMemFree), Quantity::bytes, l.scale[kMemFree], "memory.free");
  if (!free.error.empty()) return free.error;
  if (s.memory_total_bytes < 0 && free.value >= 0 && s.memory_used_bytes >= 0) {
    s.memory_total_bytes = free.value + s.memory_used_bytes;
  }
  std::optional<unsigned> index;
  std::string error;
  const auto id = csv_gpu_id(fields, l, index, error);
  if (!id) return error;
  const auto gpu = p.gpu(*id, index, field_at(fields, l, kName), {});
  if (!gpu) return "more than " + std::to_string(kMaxTelemetryGpus) + " GPUs";
  p.set_name_if_empty(*gpu, field_at(fields, l, kName));
  s.gpu = *gpu;
  p.out().log.samples.push_back(s);
  return {};
}

Result<ParsedTelemetry> parse_nvidia_smi(std::string_view text) {
  Parse p(TelemetryFormat::nvidia_smi_csv);
  p.out().log.clock = TelemetryClock::as_logged;
  CsvLayout layout = default_layout();
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.size() > kMaxTelemetryLineBytes) {
      p.skip(lines.number(), "line longer than " + std::to_string(kMaxTelemetryLineBytes) + " bytes");
      continue;
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split_csv(line);
    if (is_header(fields)) {
      layout = header_layout(fields);
      if (!layout.problem.empty()) p.skip(lines.number(), layout.problem);
      continue;
    }
    if (!layout.problem.empty()) {
      p.skip(lines.number(), layout.problem);
      continue;
    }
    if (p.out().log.samples.size() >= kMaxTelemetrySamples) {
      p.skip(lines.number(), "more than " + std::to_string(kMaxTelemetrySamples) + " samples");
      continue;
    }
    if (std::string reason = csv_row(p, fields, layout); !reason.empty()) p.skip(lines.number(), std::move(reason));
  }
  return std::move(p).finish(lines.number());
}

// ---------------------------------------------------------------- DCGM-exporter Prometheus text

enum Metric : std::uint8_t { kGpuUtil, kFbUsed, kFbFree, kFbReserved, kPowerUsage, kMetrics };

std::optional<Metric> metric_of(std::string_view name) {
  if (name == "DCGM_FI_DEV_GPU_UTIL") return kGpuUtil;
  if (name == "DCGM_FI_DEV_FB_USED") return kFbUsed;
  if (name == "DCGM_FI_DEV_FB_FREE") return kFbFree;
  if (name == "DCGM_FI_DEV_FB_RESERVED") return kFbReserved;
  if (name == "DCGM_FI_DEV_POWER_USAGE") return kPowerUsage;
  return std::nullopt;
}

struct PromLine {
  std::string_view metric;
  std::string gpu, uuid, model, host;
  std::string_view value;
  std::string_view timestamp;  // empty when absent
};

// A label value in double quotes with \\, \" and \n escapes; `pos` is at the opening quote.
std::optional<std::string> label_value(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '"') return std::nullopt;
  std::string v;
  for (++pos; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (c == '"') {
      ++pos;
      return v;
    }
    if (c == '\\') {
      if (++pos >= s.size()) return std::nullopt;
      v += s[pos] == 'n' ? '\n' : s[pos];
      continue;
    }
    v += c;
  }
  return std::nullopt;
}

void skip_spaces(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
}

// `{name="value", ...}`; `pos` is at '{'. Returns the reason on failure.
std::string labels(std::string_view s, std::size_t& pos, PromLine& out) {
  ++pos;
  for (std::size_t count = 0;; ++count) {
    skip_spaces(s, pos);
    if (pos < s.size() && s[pos] == '}') {
      ++pos;
      return {};
    }
    if (count >= kMaxLabels) return "more than " + std::to_string(kMaxLabels) + " labels";
    const std::size_t start = pos;
    while (pos < s.size() && is_ident(s[pos])) ++pos;
    const std::string_view name = s.substr(start, pos - start);
    skip_spaces(s, pos);
    if (name.empty() || pos >= s.size() || s[pos] != '=') return "bad label set";
    ++pos;
    skip_spaces(s, pos);
    auto value = label_value(s, pos);
    if (!value) return "unterminated label value";
    if (name == "gpu") out.gpu = std::move(*value);
    if (name == "UUID") out.uuid = std::move(*value);
    if (name == "modelName") out.model = std::move(*value);
    if (name == "Hostname") out.host = std::move(*value);
    skip_spaces(s, pos);
    if (pos < s.size() && s[pos] == ',')
      ++pos;
    else if (pos >= s.size() || s[pos] != '}')
      return "bad label set";
  }
}

std::string_view token(std::string_view s, std::size_t& pos) {
  skip_spaces(s, pos);
  const std::size_t start = pos;
  while (pos < s.size() && s[pos] != ' ' && s[pos] != '\t') ++pos;
  return s.substr(start, pos - start);
}

// `metric{labels} value [timestamp_ms]`. Returns the reason on failure.
std::string prom_line(std::string_view s, PromLine& out) {
  std::size_t pos = 0;
  if (s.empty() || !is_ident_start(s[0])) return "not a metric line";
  while (pos < s.size() && is_ident(s[pos])) ++pos;
  out.metric = s.substr(0, pos);
  if (pos < s.size() && s[pos] == '{') {
    if (std::string reason = labels(s, pos, out); !reason.empty()) return reason;
  }
  if (pos >= s.size() || (s[pos] != ' ' && s[pos] != '\t')) return "no value after the metric name";
  out.value = token(s, pos);
  out.timestamp = token(s, pos);
  skip_spaces(s, pos);
  if (out.value.empty()) return "no value";
  if (pos != s.size()) return "unexpected text after the timestamp";
  return {};
}

struct Observation {
  std::uint32_t gpu = 0;
  Metric metric = kGpuUtil;
  std::int64_t key = 0;  // millisecond timestamp, or scrape number
  double value = 0;
};

struct DcgmState {
  int timestamped = -1;  // -1 undecided, 0 no, 1 yes (the first sample line decides)
  std::int64_t scrape = 0;
  std::vector<std::int64_t> seen_in_scrape;  // per (gpu, metric): last scrape + 1 it appeared in
  std::vector<Observation> observations;
};

std::string dcgm_gpu(Parse& p, const PromLine& l, std::uint32_t& gpu) {
  if (l.gpu.empty() && l.uuid.empty()) return "no gpu or UUID label";
  const auto index = gpu_index(l.gpu);
  const std::string local = !l.gpu.empty() ? printable(l.gpu, kMaxNameBytes) : printable(l.uuid, kMaxNameBytes);
  const std::string id = l.host.empty() ? local : printable(l.host, kMaxNameBytes) + "/" + local;
  const auto slot = p.gpu(id, index, l.model, l.host);
  if (!slot) return "more than " + std::to_string(kMaxTelemetryGpus) + " GPUs";
  p.set_name_if_empty(*slot, l.model);
  gpu = *slot;
  return {};
}

// The value in base units; kNotReported for DCGM's blank sentinels and NaN; nullopt when bad.
std::optional<double> dcgm_value(std::string_view text, Metric m, std::string& error) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (iequals(t, "nan") || iequals(t, "inf") || iequals(t, "-inf")) return kNotReported;
  const auto v = number(t);
  if (!v) {
    error = "bad value '" + printable(text) + "'";
    return std::nullopt;
  }
  if (*v >= kDcgmBlankInt32) return kNotReported;
  const Quantity q = m == kGpuUtil ? Quantity::percent : m == kPowerUsage ? Quantity::watts : Quantity::bytes;
  const double value = (q == Quantity::bytes ? *v * kMiB : *v) + 0.0;  // + 0.0: no -0
  if (value < 0 || value > upper_bound(q)) {
    error = "value '" + printable(text) + "' is out of range";
    return std::nullopt;
  }
  return value;
}

// The observation's key: its millisecond timestamp, or the scrape it belongs to.
std::string dcgm_key(DcgmState& st, const PromLine& l, std::uint32_t gpu, Metric m, std::int64_t& key) {
  const bool has_time = !l.timestamp.empty();
  if (st.timestamped < 0) st.timestamped = has_time ? 1 : 0;
  if (has_time != (st.timestamped == 1)) {
    return has_time ? "timestamp in a dump without timestamps" : "no timestamp in a dump with timestamps";
  }
  if (has_time) {
    const auto ms = number(l.timestamp);
    if (!ms || *ms < 0 || *ms > kMaxTimestampMs) return "bad timestamp '" + printable(l.timestamp) + "'";
    key = static_cast<std::int64_t>(*ms);
    return {};
  }
  const std::size_t slot = static_cast<std::size_t>(gpu) * kMetrics + m;
  if (st.seen_in_scrape.size() <= slot) st.seen_in_scrape.resize((static_cast<std::size_t>(gpu) + 1) * kMetrics, 0);
  if (st.seen_in_scrape[slot] == st.scrape + 1) ++st.scrape;  // the pair repeats: a new scrape
  st.seen_in_scrape[slot] = st.scrape + 1;
  key = st.scrape;
  return {};
}

std::string dcgm_sample_line(Parse& p, DcgmState& st, std::string_view line) {
  PromLine l;
  if (std::string reason = prom_line(line, l); !reason.empty()) return reason;
  const auto metric = metric_of(l.metric);
  if (!metric) return {};  // another metric: not ours, not an error
  if (st.observations.size() >= kMaxTelemetrySamples) {
    return "more than " + std::to_string(kMaxTelemetrySamples) + " readings";
  }
  std::string error;
  const auto value = dcgm_value(l.value, *metric, error);
  if (!value) return error;
  std::uint32_t gpu = 0;
  if (std::string reason = dcgm_gpu(p, l, gpu); !reason.empty()) return reason;
  std::int64_t key = 0;
  if (std::string reason = dcgm_key(st, l, gpu, *metric, key); !reason.empty()) return reason;
  st.observations.push_back({gpu, *metric, key, *value});
  return {};
}

// Readings of one GPU at one key -> one sample.
TelemetrySample dcgm_sample(const Observation* first, const Observation* last, double time_s) {
  std::array<double, kMetrics> v{};
  v.fill(kNotReported);
  for (const Observation* o = first; o != last; ++o) v[o->metric] = o->value;
  TelemetrySample s;
  s.gpu = first->gpu;
  s.time_s = time_s;
  s.utilization_pct = v[kGpuUtil];
  s.power_w = v[kPowerUsage];
  s.memory_used_bytes = v[kFbUsed];
  if (v[kFbUsed] >= 0 && v[kFbFree] >= 0) {
    s.memory_total_bytes = v[kFbUsed] + v[kFbFree] + std::max(0.0, v[kFbReserved]);
  }
  return s;
}

void assemble_dcgm(ParsedTelemetry& out, DcgmState& st, double scrape_interval_s) {
  auto& obs = st.observations;
  std::stable_sort(obs.begin(), obs.end(), [](const Observation& a, const Observation& b) {
    return std::tie(a.gpu, a.key) < std::tie(b.gpu, b.key);
  });
  out.log.clock = st.timestamped == 1 ? TelemetryClock::unix_utc : TelemetryClock::relative;
  for (std::size_t begin = 0; begin < obs.size();) {
    std::size_t end = begin + 1;
    while (end < obs.size() && obs[end].gpu == obs[begin].gpu && obs[end].key == obs[begin].key) ++end;
    const double key = static_cast<double>(obs[begin].key);
    const double time_s = st.timestamped == 1 ? key / 1000 : key * scrape_interval_s;
    out.log.samples.push_back(dcgm_sample(obs.data() + begin, obs.data() + end, time_s));
    begin = end;
  }
  obs.clear();
  obs.shrink_to_fit();
}

Result<ParsedTelemetry> parse_dcgm(std::string_view text, double scrape_interval_s) {
  Parse p(TelemetryFormat::dcgm_prometheus);
  DcgmState st;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.size() > kMaxTelemetryLineBytes) {
      p.skip(lines.number(), "line longer than " + std::to_string(kMaxTelemetryLineBytes) + " bytes");
      continue;
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (std::string reason = dcgm_sample_line(p, st, line); !reason.empty()) p.skip(lines.number(), std::move(reason));
  }
  assemble_dcgm(p.out(), st, scrape_interval_s);
  return std::move(p).finish(lines.number());
}

// ---------------------------------------------------------------- detection

std::optional<TelemetryFormat> line_format(std::string_view line) {
  line = trim(line);
  if (line.empty()) return std::nullopt;
  if (line.starts_with("# HELP") || line.starts_with("# TYPE") || line.starts_with("DCGM_")) {
    return TelemetryFormat::dcgm_prometheus;
  }
  if (line.front() == '#') return std::nullopt;
  std::size_t i = 0;
  while (i < line.size() && is_ident(line[i])) ++i;
  if (i > 0 && is_ident_start(line[0]) && i < line.size() && line[i] == '{') return TelemetryFormat::dcgm_prometheus;
  if (std::count(line.begin(), line.end(), ',') >= 2) return TelemetryFormat::nvidia_smi_csv;
  return std::nullopt;
}

}  // namespace

std::string_view format_name(TelemetryFormat format) {
  switch (format) {
    case TelemetryFormat::nvidia_smi_csv: return "nvidia-smi-csv";
    case TelemetryFormat::dcgm_prometheus: return "dcgm-prometheus";
    case TelemetryFormat::automatic: return "auto";
  }
  return "auto";
}

Result<TelemetryFormat> parse_format_name(std::string_view name) {
  for (const auto f : {TelemetryFormat::automatic, TelemetryFormat::nvidia_smi_csv, TelemetryFormat::dcgm_prometheus}) {
    if (iequals(name, format_name(f))) return f;
  }
  if (iequals(name, "nvidia-smi") || iequals(name, "csv")) return TelemetryFormat::nvidia_smi_csv;
  if (iequals(name, "dcgm") || iequals(name, "prometheus")) return TelemetryFormat::dcgm_prometheus;
  return make_error(ErrorCode::unknown_name,
                    "--format: unknown format '" + printable(name) + "' (use auto, nvidia-smi or dcgm)");
}

Result<TelemetryFormat> detect_telemetry_format(std::string_view text) {
  Lines lines(text);
  std::string_view line;
  while (lines.next(line) && lines.number() <= kDetectLines) {
    if (line.size() > kMaxTelemetryLineBytes) continue;
    if (const auto f = line_format(line)) return *f;
  }
  return make_error(ErrorCode::parse_error,
                    "cannot tell the format: expected nvidia-smi CSV (--query-gpu=timestamp,index,...) or "
                    "DCGM-exporter Prometheus text");
}

Result<ParsedTelemetry> parse_telemetry(std::string_view text, const TelemetryParseOptions& options) {
  if (text.size() > kMaxTelemetryBytes) {
    return make_error(ErrorCode::out_of_range, "the input is larger than 256 MiB; split it or sample less often");
  }
  if (trim(text).empty()) return make_error(ErrorCode::parse_error, "the input is empty");
  const double interval_s = options.scrape_interval_s;
  if (!std::isfinite(interval_s) || interval_s <= 0 || interval_s > 86400 * 365.0) {
    return make_error(ErrorCode::invalid_argument, "the scrape interval must be positive and at most 365 days");
  }
  TelemetryFormat format = options.format;
  if (format == TelemetryFormat::automatic) {
    auto detected = detect_telemetry_format(text);
    if (!detected) return detected.error();
    format = detected.value();
  }
  return format == TelemetryFormat::dcgm_prometheus ? parse_dcgm(text, interval_s) : parse_nvidia_smi(text);
}

}  // namespace gpuplan::io

// ==================================================================== views of an IdleReport

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

std::string_view clock_name(TelemetryClock c) {
  switch (c) {
    case TelemetryClock::as_logged: return "as-logged";
    case TelemetryClock::unix_utc: return "utc";
    case TelemetryClock::relative: return "relative";
  }
  return "as-logged";
}

std::string_view clock_text(TelemetryClock c) {
  switch (c) {
    case TelemetryClock::as_logged: return "local time as logged";
    case TelemetryClock::unix_utc: return "UTC";
    case TelemetryClock::relative: return "hours since the dump began";
  }
  return "";
}

std::string duration_text(double s) {
  if (s < 120) return fmt::format("{:.0f} s", s);
  if (s < 7200) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// "2024-05-01 12:00" on the log's clock; "+36.5 h" for a relative clock.
std::string time_text(double time_s, TelemetryClock c) {
  if (c == TelemetryClock::relative) return "+" + duration_text(time_s);
  const double day = std::floor(time_s / 86400);
  const auto minutes = static_cast<long long>((time_s - day * 86400) / 60);
  const Civil d = civil_from_days(static_cast<long long>(day));
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}{}", d.year, d.month, d.day, minutes / 60, minutes % 60,
                     c == TelemetryClock::unix_utc ? " UTC" : "");
}

std::string usd(double v) {
  return fmt::format("${:.2f}", v);
}

// Bytes as a JSON integer (exact below 2^53, which every parsed figure is).
ordered_json bytes_json(double bytes) {
  if (bytes >= 0 && bytes < 9e15) return static_cast<std::uint64_t>(std::llround(bytes));
  return bytes;
}

ordered_json profile_json(const std::array<HourOfDay, kHoursPerDay>& hours) {
  ordered_json out = ordered_json::array();
  for (std::size_t h = 0; h < hours.size(); ++h) {
    ordered_json& o = out.emplace_back(ordered_json::object());
    o["hour"] = h;
    o["covered_hours"] = hours[h].covered_hours;
    o["idle_hours"] = hours[h].idle_hours;
    o["idle_share"] = hours[h].idle_share;
    o["mean_utilization"] = hours[h].mean_utilization_pct;
  }
  return out;
}

ordered_json gpu_json(const GpuIdle& g, TelemetryClock clock) {
  return {{"id", g.gpu.id},
          {"index", g.gpu.index},
          {"name", g.gpu.name},
          {"host", g.gpu.host},
          {"samples", g.samples},
          {"first_sample", time_text(g.first_time_s, clock)},
          {"last_sample", time_text(g.last_time_s, clock)},
          {"covered_hours", g.covered_hours},
          {"no_data_hours", g.no_data_hours},
          {"idle_hours", g.idle_hours},
          {"idle_fraction", g.idle_fraction},
          {"longest_idle_hours", g.longest_idle_hours},
          {"idle_cost_usd", g.idle_cost_usd},
          {"covered_cost_usd", g.covered_cost_usd},
          {"mean_utilization", g.mean_utilization_pct},
          {"power_reported", g.power_reported},
          {"mean_power_w", g.mean_power_w},
          {"memory_reported", g.memory_reported},
          {"peak_memory_used_bytes", bytes_json(g.peak_memory_used_bytes)},
          {"memory_total_bytes", bytes_json(g.memory_total_bytes)},
          {"unused_memory_bytes", bytes_json(g.unused_memory_bytes)},
          {"unused_memory_fraction", g.unused_memory_fraction},
          {"hourly_profile", profile_json(g.hourly)}};
}

std::string csv_text(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string memory_cell(const GpuIdle& g) {
  if (!g.memory_reported) return "-";
  return fmt::format("{:.1f} / {:.1f} GiB", g.peak_memory_used_bytes / (kMiB * 1024),
                     g.memory_total_bytes / (kMiB * 1024));
}

std::string unused_cell(const GpuIdle& g) {
  if (!g.memory_reported) return "-";
  return fmt::format("{:.1f} GiB ({:.0f} %)", g.unused_memory_bytes / (kMiB * 1024), g.unused_memory_fraction * 100);
}

std::string gpu_label(const GpuIdle& g) {
  return g.gpu.host.empty() ? std::to_string(g.gpu.index) : g.gpu.host + "/" + std::to_string(g.gpu.index);
}

std::string table_row(const GpuIdle& g, std::size_t label_width, std::size_t name_width) {
  return fmt::format(
      "{:>{}}  {:<{}}  {:>7}  {:>9.2f}  {:>7.2f}  {:>5.1f}  {:>12.2f}  {:>10}  {:>7.1f}  {:>7}  {:>19}  {:>16}  "
      "{:>9.2f}\n",
      gpu_label(g), label_width, g.gpu.name.substr(0, name_width), name_width, g.samples, g.covered_hours, g.idle_hours,
      g.idle_fraction * 100, g.longest_idle_hours, usd(g.idle_cost_usd), g.mean_utilization_pct,
      g.power_reported ? fmt::format("{:.0f} W", g.mean_power_w) : "-", memory_cell(g), unused_cell(g),
      g.no_data_hours);
}

std::string profile_lines(const std::array<HourOfDay, kHoursPerDay>& hours) {
  std::string out;
  for (std::size_t half = 0; half < 2; ++half) {
    std::string hour_row = "  hour   ", idle_row = "  idle % ", util_row = "  util % ";
    for (std::size_t h = half * 12; h < half * 12 + 12; ++h) {
      hour_row += fmt::format(" {:>3}", h);
      const bool seen = hours[h].covered_hours > 0;
      idle_row += seen ? fmt::format(" {:>3.0f}", hours[h].idle_share * 100) : "   -";
      util_row += seen ? fmt::format(" {:>3.0f}", hours[h].mean_utilization_pct) : "   -";
    }
    out += fmt::format("{}\n{}\n{}\n", hour_row, idle_row, util_row);
  }
  return out;
}

std::string skipped_line(const ParsedTelemetry& p) {
  if (p.lines_skipped == 0) return {};
  std::string out = fmt::format("Skipped {} of {} lines", p.lines_skipped, p.lines);
  for (std::size_t i = 0; i < p.skipped_examples.size(); ++i) {
    out += fmt::format("{}line {}: {}", i == 0 ? " (" : "; ", p.skipped_examples[i].line, p.skipped_examples[i].reason);
  }
  return out + (p.skipped_examples.empty() ? "\n" : (p.lines_skipped > p.skipped_examples.size() ? "; ...)\n" : ")\n"));
}

}  // namespace

std::string idle_summary(const IdleReport& r) {
  return fmt::format("{} of {} GPUs idle more than half the time: {} of {} spent on idle capacity", r.gpus_mostly_idle,
                     r.gpus.size(), usd(r.idle_cost_usd), usd(r.covered_cost_usd));
}

std::string idle_json(const IdleView& v) {
  const IdleReport& r = v.report;
  const ParsedTelemetry& p = v.parsed;
  ordered_json skipped = ordered_json::array();
  for (const auto& s : p.skipped_examples) skipped.push_back({{"line", s.line}, {"reason", s.reason}});
  ordered_json gpus = ordered_json::array();
  for (const auto& g : r.gpus) gpus.push_back(gpu_json(g, r.clock));
  ordered_json idle = {{"source", v.source},
                       {"format", format_name(p.format)},
                       {"clock", clock_name(r.clock)},
                       {"threshold", r.threshold_pct},
                       {"price_per_hour_usd", r.price_per_hour_usd},
                       {"median_interval_s", r.median_interval_s},
                       {"max_gap_s", r.max_gap_s},
                       {"lines", p.lines},
                       {"lines_skipped", p.lines_skipped},
                       {"skipped_examples", skipped},
                       {"samples", r.samples},
                       {"covered_hours", r.covered_hours},
                       {"no_data_hours", r.no_data_hours},
                       {"idle_hours", r.idle_hours},
                       {"total_idle_cost_usd", r.idle_cost_usd},
                       {"total_covered_cost_usd", r.covered_cost_usd},
                       {"gpus_idle_more_than_half", r.gpus_mostly_idle},
                       {"summary", idle_summary(r)},
                       {"gpus", gpus},
                       {"hourly_profile", profile_json(r.hourly)}};
  // Names and the source come from untrusted bytes: invalid UTF-8 becomes U+FFFD instead of throwing.
  return dump_json(ordered_json{{"schema", "gpuplan-idle/1"}, {"idle", idle}});
}

std::string idle_csv(const IdleReport& r) {
  std::string out =
      "host,index,name,samples,covered_hours,idle_hours,idle_fraction,longest_idle_hours,idle_cost_usd,"
      "covered_cost_usd,no_data_hours,mean_utilization,mean_power_w,peak_memory_used_bytes,memory_total_bytes,"
      "unused_memory_fraction\n";
  for (const GpuIdle& g : r.gpus) {
    out +=
        fmt::format("{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.2f},{:.2f},{:.4f},{:.2f},{},{},{},{}\n",
                    csv_text(g.gpu.host), g.gpu.index, csv_text(g.gpu.name), g.samples, g.covered_hours, g.idle_hours,
                    g.idle_fraction, g.longest_idle_hours, g.idle_cost_usd, g.covered_cost_usd, g.no_data_hours,
                    g.mean_utilization_pct, g.power_reported ? fmt::format("{:.1f}", g.mean_power_w) : "",
                    g.memory_reported ? fmt::format("{:.0f}", g.peak_memory_used_bytes) : "",
                    g.memory_reported ? fmt::format("{:.0f}", g.memory_total_bytes) : "",
                    g.memory_reported ? fmt::format("{:.4f}", g.unused_memory_fraction) : "");
  }
  return out;
}

std::string idle_table(const IdleView& v) {
  const IdleReport& r = v.report;
  const ParsedTelemetry& p = v.parsed;
  std::string out;
  double first_s = 0, last_s = 0;
  for (std::size_t i = 0; i < r.gpus.size(); ++i) {
    first_s = i == 0 ? r.gpus[i].first_time_s : std::min(first_s, r.gpus[i].first_time_s);
    last_s = i == 0 ? r.gpus[i].last_time_s : std::max(last_s, r.gpus[i].last_time_s);
  }
  out += fmt::format("{}: {}, {} GPU{}, {} samples, {} to {} ({})\n", v.source, format_name(p.format), r.gpus.size(),
                     r.gpus.size() == 1 ? "" : "s", r.samples, time_text(first_s, r.clock), time_text(last_s, r.clock),
                     clock_text(r.clock));
  out += fmt::format(
      "Idle = utilization below {:g} %; {} per GPU-hour; a gap over {} is no data (median interval {})\n\n",
      r.threshold_pct, usd(r.price_per_hour_usd), duration_text(r.max_gap_s), duration_text(r.median_interval_s));
  std::size_t label_width = 3, name_width = 4;
  for (const GpuIdle& g : r.gpus) {
    label_width = std::max(label_width, gpu_label(g).size());
    name_width = std::clamp(g.gpu.name.size(), name_width, std::size_t{28});
  }
  out +=
      fmt::format("{:>{}}  {:<{}}  {:>7}  {:>9}  {:>7}  {:>5}  {:>12}  {:>10}  {:>7}  {:>7}  {:>19}  {:>16}  {:>9}\n",
                  "GPU", label_width, "Name", name_width, "Samples", "Covered h", "Idle h", "Idle%", "Longest idle",
                  "Idle cost", "Util %", "Power", "Peak used / total", "Never used", "No data h");
  for (const GpuIdle& g : r.gpus) out += table_row(g, label_width, name_width);
  out += fmt::format("{:>{}}  {:<{}}  {:>7}  {:>9.2f}  {:>7.2f}  {:>5.1f}  {:>12}  {:>10}\n", "All", label_width, "",
                     name_width, r.samples, r.covered_hours, r.idle_hours,
                     r.covered_hours > 0 ? 100 * r.idle_hours / r.covered_hours : 0.0, "", usd(r.idle_cost_usd));
  out += fmt::format("\nBy hour of day, all GPUs ({}):\n", clock_text(r.clock));
  out += profile_lines(r.hourly) + "\n";
  out += skipped_line(p);
  out += idle_summary(r) + "\n";
  return out;
}

}  // namespace gpuplan::io
