"""Times PyTorch on the same training steps as Pipelines' compare-training command.

Reads a JSON object {"threads": T, "cases": [...], "digits": path or null} on stdin. A case is
{name, batch, widths, optimizer ("sgd" or "adamw")}: the MLP widths[0]-...-widths[-1] with ReLU between layers,
cross-entropy, and one step = zero_grad, forward, loss, backward, optimizer step, as a PyTorch user writes it.
Prints one JSON object per case: {"case", "us"} with the median microseconds per step. With "digits", it also trains
the digits recipe end to end (64-512-256-10, ReLU, dropout 0.3, AdamW(1e-3, weight decay 1e-4), batch 32, 100
epochs, first 1347 rows) and prints {"case": "digits_train", "us": total, "accuracy": test accuracy}.
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from timing import median_us


def mlp(widths, dropout=0.0):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def optimizer(name, parameters):
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=0.01)
    return torch.optim.AdamW(parameters, lr=1e-3, weight_decay=1e-4)


def time_case(case):
    torch.manual_seed(0)
    model = mlp(case["widths"])
    opt = optimizer(case["optimizer"], model.parameters())
    x = torch.randn(case["batch"], case["widths"][0])
    y = torch.randint(0, case["widths"][-1], (case["batch"],))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return median_us(step, budget=case.get("budget", 1.0))


def digits(path):
    rows = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.float32)
    images, labels = torch.from_numpy(rows[:, :64] / 16), torch.from_numpy(rows[:, 64].astype(np.int64))
    train_x, train_y, test_x, test_y = images[:1347], labels[:1347], images[1347:], labels[1347:]
    torch.manual_seed(2026)
    model = mlp([64, 512, 256, 10], dropout=0.3)
    opt = optimizer("adamw", model.parameters())
    start = time.perf_counter()
    model.train()
    for _ in range(100):
        order = torch.randperm(1347)
        for s in range(0, 1347, 32):
            rows = order[s:s + 32]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(train_x[rows]), train_y[rows])
            loss.backward()
            opt.step()
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    return elapsed * 1e6, accuracy


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(request["threads"])
    for case in request["cases"]:
        print(json.dumps({"case": case["name"], "us": time_case(case)}), flush=True)
    if request.get("digits"):
        us, accuracy = digits(request["digits"])
        print(json.dumps({"case": "digits_train", "us": us, "accuracy": accuracy}), flush=True)


if __name__ == "__main__":
    main()
