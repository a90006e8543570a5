// The `lowbit` command: subcommands train, eval, info (more as methods land).
#include <CLI/CLI.hpp>

#include <malloc.h>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "lowbit/core/error.h"

int main(int argc, char** argv) {
  // A training step frees and re-allocates the same activation buffers (up to tens of MB) every
  // step. With glibc's defaults those come from mmap or a heap top it trims, so each step
  // faults their pages in again (the kernel zeroing them: ~8 % of a 2-thread int8 MiniLM-shape
  // step). Keep blocks below 32 MiB (the most glibc before 2.36 accepts) in the heap and its
  // free memory in the process. Setting either value turns glibc's self-adjusting threshold off,
  // so the trim threshold is set only when the mmap one took.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1) mallopt(M_TRIM_THRESHOLD, 1 << 30);
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
