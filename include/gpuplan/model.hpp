// Model: the architecture of a transformer (or a state-space / hybrid model) and what follows
// from it by counting: exact parameter count, active parameters per token, the weight tensors by
// role (for per-tensor quantisation), KV-cache elements per token and the fixed recurrent state
// of Mamba / Gated DeltaNet layers per sequence.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace gpuplan {

enum class MlpKind { gated, plain };
enum class QkNorm { none, per_head, full };
// The mixer of the recurrent layers: Mamba (Gu & Dao 2023, selective scan), Mamba-2 (Dao & Gu
// 2024, SSD), or Gated DeltaNet linear attention (Yang et al. 2024; Qwen3-Next).
enum class RecurrentKind { none, mamba, mamba2, gated_deltanet };

// The fields of a Hugging Face config.json that decide the parameter count and the KV cache.
// All counts are doubles holding integers (exact up to 2^53).
struct ModelArch {
  double hidden_size = 0;
  double num_layers = 0;
  double num_heads = 0;
  double num_kv_heads = 0;
  double head_dim = 0;
  double intermediate_size = 0;
  double vocab_size = 0;
  bool tie_word_embeddings = false;
  MlpKind mlp = MlpKind::gated;
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  double norms_per_layer = 2;  // hidden-size vectors of norm weights per layer (LayerNorm with bias counts 2)
  double final_norm = 1;       // same unit, final norm
  QkNorm qk_norm = QkNorm::none;
  double learned_positions = 0;  // rows of a learned position table (GPT-2), 0 for RoPE
  bool attn_sinks = false;       // gpt-oss: one learned sink logit per head per layer
  double sliding_window = 0;     // tokens, 0 = no sliding window
  double global_every = 0;       // 0: every layer slides (when a window is set); n: layer i is global if (i+1)%n==0
  // Mixture of experts
  double num_experts = 0;
  double experts_per_token = 0;
  double moe_intermediate_size = 0;
  double num_shared_experts = 0;               // informational: the width below already covers all of them
  double shared_expert_intermediate_size = 0;  // total width of all shared experts (one MLP that wide)
  bool shared_expert_gate = false;
  double first_dense_layers = 0;
  bool router_bias = false;
  bool expert_bias = false;
  bool score_correction_bias = false;
  // Multi-head latent attention (DeepSeek-V2/V3)
  double q_lora_rank = 0;
  double kv_lora_rank = 0;
  double qk_nope_head_dim = 0;
  double qk_rope_head_dim = 0;
  double v_head_dim = 0;
  // DeepSeek Sparse Attention (DeepSeek-V3.2, GLM-5): a lightning indexer beside MLA in every layer,
  // index_heads x index_head_dim queries from the q latent (wq_b), one key of index_head_dim per
  // token (wk, LayerNorm k_norm) and a per-head weight (weights_proj). Its key is cached per token
  // next to the MLA latent. 0 = no indexer.
  double index_heads = 0;
  double index_head_dim = 0;
  double mtp_layers = 0;          // multi-token-prediction modules shipped with the checkpoint
  double vision_params = 0;       // vision tower + projector shipped in the checkpoint
  double context_length = 0;      // max_position_embeddings
  bool attn_output_gate = false;  // Qwen3-Next gated attention: q_proj also emits a per-channel gate (2 x q width)
  // MoE every few layers (Jamba: expert_layer_period 2, offset 1): layer i (after the leading dense
  // block) is MoE when i % moe_every == moe_offset; 0 = every layer.
  double moe_every = 0;
  double moe_offset = 0;
  // Recurrent layers. With a kind set, every layer is recurrent unless attention_every > 0: then
  // layer i has attention (and a KV cache) when i % attention_every == attention_offset (Jamba 8/4,
  // Qwen3-Next 4/3). The dimensions follow llama.cpp's GGUF ssm.* keys, so one formula covers all
  // three kinds: ssm_inner = ssm.inner_size (Mamba d_inner = expand x hidden; Mamba-2 nheads x
  // head_dim; Gated DeltaNet num_v_heads x head_v_dim), ssm_state = ssm.state_size (d_state; GDN
  // head_k_dim), ssm_conv = ssm.conv_kernel, ssm_groups = ssm.group_count (Mamba-2 n_groups; GDN
  // num_k_heads; 0 for Mamba), ssm_dt_rank = ssm.time_step_rank (Mamba dt_rank; Mamba-2 nheads;
  // GDN num_v_heads).
  RecurrentKind recurrent = RecurrentKind::none;
  double attention_every = 0;
  double attention_offset = 0;
  double ssm_inner = 0;
  double ssm_state = 0;
  double ssm_conv = 0;
  double ssm_groups = 0;
  double ssm_dt_rank = 0;
  bool ssm_conv_bias = true;   // conv1d bias (Mamba use_conv_bias / mamba_conv_bias; GDN has none)
  bool ssm_proj_bias = false;  // in_proj / out_proj biases (use_bias / mamba_proj_bias)
  bool ssm_dt_norms = false;   // Jamba: RMSNorms on dt (dt_rank), B and C (d_state each)
};

struct Model {
  std::string id;
  std::string name;
  std::string family;
  std::string hf_repo;
  std::string source;
  std::string as_of;
  std::string license;
  std::string weights_dtype = "bf16";
  std::vector<std::string> aliases;
  ModelArch arch;
  double published_params = 0;  // 0 when none was found
  std::string published_source;
};

// Tensor roles follow llama.cpp's GGUF names, because per-tensor quantisation rules key on them.
enum class TensorRole {
  token_embd,
  pos_embd,
  output,
  attn_q,
  attn_k,
  attn_v,
  attn_o,
  attn_q_a,
  attn_q_b,
  attn_kv_a,
  attn_kv_b,
  ffn_gate,
  ffn_up,
  ffn_down,
  ffn_gate_exps,
  ffn_up_exps,
  ffn_down_exps,
  ffn_gate_shexp,
  ffn_up_shexp,
  ffn_down_shexp,
  router,
  ssm_in,    // Mamba in_proj; Gated DeltaNet in_proj_qkvz
  ssm_ba,    // Gated DeltaNet in_proj_ba (beta and alpha per value head)
  ssm_conv,  // ssm_conv1d: depthwise causal convolution weights (kept in f32 by llama.cpp)
  ssm_x,     // Mamba x_proj (dt, B, C)
  ssm_dt,    // Mamba dt_proj
  ssm_a,     // A_log (kept in f32)
  ssm_d,     // D skip (kept in f32)
  ssm_out,   // out_proj
  vector,
  vision
};

struct WeightTensor {
  TensorRole role = TensorRole::vector;
  double elements = 0;
  double cols = 0;  // row length (ggml ne[0]); block quantisation needs it divisible by the block size
};

// The weight tensors of one decoder layer (fixed capacity, no allocation).
struct LayerTensors {
  std::array<WeightTensor, 24> tensors{};
  std::size_t count = 0;
  void add(TensorRole role, double elements, double cols) {
    if (elements > 0) tensors[count++] = WeightTensor{role, elements, cols};
  }
};

bool is_moe(const ModelArch& arch);
bool is_mla(const ModelArch& arch);
bool is_moe_layer(const ModelArch& arch, double layer);
bool is_routed_expert(TensorRole role);
bool is_sliding_layer(const ModelArch& arch, double layer);

// Recurrent (state-space / linear-attention) layers: no KV cache, a fixed state per sequence.
const char* to_string(RecurrentKind kind);  // none, mamba, mamba2, gated_deltanet (the catalog's names)
bool is_recurrent(const ModelArch& arch);   // any recurrent layer
bool is_recurrent_layer(const ModelArch& arch, double layer);  // 0-based; MTP layers (>= num_layers) attend
double num_recurrent_layers(const ModelArch& arch);
double num_attention_layers(const ModelArch& arch);  // layers with a KV cache
// Elements of state one sequence holds in one recurrent layer (conv + SSM/linear-attention state):
//   (ssm_conv - 1) x (ssm_inner + 2 x ssm_groups x ssm_state)  +  ssm_inner x ssm_state
// = llama.cpp's n_embd_r() + n_embd_s() (src/llama-hparams.cpp), and vLLM's
// MambaStateShapeCalculator (vllm/model_executor/layers/mamba/mamba_utils.py): mamba1_state_shape
// (conv (d_conv-1, d_inner), ssm (d_inner, d_state)); mamba2_state_shape (conv (d_conv-1, d_inner +
// 2 n_groups d_state), ssm (nheads, head_dim, d_state)); gated_delta_net_state_shape (conv
// (kernel-1, 2 key_dim + value_dim), ssm (num_v_heads, head_k_dim, head_v_dim)).
double recurrent_state_elements_per_layer(const ModelArch& arch);
// Bytes per state element: llama.cpp keeps r_l and s_l in f32 (llama_memory_recurrent is created
// with GGML_TYPE_F32 for both), whatever the KV-cache type. vLLM keeps the SSM state in f32 too and
// the conv state in the model dtype, so this is an upper bound there (conv is ~5-15% of the state).
inline constexpr double kRecurrentStateBytes = 4.0;
// Bytes of recurrent state `sequences` sequences hold over all recurrent layers (fixed: does not grow
// with the context). 0 for a transformer.
double recurrent_state_bytes(const ModelArch& arch, double sequences);

// Layers [layer, end) share one tensor shape; returns end (num_layers when the rest all match).
double layer_run_end(const ModelArch& arch, double layer);

// Tensors of decoder layer `layer` (0-based).
LayerTensors layer_tensors(const ModelArch& arch, double layer);
// Embedding, position table, final norm and LM head (LM head absent when tied).
LayerTensors outer_tensors(const ModelArch& arch);

struct ParamCounts {
  double total = 0;           // everything in the main model (+ vision tower), excluding MTP modules
  double active = 0;          // per token: routed experts counted at experts_per_token / num_experts
  double embedding = 0;       // token (+ position) embeddings
  double lm_head = 0;         // 0 when tied
  double routed_experts = 0;  // all routed-expert weights
  double mtp = 0;             // multi-token-prediction modules, reported apart
  double vision = 0;
};

ParamCounts count_params(const ModelArch& arch);

// Shape widths: elements per token of one layer. One copy of each rule; the tensor list, memory,
// speed, training and engine arithmetic all call these.

// Width of the MLP one token passes through: intermediate_size for a dense model; for an MoE layer
// the routed experts it visits plus the shared experts, experts_per_token x moe_intermediate_size +
// shared_expert_intermediate_size. shared_expert_intermediate_size is already the width of all the
// shared experts together (the parsers store DeepSeek's n_shared_experts x moe_intermediate_size,
// Qwen's config gives its one shared expert's width; layer_tensors adds one shared MLP that wide),
// so num_shared_experts never multiplies it again.
double active_mlp_width(const ModelArch& arch);

// Per-head dimensions. MLA (DeepSeek-V2 paper, section 2.1): queries and keys are qk_nope_head_dim +
// qk_rope_head_dim wide, values v_head_dim; other attention: head_dim for both.
double attention_qk_head_dim(const ModelArch& arch);
double attention_v_head_dim(const ModelArch& arch);
// d_qk + d_v: what one query head multiplies per KV position (QK^T, then AV); attention FLOPs per
// token per KV position are 2 x num_heads x this.
double attention_head_dims(const ModelArch& arch);
// Query width, the q_proj (MLA: q_b_proj) output: num_heads x attention_qk_head_dim (without the
// output gate Qwen3-Next's q_proj also emits).
double attention_q_width(const ModelArch& arch);
// Attention output width, the input of o_proj: num_heads x attention_v_head_dim.
double attention_output_width(const ModelArch& arch);
// Heads of K and V the attention kernel reads: num_kv_heads; MLA up-projects a K and a V for every
// query head, so num_heads.
double attention_kv_heads(const ModelArch& arch);
// K and V as the attention kernel reads them: attention_kv_heads x attention_head_dims. GQA:
// 2 x num_kv_heads x head_dim; MLA: num_heads x (qk_nope + qk_rope + v), the rope key broadcast to
// every head (what ring attention / context parallelism passes between ranks).
double attention_kv_width(const ModelArch& arch);
// What the K and V projections write: k_proj + v_proj, 2 x num_kv_heads x head_dim; MLA kv_b_proj,
// num_heads x (qk_nope_head_dim + v_head_dim) (the one rope key per token sits in the latent).
double attention_kv_projection_width(const ModelArch& arch);
// MLA latent: kv_lora_rank + qk_rope_head_dim, the compressed KV plus the decoupled rope key. It is
// the kv_a_proj_with_mqa output and what vLLM (ModelConfig.get_head_size under MLA) and llama.cpp
// (DEEPSEEK2 with MLA: K holds kv_lora_rank + n_rot, V is a view of it) cache per token per layer.
double mla_kv_latent_width(const ModelArch& arch);

// Elements of KV cache per token for one layer: K and V (attention_kv_width, 2 x kv_heads x
// head_dim), or for MLA the latent mla_kv_latent_width (Kwon et al. 2023; DeepSeek-V2 paper,
// section 2.1), plus the DSA indexer key (index_head_dim) where there is one. The indexer key is
// counted at the KV-cache type; vLLM and SGLang keep it in FP8 with one float32 scale (132 bytes at
// index_head_dim 128), so at a 16-bit KV cache this is 124 bytes per token per layer high.
double kv_elements_per_token_per_layer(const ModelArch& arch);
// Tokens of KV a sequence of `context` tokens holds in total over all layers (sliding layers cap at the
// window; recurrent layers hold none).
// The attention layers that cache every token (global) and those that cache a window (sliding).
struct KvTokenLayers {
  double global_layers = 0;
  double sliding_layers = 0;
  double window_tokens = 0;
  [[nodiscard]] double at(double context) const {
    return global_layers * context + sliding_layers * (context < window_tokens ? context : window_tokens);
  }
};
KvTokenLayers kv_token_layer_split(const ModelArch& arch);
double kv_token_layers(const ModelArch& arch, double context);

// Sum of (rows + cols) over the 2-D weight matrices: the state of factored optimizers (Adafactor).
double matrix_dims_sum(const ModelArch& arch);
// The largest single weight tensor (elements): the gradient buffer when the optimizer steps in backward.
double largest_tensor_elements(const ModelArch& arch);

// Checks an architecture for values the arithmetic cannot use; returns an empty string when valid.
std::string validate_arch(const ModelArch& arch);

}  // namespace gpuplan

namespace gpuplan {
// A Llama-shaped dense architecture with (almost exactly) `params` parameters, for when only a
// size is known ("--params 13B"): hidden size and depth from the Llama 2/3 family of that size,
// MHA up to 13B and 8 KV heads above, the MLP width solved to hit the count.
ModelArch assumed_arch(double params);
}  // namespace gpuplan
