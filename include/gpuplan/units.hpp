// Parsing and formatting of quantities: "70B", "32k", "24GiB", "80GB", "2T".
// Every quantity in gpuplan is a double in base units (bytes, tokens, parameters, seconds).
#pragma once
#include <string>
#include <string_view>

#include "gpuplan/result.hpp"

namespace gpuplan {

inline constexpr double kKiB = 1024.0;
inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kGB = 1e9;

// A count with an optional decimal suffix: k=1e3, M=1e6, B/G=1e9, T=1e12 ("13B", "2T", "200M").
Result<double> parse_count(std::string_view text, std::string_view what);
// A token length. k/M are decimal as everywhere (32k = 32000, 1M = 1e6); Ki/Mi are the binary
// multiples (128Ki = 131072 = 2^17), the way KiB/MiB are for bytes. Plain integers as given.
Result<double> parse_tokens(std::string_view text, std::string_view what);
// A byte size: "24GiB", "80GB", "512MiB", "1.5TB"; a bare number means GiB.
Result<double> parse_bytes(std::string_view text, std::string_view what);
// A duration: "50ms", "2s", "1.5h", "30d", "200us"; a bare number means seconds.
Result<double> parse_duration(std::string_view text, std::string_view what);
// A positive real ("0.9", "1e-3").
Result<double> parse_positive(std::string_view text, std::string_view what);

std::string format_gib(double bytes);  // "15.0 GiB"
std::string format_gb(double bytes);   // "16.1 GB"
std::string format_mib(double bytes);  // "512.00 MiB", as llama.cpp logs its buffers
// A whole count and its noun, plural unless it is one: "1 GPU", "4 GPUs", "1 replica".
std::string count_of(double n, const std::string& noun);
std::string format_count(double count);    // "70.55 B", "124.4 M"
std::string format_tokens(double tokens);  // "131072", or "32k" when a multiple of 1000 (as parsed back)
// A count rounded to a whole number, no separators: "1200", "-3". Cheap (std::to_chars), as
// the engine models name devices and write notes on every estimate of a search.
std::string format_whole(double x);

}  // namespace gpuplan
