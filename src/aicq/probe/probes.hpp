// The built-in probes, one factory per file; registry.cpp lists them in the order `aicq run` runs them.
#pragma once

#include "aicq/probe/probe.hpp"

namespace aicq::probe {

Probe gemm_probe();        // compute.gemm     — gemm.cpp
Probe linpack_probe();     // compute.linpack  — linpack.cpp
Probe stream_probe();      // memory.stream    — stream.cpp
Probe storage_probe();     // storage.io       — storage.cpp
Probe first_touch_probe(); // memory.first_touch — firsttouch.cpp (page-fault cost, for the gap diagnosis)
Probe compat_probe();      // compat.runtimes  — compat.cpp
// With libtorch (AICQ_ENABLE_TORCH); without it torch_absent.cpp registers them as skipped, with the reason.
Probe ai_train_probe();    // ai.train         — ai_train.cpp
Probe ai_infer_probe();    // ai.infer         — ai_infer.cpp
Probe checkpoint_probe();  // resilience.checkpoint — resilience.cpp (the CNN's state through libtorch)
Probe recovery_probe();    // resilience.recovery   — resilience.cpp (the worker: recovery_worker.cpp)
Probe gpu_probe();         // compute.gpu      — gpu.cpp (runs aicq-gpu-probe, gpu/, where NVML sees a GPU)

}  // namespace aicq::probe
