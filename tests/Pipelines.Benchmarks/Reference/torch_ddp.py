"""Times PyTorch 1.13 DistributedDataParallel (gloo, 127.0.0.1) on the MLPs of Pipelines' compare-cluster command.

Reads {"world": W, "steps": S, "cases": [{name, widths, batch}]} on stdin. For each case, W processes (one thread
each) train widths[0]-...-widths[-1] with ReLU, cross-entropy and AdamW(1e-3), each rank on batch / W random examples,
as a DDP user writes the loop (zero_grad, forward, loss, backward with the all-reduce, step). Prints one JSON object
per case: {"case", "us"}, the median microseconds per step over S timed steps after 5 warm-up steps.
"""
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def rank_main(rank, world, port, case, steps, results):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    torch.manual_seed(rank)
    model = nn.parallel.DistributedDataParallel(mlp(case["widths"]))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    local = case["batch"] // world
    x = torch.randn(local, case["widths"][0])
    y = torch.randint(0, case["widths"][-1], (local,))
    times = []
    for step in range(5 + steps):
        dist.barrier()
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if step >= 5:
            times.append(time.perf_counter() - start)
    if rank == 0:
        times.sort()
        results.put(times[len(times) // 2] * 1e6)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    request = json.load(sys.stdin)
    context = mp.get_context("spawn")
    for case in request["cases"]:
        results = context.SimpleQueue()
        mp.spawn(rank_main, args=(request["world"], free_port(), case, request["steps"], results), nprocs=request["world"], join=True)
        print(json.dumps({"case": case["name"], "us": results.get()}), flush=True)


if __name__ == "__main__":
    main()
