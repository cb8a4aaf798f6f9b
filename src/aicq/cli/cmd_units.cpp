// aicq units TEXT… [--in UNIT]: how aicq reads quantities.
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/units.hpp"

namespace aicq::cli {

namespace {
struct UnitsOptions {
  std::vector<std::string> texts;
  std::string in;
};

int run_units(const UnitsOptions& o, Io io) {
  int rc = kOk;
  for (const auto& text : o.texts) {
    try {
      const core::Quantity q = core::parse_quantity(text);
      const std::string unit = q.canonical_unit();
      io.out << fmt::format("\"{}\"\n  dimension  {}\n  canonical  {}{}\n  reads as   {}\n", text,
                            core::dimension_name(q.dim), core::shortest(q.canonical_value()),
                            unit.empty() ? "" : " " + unit, q.to_string());
      if (!o.in.empty()) io.out << fmt::format("  in {}{}{}\n", o.in, std::string(o.in.size() < 7 ? 7 - o.in.size() : 1, ' '),
                                               core::shortest(q.in(o.in)));
    } catch (const core::UnitError& e) {
      io.err << fmt::format("aicq units: \"{}\": {}\n  {}\n  {}^\n", text, e.what(), text,
                            std::string(std::min(e.offset(), text.size()), ' '));
      rc = kBadInput;
    }
  }
  return rc;
}
}  // namespace

Action add_units(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<UnitsOptions>();
  app.add_option("texts", o->texts, "quantities")->required();
  app.add_option("--in", o->in, "unit to express each quantity in");
  return [o](Io io) { return run_units(*o, io); };
}

}  // namespace aicq::cli
