// The `lowbit` command: subcommands train, eval, info (more as methods land).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "lowbit/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"lowbit: low-precision transformer training on the CPU"};
  app.require_subcommand(1);
  lowbit::cli::add_train(app);
  lowbit::cli::add_eval(app);
  lowbit::cli::add_bench_step(app);
  lowbit::cli::add_import(app);
  lowbit::cli::add_export(app);
  lowbit::cli::add_quantize(app);
  lowbit::cli::add_info(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lowbit::Error& e) {
    std::fprintf(stderr, "lowbit: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lowbit: unexpected error: %s\n", e.what());
    return 2;
  }
  return 0;
}
