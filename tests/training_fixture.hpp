// Shared pieces of the training tests: catalog links and training stacks, GPT-shaped models.
#pragma once
#include <stdexcept>
#include <string>

#include "catalog_fixture.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/training.hpp"

namespace gpuplan::testing {

inline Link catalog_link(const char* id) {
  for (const auto& l : catalog().links) {
    if (l.id == id) return Link{l.bytes_per_s, l.latency_s, l.bus_efficiency};
  }
  throw std::runtime_error(std::string("no link ") + id);
}

// data/runtimes.json "<framework>-training".
inline const RuntimeModel& training_stack(const char* framework) {
  const RuntimeModel* rt = training_runtime(catalog(), framework);
  if (rt == nullptr) throw std::runtime_error(std::string("no ") + framework + "-training runtime in the catalog");
  return *rt;
}

// A GPT: MHA, plain 4h GELU MLP, learned positions up to `seq`, output layer tied to the word
// embedding. with_biases: Megatron-LM's GPT (linear biases, LayerNorm weight and bias); without:
// MosaicML's MPT (neither).
inline ModelArch gpt_arch(double hidden, double heads, double layers, double vocab, double seq, bool with_biases) {
  ModelArch a;
  a.hidden_size = hidden;
  a.num_layers = layers;
  a.num_heads = heads;
  a.num_kv_heads = heads;
  a.head_dim = hidden / heads;
  a.intermediate_size = 4 * hidden;
  a.vocab_size = vocab;
  a.tie_word_embeddings = true;
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = with_biases;
  a.norms_per_layer = with_biases ? 4 : 2;  // two LayerNorms per layer: weight (and bias)
  a.final_norm = with_biases ? 2 : 1;
  a.learned_positions = seq;
  a.context_length = seq;
  return a;
}

}  // namespace gpuplan::testing
