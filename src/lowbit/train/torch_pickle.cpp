// The restricted unpickler: a stack machine over a closed set of opcodes. Values are plain data
// (ints, strings, tuples, dicts) plus two torch records (storage, tensor); the only "calls" are
// the table of allowed globals below, each interpreted here rather than executed.
#include "lowbit/train/torch_pickle.h"

#include <cstring>
#include <map>
#include <memory>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

struct StorageType {
  const char* name;
  int bytes;
};
// Legacy typed-storage class names, which torch.save still pickles for compatibility.
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", 4}, {"DoubleStorage", 8}, {"HalfStorage", 2},  {"BFloat16Storage", 2},
    {"LongStorage", 8},  {"IntStorage", 4},    {"ShortStorage", 2}, {"CharStorage", 1},
    {"ByteStorage", 1},  {"BoolStorage", 1},
};

enum class Kind {
  none,
  boolean,
  integer,
  floating,
  string,
  tuple,
  list,
  dict,
  global,
  storage,
  tensor,
  mark
};

struct Obj;
using Ref = std::shared_ptr<Obj>;
struct Obj {
  Kind kind = Kind::none;
  int64_t i = 0;
  double f = 0;
  std::string s;             // string value, or "module.name" of a global
  std::vector<Ref> items;    // tuple/list elements; dict: key, value, key, value, ...
  TorchTensorRecord tensor;  // storage (type, key, numel) or tensor
};

Ref make(Kind k) {
  auto o = std::make_shared<Obj>();
  o->kind = k;
  return o;
}

const char* kind_name(Kind k) {
  static const char* names[] = {"None", "bool", "int",    "float",   "str",    "tuple",
                                "list", "dict", "global", "storage", "tensor", "mark"};
  return names[static_cast<int>(k)];
}

class Machine {
 public:
  Machine(const std::vector<char>& pkl, const std::string& where) : p_(pkl), where_(where) {}

  Ref run() {
    while (true) {
      LB_CHECK(pos_ < p_.size(), where_, ": the pickle ends at byte ", pos_,
               " without a STOP opcode (truncated)");
      op_at_ = pos_;
      unsigned char op = byte();
      if (op == '.') break;
      step(op);
    }
    LB_CHECK(stack_.size() == 1, where_, ": the pickle leaves ", stack_.size(),
             " values on its stack, expected 1");
    return stack_.back();
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    LB_FAIL(where_, ": byte ", op_at_, ": ", msg);
  }

  unsigned char byte() {
    LB_CHECK(pos_ < p_.size(), where_, ": the pickle is truncated at byte ", pos_);
    return static_cast<unsigned char>(p_[pos_++]);
  }
  uint64_t uint(int n) {
    LB_CHECK(pos_ + n <= p_.size(), where_, ": the pickle is truncated: ", n,
             " bytes wanted at byte ", pos_, " of ", p_.size());
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(p_[pos_ + k]);
    pos_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    LB_CHECK(n <= p_.size() - pos_, where_, ": the pickle is truncated: a ", n,
             "-byte string at byte ", pos_, " of ", p_.size());
    std::string s(p_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    size_t e = pos_;
    while (e < p_.size() && p_[e] != '\n') ++e;
    LB_CHECK(e < p_.size(), where_, ": the pickle is truncated inside a GLOBAL at byte ", pos_);
    std::string s(p_.data() + pos_, e - pos_);
    pos_ = e + 1;
    return s;
  }

  Ref pop() {
    if (stack_.empty()) fail("pops an empty stack");
    Ref r = stack_.back();
    stack_.pop_back();
    return r;
  }
  Ref& top() {
    if (stack_.empty()) fail("reads an empty stack");
    return stack_.back();
  }
  std::vector<Ref> pop_to_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != Kind::mark) --m;
    if (m == 0) fail("no MARK on the stack");
    std::vector<Ref> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m - 1);
    return items;
  }
  Ref tuple(std::vector<Ref> items) {
    Ref t = make(Kind::tuple);
    t->items = std::move(items);
    return t;
  }
  Ref integer(int64_t v) {
    Ref r = make(Kind::integer);
    r->i = v;
    return r;
  }
  Ref string(std::string s) {
    Ref r = make(Kind::string);
    r->s = std::move(s);
    return r;
  }
  void memo_put(uint64_t k) { memo_[k] = top(); }
  void memo_get(uint64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail(cat("memo key ", k, " was never stored"));
    stack_.push_back(it->second);
  }

  Ref global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    bool ok = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
              full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_parameter";
    if (module == "torch") ok = ok || torch_storage_element_bytes(name) > 0;
    if (!ok)
      fail(cat(
          "the pickle references the global '", full,
          "', which is not part of a tensor state dict; "
          "lowbit interprets only collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
          "torch._utils._rebuild_parameter and torch.*Storage, and never executes pickled code"));
    Ref g = make(Kind::global);
    g->s = full;
    return g;
  }

  int64_t int_arg(const Ref& r, const char* what) {
    if (r->kind != Kind::integer && r->kind != Kind::boolean)
      fail(cat(what, " is a ", kind_name(r->kind), ", expected an int"));
    return r->i;
  }
  std::vector<int64_t> int_tuple(const Ref& r, const char* what) {
    if (r->kind != Kind::tuple) fail(cat(what, " is a ", kind_name(r->kind), ", expected a tuple"));
    std::vector<int64_t> v;
    for (const Ref& x : r->items) v.push_back(int_arg(x, what));
    return v;
  }

  Ref reduce(const Ref& fn, const Ref& args) {
    if (fn->kind != Kind::global)
      fail(cat("REDUCE calls a ", kind_name(fn->kind), ", not an allowed global"));
    if (args->kind != Kind::tuple) fail(cat("REDUCE arguments for ", fn->s, " are not a tuple"));
    const auto& a = args->items;
    if (fn->s == "collections.OrderedDict") {
      if (!a.empty())
        fail("OrderedDict is called with arguments; only OrderedDict() is interpreted");
      return make(Kind::dict);
    }
    if (fn->s == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != Kind::tensor)
        fail("_rebuild_parameter without a tensor argument");
      return a[0];
    }
    if (fn->s == "torch._utils._rebuild_tensor_v2" || fn->s == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != Kind::storage)
        fail(cat(fn->s, " needs (storage, offset, size, stride, ...)"));
      Ref t = make(Kind::tensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = int_arg(a[1], "the storage offset");
      t->tensor.shape = int_tuple(a[2], "the tensor size");
      t->tensor.stride = int_tuple(a[3], "the tensor stride");
      if (t->tensor.shape.size() != t->tensor.stride.size())
        fail(cat("tensor size has ", t->tensor.shape.size(), " dims but stride has ",
                 t->tensor.stride.size()));
      return t;
    }
    fail(cat("REDUCE calls '", fn->s, "', which only makes sense as a storage type"));
  }

  Ref persistent_load(const Ref& pid) {
    if (pid->kind != Kind::tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::string ||
        pid->items[0]->s != "storage")
      fail("BINPERSID id is not ('storage', type, key, location, numel)");
    const auto& it = pid->items;
    if (it[1]->kind != Kind::global || it[1]->s.rfind("torch.", 0) != 0)
      fail("BINPERSID storage type is not a torch.*Storage global");
    if (it[2]->kind != Kind::string) fail("BINPERSID storage key is not a string");
    Ref s = make(Kind::storage);
    s->tensor.storage_type = it[1]->s.substr(6);
    s->tensor.storage_key = it[2]->s;
    s->tensor.storage_numel = int_arg(it[4], "the storage size");
    return s;
  }

  void step(unsigned char op);

  const std::vector<char>& p_;
  std::string where_;
  size_t pos_ = 0, op_at_ = 0;
  std::vector<Ref> stack_;
  std::map<uint64_t, Ref> memo_;
};

void Machine::step(unsigned char op) {
  switch (op) {
    case 0x80:  // PROTO
      byte();
      return;
    case 0x95:  // FRAME
      uint(8);
      return;
    case '(':  // MARK
      stack_.push_back(make(Kind::mark));
      return;
    case ')':  // EMPTY_TUPLE
      stack_.push_back(tuple({}));
      return;
    case 't':  // TUPLE
      stack_.push_back(tuple(pop_to_mark()));
      return;
    case 0x85:
    case 0x86:
    case 0x87: {  // TUPLE1..3
      size_t n = op - 0x84u;
      if (stack_.size() < n) fail("TUPLE with too few values on the stack");
      std::vector<Ref> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
      stack_.resize(stack_.size() - n);
      stack_.push_back(tuple(std::move(items)));
      return;
    }
    case '}':  // EMPTY_DICT
      stack_.push_back(make(Kind::dict));
      return;
    case ']':  // EMPTY_LIST
      stack_.push_back(make(Kind::list));
      return;
    case 'l': {  // LIST
      Ref l = make(Kind::list);
      l->items = pop_to_mark();
      stack_.push_back(l);
      return;
    }
    case 'd': {  // DICT
      Ref d = make(Kind::dict);
      d->items = pop_to_mark();
      if (d->items.size() % 2) fail("DICT with an odd number of items");
      stack_.push_back(d);
      return;
    }
    case 's':
    case 'u': {  // SETITEM, SETITEMS
      std::vector<Ref> kv;
      if (op == 's') {
        Ref v = pop(), k = pop();
        kv = {k, v};
      } else {
        kv = pop_to_mark();
      }
      Ref& d = top();
      if (d->kind != Kind::dict || kv.size() % 2)
        fail("SETITEM(S) on something that is not a dict");
      d->items.insert(d->items.end(), kv.begin(), kv.end());
      return;
    }
    case 'a':
    case 'e': {  // APPEND, APPENDS
      std::vector<Ref> v = op == 'a' ? std::vector<Ref>{pop()} : pop_to_mark();
      Ref& l = top();
      if (l->kind != Kind::list) fail("APPEND(S) on something that is not a list");
      l->items.insert(l->items.end(), v.begin(), v.end());
      return;
    }
    case 'N':  // NONE
      stack_.push_back(make(Kind::none));
      return;
    case 0x88:
    case 0x89: {  // NEWTRUE, NEWFALSE
      Ref b = make(Kind::boolean);
      b->i = op == 0x88;
      stack_.push_back(b);
      return;
    }
    case 'J':  // BININT
      stack_.push_back(integer(static_cast<int32_t>(uint(4))));
      return;
    case 'K':  // BININT1
      stack_.push_back(integer(static_cast<int64_t>(uint(1))));
      return;
    case 'M':  // BININT2
      stack_.push_back(integer(static_cast<int64_t>(uint(2))));
      return;
    case 0x8a: {  // LONG1: little-endian two's complement
      uint64_t n = byte();
      if (n > 8) fail(cat("LONG1 of ", n, " bytes does not fit in 64 bits"));
      uint64_t v = n ? uint(static_cast<int>(n)) : 0;
      if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
      stack_.push_back(integer(static_cast<int64_t>(v)));
      return;
    }
    case 'G': {  // BINFLOAT: big-endian double
      uint64_t be = 0;
      for (int k = 0; k < 8; ++k) be = (be << 8) | byte();
      Ref f = make(Kind::floating);
      std::memcpy(&f->f, &be, 8);
      stack_.push_back(f);
      return;
    }
    case 'X':  // BINUNICODE
      stack_.push_back(string(bytes(uint(4))));
      return;
    case 0x8c:  // SHORT_BINUNICODE
      stack_.push_back(string(bytes(uint(1))));
      return;
    case 0x8d:  // BINUNICODE8
      stack_.push_back(string(bytes(uint(8))));
      return;
    case 'c': {  // GLOBAL "module\nname\n"
      std::string module = line();
      std::string name = line();
      stack_.push_back(global(module, name));
      return;
    }
    case 0x93: {  // STACK_GLOBAL
      Ref name = pop(), module = pop();
      if (name->kind != Kind::string || module->kind != Kind::string)
        fail("STACK_GLOBAL on non-strings");
      stack_.push_back(global(module->s, name->s));
      return;
    }
    case 'R': {  // REDUCE
      Ref args = pop(), fn = pop();
      stack_.push_back(reduce(fn, args));
      return;
    }
    case 'b': {  // BUILD: OrderedDict's _metadata is dropped
      pop();
      if (top()->kind != Kind::dict && top()->kind != Kind::tensor)
        fail("BUILD on something that is not a dict");
      return;
    }
    case 'Q':  // BINPERSID
      stack_.push_back(persistent_load(pop()));
      return;
    case 'q':  // BINPUT
      memo_put(uint(1));
      return;
    case 'r':  // LONG_BINPUT
      memo_put(uint(4));
      return;
    case 0x94:  // MEMOIZE
      memo_put(memo_.size());
      return;
    case 'h':  // BINGET
      memo_get(uint(1));
      return;
    case 'j':  // LONG_BINGET
      memo_get(uint(4));
      return;
    default:
      fail(cat("pickle opcode 0x", "0123456789abcdef"[op >> 4], "0123456789abcdef"[op & 15],
               (op >= 32 && op < 127 ? cat(" ('", static_cast<char>(op), "')") : std::string()),
               " is not one a torch state dict uses; lowbit refuses it rather than guess "
               "(re-save the weights as model.safetensors)"));
  }
}

}  // namespace

int torch_storage_element_bytes(const std::string& storage_type) {
  for (const auto& t : kStorageTypes)
    if (storage_type == t.name) return t.bytes;
  return 0;
}

std::vector<TorchTensorRecord> torch_pickle_state_dict(const std::vector<char>& pkl,
                                                       const std::string& where) {
  Ref root = Machine(pkl, where).run();
  LB_CHECK(root->kind == Kind::dict, where, ": the pickled object is a ", kind_name(root->kind),
           ", expected a state dict (name -> tensor)");
  std::vector<TorchTensorRecord> out;
  for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
    const Ref& key = root->items[k];
    const Ref& val = root->items[k + 1];
    LB_CHECK(key->kind == Kind::string, where, ": state dict key ", k / 2, " is a ",
             kind_name(key->kind), ", expected a string");
    LB_CHECK(val->kind == Kind::tensor, where, ": state dict entry '", key->s, "' is a ",
             kind_name(val->kind), ", expected a tensor");
    TorchTensorRecord r = val->tensor;
    r.name = key->s;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lowbit
