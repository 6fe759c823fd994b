// DCGM-exporter Prometheus text (scraped /metrics, with or without millisecond timestamps):
// label sets -> GPUs, DCGM_FI_DEV_* readings -> samples.
#include "telemetry_parse.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

namespace gpuplan::io::detail {
namespace {

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

}  // namespace

Result<ParsedTelemetry> parse_dcgm(std::string_view text, double scrape_interval_s) {
  Parse p(TelemetryFormat::dcgm_prometheus);
  DcgmState st;
  Lines lines(text);
  std::string_view line;
  while (p.next_line(lines, line)) {
    if (std::string reason = dcgm_sample_line(p, st, line); !reason.empty()) p.skip(lines.number(), std::move(reason));
  }
  assemble_dcgm(p.out(), st, scrape_interval_s);
  return std::move(p).finish(lines.number());
}

}  // namespace gpuplan::io::detail
