// Building blocks of the request field tables (request_fields*.cpp): kinds, groups, the member
// adapter and the model fields every model-taking request shares. Private to src/api.
#pragma once
#include <vector>

#include "gpuplan/api/requests.hpp"

namespace gpuplan::api::field_table {

inline constexpr FieldKind kText = FieldKind::text;
inline constexpr FieldKind kTokens = FieldKind::tokens;
inline constexpr FieldKind kCount = FieldKind::count;
inline constexpr FieldKind kWhole = FieldKind::whole;
inline constexpr FieldKind kBytes = FieldKind::bytes;
inline constexpr FieldKind kDuration = FieldKind::duration;
inline constexpr FieldKind kFraction = FieldKind::fraction;
inline constexpr FieldKind kPositive = FieldKind::positive;
inline constexpr FieldKind kFlag = FieldKind::flag;
inline constexpr FieldKind kReal = FieldKind::real;
inline constexpr const char* kEngine = "Engine (--runtime: memory as the engine allocates it)";
inline constexpr const char* kPrices = "Prices (defaults: the catalog and data/prices.json)";

// `member` may belong to a base of R (ModelArgs, EngineArgs, ...): converted to a member of R.
template <class R, class M, class B>
void add(std::vector<Field<R>>& out, FieldInfo info, M B::*member) {
  out.push_back(Field<R>{info, static_cast<M R::*>(member)});
}

template <class R>
void add_model_fields(std::vector<Field<R>>& f) {
  add<R>(f,
         {"model", "model", kText, 0, 0,
          "Model: a catalog name or alias (gpuplan models, e.g. llama-3.1-8b), a folder with config.json and "
          "*.safetensors, a config.json, .safetensors or .gguf file, or hf:org/name[@revision]",
          ""},
         &R::model);
  add<R>(f, {"params", "--params", kCount, 1e6, 1e14, "Only a size is known: e.g. 13B (Llama-shaped architecture)", ""},
         &R::params);
  add<R>(f, {"gpu", "--gpu", kText, 0, 0, "GPU name or alias (gpuplan gpus), e.g. rtx-4090, h100-sxm, m2-ultra", ""},
         &R::gpu);
  add<R>(f, {"gpus", "--gpus", kWhole, 1, 100000, "Number of GPUs sharing the model (default 1)", ""}, &R::gpus);
  add<R>(f, {"gpu_memory", "--gpu-memory", kBytes, 1, 1e15, "Override usable memory per GPU, e.g. 20GiB or 22GB", ""},
         &R::gpu_memory_bytes);
  add<R>(
      f,
      {"quant", "--quant,--precision,-q", kText, 0, 0,
       "Weights precision: bf16, fp16, fp8, int8, gptq-int4, awq-int4, nf4, nf4-dq, mxfp4, nvfp4, int4-experts, or a "
       "GGUF type (q8_0, q6_k, q5_k_m, q4_k_m, q3_k_m, q2_k, iq4_xs, ...). Default: the checkpoint's own format "
       "(bf16 for catalog models without one; nf4-dq for qlora)",
       ""},
      &R::quant);
  add<R>(f,
         {"kv_dtype", "--kv-dtype,--cache-type,--kv-cache-dtype", kText, 0, 0,
          "KV-cache type: f16 (default), bf16, fp8, q8_0, q4_0, f32", ""},
         &R::kv_dtype);
  add<R>(f,
         {"no_flash_attention", "--no-flash-attention", kFlag, 0, 0,
          "Attention scores are materialised (older runtimes, eager transformers)", ""},
         &R::no_flash_attention);
  add<R>(f, {"overhead", "--overhead", kBytes, 0, 1e15, "Override the runtime overhead per GPU, e.g. 1GiB", ""},
         &R::overhead_bytes);
}

}  // namespace gpuplan::api::field_table
