// Scenario: the inputs of one estimate — what model, in which precision, doing what, on which card.
#pragma once
#include <memory>
#include <string>

#include "gpuplan/engine.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/serving.hpp"
#include "gpuplan/speed.hpp"

namespace gpuplan {

enum class Mode { inference, full_finetune, lora, qlora, pretrain };
enum class Optimizer { adamw, adamw_8bit, sgd, sgd_momentum, adafactor, lion };
enum class Recompute { none, selective, full };

const char* to_string(Mode mode);
const char* to_string(Optimizer optimizer);
const char* to_string(Recompute recompute);
bool is_training(Mode mode);

struct Workload {
  Mode mode = Mode::inference;
  double context = 4096;  // inference: tokens per sequence (prompt + output); training: sequence length
  double batch = 1;       // inference: concurrent sequences; training: micro-batch per GPU
  double kv_bytes = 2;    // bytes per KV-cache element (f16)
  std::string kv_dtype = "f16";
  bool flash_attention = true;  // no materialised attention scores
  double ubatch = 512;          // tokens per forward pass during prefill (llama.cpp n_ubatch, chunked prefill)
  // Training
  Optimizer optimizer = Optimizer::adamw;
  bool master_weights = true;  // fp32 master copy of bf16 weights (mixed precision, Micikevicius et al. 2018)
  Recompute recompute = Recompute::none;
  bool optimizer_offload = false;      // optimizer states in host memory (DeepSpeed offload, paged optimizers)
  bool optimizer_in_backward = false;  // each gradient is applied and freed as it is produced
  double lora_rank = 16;
  bool lora_all_linear = true;  // false: attention projections only
  double adapter_bytes = 4;     // bytes per adapter weight (PEFT keeps adapters in fp32)
  double loss_chunks = 1;       // cross-entropy computed in chunks (torchtune: 8); 1 = one fp32 copy of all logits
};

struct Scenario {
  ModelArch arch;
  Precision precision;  // weights (inference) or frozen base (LoRA/QLoRA) or training dtype
  Workload workload;
  double gpu_memory_bytes = 0;         // usable memory per GPU
  double gpus = 1;                     // cards sharing the model evenly (ideal sharding)
  double runtime_overhead_bytes = -1;  // <0: the default for the mode (see memory.cpp)
  // Weights as measured from the checkpoint file (GGUF / safetensors tensor tables) when the
  // precision is the file's own; total == 0: computed from the architecture and the precision.
  WeightBytes measured_weights;
  // The precision's weights layer by layer (layer_weight_bytes), priced once when a search runs
  // many estimates of one model and precision; null: computed by each estimate that needs it.
  std::shared_ptr<const LayerWeightBytes> layer_weights;
  // Engine-faithful memory (--runtime): family none = the generic model.
  EngineSpec engine_spec;
  EngineSettings engine;
  bool unified_memory = false;  // Apple silicon: the GPU shares RAM (gpu_memory_bytes is its share)
  // Speed (inference): filled when with_speed is set.
  bool with_speed = false;
  ComputeSpec hardware;
  RuntimeModel runtime;
  SpeedWorkload speed;
  // Serving under load (runtimes with SpeedModel::serving): the engines' parallel layout beyond
  // tensor parallelism (--pipeline-parallel-size, --data-parallel-size, --expert-parallel-size; the
  // rest of the gpus are tensor-parallel ranks) and the calibration of the (engine, GPU family) pair.
  double pipeline_parallel = 1;
  double data_parallel = 1;
  double expert_parallel = 1;
  ServingCalibration serving_calibration;
};

// Bytes of all weights: measured when the scenario carries them, else from the precision arithmetic.
double scenario_weights_bytes(const Scenario& s);
// llama.cpp with fewer than all layers on the GPUs (-ngl, or the layers that fit): the share of the
// layers in system RAM, which estimate() gives the speed model (SpeedWorkload::host_layer_share).
double host_layer_share(const Scenario& s, const EngineMemory& engine);

// The speed inputs of a scenario (pointers into it: keep the scenario alive while using them).
SpeedInputs speed_inputs(const Scenario& s);

}  // namespace gpuplan
