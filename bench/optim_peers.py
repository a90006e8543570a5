#!/usr/bin/env python3
"""Peer side of bench/optim_vs_peers.sh: AdamW step time on the all-MiniLM-L6-v2 parameter shapes
(the list in bench/optim_bench.cpp) for torch.optim.AdamW (32-bit state; the for-loop and the
fused implementations), bitsandbytes AdamW8bit
and torchao AdamW8bit, on the CPU. Same settings as lowbit's bench: lr 1e-6, weight decay 0.01
(none for biases and norms), 8-bit block 256, tensors under 4096 elements in 32-bit state.
Prints one JSON line per peer: {"peer", "threads", "median_ms" (wall), "cpu_ms" (process CPU time,
all threads), "state_mb"} or {"peer", "skipped"}."""
import argparse
import json
import statistics
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--peers", default="torch,torch-fused,bitsandbytes,torchao")
a = ap.parse_args()
torch.set_num_threads(a.threads)


def minilm_shapes():
    h, ffn = 384, 1536
    s = [("emb.word", (30522, h), True), ("emb.pos", (512, h), True), ("emb.type", (2, h), True),
         ("emb.norm.weight", (h,), False), ("emb.norm.bias", (h,), False)]
    for l in range(6):
        p = f"encoder.{l}."
        for m in ("attn.query", "attn.key", "attn.value", "attn.out"):
            s += [(p + m + ".weight", (h, h), True), (p + m + ".bias", (h,), False)]
        s += [(p + "attn_norm.weight", (h,), False), (p + "attn_norm.bias", (h,), False),
              (p + "ffn.up.weight", (ffn, h), True), (p + "ffn.up.bias", (ffn,), False),
              (p + "ffn.down.weight", (h, ffn), True), (p + "ffn.down.bias", (h,), False),
              (p + "ffn_norm.weight", (h,), False), (p + "ffn_norm.bias", (h,), False)]
    return s + [("pooler.weight", (h, h), True), ("pooler.bias", (h,), False)]


def make_params():
    g = torch.Generator().manual_seed(1)
    decay, no_decay = [], []
    for _, shape, d in minilm_shapes():
        p = torch.nn.Parameter(torch.randn(shape, generator=g) * 0.02)
        p.grad = torch.randn(shape, generator=g) * 1e-3
        (decay if d else no_decay).append(p)
    return [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]


def state_mb(opt):
    total = 0
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, torch.Tensor) and v.numel() > 1:
                inner = [getattr(v, n) for n in ("codes", "scale") if hasattr(v, n)]
                total += sum(t.numel() * t.element_size() for t in inner) if inner else \
                    v.numel() * v.element_size()
    return total / 1e6


def make(peer, groups):
    if peer == "torch":
        return torch.optim.AdamW(groups, lr=1e-6, foreach=False)
    if peer == "torch-fused":  # one fused CPU kernel per tensor (torch >= 2.4)
        return torch.optim.AdamW(groups, lr=1e-6, fused=True)
    if peer == "bitsandbytes":
        import bitsandbytes as bnb
        return bnb.optim.AdamW8bit(groups, lr=1e-6, min_8bit_size=4096)
    if peer == "torchao":
        from torchao.optim import AdamW8bit
        return AdamW8bit(groups, lr=1e-6, block_size=256)
    raise ValueError(peer)


for peer in a.peers.split(","):
    try:
        opt = make(peer, make_params())
        for _ in range(a.warmup):  # torchao compiles its step on the first call
            opt.step()
        wall, cpu = [], []
        for _ in range(a.steps):
            t0, c0 = time.perf_counter(), time.process_time()  # process time: all threads
            opt.step()
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        print(json.dumps({"peer": peer, "threads": a.threads, "median_ms": statistics.median(wall),
                          "cpu_ms": statistics.median(cpu), "state_mb": state_mb(opt)}),
              flush=True)
    except Exception as e:  # a peer without a CPU path, or not installed
        print(json.dumps({"peer": peer, "skipped": f"{type(e).__name__}: {e}"[:300]}), flush=True)
