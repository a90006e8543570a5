#!/usr/bin/env python3
"""Golden fixture for lowbit's BERT-style classifier, computed independently with PyTorch.

Writes tests/golden/bert_tiny.json: config, a batch (with padding and two segments), every
parameter (lowbit's names), the logits, the loss, every gradient, and the losses and final
weights after three AdamW steps (torch.optim.AdamW; no decay on biases, norms, embeddings).
Everything is float64, so lowbit's f64 run can be compared tightly and its f32 run loosely.

Run with Debian's PyTorch:  apt-get install python3-torch && /usr/bin/python3 tests/golden/make_bert_golden.py
"""
import json
import math
import os

import torch

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)

CFG = dict(layers=2, hidden=16, heads=4, ffn=24, vocab=40, max_positions=10, type_vocab=2,
           classes=3, ln_eps=1e-12)
B, T = 3, 7
OPT = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, steps=3)

ids = torch.randint(1, CFG["vocab"], (B, T))
segments = torch.zeros(B, T, dtype=torch.long)
segments[1, 4:] = 1
segments[2, 3:] = 1
mask = torch.ones(B, T, dtype=torch.long)
mask[0, 5:] = 0  # padding
mask[2, 6:] = 0
ids[mask == 0] = 0
labels = torch.tensor([2, 0, 1])

H, C, F = CFG["heads"], CFG["hidden"], CFG["ffn"]
params = {}  # name -> (tensor, decay)


def add(name, shape, kind):
    if kind == "gamma":
        t = 1.0 + 0.1 * torch.randn(*shape)
    elif kind == "zero_ish":
        t = 0.05 * torch.randn(*shape)
    else:
        t = 0.2 * torch.randn(*shape)
    params[name] = (t.requires_grad_(True), kind == "weight")


add("embeddings.word", (CFG["vocab"], C), "table")
add("embeddings.position", (CFG["max_positions"], C), "table")
add("embeddings.token_type", (CFG["type_vocab"], C), "table")
add("embeddings.ln.gamma", (C,), "gamma")
add("embeddings.ln.beta", (C,), "zero_ish")
for i in range(CFG["layers"]):
    p = f"encoder.{i}"
    for proj in ("query", "key", "value", "output"):
        add(f"{p}.attention.{proj}.weight", (C, C), "weight")
        add(f"{p}.attention.{proj}.bias", (C,), "zero_ish")
    add(f"{p}.ln1.gamma", (C,), "gamma")
    add(f"{p}.ln1.beta", (C,), "zero_ish")
    add(f"{p}.ffn.fc1.weight", (F, C), "weight")
    add(f"{p}.ffn.fc1.bias", (F,), "zero_ish")
    add(f"{p}.ffn.fc2.weight", (C, F), "weight")
    add(f"{p}.ffn.fc2.bias", (C,), "zero_ish")
    add(f"{p}.ln2.gamma", (C,), "gamma")
    add(f"{p}.ln2.beta", (C,), "zero_ish")
add("pooler.weight", (C, C), "weight")
add("pooler.bias", (C,), "zero_ish")
add("classifier.weight", (CFG["classes"], C), "weight")
add("classifier.bias", (CFG["classes"],), "zero_ish")


def P(name):
    return params[name][0]


def layer_norm(x, pre):
    return torch.nn.functional.layer_norm(x, (C,), P(pre + ".gamma"), P(pre + ".beta"), CFG["ln_eps"])


def linear(x, pre):
    return x @ P(pre + ".weight").T + P(pre + ".bias")


def forward():
    pos = torch.arange(T)
    h = P("embeddings.word")[ids] + P("embeddings.position")[pos][None] + P("embeddings.token_type")[segments]
    h = layer_norm(h, "embeddings.ln")
    key_bias = torch.zeros(B, 1, 1, T)
    key_bias[mask[:, None, None, :] == 0] = -1e30
    d = C // H
    for i in range(CFG["layers"]):
        p = f"encoder.{i}"
        def heads(x):
            return x.view(B, T, H, d).transpose(1, 2)
        q = heads(linear(h, p + ".attention.query"))
        k = heads(linear(h, p + ".attention.key"))
        v = heads(linear(h, p + ".attention.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + key_bias, dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, C)
        h = layer_norm(h + linear(ctx, p + ".attention.output"), p + ".ln1")
        f = linear(torch.nn.functional.gelu(linear(h, p + ".ffn.fc1")), p + ".ffn.fc2")
        h = layer_norm(h + f, p + ".ln2")
    pooled = torch.tanh(linear(h[:, 0], "pooler"))
    logits = linear(pooled, "classifier")
    return logits, torch.nn.functional.cross_entropy(logits, labels)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


logits, loss = forward()
loss.backward()
out = {
    "config": CFG, "batch": B, "seq": T,
    "ids": flat(ids), "segments": flat(segments), "mask": flat(mask), "labels": flat(labels),
    "params": {n: {"shape": list(t.shape), "decay": dec, "value": flat(t)} for n, (t, dec) in params.items()},
    "logits": flat(logits), "loss": float(loss),
    "grads": {n: flat(t.grad) for n, (t, _) in params.items()},
    "optimizer": OPT,
}

decay = [t for t, dec in params.values() if dec]
no_decay = [t for t, dec in params.values() if not dec]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": OPT["weight_decay"]},
                         {"params": no_decay, "weight_decay": 0.0}],
                        lr=OPT["lr"], betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"])
step_losses = []
for _ in range(OPT["steps"]):
    opt.zero_grad()
    _, l = forward()
    l.backward()
    step_losses.append(float(l))
    opt.step()
out["adamw_step_losses"] = step_losses
out["adamw_final_params"] = {n: flat(t) for n, (t, _) in params.items()}
out["torch_version"] = torch.__version__

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bert_tiny.json")
with open(path, "w") as fh:
    json.dump(out, fh, separators=(",", ":"))
print(f"wrote {path}: loss {float(loss):.6f}, {len(params)} parameters")
