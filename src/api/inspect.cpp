// inspect: a model spec read into what it says, with the figures derived from its architecture.
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/precision.hpp"

namespace gpuplan::api {

Result<InspectResponse> run_inspect(const Context& ctx, const InspectRequest& q) {
  if (!q.model) {
    return make_error(ErrorCode::invalid_argument,
                      "which model? give a catalog name (e.g. llama-3.1-8b), a folder, a config.json, a .gguf file or "
                      "hf:org/name");
  }
  const std::string kv_dtype = q.kv_dtype.value_or(defaults::kKvDtype);
  auto kv_bytes = kv_bytes_per_element(kv_dtype);
  if (!kv_bytes) return kv_bytes.error();
  auto loaded = sources::load_model_source(*q.model, *ctx.catalog, ctx.sources);
  if (!loaded) return loaded.error();
  sources::LoadedModel& m = loaded.value();
  InspectResponse out;
  io::InspectReport& r = out.report;
  r.kind = io::parse_model_source_kind(m.kind).value_or(io::ModelSourceKind::catalog);
  r.location = std::move(m.location);
  r.files = m.files;
  r.model_type = std::move(m.model_type);
  r.architecture = std::move(m.architecture);
  r.torch_dtype = std::move(m.torch_dtype);
  r.precision = std::move(m.precision);
  r.quantization = std::move(m.quantization);
  if (m.has_architecture) {
    r.params = count_params(m.model.arch);
    r.kv_cache_bytes_per_token = kv_cache_bytes(m.model.arch, 1, 1, kv_bytes.value());
  }
  if (m.has_tensors) r.tensors = std::move(m.tensors);
  r.kv_dtype = kv_dtype;
  r.warnings = std::move(m.warnings);
  r.model = std::move(m.model);
  return out;
}

}  // namespace gpuplan::api
