// Registration of each `lowbit` subcommand; one file per subcommand in cli/.
#pragma once

#include <CLI/CLI.hpp>

namespace lowbit::cli {

void add_info(CLI::App& app);
void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_bench_step(CLI::App& app);
void add_import(CLI::App& app);
void add_export(CLI::App& app);
void add_quantize(CLI::App& app);

}  // namespace lowbit::cli
