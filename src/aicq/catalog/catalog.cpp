#include "aicq/catalog/catalog.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
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

// A CPUID family/model or MIDR number: decimal, or hexadecimal with 0x as the vendors write them ("0x19").
std::optional<int> read_cpu_number(Reader& r, const Cursor& c, int max) {
  const std::string s = c.node.IsScalar() ? c.node.Scalar() : std::string();
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* first = s.data() + (hex ? 2 : 0);
  int v = -1;
  const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v, hex ? 16 : 10);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0 || v > max) {
    r.error(c, fmt::format("expected a number from 0 to {} (decimal or 0x hexadecimal), found {}", max,
                           declare::describe(c.node)));
    return std::nullopt;
  }
  return v;
}

// A [min, max] pair of CPU numbers, or one number for both.
std::optional<std::pair<int, int>> read_cpu_range(Reader& r, const Cursor& c, int max) {
  if (c.node.IsScalar()) {
    auto v = read_cpu_number(r, c, max);
    if (!v) return std::nullopt;
    return std::make_pair(*v, *v);
  }
  const auto ends = declare::items(r, c, "a range [first, last]");
  if (ends.size() != 2) {
    if (c.node.IsSequence()) r.error(c, "expected a range [first, last] of two numbers");
    return std::nullopt;
  }
  auto lo = read_cpu_number(r, ends[0], max);
  auto hi = read_cpu_number(r, ends[1], max);
  if (!lo || !hi) return std::nullopt;
  if (*lo > *hi) {
    r.error(c, "the first number of a range must not exceed the last");
    return std::nullopt;
  }
  return std::make_pair(*lo, *hi);
}

void read_microarchitectures(const data::DataSource& src, std::vector<Microarchitecture>& out,
                             core::Diagnostics& diags) {
  const auto [text, name] = src.read("hardware/microarchitectures.yaml");
  Reader r(name, diags);
  auto root = r.load(text, "a microarchitecture catalog with schema_version and microarchitectures");
  if (!root) return;
  MapView top(r, *root, {"schema_version", "microarchitectures"}, {"schema_version", "microarchitectures"});
  if (!top.valid()) return;
  if (auto v = top.get("schema_version")) declare::read_int(r, *v, 1, 1);
  auto list = top.get("microarchitectures");
  if (!list) return;
  const std::vector<std::string> rate_precisions = {"fp64", "fp32", "bf16", "fp16", "int8"};
  for (const Cursor& c : declare::items(r, *list, "microarchitectures")) {
    MapView m(r, c, {"id", "vendor", "name", "match", "match_source", "rates", "notes"},
              {"id", "vendor", "name", "match", "match_source", "rates"});
    if (!m.valid()) continue;
    Microarchitecture u;
    u.at = c.at;
    auto str = [&](std::string_view k) {
      if (auto v = m.get(k)) return declare::read_string(r, *v).value_or("");
      return std::string{};
    };
    u.id = str("id");
    u.vendor = str("vendor");
    u.name = str("name");
    u.match_source = str("match_source");
    u.notes = str("notes");
    if (auto v = m.get("match"))
      for (const Cursor& mc : declare::items(r, *v, "family/model ranges")) {
        MapView mm(r, mc, {"family", "models", "steppings"}, {"family", "models"});
        if (!mm.valid()) continue;
        MicroarchMatch x;
        if (auto f = mm.get("family")) x.family = read_cpu_number(r, *f, 0xFFFF).value_or(-1);
        if (auto f = mm.get("models"))
          if (auto range = read_cpu_range(r, *f, 0xFFFF)) std::tie(x.model_min, x.model_max) = *range;
        if (auto f = mm.get("steppings"))
          if (auto range = read_cpu_range(r, *f, 255)) std::tie(x.stepping_min, x.stepping_max) = *range;
        u.match.push_back(x);
      }
    if (auto v = m.get("rates"))
      for (const Cursor& rc : declare::items(r, *v, "FLOP per cycle figures")) {
        MapView rm(r, rc, {"precision", "isa", "flop_per_cycle", "instruction", "source"},
                   {"precision", "isa", "flop_per_cycle", "source"});
        if (!rm.valid()) continue;
        MicroarchRate rate;
        if (auto f = rm.get("precision")) rate.precision = declare::read_enum(r, *f, rate_precisions, "a precision").value_or("");
        if (auto f = rm.get("isa"))
          for (const Cursor& ic : declare::items(r, *f, "ISA extensions"))
            if (auto s = declare::read_string(r, ic)) rate.isa.push_back(*s);
        if (auto f = rm.get("flop_per_cycle"))
          rate.flop_per_cycle = declare::read_number(r, *f, 1, 65536, "FLOP per cycle per core").value_or(0);
        if (auto f = rm.get("instruction")) rate.instruction = declare::read_string(r, *f).value_or("");
        if (auto f = rm.get("source")) rate.source = declare::read_string(r, *f).value_or("");
        if (rate.source.empty()) r.error(rc, "every figure needs its source: missing source");
        u.rates.push_back(std::move(rate));
      }
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.id == u.id; }))
      r.error(c, fmt::format("duplicate microarchitecture id '{}'", u.id));
    out.push_back(std::move(u));
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
  read_microarchitectures(src, cat.microarchitectures_, diags);
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

const Microarchitecture* HardwareCatalog::find_microarchitecture(std::string_view vendor, int family, int model,
                                                                 int stepping) const {
  const std::string v = lower(vendor);
  for (const auto& u : microarchitectures_) {
    if (lower(u.vendor) != v) continue;
    for (const auto& m : u.match)
      if (m.family == family && model >= m.model_min && model <= m.model_max &&
          (stepping < 0 || (stepping >= m.stepping_min && stepping <= m.stepping_max)))
        return &u;
  }
  return nullptr;
}

const MicroarchRate* Microarchitecture::rate(std::string_view precision, const std::vector<std::string>& isa) const {
  const MicroarchRate* best = nullptr;
  for (const auto& r : rates) {
    if (r.precision != precision) continue;
    const bool usable = std::all_of(r.isa.begin(), r.isa.end(), [&](const std::string& need) {
      return std::find(isa.begin(), isa.end(), need) != isa.end();
    });
    if (usable && (!best || r.flop_per_cycle > best->flop_per_cycle)) best = &r;
  }
  return best;
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
