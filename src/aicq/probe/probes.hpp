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

}  // namespace aicq::probe
