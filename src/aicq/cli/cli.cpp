#include "aicq/cli/cli.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <ostream>
#include <sstream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/version.hpp"
#include "aicq/data/embedded.hpp"

namespace aicq::cli {

namespace {

struct Registered {
  std::string name;
  Action (*add)(CLI::App&, const GlobalOptions&);
};

const std::vector<Registered>& registry() {
  static const std::vector<Registered> r = {{"run", &add_run},           {"hw", &add_hw},
                                            {"probes", &add_probes},     {"sensors", &add_sensors},
                                            {"monitor", &add_monitor},   {"utilization", &add_utilization},
                                            {"assemble", &add_assemble},
                                            {"validate", &add_validate}, {"assess", &add_assess},   {"explain", &add_explain},
                                            {"compare", &add_compare},   {"rescore", &add_rescore}, {"profile", &add_profile},
                                            {"report", &add_report},     {"history", &add_history}, {"show", &add_show},
                                            {"keygen", &add_keygen},     {"sign", &add_sign},       {"verify", &add_verify},
                                            {"import", &add_import},     {"units", &add_units}};
  return r;
}

// Builds the parser; returns the actions by subcommand name.
std::map<std::string, Action> build(CLI::App& app, GlobalOptions& g) {
  app.set_help_flag();  // --help comes from docs/cli.md, handled before parsing
  app.require_subcommand(0, 1);
  app.add_option("--data-dir", g.data_dir, "data directory")->check(CLI::ExistingDirectory);
  std::map<std::string, Action> actions;
  for (const auto& r : registry()) {
    CLI::App* sub = app.add_subcommand(r.name);
    sub->set_help_flag();
    actions[r.name] = r.add(*sub, g);
  }
  return actions;
}

std::string version_line() {
  return fmt::format("aicq {} (git {}{})", core::version(), core::git_revision(), core::git_dirty() ? ", modified" : "");
}

}  // namespace

std::vector<std::string> commands() {
  std::vector<std::string> v;
  for (const auto& r : registry()) v.push_back(r.name);
  return v;
}

std::string help_text(const std::string& command) {
  const auto md = data::doc("cli.md");
  if (!md) return "aicq: the command reference is missing from this build\n";
  const std::string heading = command.empty() ? "## aicq\n" : fmt::format("## aicq {}\n", command);
  const std::string text(*md);
  const auto h = text.find(heading);
  if (h == std::string::npos) return {};
  const auto open = text.find("```\n", h);
  if (open == std::string::npos) return {};
  const auto close = text.find("\n```", open + 4);
  return text.substr(open + 4, close - open - 4) + "\n";
}

std::vector<std::string> declared_options(const std::string& command) {
  std::vector<std::string> out;
  std::istringstream in(help_text(command));
  std::string line;
  bool in_options = false;
  while (std::getline(in, line)) {
    if (line == "Options:") {
      in_options = true;
      continue;
    }
    if (!in_options) continue;
    if (line.empty() || line[0] != ' ') {
      in_options = false;
      continue;
    }
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || first > 4 || line[first] != '-') continue;  // continuation lines
    std::istringstream words(line.substr(first));
    std::string w;
    while (words >> w) {
      if (w.back() == ',') w.pop_back();
      if (w.starts_with("-")) out.push_back(w);
      else break;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> accepted_options(const std::string& command) {
  CLI::App app{"aicq"};
  GlobalOptions g;
  build(app, g);
  CLI::App* target = command.empty() ? &app : app.get_subcommand(command);
  std::vector<std::string> out = {"-h", "--help"};
  if (command.empty()) out.push_back("--version");
  for (const CLI::Option* o : target->get_options()) {
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int run(const std::vector<std::string>& args, Io io) {
  // Stage 1: parse.
  GlobalOptions g;
  CLI::App app{"aicq"};
  std::map<std::string, Action> actions;
  try {
    actions = build(app, g);
    const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
    if (std::find(rest.begin(), rest.end(), "--version") != rest.end() && rest.size() == 1) {
      io.out << version_line() << "\n";
      return kOk;
    }
    const bool help = std::any_of(rest.begin(), rest.end(), [](const std::string& a) { return a == "-h" || a == "--help"; });
    if (help || rest.empty()) {
      std::string command;
      for (const auto& a : rest)
        if (actions.contains(a)) {
          command = a;
          break;
        }
      io.out << help_text(command);
      return rest.empty() ? kBadInput : kOk;
    }
    std::vector<std::string> reversed(rest.rbegin(), rest.rend());  // CLI11 takes arguments in reverse
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    io.err << "aicq: " << e.what() << "\n(see aicq --help)\n";
    return kBadInput;
  }

  // Stage 2: run the chosen command, mapping errors to exit codes.
  try {
    for (const auto& [name, action] : actions)
      if (app.got_subcommand(name)) return action(io);
    io.err << "aicq: expected a command\n" << help_text("");
    return kBadInput;
  } catch (const core::InputError& e) {
    for (const auto& d : e.diagnostics()) io.err << d.to_string() << "\n";
    return kBadInput;
  } catch (const core::WorkError& e) {
    io.err << "aicq: " << e.what() << "\n";
    return kWorkFailure;
  } catch (const std::exception& e) {
    io.err << "aicq: internal error: " << e.what() << "\n";
    return kWorkFailure;
  }
}

}  // namespace aicq::cli
