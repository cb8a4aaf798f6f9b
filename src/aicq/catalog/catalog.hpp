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

/// One FLOP (or OP) per cycle per core figure of a CPU microarchitecture, valid when every ISA extension in
/// `isa` is present (names as discovery reports them: "avx512f", "fma", "avx512_bf16", "amx_int8", "asimd").
struct MicroarchRate {
  std::string precision;         // fp64, fp32, bf16, int8
  std::vector<std::string> isa;  // all required
  double flop_per_cycle = 0;     // per core; for int8 integer operations
  std::string instruction;       // e.g. "VFMADD231PD zmm, 2 FMA pipes"
  std::string source;            // public reference; says "derived" when the figure is computed from others
};

/// Which CPUs a microarchitecture covers: x86 CPUID display family and model range (stepping range optional);
/// for Arm the MIDR_EL1 implementer as `family` and the part number as `model`.
struct MicroarchMatch {
  int family = 0;
  int model_min = 0, model_max = 0;
  int stepping_min = 0, stepping_max = 255;
};

struct Microarchitecture {
  std::string id;      // e.g. "amd-zen4"
  std::string vendor;  // "AMD", "Intel", "Arm", "HiSilicon"
  std::string name;    // "Zen 4"
  std::vector<MicroarchMatch> match;
  std::string match_source;  // where the family/model numbers come from
  std::vector<MicroarchRate> rates;
  std::string notes;
  core::Location at;

  /// The highest rate for `precision` whose ISA requirements are all in `isa`; nullptr when none applies.
  [[nodiscard]] const MicroarchRate* rate(std::string_view precision, const std::vector<std::string>& isa) const;
};

class HardwareCatalog {
 public:
  /// Reads data/hardware/accelerators.yaml, data/hardware/cpus.yaml and data/hardware/microarchitectures.yaml.
  static HardwareCatalog load(const data::DataSource& src);
  /// The microarchitecture of a CPU by vendor (case-insensitive) and CPUID family/model/stepping (x86), or
  /// MIDR implementer/part (Arm, stepping ignored: pass -1); nullptr when none matches.
  [[nodiscard]] const Microarchitecture* find_microarchitecture(std::string_view vendor, int family, int model,
                                                                int stepping = -1) const;
  [[nodiscard]] const std::vector<Microarchitecture>& microarchitectures() const { return microarchitectures_; }
  [[nodiscard]] const HardwareModel* find(std::string_view id) const;
  /// Case-insensitive match on id, name or alias (for discovery).
  [[nodiscard]] const HardwareModel* find_by_name(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> ids(std::string_view kind = {}) const;
  [[nodiscard]] const std::vector<HardwareModel>& models() const { return models_; }

 private:
  std::vector<HardwareModel> models_;
  std::vector<Microarchitecture> microarchitectures_;
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
