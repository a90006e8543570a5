#!/usr/bin/env python3
"""Markdown tables from the JSON of gemm_int_bench and peak_bench (--benchmark_out=FILE).

GOP/s = 2 * M * N * K / time. Two rates per cell: from wall time and from the main thread's CPU
time; on a shared machine the CPU-time rate is the better estimate of what one core does, and for
2 threads neither is clean (the other thread's CPU time is not counted). Fraction of peak uses the
1-thread CPU-time peaks of peak_bench: f32 FMA for f32, VPMADDUBSW+VPMADDWD for int8, VPMADDWD for
int16, VPMADDUBSW+VPADDW for int4 (the instruction mix each AVX2 kernel is built on).

usage: gemm_int_table.py gemm_int.json [peak.json]
"""
import json
import sys

TYPES = ["int8", "int16(10b)", "int16(16b)", "int4", "f32"]
PRODUCTS = ["Y=X·Wᵀ", "dX=dY·W", "dW+=dYᵀ·X"]
PEAK_PROBE = {0: 2, 1: 1, 2: 1, 3: 3, 4: 0}  # type -> peak_bench probe index


def args_of(name):
    return {k: int(v) for k, v in (p.split(":") for p in name.split("/")[1:] if ":" in p)}


def load_peaks(path):
    peaks = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("error_occurred") or b.get("run_type") == "aggregate":
            continue
        a = args_of(b["name"])
        if a.get("threads") == 1 and "probe" in a:
            peaks[a["probe"]] = max(peaks.get(a["probe"], 0.0), b["GOP/s"])
    return peaks


def main():
    rows = {}
    for b in json.load(open(sys.argv[1]))["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        a = args_of(b["name"])
        scale = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b["time_unit"]]
        ops = 2.0 * a["M"] * a["N"] * a["K"]
        rows[(a["M"], a["K"], a["N"], a["product"], a["type"], a["threads"])] = (
            ops / (b["real_time"] * scale) * 1e-9, ops / (b["cpu_time"] * scale) * 1e-9)
    peaks = load_peaks(sys.argv[2]) if len(sys.argv) > 2 else {}
    for threads in sorted({k[5] for k in rows}):
        print(f"\n### {threads} thread(s): GOP/s wall / CPU-time" +
              (" (CPU-time fraction of the 1-core peak)" if peaks and threads == 1 else ""))
        print("| M | K | N | product | " + " | ".join(TYPES) + " | int8/f32 | int4/f32 |")
        print("|---" * (6 + len(TYPES)) + "|")
        for (m, k, n, p, t, th) in sorted(k for k in rows if k[4] == 0 and k[5] == threads):
            cells = []
            for ty in range(len(TYPES)):
                wall, cpu = rows.get((m, k, n, p, ty, th), (0.0, 0.0))
                cell = f"{wall:.0f} / {cpu:.0f}"
                if peaks and threads == 1 and PEAK_PROBE[ty] in peaks:
                    cell += f" ({cpu / peaks[PEAK_PROBE[ty]]:.0%})"
                cells.append(cell)
            f32 = rows.get((m, k, n, p, 4, th), (1, 1))[1]
            r8 = rows[(m, k, n, p, 0, th)][1] / f32
            r4 = rows.get((m, k, n, p, 3, th), (0, 0))[1] / f32
            print(f"| {m} | {k} | {n} | {PRODUCTS[p]} | " + " | ".join(cells) +
                  f" | {r8:.2f} | {r4:.2f} |")


if __name__ == "__main__":
    main()
