// compute.gpu: GEMM and memory bandwidth on NVIDIA GPUs, measured by aicq-gpu-probe (gpu/, CUDA) in a child
// process and turned into measurements.
//
// Why a child process: the CUDA part is its own program so that it also builds and runs where aicq cannot
// (a GPU machine with the CUDA toolkit but none of aicq's libraries), and so that aicq itself never links CUDA.
// The probe runs it only where NVML sees a GPU; otherwise it is skipped with NVML's reason. The program is
// $AICQ_GPU_PROBE when set, else `aicq-gpu-probe` next to the aicq binary (where the build and `cmake --install`
// put it); a build without the CUDA toolkit has none, and the probe says so.
//
// What it measures, how, and the evidence it leads to: gpu/host/evidence_json.hpp and docs/measurement.md
// ("GPU probes"). GEMM measurements carry their own devices and peak per device in `details` (`devices`,
// `peak_per_device`), which measure::evidence_of uses instead of the CPU's peak.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::gpu {

/// The measurements of an aicq-gpu-probe evidence document (its `summary` member): one per GEMM precision and
/// bandwidth that ran on at least one device — every repetition (the devices' rates summed per repetition),
/// work per repetition, precision, peak (per device × devices) — with `details` holding `devices`,
/// `peak_per_device`, the library, the method and every device's figures and reference check. A failed check
/// marks the measurement invalid (`details.valid` false, `details.invalid_reason`) and adds a failed Check;
/// a measurement that ran nowhere is left out and its reason added to `not_run`.
/// Throws core::WorkError naming what is missing when the document is not such a document.
struct FromDocument {
  std::vector<Measurement> measurements;
  std::vector<Check> checks;
  std::vector<std::string> not_run;  // "gemm_fp8: fp8 (E4M3) GEMM in cuBLASLt needs compute capability 8.9 …"
  nlohmann::json effective = nlohmann::json::object();  // settings, devices, CUDA and cuBLASLt versions
};
FromDocument from_document(const nlohmann::json& doc);

/// aicq-gpu-probe's arguments for a run: sizes and repetitions by suite (tiny: the smallest), plus
/// `--peak PREC=FLOP/s` for each entry of `peak_flops` and `--peak-source` with `peak_source` when not empty.
std::vector<std::string> arguments_for(const Context& ctx, const std::map<std::string, double>& peak_flops,
                                       const std::string& peak_source);

/// Where aicq-gpu-probe is: $AICQ_GPU_PROBE when set and not empty; else the folder of `aicq_exe` (empty:
/// this process's own executable) + "/aicq-gpu-probe".
std::string probe_path(const std::string& aicq_exe);

}  // namespace aicq::probe::gpu
