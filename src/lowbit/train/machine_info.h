// `lowbit info` as text and as JSON: printed by the CLI and stored in checkpoint metadata
// and run reports, so every figure names the machine it came from.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lowbit {

nlohmann::json machine_info_json();
std::string machine_info_text();

}  // namespace lowbit
