// A restricted unpickler for the data.pkl of a torch.save archive: it interprets only the
// opcodes and the few globals a state dict uses, and never imports or calls anything.
//
// What a state dict pickles to (protocol 2, as torch.save writes it):
//   collections.OrderedDict() then SETITEMS of  name -> torch._utils._rebuild_tensor_v2(
//       BINPERSID ('storage', torch.FloatStorage, '<key>', 'cpu', <numel>),
//       <storage offset>, (<size>...), (<stride>...), <requires_grad>, OrderedDict() [, metadata])
// The storage bytes are the archive entry "<prefix>/data/<key>"; offset, size and stride
// count elements of the storage type. Any other global or opcode is refused by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit {

struct TorchTensorRecord {
  std::string name;          // state-dict key
  std::string storage_type;  // "FloatStorage", "HalfStorage", ...
  std::string storage_key;   // archive entry data/<key>
  int64_t storage_numel = 0;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> shape, stride;
};

// The storage types a state dict may use, as (class name, element bytes); unknown -> 0.
int torch_storage_element_bytes(const std::string& storage_type);

// Interprets pkl (the bytes of data.pkl; `where` names it in errors, e.g. "model.bin:
// archive/data.pkl") and returns the tensors of the top-level dict in file order.
std::vector<TorchTensorRecord> torch_pickle_state_dict(const std::vector<char>& pkl,
                                                       const std::string& where);

}  // namespace lowbit
