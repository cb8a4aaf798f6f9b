// aicq entry point: everything happens in cli::run, which returns the exit code.
#include <iostream>
#include <string>
#include <vector>

#include "aicq/cli/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return aicq::cli::run(args, aicq::cli::Io{std::cout, std::cerr});
}
