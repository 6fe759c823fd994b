// The memory model. Each term cites where its arithmetic comes from.
#include "gpuplan/memory.hpp"

#include <algorithm>
#include <cmath>

#include "gpuplan/model.hpp"

namespace gpuplan {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

// Runtime overhead: the CUDA context with cuBLAS/cuDNN kernels and workspaces is ~0.3-0.6 GiB
// on current drivers (nvidia-smi on an idle context; vLLM logs ~0.35 GiB of "non-torch memory"
// on top of it). Inference engines: 0.5 GiB. PyTorch training adds NCCL, autograd and the
// caching allocator's fragmentation: 1 GiB (torchtune peak-memory tables leave ~1 GiB above
// the sum of tensors).
double default_overhead(const Scenario& s) {
  if (s.runtime_overhead_bytes >= 0) return s.runtime_overhead_bytes;
  return is_training(s.workload.mode) ? 1.0 * kGiB : 0.5 * kGiB;
}

// MLP activation elements of one token: gated MLPs keep gate, up, act(gate) and their product
// (4 x width); plain MLPs keep fc1 output and its GELU (2 x width), over active_mlp_width.
double mlp_activation_elements(const ModelArch& a) {
  const double per_width = a.mlp == MlpKind::gated ? 4.0 : 2.0;
  return per_width * active_mlp_width(a);
}

// Widest per-token intermediate of a layer: the MLP a token passes through or, for recurrent
// mixers, the in_proj output (x and gate, 2 x d_inner).
double widest_intermediate_width(const ModelArch& a) {
  const double mixer = is_recurrent(a) ? a.ssm_inner : 0;
  return std::max(active_mlp_width(a), mixer);
}

// Saved activations of one layer per token, bytes (Korthikanti et al. 2022, eq. 2, generalised
// to GQA, gated MLPs and no dropout): norm inputs 2h, attention input h, Q, K, V, attention
// output (input of o_proj), MLP input h and the MLP activations. Without flash attention the
// score and softmax matrices add 2 x 2 x heads x seq bytes per token (their 5as/h term, without
// the dropout mask).
double layer_activation_bytes_per_token(const ModelArch& a, double seq, bool flash, double act_bytes) {
  const double h = a.hidden_size;
  const double elements =
      4.0 * h + 2.0 * attention_q_width(a) + attention_kv_projection_width(a) + mlp_activation_elements(a);
  double bytes = act_bytes * elements;
  if (!flash) bytes += 2.0 * act_bytes * a.num_heads * seq;
  return bytes;
}

// Training activations for micro-batch `batch` x `seq` tokens.
double training_activation_bytes(const Scenario& s, double seq, double batch) {
  const ModelArch& a = s.arch;
  const Workload& w = s.workload;
  const double tokens = seq * batch;
  const double act_bytes = 2.0;  // bf16 activations
  double per_layer = 0;
  switch (w.recompute) {
    case Recompute::none: per_layer = layer_activation_bytes_per_token(a, seq, w.flash_attention, act_bytes); break;
    case Recompute::selective:  // attention core recomputed: the score term never stored
      per_layer = layer_activation_bytes_per_token(a, seq, true, act_bytes);
      break;
    case Recompute::full:  // only layer inputs kept; one layer rebuilt at a time
      per_layer = act_bytes * a.hidden_size;
      break;
  }
  double bytes = tokens * a.num_layers * per_layer;
  if (w.recompute == Recompute::full) {
    bytes += tokens * layer_activation_bytes_per_token(a, seq, w.flash_attention, act_bytes);
  }
  // Logits: bf16 output plus the fp32 copy the cross-entropy loss works on (one chunk of it when
  // the loss is chunked, as torchtune's CEWithChunkedOutputLoss does).
  bytes += tokens * a.vocab_size * (act_bytes + 4.0 / std::max(1.0, w.loss_chunks));
  return bytes;
}

// Inference workspace for one prefill chunk of `ubatch` tokens (llama.cpp's compute buffer is
// this peak): the fp32 MLP intermediates (2 x width x 4 bytes per token) and, without flash
// attention, the fp32 score matrix ubatch x kv_tokens x heads. Checked against llama.cpp logs
// in tests/validation (Llama-2-7B: 296 MiB at n_ctx 4096).
// `width`: widest_intermediate_width of the model (worked out once by SequenceMemory).
double inference_workspace_bytes(const Scenario& s, double width, double context, double batch) {
  const ModelArch& a = s.arch;
  const double chunk = std::min(s.workload.ubatch, context * batch);
  double bytes = chunk * 2.0 * width * 4.0;
  if (!s.workload.flash_attention) bytes += chunk * context * batch * a.num_heads * 4.0;
  return bytes;
}

double optimizer_state_bytes_per_param(const Workload& w) {
  switch (w.optimizer) {
    case Optimizer::adamw: return w.master_weights ? 8.0 : 4.0;   // two moments, fp32 (bf16 when no master copy)
    case Optimizer::adamw_8bit: return 2.0 + 2.0 * 4.0 / 2048.0;  // bitsandbytes: 8-bit moments, fp32 absmax per 2048
    case Optimizer::sgd: return 0.0;
    case Optimizer::sgd_momentum: return 4.0;
    case Optimizer::lion: return 4.0;       // one momentum buffer
    case Optimizer::adafactor: return 0.0;  // factored: counted from matrix dimensions below
  }
  return 8.0;
}

}  // namespace

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::inference: return "inference";
    case Mode::full_finetune: return "full-finetune";
    case Mode::lora: return "lora";
    case Mode::qlora: return "qlora";
    case Mode::pretrain: return "pretrain";
  }
  return "inference";
}

const char* to_string(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::adamw: return "adamw";
    case Optimizer::adamw_8bit: return "adamw-8bit";
    case Optimizer::sgd: return "sgd";
    case Optimizer::sgd_momentum: return "sgd-momentum";
    case Optimizer::adafactor: return "adafactor";
    case Optimizer::lion: return "lion";
  }
  return "adamw";
}

const char* to_string(Recompute recompute) {
  switch (recompute) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
  }
  return "none";
}

bool is_training(Mode mode) {
  return mode != Mode::inference;
}

double lora_params(const ModelArch& a, double rank, bool all_linear) {
  // Hu et al. 2021: W + B A with A (r x cols), B (rows x r): r x (rows + cols) per adapted matrix.
  // Adapted: attention projections, and with all_linear the dense / shared-expert MLP too
  // (routed experts are left frozen, as PEFT's target_modules="all-linear" does for fused experts).
  double sum = 0;
  auto scan = [&](const LayerTensors& t, double times) {
    for (std::size_t i = 0; i < t.count; ++i) {
      const auto& w = t.tensors[i];
      if (w.cols <= 1) continue;
      const bool attention = w.role == TensorRole::attn_q || w.role == TensorRole::attn_k ||
                             w.role == TensorRole::attn_v || w.role == TensorRole::attn_o ||
                             w.role == TensorRole::attn_q_a || w.role == TensorRole::attn_q_b ||
                             w.role == TensorRole::attn_kv_a || w.role == TensorRole::attn_kv_b;
      const bool mlp = w.role == TensorRole::ffn_gate || w.role == TensorRole::ffn_up ||
                       w.role == TensorRole::ffn_down || w.role == TensorRole::ffn_gate_shexp ||
                       w.role == TensorRole::ffn_up_shexp || w.role == TensorRole::ffn_down_shexp;
      // The nn.Linear projections of Mamba / Gated DeltaNet mixers (all-linear reaches them too).
      const bool mixer = w.role == TensorRole::ssm_in || w.role == TensorRole::ssm_ba || w.role == TensorRole::ssm_x ||
                         w.role == TensorRole::ssm_dt || w.role == TensorRole::ssm_out;
      if (attention || (all_linear && (mlp || mixer))) sum += times * rank * (w.cols + w.elements / w.cols);
    }
  };
  for (double first = 0; first < a.num_layers;) {
    const double end = layer_run_end(a, first);
    scan(layer_tensors(a, first), end - first);
    first = end;
  }
  return sum;
}

double trainable_params(const Scenario& s) {
  switch (s.workload.mode) {
    case Mode::inference: return 0;
    case Mode::lora:
    case Mode::qlora: return lora_params(s.arch, s.workload.lora_rank, s.workload.lora_all_linear);
    case Mode::full_finetune:
    case Mode::pretrain: return count_params(s.arch).total;
  }
  return 0;
}

// KV cache of the attention layers: grows with the context; recurrent layers add none (their fixed
// state is recurrent_state_bytes, added to the KV-cache term in with_sequence_memory).
double kv_cache_bytes(const ModelArch& arch, double context, double batch, double kv_bytes) {
  return batch * kv_token_layers(arch, context) * kv_elements_per_token_per_layer(arch) * kv_bytes;
}

MemoryBreakdown fixed_memory(const Scenario& s) {
  MemoryBreakdown m;
  const Workload& w = s.workload;
  const double n = std::max(1.0, s.gpus);
  m.weights_bytes = scenario_weights_bytes(s) / n;
  m.overhead_bytes = default_overhead(s);
  if (!is_training(w.mode)) return m;

  const double trainable = trainable_params(s) / n;
  const bool adapters = w.mode == Mode::lora || w.mode == Mode::qlora;
  // Gradients in the trainable weights' dtype (Transformer Math 101: 2 bytes in mixed precision;
  // adapters in fp32). With the optimizer stepping inside backward only one tensor's gradient lives.
  const double grad_bytes = adapters ? w.adapter_bytes : s.precision.linear_bits / 8.0;
  double grad_elements = trainable;
  if (w.optimizer_in_backward && !adapters) grad_elements = std::min(trainable, largest_tensor_elements(s.arch));
  m.gradients_bytes = grad_elements * grad_bytes;
  if (adapters) m.adapter_bytes = trainable * w.adapter_bytes;

  // Optimizer states (Rajbhandari et al. 2020, ZeRO, section 3: K = 12 bytes for mixed-precision
  // Adam = fp32 master weights 4 + momentum 4 + variance 4).
  double optimizer = trainable * optimizer_state_bytes_per_param(w);
  if (w.optimizer == Optimizer::adafactor) {
    // Shazeer & Stern 2018: row and column second-moment factors, fp32.
    optimizer = 4.0 * (adapters ? trainable : matrix_dims_sum(s.arch) / n);
  }
  const bool master = w.master_weights && !adapters && s.precision.linear_bits < 32;
  if (master) optimizer += trainable * 4.0;
  if (w.optimizer_offload) {
    m.host_bytes = optimizer;
  } else {
    m.optimizer_bytes = optimizer;
  }
  return m;
}

SequenceMemory::SequenceMemory(const Scenario& s)
    : s_(&s),
      gpus_(std::max(1.0, s.gpus)),
      kv_layers_(kv_token_layer_split(s.arch)),
      kv_bytes_per_token_layer_(kv_elements_per_token_per_layer(s.arch) * s.workload.kv_bytes),
      recurrent_bytes_per_sequence_(recurrent_state_bytes(s.arch, 1)),
      workspace_width_(widest_intermediate_width(s.arch)) {}

MemoryBreakdown SequenceMemory::at(MemoryBreakdown m, double context, double batch) const {
  const Scenario& s = *s_;
  if (is_training(s.workload.mode)) {
    m.kv_cache_bytes = 0;
    m.activations_bytes = training_activation_bytes(s, context, batch);
  } else {
    // The KV-cache term holds the attention layers' KV and the recurrent layers' fixed state (one
    // slot per sequence, f32: see recurrent_state_bytes).
    m.kv_cache_bytes =
        batch * (kv_layers_.at(context) * kv_bytes_per_token_layer_ + recurrent_bytes_per_sequence_) / gpus_;
    m.activations_bytes = inference_workspace_bytes(s, workspace_width_, context, batch);
  }
  m.total_bytes = m.weights_bytes + m.kv_cache_bytes + m.activations_bytes + m.gradients_bytes + m.optimizer_bytes +
                  m.adapter_bytes + m.overhead_bytes;
  return m;
}

MemoryBreakdown with_sequence_memory(const Scenario& s, MemoryBreakdown m, double context, double batch) {
  return SequenceMemory(s).at(m, context, batch);
}

double training_activations_bytes(const Scenario& s, double seq, double batch) {
  return training_activation_bytes(s, seq, batch);
}

MemoryBreakdown estimate_memory(const Scenario& s) {
  return with_sequence_memory(s, fixed_memory(s), s.workload.context, s.workload.batch);
}

}  // namespace gpuplan
