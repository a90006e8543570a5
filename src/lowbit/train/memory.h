// Resident memory of this process, for run summaries and metrics: what the machine actually
// gave us, allocator slack and library buffers included (tensor_bytes_peak counts tensors only).
#pragma once

#include <cstddef>

namespace lowbit {

// The high-water mark of resident memory in bytes: VmHWM from /proc/self/status, or
// getrusage's ru_maxrss where /proc is not mounted.
size_t peak_rss_bytes();
// Resident memory now in bytes: VmRSS from /proc/self/status; 0 where /proc is not mounted.
size_t current_rss_bytes();

}  // namespace lowbit
