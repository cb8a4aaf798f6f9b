// Catalogs that live as data (data/hardware, data/catalogs): the hardware models with their vendor figures
// and the vocabularies the methodology names (scenarios, access modes, billing options, supply-chain
// categories, standards, platform features, compatibility layers, intelligence items, strategy stages).
// Each is read strictly: a malformed data file (e.g. from --data-dir) is an input error with its location.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"
#include "aicq/data/embedded.hpp"

namespace aicq::catalog {

/// Precisions aicq knows, in display order. "fp32" is plain FP32, never TF32 (methodology §6).
const std::vector<std::string>& precisions();

struct HardwareModel {
  std::string id;      // e.g. "nvidia-h100-sxm5-80gb"
  std::string vendor;
  std::string name;
  std::string kind;    // "accelerator" or "cpu"
  std::vector<std::string> aliases;
  std::map<std::string, core::Quantity> peak;  // per device, dense, by precision
  std::optional<core::Quantity> memory, memory_bandwidth, tdp, base_clock, embodied_carbon;
  std::optional<int> cores, threads;
  std::map<std::string, double> flop_per_cycle_per_core;
  std::map<std::string, std::string> sources;  // field group → public reference
  std::string notes;
  core::Location at;  // where the entry is written

  /// The public reference for a field group ("peak", "tdp", …), or an empty string.
  [[nodiscard]] std::string source_of(std::string_view field) const;
};

class HardwareCatalog {
 public:
  /// Reads data/hardware/accelerators.yaml and data/hardware/cpus.yaml.
  static HardwareCatalog load(const data::DataSource& src);
  [[nodiscard]] const HardwareModel* find(std::string_view id) const;
  /// Case-insensitive match on id, name or alias (for discovery).
  [[nodiscard]] const HardwareModel* find_by_name(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> ids(std::string_view kind = {}) const;
  [[nodiscard]] const std::vector<HardwareModel>& models() const { return models_; }

 private:
  std::vector<HardwareModel> models_;
};

struct VocabularyItem {
  std::string id, en, zh, description, publisher, reference;
};

/// A closed list of ids with bilingual names.
class Vocabulary {
 public:
  Vocabulary() = default;
  Vocabulary(std::string name, std::vector<VocabularyItem> items) : name_(std::move(name)), items_(std::move(items)) {}
  [[nodiscard]] const VocabularyItem* find(std::string_view id) const;
  [[nodiscard]] std::vector<std::string> ids() const;
  [[nodiscard]] const std::vector<VocabularyItem>& items() const { return items_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<VocabularyItem> items_;
};

/// Names of the vocabularies, each read from data/catalogs/<name>.yaml.
inline constexpr std::string_view kVocabularies[] = {
    "scenarios", "access_modes", "billing_options", "supply_chain_categories", "standards",
    "platform_features", "compatibility_layers", "intelligence_items", "strategy_stages"};

struct Catalogs {
  HardwareCatalog hardware;
  std::map<std::string, Vocabulary, std::less<>> vocabularies;

  static Catalogs load(const data::DataSource& src);
  /// Throws std::out_of_range for a name not in kVocabularies (a programming error).
  [[nodiscard]] const Vocabulary& vocabulary(std::string_view name) const;
};

}  // namespace aicq::catalog
