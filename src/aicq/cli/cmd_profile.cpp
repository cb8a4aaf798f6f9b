// aicq profile check FILE: validate a profile; AHP matrices → weights and consistency ratios.
#include <fmt/format.h>
#include <ostream>

#include "aicq/assess/profile.hpp"
#include "aicq/cli/commands.hpp"

namespace aicq::cli {

namespace {

struct ProfileOptions {
  std::string action, file;
};

void print_weights(const std::string& title, const assess::WeightSet& ws, std::ostream& out) {
  out << fmt::format("  {} ({})\n", title, ws.method);
  for (std::size_t i = 0; i < ws.ids.size(); ++i) out << fmt::format("    {:<20} {:.4f}\n", ws.ids[i], ws.weights[i]);
  if (ws.ahp)
    out << fmt::format("    AHP: λmax {:.4f}, CI {:.4f}, RI {:.2f}, CR {:.4f} (< 0.10: consistent)\n", ws.ahp->lambda_max, ws.ahp->ci,
                       ws.ahp->ri, ws.ahp->cr);
}

int run_profile(const ProfileOptions& o, const GlobalOptions& g, Io io) {
  const assess::Profile p = assess::load_profile(o.file, data::DataSource(g.data_dir));
  io.out << fmt::format("{}: valid profile '{}' version {} (sha256 {})\n", p.file, p.id, p.version, p.sha256);
  io.out << fmt::format("  reference precision {}, random index '{}', {} grade bands, floor rule {}\n", p.reference_precision,
                        p.random_index.id, p.bands.size(), p.floor.enabled ? "on" : "off");
  print_weights("dimensions", p.dimension_weights, io.out);
  for (const auto& [dim, ws] : p.indicator_weights) print_weights("indicators of " + dim, ws, io.out);
  io.out << fmt::format("  {} curves, {} blends\n", p.curves.size(), p.blends.size());
  return kOk;
}

}  // namespace

Action add_profile(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ProfileOptions>();
  app.add_option("action", o->action, "check")->required()->check(CLI::IsMember({"check"}));
  app.add_option("file", o->file, "profile file")->required();
  return [o, &g](Io io) { return run_profile(*o, g, io); };
}

}  // namespace aicq::cli
