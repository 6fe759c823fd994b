// Views of an engine's memory plan (EngineMemory): the "engine" object of `fit --json` and the
// engine section of the fit table, in the engine's own terms.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "gpuplan/engine.hpp"

namespace gpuplan::io {

nlohmann::ordered_json engine_json(const EngineSpec& spec, const EngineMemory& m);
std::string engine_table(const EngineSpec& spec, const EngineMemory& m);

}  // namespace gpuplan::io
