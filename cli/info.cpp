// `lowbit info`: the machine, the ISA in use, the kernel chosen for each family, threads.
#include <cstdio>

#include "cli/commands.h"
#include "lowbit/train/machine_info.h"

namespace lowbit::cli {

void add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print CPU features, the ISA cap and the chosen kernels");
  cmd->callback([] { std::fputs(machine_info_text().c_str(), stdout); });
}

}  // namespace lowbit::cli
