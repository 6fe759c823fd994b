// CLI11 options from a request's field table: every field becomes an option with its names and
// help; after parsing, the texts given are assigned through the same table the JSON parser uses.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gpuplan/api/fields.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::cli {

template <class R>
struct Binding {
  R request;
  std::deque<std::string> texts;  // one per field (flags: unused)
  std::deque<CLI::Option*> options;
  const std::vector<api::Field<R>>* fields = nullptr;
  bool json = false;

  // Assigns what was given on the command line; the first bad value is the error.
  Result<bool> collect() {
    for (std::size_t i = 0; i < fields->size(); ++i) {
      if (options[i]->count() == 0) continue;
      auto ok = api::assign_text(
          request, (*fields)[i],
          (*fields)[i].info.kind == api::FieldKind::flag ? std::string_view{} : std::string_view(texts[i]));
      if (!ok) return ok.error();
    }
    return true;
  }
};

template <class R>
std::shared_ptr<Binding<R>> bind_fields(CLI::App* cmd, const std::vector<api::Field<R>>& fields) {
  auto b = std::make_shared<Binding<R>>();
  b->fields = &fields;
  for (const auto& f : fields) {
    b->texts.emplace_back();
    CLI::Option* opt = nullptr;
    if (f.info.kind == api::FieldKind::flag) {
      opt = cmd->add_flag(f.info.cli, f.info.help);
    } else {
      opt = cmd->add_option(f.info.cli, b->texts.back(), f.info.help);
    }
    if (f.info.group[0] != '\0') opt->group(f.info.group);
    b->options.push_back(opt);
  }
  cmd->add_flag("--json", b->json, "Print one JSON object; errors as {\"error\": {...}} with exit 2");
  return b;
}

// Text for a terminal: control characters (C0 but newline and tab, DEL, C1) shown as \xNN, so a
// model name or a file name from a hostile file cannot clear the screen or retitle the window.
std::string terminal_safe(std::string_view text);
// "gpuplan <command>: <message>" on standard error, terminal-safe.
void warn(const char* command, const std::string& message);

// Prints an error (as JSON with --json) and returns exit status 2.
int fail(const char* command, const Error& error, bool json);

// Writes a text or a JSON document (with a trailing newline) to stdout.
void write_out(const std::string& text);
void write_json(const nlohmann::ordered_json& doc);

}  // namespace gpuplan::cli
