#!/usr/bin/env python3
"""Fixtures for lowbit's Hugging Face import/export tests, made by transformers itself.

Writes into tests/hf/ (all committed):
  minilm_fixture.safetensors  100 real WordNet glosses tokenized by transformers' BertTokenizer
                              (ids, mask) and, for 20 of them, BertModel's last hidden states (real
                              tokens only, concatenated) and pooled outputs from all-MiniLM-L6-v2,
                              float32; the f32-vs-f64 spread of those outputs (metadata) sets the
                              C++ test's tolerance.
  tiny_bert/                  a tiny random BertForSequenceClassification saved with torch.save
                              (pytorch_model.bin), with f16/bf16, strided, offset and tied tensors,
                              a position_ids buffer, legacy gamma/beta names; expected.json holds
                              its values under lowbit's names.
  malformed/                  torch-style zips whose data.pkl calls os.system, or uses a pickle
                              opcode no state dict uses: the reader must refuse both.

Usage:  tests/hf/make_hf_fixture.py [--model DIR]         (default: scripts/fetch_pretrained.sh)
        tests/hf/make_hf_fixture.py --check-export DIR [--test FILE.jsonl]
            (transformers loads a `lowbit export` folder and compares it with the fixture; for
            a classifier, prints its accuracy on FILE.jsonl to set beside lowbit's)
It creates .venv-hf (with --system-site-packages, so Debian's python3-torch 1.13 is reused)
and installs transformers 4.40.2 there, the last line that supports torch 1.13 well.
"""
import json
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "hf")
VENV = os.path.join(ROOT, ".venv-hf")
TRANSFORMERS = "transformers==4.40.2"
MAX_LENGTH = 64  # data.max_length of the recipes
N_TEXTS, N_HIDDEN = 100, 20


def ensure_venv():
    """Re-runs this script inside .venv-hf, creating it first when needed."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.abspath(sys.prefix) == os.path.abspath(VENV):
        return
    if not os.path.exists(py):
        subprocess.check_call(["/usr/bin/python3", "-m", "venv", "--system-site-packages", VENV])
    probe = "import torch, transformers; assert transformers.__version__ == '4.40.2'"
    if subprocess.call([py, "-c", probe], stderr=subprocess.DEVNULL) != 0:
        pkgs = [TRANSFORMERS]
        if subprocess.call([py, "-c", "import torch"], stderr=subprocess.DEVNULL) != 0:
            pkgs.append("torch")  # no usable Debian python3-torch: take PyPI's
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", *pkgs])
    os.execv(py, [py, *sys.argv])


def wordnet_glosses():
    """N_TEXTS glosses (text after '|'), evenly spaced through the four data files."""
    out = []
    for pos in ("noun", "verb", "adj", "adv"):
        path = f"/usr/share/wordnet/data.{pos}"
        if not os.path.exists(path):
            sys.exit(f"{path} not found: apt-get install wordnet-base")
        with open(path, encoding="utf-8") as f:
            lines = [l for l in f if not l.startswith("  ") and "|" in l]
        k = N_TEXTS // 4
        for i in range(k):
            line = lines[i * len(lines) // k]
            out.append((f"data.{pos}:{line.split()[0]}", line.split("|", 1)[1].strip()))
    return out


def model_dir(argv):
    if "--model" in argv:
        return argv[argv.index("--model") + 1]
    return subprocess.check_output([os.path.join(ROOT, "scripts", "fetch_pretrained.sh")], text=True).strip()


def minilm_fixture(mdir):
    import numpy as np
    import torch
    import transformers
    from safetensors.numpy import save_file
    from transformers import BertModel, BertTokenizer

    texts = wordnet_glosses()
    tok = BertTokenizer.from_pretrained(mdir)
    enc = tok([t for _, t in texts], padding="max_length", truncation=True, max_length=MAX_LENGTH,
              return_tensors="np")
    ids, mask = enc["input_ids"].astype(np.int32), enc["attention_mask"].astype(np.uint8)
    pick = np.arange(0, N_TEXTS, N_TEXTS // N_HIDDEN)[:N_HIDDEN].astype(np.int32)
    t = int(mask[pick].sum(1).max())
    batch = dict(input_ids=torch.from_numpy(ids[pick, :t].astype(np.int64)),
                 attention_mask=torch.from_numpy(mask[pick, :t].astype(np.int64)),
                 token_type_ids=torch.zeros(len(pick), t, dtype=torch.long))
    model = BertModel.from_pretrained(mdir).eval()
    with torch.no_grad():
        o32 = model(**batch)
        o64 = model.double()(**batch)
    real = mask[pick, :t].astype(bool)
    hidden = o32.last_hidden_state.numpy()[real]  # (real tokens, C)
    hidden64 = o64.last_hidden_state.numpy()[real]
    pooled, pooled64 = o32.pooler_output.numpy(), o64.pooler_output.numpy()
    meta = {
        "texts": json.dumps([t for _, t in texts]),
        "sources": json.dumps([s for s, _ in texts]),
        "max_length": str(MAX_LENGTH),
        "f32_vs_f64_hidden": repr(float(np.abs(hidden - hidden64).max())),
        "f32_vs_f64_pooled": repr(float(np.abs(pooled - pooled64).max())),
        "max_abs_hidden": repr(float(np.abs(hidden).max())),
        "transformers": transformers.__version__, "torch": torch.__version__,
        "model": "all-MiniLM-L6-v2 (" + os.path.basename(os.path.realpath(mdir)) + ")",
    }
    path = os.path.join(HERE, "minilm_fixture.safetensors")
    save_file({"ids": ids, "mask": mask, "pick": pick, "hidden": hidden.astype(np.float32),
               "pooled": pooled.astype(np.float32)}, path, metadata=meta)
    print(f"wrote {path}: {len(texts)} glosses, hidden {hidden.shape}, f32 vs f64 "
          f"{meta['f32_vs_f64_hidden']} / {meta['f32_vs_f64_pooled']}")


TINY = dict(vocab_size=40, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
            max_position_embeddings=16, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu")


def lowbit_name(hf):
    """The rename table of src/lowbit/train/hf_bert_names.cpp, written again independently."""
    n = hf[5:] if hf.startswith("bert.") else hf
    n = n.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
    fixed = {"embeddings.word_embeddings.weight": "embeddings.word",
             "embeddings.position_embeddings.weight": "embeddings.position",
             "embeddings.token_type_embeddings.weight": "embeddings.token_type",
             "embeddings.LayerNorm.weight": "embeddings.ln.gamma", "embeddings.LayerNorm.bias": "embeddings.ln.beta",
             "pooler.dense.weight": "pooler.weight", "pooler.dense.bias": "pooler.bias"}
    if n in fixed:
        return fixed[n]
    if not n.startswith("encoder.layer."):
        return None
    i, rest = n[len("encoder.layer."):].split(".", 1)
    sub = {"attention.self.query": "attention.query", "attention.self.key": "attention.key",
           "attention.self.value": "attention.value", "attention.output.dense": "attention.output",
           "intermediate.dense": "ffn.fc1", "output.dense": "ffn.fc2"}
    mod, leaf = rest.rsplit(".", 1)
    if mod == "attention.output.LayerNorm":
        return f"encoder.{i}.ln1." + {"weight": "gamma", "bias": "beta"}[leaf]
    if mod == "output.LayerNorm":
        return f"encoder.{i}.ln2." + {"weight": "gamma", "bias": "beta"}[leaf]
    return f"encoder.{i}.{sub[mod]}.{leaf}"


def tiny_bert():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(7)
    model = BertForSequenceClassification(BertConfig(num_labels=3, **TINY))
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    for k in sd:  # random LayerNorm parameters and biases, so a wrong mapping shows
        if "LayerNorm" in k or k.endswith("bias"):
            sd[k] = torch.randn_like(sd[k]) * 0.5 + (1.0 if k.endswith("weight") else 0.0)
    w = "bert.embeddings.word_embeddings.weight"
    big = torch.randn(TINY["vocab_size"] + 3, TINY["hidden_size"])
    sd[w] = big[3:]  # a view with a storage offset, inside a larger storage
    sd["cls.predictions.decoder.weight"] = sd[w]  # tied: shares the storage
    p = "bert.pooler.dense.weight"
    sd[p] = sd[p].t().contiguous().t()  # strides (1, C): not contiguous
    sd["bert.pooler.dense.bias"] = sd["bert.pooler.dense.bias"].half()
    sd["bert.encoder.layer.1.output.dense.bias"] = sd["bert.encoder.layer.1.output.dense.bias"].bfloat16()
    sd["bert.embeddings.position_ids"] = torch.arange(TINY["max_position_embeddings"]).unsqueeze(0)
    for legacy in ("bert.encoder.layer.0.output.LayerNorm", "bert.embeddings.LayerNorm"):
        sd[legacy + ".gamma"] = sd.pop(legacy + ".weight")
        sd[legacy + ".beta"] = sd.pop(legacy + ".bias")
    out = os.path.join(HERE, "tiny_bert")
    os.makedirs(out, exist_ok=True)
    torch.save(sd, os.path.join(out, "pytorch_model.bin"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(dict(model_type="bert", architectures=["BertForSequenceClassification"], **TINY), f, indent=2)
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] +
                          [f"w{i}" for i in range(TINY["vocab_size"] - 5)]) + "\n")
    expected = {}
    for k, v in sd.items():
        n = lowbit_name(k)
        if n is not None:
            expected[n] = {"shape": list(v.shape), "value": [float(x) for x in v.float().reshape(-1)]}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "tensors": expected}, f, separators=(",", ":"))
    print(f"wrote {out}: {len(sd)} state-dict entries, {len(expected)} encoder tensors")


def torch_style_zip(path, pkl):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")


def malformed():
    import pickle

    out = os.path.join(HERE, "malformed")
    os.makedirs(out, exist_ok=True)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo this must never run",))

    torch_style_zip(os.path.join(out, "evil_global.bin"), pickle.dumps({"x": Evil()}, protocol=2))
    torch_style_zip(os.path.join(out, "unknown_opcode.bin"), pickle.dumps({"x": 1}, protocol=0))
    print(f"wrote {out}: evil_global.bin, unknown_opcode.bin")


def check_export(folder, test_file=None):
    """Loads a `lowbit export` folder with transformers and compares it with the fixture; for a
    classifier, also its accuracy on a JSONL test file (text, label), to set beside lowbit's."""
    import numpy as np
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoConfig, BertForSequenceClassification, BertModel, BertTokenizer

    fx = load_file(os.path.join(HERE, "minilm_fixture.safetensors"))
    cfg = AutoConfig.from_pretrained(folder)
    classifier = cfg.architectures == ["BertForSequenceClassification"]
    cls = BertForSequenceClassification if classifier else BertModel
    model, info = cls.from_pretrained(folder, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    assert not bad, f"transformers reports {bad}"
    model.eval()
    pick = fx["pick"]
    t = int(fx["mask"][pick].sum(1).max())
    batch = dict(input_ids=torch.from_numpy(fx["ids"][pick, :t].astype(np.int64)),
                 attention_mask=torch.from_numpy(fx["mask"][pick, :t].astype(np.int64)))
    with torch.no_grad():
        bert = model.bert if classifier else model
        o = bert(**batch)
        real = fx["mask"][pick, :t].astype(bool)
        dh = float(np.abs(o.last_hidden_state.numpy()[real] - fx["hidden"]).max())
        dp = float(np.abs(o.pooler_output.numpy() - fx["pooled"]).max())
        print(f"{folder}: loaded as {cls.__name__}, no missing/unexpected keys; vs the fixture "
              f"(0 for the unchanged pretrained encoder): max |d hidden| {dh:.3g}, max |d pooled| {dp:.3g}")
        if classifier:
            logits = model(**batch).logits.numpy()
            print(f"labels {len(cfg.id2label)}: {list(cfg.id2label.values())[:4]}...; predictions of the 20 "
                  f"fixture glosses: {[cfg.id2label[int(i)] for i in logits.argmax(1)][:8]}...")
        if classifier and test_file:
            rows = [json.loads(l) for l in open(test_file, encoding="utf-8")]
            tok = BertTokenizer.from_pretrained(folder)
            label2id = {v: int(k) for k, v in cfg.id2label.items()}
            right = 0
            for i in range(0, len(rows), 64):
                chunk = rows[i:i + 64]
                enc = tok([r["text"] for r in chunk], padding=True, truncation=True,
                          max_length=MAX_LENGTH, return_tensors="pt")
                pred = model(**enc).logits.argmax(1).tolist()
                right += sum(int(p == label2id[r["label"]]) for p, r in zip(pred, chunk))
            print(f"transformers' accuracy on {test_file}: {right}/{len(rows)} = {100 * right / len(rows):.2f} %")


if __name__ == "__main__":
    ensure_venv()
    if "--check-export" in sys.argv:
        test = sys.argv[sys.argv.index("--test") + 1] if "--test" in sys.argv else None
        check_export(sys.argv[sys.argv.index("--check-export") + 1], test)
    else:
        minilm_fixture(model_dir(sys.argv))
        tiny_bert()
        malformed()
