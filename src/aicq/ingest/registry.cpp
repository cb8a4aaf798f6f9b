// The importers, in `aicq import --list` order. Each format lives in its own file and provides a factory.
#include "aicq/ingest/formats.hpp"
#include "aicq/ingest/importer.hpp"

namespace aicq::ingest {

const std::vector<Importer>& importers() {
  static const std::vector<Importer> all = [] {
    std::vector<Importer> v;
    for (auto* add : {&add_mlperf_importers, &add_hpc_importers, &add_tool_importers}) add(v);
    return v;
  }();
  return all;
}

const Importer* find_importer(std::string_view name) {
  for (const auto& i : importers())
    if (i.name == name) return &i;
  return nullptr;
}

}  // namespace aicq::ingest
