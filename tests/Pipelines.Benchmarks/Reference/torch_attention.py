"""Times PyTorch's nn.MultiheadAttention as Pipelines' compare-derived command times its own.

Reads {"threads": T, "batch": N, "length": L, "embed": E, "heads": H} on stdin. One step is a self-attention forward
(batch_first, need_weights=False, dropout 0, in training mode), the sum of the output as the loss, and its backward,
float32. Prints {"case": "mha", "us": median microseconds per step}.
"""
import json
import sys
import time

import torch
from torch import nn


def median_us(f, budget=1.0, min_samples=7):
    warm_up = time.perf_counter() + 0.2
    f()
    while time.perf_counter() < warm_up:
        f()
    start = time.perf_counter()
    f()
    once = max(time.perf_counter() - start, 1e-7)
    inner = max(1, int(0.002 / once))
    samples = []
    deadline = time.perf_counter() + budget
    while len(samples) < min_samples or (time.perf_counter() < deadline and len(samples) < 200):
        t = time.perf_counter()
        for _ in range(inner):
            f()
        samples.append((time.perf_counter() - t) / inner)
    samples.sort()
    return samples[len(samples) // 2] * 1e6


request = json.load(sys.stdin)
torch.set_num_threads(request["threads"])
torch.manual_seed(0)
attention = nn.MultiheadAttention(request["embed"], request["heads"], batch_first=True).train()
x = torch.randn(request["batch"], request["length"], request["embed"], requires_grad=True)


def step():
    attention.zero_grad(set_to_none=True)
    x.grad = None
    y, _ = attention(x, x, x, need_weights=False)
    y.sum().backward()


print(json.dumps({"case": "mha", "us": median_us(step)}), flush=True)
