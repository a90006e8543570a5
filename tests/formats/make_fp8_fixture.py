# Makes fp8_fixture.txt: float32 inputs and their FP8 codes as ml_dtypes casts them
# (float8_e4m3fn, float8_e5m2), the independent oracle for our RNE encoder.
# Run: python3 -m venv /tmp/mlenv && /tmp/mlenv/bin/pip install ml_dtypes numpy
#      /tmp/mlenv/bin/python tests/formats/make_fp8_fixture.py > tests/formats/fp8_fixture.txt
import sys

import ml_dtypes
import numpy as np

rng = np.random.default_rng(20231)
vals = []
# Edge values: zeros, format limits, their neighbours, specials.
edges = [0.0, -0.0, 448.0, 464.0, 465.0, 480.0, 57344.0, 59392.0, 61440.0, 2.0**-6, 2.0**-9,
         2.0**-10, 1.5 * 2.0**-10, 2.0**-14, 2.0**-16, 2.0**-17, 1.5 * 2.0**-17, 1.0, 0.5,
         float("inf"), float("nan"), 1e-30, 3e38]
for e in edges:
    vals += [e, -e]
    if np.isfinite(e) and e != 0:
        f = np.float32(e)
        vals += [float(np.nextafter(f, np.float32(np.inf))), float(np.nextafter(f, np.float32(0)))]
# Exact midpoints between adjacent codes of both formats, and their float neighbours.
for dt in (ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2):
    codes = np.arange(0, 0x7F, dtype=np.uint8).view(dt).astype(np.float64)
    codes = codes[np.isfinite(codes)]
    mids = (codes[:-1] + codes[1:]) / 2
    pick = rng.choice(len(mids), size=60, replace=False)
    for m in mids[pick]:
        f = np.float32(m)
        s = 1.0 if rng.random() < 0.5 else -1.0
        vals += [s * float(f), s * float(np.nextafter(f, np.float32(np.inf))),
                 s * float(np.nextafter(f, np.float32(0)))]
# Random magnitudes spread over every binade the formats touch (and beyond, both ways).
while len(vals) < 1000:
    e = rng.uniform(-20, 17)
    s = 1.0 if rng.random() < 0.5 else -1.0
    vals.append(s * float(2.0**e))
vals = np.array(vals[:1000], dtype=np.float32)

e4 = vals.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
e5 = vals.astype(ml_dtypes.float8_e5m2).view(np.uint8)
out = sys.stdout
out.write(f"# ml_dtypes {ml_dtypes.__version__}, numpy {np.__version__}: f32_bits e4m3fn e5m2\n")
for v, a, b in zip(vals.view(np.uint32), e4, e5):
    out.write(f"{v:08x} {a:02x} {b:02x}\n")
