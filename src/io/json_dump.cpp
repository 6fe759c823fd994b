#include "gpuplan/io/json_dump.hpp"

namespace gpuplan::io {

std::string dump_json(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gpuplan::io
