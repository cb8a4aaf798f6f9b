// The site declaration: the facts an operator states about the assessed system (docs/declaration.md is the
// field-by-field reference; examples/ holds three complete ones).
//
// Contract: parse_declaration() either returns a fully validated Declaration or throws core::InputError with
// every problem of the file, each located (file:line:column, field path, expected …, found …). Sections are
// optional (a missing section leaves its indicators missing in the assessment); `schema_version` and
// `system.name` are required. Quantities keep the text they were written as and their location, so every
// number can be shown as evidence with its source line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aicq/catalog/catalog.hpp"
#include "aicq/core/evidence.hpp"
#include "aicq/declare/yaml_reader.hpp"

namespace aicq::declare {

/// Declaration schema version this build reads. Bump rules (docs/declaration.md): a new optional field keeps
/// the version; removing or renaming a field, or changing a field's meaning or unit, increments it.
inline constexpr int kSchemaVersion = 1;

struct Level {
  int value = 0;  // 0–4
  core::Location at;
};

struct Window {
  std::string from, to;  // ISO dates, from ≤ to
};

struct System {
  std::string name, operator_name, description, boundary;
  std::string country, region, city;
};

/// Compute devices inside one unit of a group: a catalog model, or explicit figures.
struct ComponentSpec {
  std::string model;                   // catalog id, or empty when `peak` is explicit
  int count = 1;                       // per unit of the group
  std::map<std::string, Fact> peak;    // explicit peak per device, by precision
  std::optional<Fact> tdp;             // per device, explicit
  core::Location at;
};

struct DeviceGroup {
  std::string id;
  std::string kind;  // server | network | storage | other
  std::string description;
  std::int64_t count = 0;
  std::optional<Fact> rated_power;  // nameplate, per unit
  std::optional<Fact> lifetime;
  std::optional<ComponentSpec> accelerators, cpus;  // per unit (servers only)
  core::Location at;
};

struct GridFactor {
  Fact value;  // kgCO2e/kWh, location-based
  int year = 0;
  std::string source;
};

struct ItPower {
  Fact mean;  // mean measured IT power over the window
  Window window;
  core::PowerQuality quality = core::PowerQuality::q0;
  std::string source;
};

struct ItEnergy {
  Fact annual;  // IT energy over one year
  int year = 0;
  core::PowerQuality quality = core::PowerQuality::q0;
  std::string source;
};

struct Facility {
  std::optional<Fact> pue;
  std::string pue_basis;  // e.g. "annual, measured 2024 (GB/T 32910.3)"
  std::optional<GridFactor> grid_factor;
  std::optional<Fact> renewable_share;
  std::string renewable_source;
  std::optional<ItPower> it_power;
  std::optional<ItEnergy> it_energy;
};

struct GroupCarbon {
  std::string group;
  std::optional<Fact> embodied, transport, end_of_life;  // per unit of the group
  std::string source;
  core::Location at;
};

struct Carbon {
  std::vector<GroupCarbon> groups;
  std::map<std::string, Level> strategy;  // stage id → level 0–4
};

struct UtilizationFigure {
  Fact value;          // share 0–1
  std::string metric;  // e.g. sm_active, gpu_util, cpu_busy, it_load_rate
  Window window;
  std::string source;
};

struct UtilizationSource {
  std::string kind;  // store | prometheus
  std::string url;   // prometheus
  std::string gpu_metric, cpu_metric;
  std::optional<Fact> since;  // window length
};

struct Utilization {
  std::optional<UtilizationFigure> it_load_rate, accelerator, cpu;
  std::optional<UtilizationSource> source;
};

/// Where a workload or model ran: inventory group, device type, how many devices, at which precision.
struct Placement {
  std::string group;
  std::string device;  // accelerator | cpu
  std::string precision;
  std::int64_t devices = 0;
};

struct Workload {
  std::string name, source, evidence;
  Placement placement;
  std::optional<Fact> rate;           // samples/s, tokens/s, queries/s or FLOP/s
  /// `rate: {evidence: METRIC}`: the rate is a record of the declaration's evidence files or imports, resolved
  /// by resolve_references(); then `rate` holds its value and `rate_record` the record itself (kind, source).
  std::string rate_ref;
  core::Location rate_ref_at;
  std::optional<core::Evidence> rate_record;
  std::string invalid_reason;  // the referenced run was invalid by its own format's verdict: kept, not scored
  std::optional<Fact> flop_per_unit;  // FLOP per unit of `rate`'s work
  /// Achieved FLOP/s: `rate` when it is FLOP/s, else rate × flop_per_unit.
  [[nodiscard]] std::optional<core::Quantity> achieved() const;
  core::Location at;
};

struct ModelStructure {
  double active_parameters = 0;  // N
  std::int64_t layers = 0, heads = 0, head_dim = 0, sequence_length = 0;  // L, H, Q, T
};

struct Model {
  std::string name, task, accuracy_metric, source;
  Placement placement;
  std::optional<Fact> accuracy, reference_accuracy, throughput, flop_per_token;
  /// `accuracy: {evidence: METRIC}`: taken from a record (e.g. an imported lm-eval score) by resolve_references().
  std::string accuracy_ref;
  core::Location accuracy_ref_at;
  std::optional<core::Evidence> accuracy_record;
  std::optional<ModelStructure> structure;
  /// FLOP per token (or sample): given, or from the structure — training 6N + 12·L·H·Q·T, inference
  /// 2N + 4·L·H·Q·T (Chowdhery et al. 2022, PaLM, appendix B).
  [[nodiscard]] std::optional<double> flop_per_unit() const;
  core::Location at;
};

struct CapabilityItem {
  Level level;
  std::string evidence;
};

struct Intelligence {
  std::map<std::string, CapabilityItem> items;  // item id → level
  std::optional<Fact> largest_training_state;   // bytes
};

struct Access {
  std::string reach;  // internal | regional | national
  std::vector<std::string> scenarios, modes;
  core::Location at;
};

struct Resource {
  std::string model;  // catalog id
  std::int64_t count = 0;
  std::optional<Fact> peak;  // explicit total peak of the offer
  std::string precision;     // of the explicit peak
};

struct Offer {
  std::string name, provider, source;
  Resource resource;
  Fact price;  // currency per hour
  core::Location at;
};

struct Pricing {
  std::vector<std::string> billing;
  std::vector<Offer> own, market;
  core::Location at;
};

struct CompatibilityItem {
  std::string layer, item, result, evidence;
  core::Location at;
};

struct Supplier {
  std::string name;
  Fact share;
  std::optional<Fact> on_time, defect_rate;
  bool qualified = false;
  core::Location at;
};

struct SupplyCategory {
  std::string id;
  std::vector<Supplier> suppliers;
};

struct SupplyChain {
  std::vector<SupplyCategory> categories;
  std::optional<std::int64_t> partners;
  std::vector<std::string> partner_names;
  core::Location at;
};

struct Openness {
  std::vector<std::string> conforms;
  std::map<std::string, std::string> not_applicable;  // standard id → reason
  std::vector<std::string> features;
  core::Location at;
};

struct EvidenceRef {
  std::string import_kind;  // an importer name, or empty for an evidence JSON file
  std::string path;         // resolved against the declaration's folder
  core::Location at;
  std::vector<core::Evidence> records;  // read from the file, or by the importer (kinds as they state them)
  std::string invalid_reason;            // the imported run's own verdict said invalid
};

struct Declaration {
  std::string file;
  int schema_version = kSchemaVersion;
  std::string currency;
  std::map<std::string, double> exchange_rates;  // 1 unit of the key currency = value units of `currency`
  std::map<std::string, core::Location> exchange_rates_at;
  System system;
  std::vector<DeviceGroup> inventory;
  std::optional<Facility> facility;
  std::optional<Carbon> carbon;
  std::optional<Utilization> utilization;
  std::vector<Workload> workloads;
  std::vector<Model> models;
  std::optional<Intelligence> intelligence;
  std::optional<Access> access;
  std::optional<Pricing> pricing;
  std::vector<CompatibilityItem> compatibility;
  std::optional<SupplyChain> supply_chain;
  std::optional<Openness> openness;
  std::vector<EvidenceRef> evidence;

  [[nodiscard]] const DeviceGroup* group(std::string_view id) const;
};

/// Import kinds a declaration's `evidence` may name (the importers of `aicq import`).
const std::vector<std::string>& import_kinds();

/// Parse and validate. `file` names the file in messages; relative evidence paths resolve against its folder.
/// Throws core::InputError with every problem found.
Declaration parse_declaration(std::string_view text, const std::string& file, const catalog::Catalogs& catalogs);
/// Read the file, then parse_declaration. A missing or unreadable file is an InputError too.
Declaration load_declaration(const std::string& path, const catalog::Catalogs& catalogs);

/// Every quantitative fact of the declaration as `declared` evidence, with its source line; catalog
/// figures name their catalog entry and public reference; derived values (FLOP per token from a model's
/// structure) name their formula.
std::vector<core::Evidence> declared_evidence(const Declaration& d, const catalog::Catalogs& catalogs);

/// Resolves `rate: {evidence: METRIC}` of workloads and `accuracy: {evidence: METRIC}` of models against the records of the declaration's evidence files
/// and imports (fill EvidenceRef::records first). Throws core::InputError naming each reference that does not
/// resolve, or resolves to a value that is not a rate, at its line and column.
void resolve_references(Declaration& d);

/// The records of the evidence JSON files the declaration references, in reference order.
std::vector<core::Evidence> referenced_evidence(const Declaration& d);

/// The declaration itself as JSON (ids and values, language-neutral).
nlohmann::json to_json(const Declaration& d);

}  // namespace aicq::declare
