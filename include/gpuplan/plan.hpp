// Plan: given a model and a workload, what to run it on. A search over every GPU in the
// catalog x GPU count (1, 2, 4, 8 in a node, then whole nodes) x precision x split x batch,
// each candidate estimated with the same estimate() / estimate_speed() / serving_cost() /
// search_layouts() that `fit`, `speed`, `cost` and `train` use; the feasible candidates that
// meet the workload's targets are ranked by cost per month (serving) or per job (training),
// with the best of each tier, a Pareto front of cost vs speed, and the advisor's findings.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/codes.hpp"
#include "gpuplan/cost.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/prices.hpp"
#include "gpuplan/scenario.hpp"
#include "gpuplan/search_budget.hpp"
#include "gpuplan/training.hpp"

namespace gpuplan {

enum class PlanKind { serve, train };
enum class Ownership { cheaper, rent, own };  // how a candidate is paid for: the cheaper of the two, or one of them
const char* to_string(PlanKind kind);
const char* to_string(Ownership ownership);

// Serving: requests of `prompt + output` tokens on average, at most `context` tokens each.
struct ServeWorkload {
  double context = 8192;         // longest request (prompt + output) the deployment must accept
  double prompt_tokens = 1000;   // average per request
  double output_tokens = 200;    // average per request
  double users = 16;             // requests in flight at the peak; 0 = from the volume (peak_from_volume)
  double ttft_target_s = 2.0;    // time to first token, 0 = none
  double tpot_target_s = 0.050;  // time per output token, 0 = none (50 ms = 20 tokens/s, faster than reading)
  double tokens_per_month = 0;   // input + output; 0 = derived from the users (see derived_tokens_per_month)
};

// Training or fine-tuning: Mode is pretrain, full_finetune, lora or qlora.
struct TrainWorkload {
  Mode method = Mode::lora;
  double tokens = 0;
  double seq = 4096;
  double global_batch_tokens = 4.0 * 1024 * 1024;  // tokens per optimizer step (Llama 3: 4M-16M)
  double deadline_s = 0;                           // 0 = none
  bool deadline_is_default = false;                // set by the caller when it chose the deadline
  double budget_usd = 0;                           // 0 = none
};

struct PlanFilters {
  std::optional<Tier> tier;       // only this tier
  double max_gpus = 64;           // cards in the whole fleet (serving) or the job (training)
  double max_fleet_gpus = 0;      // serving: cards in the fleet when larger than max_gpus (per replica); 0 = max_gpus
  std::vector<std::string> gpus;  // catalog ids; empty = every GPU
  std::vector<std::string> precisions;  // canonical names; empty = the default set of the plan kind
  std::string runtime;                  // serving runtime; "" = llama.cpp for GGUF types, vLLM otherwise
  // Serving MoE layouts over each replica's GPUs (serving step model; see Scenario).
  bool expert_parallel = false;
  bool attention_data_parallel = false;
};

// Prices given by the user instead of the catalog's; < 0 = not given.
struct PriceOverrides {
  double rent_usd_per_gpu_hour = -1, committed_usd_per_gpu_hour = -1, purchase_usd_per_gpu = -1;
  double capex_extra_usd_per_gpu = -1, years = -1, power_usd_per_kwh = -1, pue = -1, hosting_usd_per_kw_month = -1;
  double api_input_usd_per_million = -1, api_output_usd_per_million = -1;
};
void apply_price_overrides(Prices& prices, const PriceOverrides& overrides);

// Peak requests in flight for a monthly volume: twice the average in flight (Little's law:
// requests per second x seconds each request holds a slot).
inline constexpr double kPeakOverAverageInFlight = 2.0;
double peak_from_volume(const ServingDemand& demand, double request_s);

struct PlanRequest {
  const Catalog* catalog = nullptr;
  // Owns the catalog when the request added cards to it (a memory variant such as m3-max-64gb);
  // `catalog` then points here, and copies of the request keep it alive. Empty otherwise.
  std::shared_ptr<const Catalog> owned_catalog;
  std::string model_id;      // catalog id or file name, for reports
  std::string model_name;    // display name
  std::string model_source;  // where the architecture comes from (catalog source, file), for --explain
  Scenario base;             // architecture and workload knobs (KV type, flash attention, optimizer...)
  PlanKind kind = PlanKind::serve;
  ServeWorkload serve;
  TrainWorkload train;
  PlanFilters filters;
  Ownership ownership = Ownership::cheaper;
  double own_utilization = 0.5;  // training: lifetime utilisation of owned cards (their idle hours are paid too)
  double gpus_per_node = 8;
  std::string network = "ib-ndr-400";  // between nodes (data/links.json)
  // Training stack whose measured efficiency applies (data/runtimes.json <framework>-training):
  // megatron | fsdp; auto = megatron for pre-training, fsdp (PyTorch) for fine-tuning.
  std::string framework = "auto";
  ApiPrice api;  // managed-API prices of the model (for the API comparison)
  PriceOverrides price_overrides;
  double utilization = -1;  // > 0: the fleet's utilisation instead of a volume (volume = utilisation x capacity)
  SearchBudget work;        // scenarios evaluated at most (candidates_evaluated), and a cancellation flag
};

// Input + output tokens a month when none is given: half the peak users in flight on average,
// each request taking TTFT + output x TPOT at the targets (1 s + 50 ms per token without targets).
double derived_tokens_per_month(const ServeWorkload& w);

// One scenario the search evaluated.
struct PlanCandidate {
  const Gpu* gpu = nullptr;
  double gpus = 1;  // per replica (serving) or for the job (training)
  Precision precision;
  std::string runtime;  // serving runtime id (vllm, llama.cpp-cuda, ...)
  Split split = Split::layer;
  std::string layout;  // "tensor x4", "layer x2", "single", or the training layout text
  double batch = 1;    // serving: requests per replica at the peak (<= replica.concurrency); training: micro-batch
  // The common Estimate figures (serving: at the replica's concurrency and the average request length).
  Estimate estimate;
  double memory_per_gpu_bytes = 0;
  double capacity_per_gpu_bytes = 0;
  bool fits = false;
  double tokens_per_s = 0;  // serving: aggregate decode tokens/s of one replica; training: tokens/s of the job
  double ttft_s = 0, tpot_s = 0;
  double max_concurrency_memory = 0;  // requests one replica's memory holds at the average length
  double max_context = 0;             // longest request that fits next to the others at this concurrency
  // Serving fleet and money
  double replicas = 0;
  double fleet_gpus = 0;
  double utilization = 0;
  ServingCost cost;
  ReplicaCapacity replica;  // at its capacity: the most requests that fit and meet the TPOT target
  ServingDemand demand;     // the volume and peak the fleet was sized for
  Prices prices;
  CostBasis cost_basis = CostBasis::rent;
  double monthly_usd = 0;  // serving
  // Training
  Layout train_layout;
  TrainEstimate train_estimate;
  double job_usd = 0;
  double wall_s = 0;
  double gpu_hours = 0;
  bool feasible = false;
  std::optional<RejectReason> rejection;  // why not feasible: the first rule that failed
  std::string reason;                     // the same in words, with the candidate's figures
  [[nodiscard]] double rank_usd() const { return monthly_usd > 0 ? monthly_usd : job_usd; }
};

struct Finding {
  Severity severity = Severity::info;
  std::string code;
  std::string why;
  std::string fix;
};

struct TierChoice {
  Tier tier = Tier::consumer;
  bool found = false;
  std::size_t index = 0;                      // into Plan::candidates
  std::string why_none;                       // when not found: the commonest reason among its candidates
  std::optional<RejectReason> why_none_code;  // that reason's rule, or the tier_* code (filtered out, ...)
};

struct OneTierLower {
  bool available = false;
  Tier tier = Tier::consumer;
  PlanCandidate candidate;
  std::string gives_up;  // what it gives up against the top choice
  std::string how;       // quantisation, batching, smaller context
  double context = 0;    // the context it holds (smaller than asked when that is what it took)
  std::string why_none;  // when not available
};

struct ExplainStep {
  std::string title;
  std::string formula;
  std::string value;
  std::string source;
};

struct Plan {
  PlanKind kind = PlanKind::serve;
  std::vector<PlanCandidate> candidates;  // feasible first, cheapest first; then the rest
  bool found = false;
  std::size_t best = 0;
  TierChoice by_tier[3];
  std::vector<std::size_t> pareto;  // feasible candidates not dominated (see dominates); ranking order, best first
  double candidates_evaluated = 0;  // scenarios estimated (each estimate() / layout evaluation counts)
  SearchStop stopped = SearchStop::complete;  // else ranked from the candidates evaluated before it stopped
  double tokens_per_month = 0;                // serving demand used
  bool tokens_per_month_derived = false;
  OneTierLower lower;
  std::vector<Finding> findings;
  std::vector<RejectCount> rejected;  // infeasible candidates per rule that rejected them, commonest first
  [[nodiscard]] const PlanCandidate* top() const { return found ? &candidates[best] : nullptr; }
};

// Tensor parallelism of `tp` ranks divides the attention heads and the KV heads (or replicates
// them when there are more ranks than KV heads): the one rule for speed, plan and fit.
bool tensor_parallel_divides(const ModelArch& arch, double tp);
// Serving runtime for a precision on a GPU: llama.cpp for GGUF types and Apple; vLLM otherwise.
std::string default_serving_runtime(const Gpu& gpu, const Precision& p);
// Prices of one card from the catalog and the price book (rent, purchase, power, hosting).
Prices gpu_prices(const Gpu& gpu, const PriceBook& book);
// A link of the catalog (data/links.json) by id; nullptr when it has none.
const Catalog::NamedLink* find_link(const Catalog& catalog, const std::string& id);
// The link inside a node of a card: its peer link (NVLink, Infinity Fabric), else its host link
// (pcie4-x16 when unknown); nullptr when the catalog has neither.
const Catalog::NamedLink* intra_node_link(const Gpu& gpu, const Catalog& catalog);
// The training cluster of a card: its node link, the network, dense bf16 peak, and the GEMM and
// attention efficiency of a training stack, data/runtimes.json "<framework>-training":
// megatron (Megatron-LM / Megatron-core, the default) or fsdp (PyTorch FSDP).
// fp8: FP8 GEMMs (Transformer Engine recipes) at the card's dense FP8 peak and the stack's FP8
// GEMM efficiency (compute_efficiency_quant), attention and the rest as in BF16; ignored on cards
// without FP8 tensor cores.
Cluster training_cluster(const Gpu& gpu, const Catalog& catalog, const std::string& network, double gpus_per_node,
                         const std::string& framework = "megatron", bool fp8 = false);
// "auto" resolved: megatron for pre-training, fsdp for full fine-tuning, LoRA and QLoRA.
std::string training_framework(const std::string& framework, Mode mode);
// The names --framework accepts: auto, megatron, fsdp.
const std::vector<std::string>& training_frameworks();
// A stack's measured training efficiencies, data/runtimes.json "<framework>-training"; nullptr if absent.
const RuntimeModel* training_runtime(const Catalog& catalog, const std::string& framework);

// GPU counts per replica or job: 1, 2, 4, 8 within a node, then whole nodes up to max_gpus.
std::vector<double> gpu_counts(double gpus_per_node, double max_gpus);
// The precisions the plan searches: the filter's, or the default set of the plan kind.
std::vector<Precision> plan_precisions(const PlanRequest& r);

// A precision's weights priced once for a whole search: weight_bytes_breakdown and
// layer_weight_bytes of the model (the same numbers every estimate would compute again).
struct PricedWeights {
  WeightBytes totals;
  std::shared_ptr<const LayerWeightBytes> layers;
};
PricedWeights priced_weights(const ModelArch& arch, const Precision& p);

// Evaluates one serving candidate (a replica of `gpus` cards), sizing its concurrency and fleet.
// `evaluated` counts the scenarios estimated; `weights` may carry priced_weights(arch, p).
PlanCandidate evaluate_serving(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split,
                               double* evaluated = nullptr, const PricedWeights* weights = nullptr);
// The scenario of a serving candidate at its concurrency and the average request length.
Scenario candidate_scenario(const PlanRequest& r, const PlanCandidate& c);
// Sets `batch` concurrent requests at the scenario's context (workload, speed and engine settings).
void set_batch(Scenario& s, double batch);
// Evaluates one training candidate: the layout search on one card type.
PlanCandidate evaluate_training(const PlanRequest& r, const Gpu& gpu, const Precision& p, double* evaluated = nullptr);

// The whole search, ranking, tiers, Pareto front, one-tier-lower and findings.
Plan make_plan(const PlanRequest& r);

// Ranking order: feasible before infeasible, then cheaper, then higher precision, faster, fewer GPUs.
bool ranks_before(const PlanCandidate& a, const PlanCandidate& b);
// a dominates b: no worse on cost (in cents) and speed, better on one; at equal cost a lower
// precision never dominates a higher one (the ranking prefers it), so the best is never dominated.
bool dominates(const PlanCandidate& a, const PlanCandidate& b);
// Speed figure of the Pareto front: per-user decode tokens/s (serving), job tokens/s (training).
double speed_figure(const PlanCandidate& c);

// The advisor: every finding that applies to the plan (plan_advisor.cpp).
std::vector<Finding> advise(const PlanRequest& r, const Plan& plan);

// The arithmetic behind the top choice, step by step, with the catalog figures and their sources.
std::vector<ExplainStep> explain(const PlanRequest& r, const Plan& plan);

}  // namespace gpuplan
