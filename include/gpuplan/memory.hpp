// Memory: the itemised bytes one GPU holds for a scenario.
#pragma once
#include "gpuplan/scenario.hpp"

namespace gpuplan {

struct MemoryBreakdown {
  double weights_bytes = 0;      // model weights in their stored precision (frozen base for LoRA/QLoRA)
  double kv_cache_bytes = 0;     // inference only
  double activations_bytes = 0;  // inference: workspace of a prefill chunk; training: saved activations + logits
  double gradients_bytes = 0;
  double optimizer_bytes = 0;  // optimizer states (+ fp32 master weights) held on the GPU
  double adapter_bytes = 0;    // LoRA/QLoRA adapter weights
  double overhead_bytes = 0;   // runtime: CUDA context, library workspaces, allocator slack
  double host_bytes = 0;       // offloaded to host memory (not in total)
  double total_bytes = 0;
};

// Trainable parameters of the scenario: all for full training, adapter parameters for LoRA.
double trainable_params(const Scenario& s);
// LoRA adapter parameters: rank x (rows + cols) over the adapted matrices.
double lora_params(const ModelArch& arch, double rank, bool all_linear);

// The parts that do not depend on context or batch (weights, gradients, optimizer, adapters, overhead).
MemoryBreakdown fixed_memory(const Scenario& s);
// The context- and batch-dependent terms of a scenario with what does not depend on them worked
// out once: searches for the largest context or batch call at() many times.
class SequenceMemory {
 public:
  explicit SequenceMemory(const Scenario& s);
  // Adds the KV cache and the activations at (context, batch) to a fixed breakdown.
  [[nodiscard]] MemoryBreakdown at(MemoryBreakdown fixed, double context, double batch) const;

 private:
  const Scenario* s_;
  double gpus_ = 1;
  KvTokenLayers kv_layers_;
  double kv_bytes_per_token_layer_ = 0;  // per attention layer and token, all cards
  double recurrent_bytes_per_sequence_ = 0;
  double workspace_width_ = 0;  // widest intermediate activation of a prefill chunk
};

// Adds the context- and batch-dependent terms (KV cache, activations) to a fixed breakdown.
MemoryBreakdown with_sequence_memory(const Scenario& s, MemoryBreakdown fixed, double context, double batch);
// Both together, at the workload's own context and batch.
MemoryBreakdown estimate_memory(const Scenario& s);

double kv_cache_bytes(const ModelArch& arch, double context, double batch, double kv_bytes);
// Saved activations (+ logits) of one GPU's micro-batch of `batch` sequences of `seq` tokens.
double training_activations_bytes(const Scenario& s, double seq, double batch);

}  // namespace gpuplan
