// The one way gpuplan turns a JSON value into text. Names, ids and sources in a document come
// from untrusted bytes (user catalogs, config.json, telemetry logs); nlohmann::json throws
// type_error.316 when it meets invalid UTF-8, so every writer dumps through here, which replaces
// invalid sequences with U+FFFD instead of throwing.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {

// Pretty-printed with `indent` spaces (-1: compact); never throws on invalid UTF-8.
std::string dump_json(const nlohmann::ordered_json& j, int indent = 2);

}  // namespace gpuplan::io
