// nvidia-smi --query-gpu CSV logs (with or without a header, with or without units, any column
// order): timestamps, readings with units, rows -> samples.
#include "telemetry_parse.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <vector>

namespace gpuplan::io::detail {
namespace {

// ---------------------------------------------------------------- timestamps

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

}  // namespace

Result<ParsedTelemetry> parse_nvidia_smi(std::string_view text) {
  Parse p(TelemetryFormat::nvidia_smi_csv);
  p.out().log.clock = TelemetryClock::as_logged;
  CsvLayout layout = default_layout();
  Lines lines(text);
  std::string_view line;
  while (p.next_line(lines, line)) {
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

}  // namespace gpuplan::io::detail
