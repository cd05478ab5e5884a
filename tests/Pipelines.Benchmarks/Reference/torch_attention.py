"""Times PyTorch's nn.MultiheadAttention as Pipelines' compare-derived command times its own.

Reads {"threads": T, "batch": N, "length": L, "embed": E, "heads": H} on stdin. One step is a self-attention forward
(batch_first, need_weights=False, dropout 0, in training mode), the sum of the output as the loss, and its backward,
float32. Prints {"case": "mha", "us": median microseconds per step}.
"""
import json
import sys

import torch
from torch import nn

from timing import median_us


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
