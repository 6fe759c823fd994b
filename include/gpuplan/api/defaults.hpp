// Every default of a request, once, named, with its source. The request layer reads these
// constants and nothing else; describe_defaults() lists them for `gpuplan defaults`, the web page
// and the HTTP API.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/cost.hpp"
#include "gpuplan/idle.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/plan.hpp"

namespace gpuplan::api::defaults {

// fit
inline constexpr double kInferenceContextTokens = 4096;  // llama.cpp llama-server n_ctx default (capped at the model's)
inline constexpr double kTrainingSeqTokens = 2048;       // fit --mode <training>: sequence length
inline constexpr double kBatch = 1;
inline constexpr double kUbatchTokens = 512;  // llama.cpp n_ubatch default (common/common.h)
inline constexpr const char* kKvDtype = "f16";
inline constexpr double kLoraRank = 16;               // PEFT LoraConfig r default is 8; torchtune recipes use 8-16
inline constexpr double kLossChunks = 1;              // one fp32 copy of all logits (torchtune: 8 chunks)
inline constexpr const char* kQloraQuant = "nf4-dq";  // QLoRA: NF4 with double quantisation (Dettmers 2023)
inline constexpr const char* kFloatQuant = "bf16";    // a catalog model's checkpoint format
// speed
inline constexpr double kSpeedPromptTokens = 512;  // llama-bench pp512
inline constexpr double kSpeedOutputTokens = 128;  // llama-bench tg128
inline constexpr double kSpeedConcurrency = 1;
// speed with layers in system RAM (llama.cpp -ngl below all): dual-channel DDR5-5600 is 89.6 GB/s
// peak; ~80 GB/s is what streaming reads reach on desktops (Apple: the unified memory's own).
inline constexpr double kHostMemoryBandwidthBytesPerS = 80e9;
// serving workload (plan, cost)
inline constexpr double kServeContextTokens =
    ServeWorkload{}.context;  // longest request a deployment accepts (capped at the model's)
inline constexpr double kServePromptTokens =
    ServeWorkload{}.prompt_tokens;  // average request: a chat turn with history
inline constexpr double kServeOutputTokens = ServeWorkload{}.output_tokens;
inline constexpr double kServePromptShareOfContext = 0.8;             // when the context is below prompt + output
inline constexpr double kServeUsers = ServeWorkload{}.users;          // requests in flight at the peak
inline constexpr double kServeTtftS = ServeWorkload{}.ttft_target_s;  // time to first token target
inline constexpr double kServeTpotS = ServeWorkload{}.tpot_target_s;  // 50 ms = 20 tokens/s, faster than reading
inline constexpr double kServeMaxGpus = 64;                           // a serving fleet
inline constexpr double kCostMaxGpusPerReplica = 64;
// training
inline constexpr double kTrainSeqTokens = TrainWorkload{}.seq;
inline constexpr double kGlobalBatchTokens = TrainWorkload{}.global_batch_tokens;  // Llama 3: 4M tokens/step
inline constexpr double kTrainMaxGpus = 4096;
inline constexpr double kGpusPerNode = 8;  // HGX/DGX nodes
inline constexpr const char* kNetwork = "ib-ndr-400";
inline constexpr const char* kFramework = "auto";
inline constexpr const char* kTrainGpu = "h100-sxm";
inline constexpr double kPretrainDeadlineDays = 90;
inline constexpr double kFinetuneDeadlineDays = 7;
inline constexpr double kMemoryHeadroom = 0.05;  // fraction of a card kept free in a training fit verdict
// idle (telemetry)
inline constexpr double kIdleThresholdPct = IdleOptions{}.threshold_pct;     // utilization.gpu below 5 %: idle
inline constexpr double kIdleScrapeIntervalS = io::kDefaultScrapeIntervalS;  // dcgm-exporter --collect-interval
inline constexpr double kIdleMinMaxGapS = kDefaultMinMaxGapS;  // automatic --max-gap: max(this, 3 x median)
inline constexpr const char* kIdleFormat = "auto";             // detected from the first decisive line
// money
inline constexpr double kOwnYears = Prices{}.years;  // straight-line amortisation of owned cards
inline constexpr double kCapexExtraUsdPerGpu = 0;
inline constexpr double kHomePue = 1.0;  // a consumer card at home or in an office: no facility cooling overhead
inline constexpr double kOwnTrainingUtilization = 0.5;  // lifetime utilisation of owned cards in a training plan
// plan --json: the ranked candidates listed in full in the document (--csv lists every one)
inline constexpr double kPlanCandidatesInJson = 50;

struct DefaultInfo {
  std::string name;     // "serve.tpot"
  std::string value;    // "50 ms"
  std::string applies;  // which commands and fields: "plan --tpot, cost --tpot"
  std::string source;   // why this value
};

// Every default above, with its value as text and its source, in a stable order.
const std::vector<DefaultInfo>& describe_defaults();

}  // namespace gpuplan::api::defaults
