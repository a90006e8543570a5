#!/usr/bin/env python3
"""PyTorch side of bench/step_vs_pytorch.sh: the same architecture as lowbit's BERT-style or ViT
classifier, timed on the batch lowbit dumped (bench-step --dump-batch), one training step =
forward, cross-entropy, backward, grad-norm clip, AdamW step. Prints one JSON line."""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--kind", choices=["bert", "vit"], required=True)
ap.add_argument("--batch-file", required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--seq", type=int, default=0)
ap.add_argument("--layers", type=int, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--heads", type=int, required=True)
ap.add_argument("--ffn", type=int, required=True)
ap.add_argument("--vocab", type=int, default=30522)
ap.add_argument("--classes", type=int, required=True)
ap.add_argument("--image", type=int, default=28)
ap.add_argument("--patch", type=int, default=7)
ap.add_argument("--channels", type=int, default=1)
ap.add_argument("--dropout", type=float, default=0.1)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

raw = open(a.batch_file, "rb").read()
off = 0


def take(count, dtype):
    global off
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=off)
    off += arr.nbytes
    return torch.from_numpy(arr.copy())


def block(norm_first):
    return nn.TransformerEncoderLayer(a.hidden, a.heads, a.ffn, a.dropout, activation="gelu",
                                      batch_first=True, norm_first=norm_first)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(a.vocab, a.hidden)
        self.pos = nn.Embedding(512, a.hidden)
        self.segment = nn.Embedding(2, a.hidden)
        self.ln = nn.LayerNorm(a.hidden, eps=1e-12)
        self.blocks = nn.ModuleList([block(False) for _ in range(a.layers)])
        self.pooler = nn.Linear(a.hidden, a.hidden)
        self.head = nn.Linear(a.hidden, a.classes)
        self.drop = nn.Dropout(a.dropout)

    def forward(self, ids, seg, mask):
        h = self.word(ids) + self.pos(torch.arange(ids.shape[1]))[None] + self.segment(seg)
        h = self.drop(self.ln(h))
        for b in self.blocks:
            h = b(h, src_key_padding_mask=(mask == 0))
        return self.head(self.drop(torch.tanh(self.pooler(h[:, 0]))))


class Vit(nn.Module):
    def __init__(self):
        super().__init__()
        n = (a.image // a.patch) ** 2
        self.patch = nn.Conv2d(a.channels, a.hidden, a.patch, a.patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, a.hidden))
        self.pos = nn.Parameter(torch.zeros(1, n + 1, a.hidden))
        self.blocks = nn.ModuleList([block(True) for _ in range(a.layers)])
        self.ln = nn.LayerNorm(a.hidden, eps=1e-6)
        self.head = nn.Linear(a.hidden, a.classes)
        self.drop = nn.Dropout(a.dropout)

    def forward(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        x = self.drop(x)
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x)[:, 0])


if a.kind == "bert":
    n = a.batch * a.seq
    ids = take(n, np.int32).long().view(a.batch, a.seq)
    seg = take(n, np.int32).long().view(a.batch, a.seq)
    mask = take(n, np.uint8).view(a.batch, a.seq)
    model = Bert()
    inputs = (ids, seg, mask)
else:
    images = take(a.batch * a.channels * a.image * a.image, np.float32).view(a.batch, a.channels, a.image, a.image)
    model = Vit()
    inputs = (images,)
labels = take(a.batch, np.int32).long()
assert off == len(raw), f"batch file has {len(raw)} bytes, read {off}"

decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "word" not in n and "pos" not in n]
rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "word" not in n and "pos" not in n)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=1e-4)
model.train()
times = []
for s in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=False)
    loss = F.cross_entropy(model(*inputs), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    dt = (time.perf_counter() - t0) * 1000
    if s >= a.warmup:
        times.append(dt)
times.sort()
print(json.dumps({"engine": f"pytorch {torch.__version__}", "threads": a.threads,
                  "median_ms": round(times[len(times) // 2], 3), "min_ms": round(times[0], 3), "steps": a.steps}))
