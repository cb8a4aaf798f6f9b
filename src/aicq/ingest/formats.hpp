// Registration of the format families (one file each); called once by importers().
#pragma once

#include <vector>

#include "aicq/ingest/importer.hpp"

namespace aicq::ingest {

void add_mlperf_importers(std::vector<Importer>& out);  // mlperf, mlperf-power, mlperf-training (mlperf.cpp)
void add_hpc_importers(std::vector<Importer>& out);     // hpcc, hpl, stream, nccl-tests (hpc.cpp)
void add_tool_importers(std::vector<Importer>& out);    // fio, lm-eval, nvidia-smi, prometheus-text (tools.cpp)

}  // namespace aicq::ingest
