// Replay driver for the fuzz targets, for compilers without libFuzzer (g++) and for CTest.
//
//   fuzz_<name>_replay [--mutations N] [--seed S] [--max-len L] <corpus dir or file>...
//
// 1. Feeds every file of the given corpus directories (sorted by name, not recursive) and every
//    given file to LLVMFuzzerTestOneInput.
// 2. Runs N (default 20000) deterministic pseudo-random mutants of those inputs: bit flips, byte
//    writes, insertions of random bytes or of tokens that matter to JSON and unit parsers,
//    deletions, truncations, duplications, number replacements and splices of two inputs,
//    stacked 1-6 deep. Mutants start from the first --max-len bytes (default 4096) of each corpus
//    input and are cut to that length, as libFuzzer does with -max_len=4096; corpus files
//    themselves are replayed whole. The generator is a fixed-seed SplitMix64, so runs are
//    reproducible on every platform.
// A target reports a violated invariant by aborting; the driver then names the input and writes
// its bytes to ./fuzz-smoke-crash-<name> (reproduce with: fuzz_<name>_replay fuzz-smoke-crash-<name>
// --mutations 0, or with the libFuzzer binary).
#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#ifndef FUZZ_TARGET_NAME
#define FUZZ_TARGET_NAME "target"
#endif

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMaxMutantBytes = 64 * 1024;  // hard cap while mutating
constexpr std::size_t kDefaultMaxLen = 4096;        // like libFuzzer -max_len=4096

// ---- crash reporting (async-signal-safe: only write/open/close/_exit on prepared buffers) ----
char g_label[512] = "";
const std::uint8_t* g_data = nullptr;
std::size_t g_size = 0;
char g_crash_path[256] = "";

void write_all(int fd, const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, c, n);
    if (w <= 0) return;
    c += w;
    n -= static_cast<std::size_t>(w);
  }
}

extern "C" void on_fatal_signal(int sig) {
  static const char head[] = "\nfuzz-smoke " FUZZ_TARGET_NAME ": CRASH on ";
  write_all(2, head, sizeof head - 1);
  write_all(2, g_label, std::strlen(g_label));
  const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (g_data != nullptr) write_all(fd, g_data, g_size);
    ::close(fd);
    static const char saved[] = "\n  input saved to ";
    write_all(2, saved, sizeof saved - 1);
    write_all(2, g_crash_path, std::strlen(g_crash_path));
  }
  write_all(2, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run_one(const Bytes& input, const char* label) {
  std::snprintf(g_label, sizeof g_label, "%s (%zu bytes)", label, input.size());
  // Copy into an exactly sized heap block so ASan catches reads past the end.
  auto* copy = static_cast<std::uint8_t*>(std::malloc(input.empty() ? 1 : input.size()));
  if (copy == nullptr) std::abort();
  if (!input.empty()) std::memcpy(copy, input.data(), input.size());
  g_data = copy;
  g_size = input.size();
  LLVMFuzzerTestOneInput(copy, input.size());
  g_data = nullptr;
  std::free(copy);
}

// ---- deterministic mutations ----
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
};

constexpr std::string_view kTokens[] = {"[",
                                        "]",
                                        "{",
                                        "}",
                                        "\"",
                                        ",",
                                        ":",
                                        "null",
                                        "true",
                                        "false",
                                        "0",
                                        "-0",
                                        "1",
                                        "-1",
                                        "0.5",
                                        "1e400",
                                        "-1e400",
                                        "1e308",
                                        "1e15",
                                        "1e-400",
                                        "4294967296",
                                        "18446744073709551616",
                                        "9007199254740993",
                                        "NaN",
                                        "Infinity",
                                        "\"nan\"",
                                        "\"\"",
                                        "[]",
                                        "{}",
                                        "\\u0000",
                                        "\\ud800",
                                        "\xff",
                                        "\xc3\x28",
                                        "\xf0\x9f\x98\x80",
                                        " ",
                                        "\n",
                                        "k",
                                        "K",
                                        "M",
                                        "B",
                                        "T",
                                        "GiB",
                                        "GB",
                                        "TiB",
                                        "e",
                                        "E",
                                        ".",
                                        "+",
                                        "-",
                                        "e+309",
                                        "inf",
                                        "nan",
                                        "\"hidden_size\":",
                                        "\"num_layers\":",
                                        "\"num_heads\":",
                                        "\"num_kv_heads\":",
                                        "\"head_dim\":",
                                        "\"vocab_size\":",
                                        "\"num_experts\":",
                                        "\"experts_per_token\":",
                                        "\"moe_intermediate_size\":",
                                        "\"kv_lora_rank\":",
                                        "\"sliding_window\":",
                                        "\"global_every\":",
                                        "\"first_dense_layers\":",
                                        "\"context_length\":",
                                        "\"memory_gib\":",
                                        "\"memory_bandwidth_gbps\":",
                                        "\"value\":",
                                        "\"arch\":",
                                        "\"models\":",
                                        "\"gpus\":",
                                        "\"schema\":",
                                        "q4_k_m",
                                        "bf16",
                                        "fp8",
                                        "q8_0"};

constexpr std::string_view kNumbers[] = {
    "0",      "-0",   "1",     "-1",     "0.0", "1e400", "1e-400", "1e308",
    "1e15",   "1e16", "99999", "100001", "2.5", "8",     "4096",   "18446744073709551616",
    "-1e308", "1e12"};

Bytes mutate(const std::vector<Bytes>& corpus, SplitMix64& rng) {
  Bytes b = corpus[rng.below(corpus.size())];
  const std::size_t steps = 1 + rng.below(6);
  for (std::size_t step = 0; step < steps; ++step) {
    const std::size_t n = b.size();
    switch (rng.below(10)) {
      case 0:  // flip one bit
        if (n > 0) b[rng.below(n)] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        break;
      case 1:  // overwrite a byte
        if (n > 0) b[rng.below(n)] = static_cast<std::uint8_t>(rng.next());
        break;
      case 2: {  // insert random bytes
        const std::size_t at = rng.below(n + 1);
        const std::size_t len = 1 + rng.below(8);
        Bytes ins(len);
        for (auto& c : ins) c = static_cast<std::uint8_t>(rng.next());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
        break;
      }
      case 3:
      case 4: {  // insert a token
        const std::string_view t = kTokens[rng.below(std::size(kTokens))];
        const std::size_t at = rng.below(n + 1);
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), t.begin(), t.end());
        break;
      }
      case 5: {  // delete a range
        if (n == 0) break;
        const std::size_t at = rng.below(n);
        const std::size_t len = 1 + rng.below(std::min<std::size_t>(n - at, 32));
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
        break;
      }
      case 6:  // truncate
        if (n > 0) b.resize(rng.below(n));
        break;
      case 7: {  // splice: a prefix of this input + a suffix of another
        const Bytes& other = corpus[rng.below(corpus.size())];
        const std::size_t cut = rng.below(n + 1);
        const std::size_t from = rng.below(other.size() + 1);
        b.resize(cut);
        b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
      case 8: {  // duplicate a range in place
        if (n == 0) break;
        const std::size_t at = rng.below(n);
        const std::size_t len = 1 + rng.below(std::min<std::size_t>(n - at, 64));
        const Bytes piece(b.begin() + static_cast<std::ptrdiff_t>(at),
                          b.begin() + static_cast<std::ptrdiff_t>(at + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(n + 1)), piece.begin(), piece.end());
        break;
      }
      default: {  // replace the next run of digits with an interesting number
        if (n == 0) break;
        std::size_t at = rng.below(n);
        while (at < n && (b[at] < '0' || b[at] > '9')) ++at;
        if (at == n) break;
        std::size_t end = at;
        while (end < n && ((b[end] >= '0' && b[end] <= '9') || b[end] == '.' || b[end] == 'e' || b[end] == '-')) {
          ++end;
        }
        const std::string_view num = kNumbers[rng.below(std::size(kNumbers))];
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(end));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), num.begin(), num.end());
        break;
      }
    }
    if (b.size() > kMaxMutantBytes) b.resize(kMaxMutantBytes);
  }
  return b;
}

bool read_file(const std::filesystem::path& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: fuzz_" FUZZ_TARGET_NAME
                       "_replay [--mutations N] [--seed S] [--max-len L] <corpus dir or file>...\n");
  std::exit(2);
}

std::uint64_t parse_uint(const char* s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0') usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mutations = 20000;
  std::uint64_t seed = 0x6770757066757A7Aull;  // "gpupfuzz"
  std::size_t max_len = kDefaultMaxLen;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--mutations" || arg == "-n") && i + 1 < argc) {
      mutations = parse_uint(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = parse_uint(argv[++i]);
    } else if (arg == "--max-len" && i + 1 < argc) {
      max_len = static_cast<std::size_t>(parse_uint(argv[++i]));
    } else if (arg.starts_with("-")) {
      usage();
    } else {
      paths.emplace_back(argv[i]);
    }
  }
  if (paths.empty()) usage();

  std::snprintf(g_crash_path, sizeof g_crash_path, "fuzz-smoke-crash-%s", FUZZ_TARGET_NAME);
  std::signal(SIGABRT, on_fatal_signal);
  std::signal(SIGSEGV, on_fatal_signal);
  std::signal(SIGBUS, on_fatal_signal);
  std::signal(SIGFPE, on_fatal_signal);
  std::signal(SIGILL, on_fatal_signal);

  // Collect the corpus.
  std::vector<std::filesystem::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(p, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", p.c_str(), ec.message().c_str());
        return 2;
      }
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "no such corpus file or directory: %s\n", p.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());

  std::vector<Bytes> corpus;
  corpus.reserve(files.size());
  for (const auto& f : files) {
    Bytes b;
    if (!read_file(f, b)) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 2;
    }
    run_one(b, f.c_str());
    corpus.push_back(std::move(b));
  }

  // Mutants. Without any corpus file, start from a single empty input.
  std::vector<Bytes> bases;
  for (const auto& b : corpus) {
    bases.emplace_back(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), max_len)));
  }
  if (bases.empty()) bases.emplace_back();
  SplitMix64 rng{seed};
  char label[64];
  for (std::uint64_t i = 0; i < mutations; ++i) {
    Bytes m = mutate(bases, rng);
    if (m.size() > max_len) m.resize(max_len);
    std::snprintf(label, sizeof label, "mutant #%llu (seed %llu)", static_cast<unsigned long long>(i),
                  static_cast<unsigned long long>(seed));
    run_one(m, label);
  }

  std::printf("fuzz-smoke %s: %zu corpus files, %llu mutated inputs, 0 crashes\n", FUZZ_TARGET_NAME, files.size(),
              static_cast<unsigned long long>(mutations));
  return 0;
}
