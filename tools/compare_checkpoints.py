#!/usr/bin/env python3
"""Byte-for-byte comparison of two run directories' safetensors checkpoints (model and optimizer):
every tensor's data bytes, the header's __metadata__ ignored (it holds run details such as paths).
Used to show that a kernel change gives the same bits end to end. Exit status 1 if any tensor
differs or is missing, 2 on unreadable input.

    tools/compare_checkpoints.py runs/old runs/new
"""
import glob
import json
import os
import struct
import sys


def tensors(path):
    try:
        with open(path, "rb") as f:
            blob = f.read()
        n = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8:8 + n])
    except (OSError, ValueError, struct.error) as e:
        sys.exit(f"{path}: not a readable safetensors file ({e})")
    base = 8 + n
    return {k: blob[base + v["data_offsets"][0]:base + v["data_offsets"][1]]
            for k, v in header.items() if k != "__metadata__"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old_dir, new_dir = sys.argv[1:]
    files = sorted(glob.glob(os.path.join(old_dir, "*.safetensors")))
    if not files:
        print(f"{old_dir}: no .safetensors files", file=sys.stderr)
        sys.exit(2)
    compared = differ = 0
    for f in files:
        g = os.path.join(new_dir, os.path.basename(f))
        if not os.path.exists(g):
            print(f"missing in {new_dir}: {os.path.basename(f)}")
            differ += 1
            continue
        a, b = tensors(f), tensors(g)
        for name in sorted(set(a) | set(b)):
            compared += 1
            if a.get(name) != b.get(name):
                differ += 1
                print(f"differs: {os.path.basename(f)} {name}")
    print(f"{compared} tensors compared, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
