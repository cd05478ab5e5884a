"""PyTorch's time for the fashion example's recipe, for the figure the example prints.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 torch_fashion.py \
        [--threads 2] [--data DIR] [--batch 64] [--epochs 20] [--lr 2e-3] [--wd 1e-4] [--train-rows 60000]

`fashion --compare` runs it this way after its own training, with its own options, so both times come from the same
run and the same recipe.

784-512-256-10, batch normalisation, ReLU and dropout 0.2 after each hidden layer, AdamW (one-cycle to the peak rate,
weight decay), label smoothing 0.1, over the 60,000 training images (a fresh permutation per epoch), then the test
accuracy. Reads the IDX files from the data dir (default /usr/share/datasets/fashion-mnist, where Debian's
dataset-fashion-mnist puts them). Prints the training time and the accuracy.
"""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    options = argparse.ArgumentParser()
    options.add_argument("--threads", type=int, default=2)
    options.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    options.add_argument("--batch", type=int, default=64)
    options.add_argument("--epochs", type=int, default=20)
    options.add_argument("--lr", type=float, default=2e-3)
    options.add_argument("--wd", type=float, default=1e-4)
    options.add_argument("--train-rows", type=int, default=60000)
    args = options.parse_args()
    torch.set_num_threads(args.threads)
    root = args.data + "/"
    train_x = torch.from_numpy(idx(root + "train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    train_y = torch.from_numpy(idx(root + "train-labels-idx1-ubyte.gz").astype(np.int64))
    train_x, train_y = train_x[:args.train_rows], train_y[:args.train_rows]
    test_x = torch.from_numpy(idx(root + "t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    test_y = torch.from_numpy(idx(root + "t10k-labels-idx1-ubyte.gz").astype(np.int64))
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 10))
    batch, epochs = args.batch, args.epochs
    steps = epochs * ((len(train_x) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(train_x))
        for s in range(0, len(train_x), batch):
            rows = order[s:s + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(train_x[rows]), train_y[rows], label_smoothing=0.1).backward()
            opt.step()
            schedule.step()
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"PyTorch {torch.__version__}: {elapsed:.1f} s, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
