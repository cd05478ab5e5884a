"""Times numpy (OpenBLAS) on the same products as Pipelines' compare command.

Reads a JSON list of cases {name, m, k, n, backward} on stdin and prints one JSON object per case:
{"case", "backward", "us"} with the median time in microseconds. Forward is x @ w.T; forward+backward
adds dx = dy @ w, dw = dy.T @ x and db = dy.sum(0). Outputs are preallocated, so no allocation is timed.
"""
import json
import sys

import numpy as np

from timing import median_us


def main():
    rng = np.random.default_rng(0)
    for case in json.load(sys.stdin):
        m, k, n = case["m"], case["k"], case["n"]
        x = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        dy = rng.standard_normal((m, n), dtype=np.float32)
        y = np.empty((m, n), np.float32)
        dx = np.empty((m, k), np.float32)
        dw = np.empty((n, k), np.float32)
        db = np.empty((n,), np.float32)

        def forward():
            np.matmul(x, w.T, out=y)

        def forward_backward():
            np.matmul(x, w.T, out=y)
            np.matmul(dy, w, out=dx)
            np.matmul(dy.T, x, out=dw)
            np.sum(dy, axis=0, out=db)

        us = median_us(forward_backward if case["backward"] else forward)
        print(json.dumps({"case": case["name"], "backward": case["backward"], "us": us}), flush=True)


main()
