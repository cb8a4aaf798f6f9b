// Reading evidence JSON documents (core::kEvidenceSchema, "aicq-evidence/1"): what `aicq validate --format
// json` writes, and what importers and probes write. A declaration references them with
// `evidence: [{file: PATH}]`. Read through the YAML reader so that every problem has a line and column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/evidence.hpp"
#include "aicq/declare/yaml_reader.hpp"

namespace aicq::declare {

/// Parse an evidence document. Problems are added to `r`; records that could not be read are left out.
std::vector<core::Evidence> read_evidence_document(Reader& r, std::string_view text);

/// Parse a list of evidence records (e.g. the `evidence` member of a result). Problems are added to `r`.
std::vector<core::Evidence> read_evidence_list(Reader& r, const Cursor& list);

/// Read the file at `path`; throws core::InputError with every problem found.
std::vector<core::Evidence> load_evidence_file(const std::string& path);

}  // namespace aicq::declare
