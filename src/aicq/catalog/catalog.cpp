#include "aicq/catalog/catalog.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "aicq/declare/yaml_reader.hpp"

namespace aicq::catalog {

using declare::Cursor;
using declare::MapView;
using declare::Reader;

const std::vector<std::string>& precisions() {
  static const std::vector<std::string> p = {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"};
  return p;
}

std::string HardwareModel::source_of(std::string_view field) const {
  auto it = sources.find(std::string(field));
  return it == sources.end() ? std::string{} : it->second;
}

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return r;
}

void read_hardware_file(const data::DataSource& src, std::string_view path, std::string_view kind,
                        std::vector<HardwareModel>& out, core::Diagnostics& diags) {
  const auto [text, name] = src.read(path);
  Reader r(name, diags);
  auto root = r.load(text, "a hardware catalog with schema_version and models");
  if (!root) return;
  MapView top(r, *root, {"schema_version", "models"}, {"schema_version", "models"});
  if (!top.valid()) return;
  if (auto v = top.get("schema_version")) declare::read_int(r, *v, 1, 1);
  auto models = top.get("models");
  if (!models) return;
  for (const Cursor& c : declare::items(r, *models, "hardware models")) {
    MapView m(r, c,
              {"id", "vendor", "name", "kind", "aliases", "peak", "memory", "memory_bandwidth", "tdp", "sources",
               "notes", "embodied_carbon", "cores", "threads", "base_clock", "flop_per_cycle_per_core"},
              {"id", "vendor", "name", "kind", "peak", "sources"});
    if (!m.valid()) continue;
    HardwareModel hm;
    hm.at = c.at;
    if (auto v = m.get("id")) hm.id = declare::read_string(r, *v).value_or("");
    if (auto v = m.get("vendor")) hm.vendor = declare::read_string(r, *v).value_or("");
    if (auto v = m.get("name")) hm.name = declare::read_string(r, *v).value_or("");
    if (auto v = m.get("kind")) hm.kind = declare::read_enum(r, *v, {std::string(kind)}, "a device kind").value_or("");
    if (auto v = m.get("aliases"))
      for (const Cursor& a : declare::items(r, *v, "names"))
        if (auto s = declare::read_string(r, a)) hm.aliases.push_back(*s);
    if (auto v = m.get("peak")) {
      for (const auto& [prec, pc] : declare::entries(r, *v, "peaks by precision")) {
        if (!declare::known_name(r, pc, prec, precisions(), "precision")) continue;
        if (auto f = declare::read_quantity(r, pc, core::dim::op_rate(), "67 TFLOPS")) hm.peak[prec] = f->quantity;
      }
    }
    auto q = [&](std::string_view key, const core::Dimension& d, std::string_view ex) -> std::optional<core::Quantity> {
      if (auto v = m.get(key))
        if (auto f = declare::read_quantity(r, *v, d, ex)) return f->quantity;
      return std::nullopt;
    };
    hm.memory = q("memory", core::dim::bytes(), "80 GB");
    hm.memory_bandwidth = q("memory_bandwidth", core::dim::byte_rate(), "3.35 TB/s");
    hm.tdp = q("tdp", core::dim::power(), "700 W");
    hm.embodied_carbon = q("embodied_carbon", core::dim::co2e(), "1300 kgCO2e");
    hm.base_clock = q("base_clock", core::dim::frequency(), "2.0 GHz");
    if (auto v = m.get("cores")) hm.cores = static_cast<int>(declare::read_int(r, *v, 1, 1024).value_or(0));
    if (auto v = m.get("threads")) hm.threads = static_cast<int>(declare::read_int(r, *v, 1, 4096).value_or(0));
    if (auto v = m.get("flop_per_cycle_per_core"))
      for (const auto& [prec, pc] : declare::entries(r, *v, "FLOP per cycle by precision"))
        if (auto n = declare::read_number(r, pc, 1, 4096, "FLOP per cycle per core")) hm.flop_per_cycle_per_core[prec] = *n;
    if (auto v = m.get("sources"))
      for (const auto& [field, sc] : declare::entries(r, *v, "sources by field"))
        if (auto s = declare::read_string(r, sc)) hm.sources[field] = *s;
    if (auto v = m.get("notes")) hm.notes = declare::read_string(r, *v).value_or("");
    if (!hm.peak.empty() && hm.source_of("peak").empty()) r.error(c, "every figure needs its source: missing sources.peak");
    if (hm.tdp && hm.source_of("tdp").empty()) r.error(c, "every figure needs its source: missing sources.tdp");
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.id == hm.id; }))
      r.error(c, fmt::format("duplicate model id '{}'", hm.id));
    out.push_back(std::move(hm));
  }
}

Vocabulary read_vocabulary(const data::DataSource& src, std::string_view name, core::Diagnostics& diags) {
  const std::string path = fmt::format("catalogs/{}.yaml", name);
  const auto [text, file] = src.read(path);
  Reader r(file, diags);
  std::vector<VocabularyItem> out;
  auto root = r.load(text, "a catalog with schema_version and items");
  if (!root) return {};
  MapView top(r, *root, {"schema_version", "items"}, {"schema_version", "items"});
  if (!top.valid()) return {};
  if (auto v = top.get("schema_version")) declare::read_int(r, *v, 1, 1);
  if (auto list = top.get("items")) {
    for (const Cursor& c : declare::items(r, *list, "catalog items")) {
      MapView m(r, c, {"id", "en", "zh", "description", "publisher", "reference"}, {"id", "en", "zh"});
      if (!m.valid()) continue;
      VocabularyItem it;
      auto s = [&](std::string_view k) {
        if (auto v = m.get(k)) return declare::read_string(r, *v).value_or("");
        return std::string{};
      };
      it.id = s("id");
      it.en = s("en");
      it.zh = s("zh");
      it.description = s("description");
      it.publisher = s("publisher");
      it.reference = s("reference");
      if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.id == it.id; }))
        r.error(c, fmt::format("duplicate id '{}'", it.id));
      out.push_back(std::move(it));
    }
  }
  return Vocabulary(std::string(name), std::move(out));
}

}  // namespace

HardwareCatalog HardwareCatalog::load(const data::DataSource& src) {
  HardwareCatalog cat;
  core::Diagnostics diags;
  read_hardware_file(src, "hardware/accelerators.yaml", "accelerator", cat.models_, diags);
  read_hardware_file(src, "hardware/cpus.yaml", "cpu", cat.models_, diags);
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return cat;
}

const HardwareModel* HardwareCatalog::find(std::string_view id) const {
  auto it = std::find_if(models_.begin(), models_.end(), [&](const auto& m) { return m.id == id; });
  return it == models_.end() ? nullptr : &*it;
}

const HardwareModel* HardwareCatalog::find_by_name(std::string_view name) const {
  const std::string n = lower(name);
  for (const auto& m : models_) {
    if (lower(m.id) == n || lower(m.name) == n) return &m;
    for (const auto& a : m.aliases)
      if (lower(a) == n) return &m;
  }
  return nullptr;
}

std::vector<std::string> HardwareCatalog::ids(std::string_view kind) const {
  std::vector<std::string> v;
  for (const auto& m : models_)
    if (kind.empty() || m.kind == kind) v.push_back(m.id);
  return v;
}

const VocabularyItem* Vocabulary::find(std::string_view id) const {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const auto& i) { return i.id == id; });
  return it == items_.end() ? nullptr : &*it;
}

std::vector<std::string> Vocabulary::ids() const {
  std::vector<std::string> v;
  for (const auto& i : items_) v.push_back(i.id);
  return v;
}

Catalogs Catalogs::load(const data::DataSource& src) {
  Catalogs c;
  c.hardware = HardwareCatalog::load(src);
  core::Diagnostics diags;
  for (auto name : kVocabularies) c.vocabularies.emplace(std::string(name), read_vocabulary(src, name, diags));
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return c;
}

const Vocabulary& Catalogs::vocabulary(std::string_view name) const {
  auto it = vocabularies.find(name);
  if (it == vocabularies.end()) throw std::out_of_range(fmt::format("no vocabulary '{}'", name));
  return it->second;
}

}  // namespace aicq::catalog
