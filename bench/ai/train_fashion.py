#!/usr/bin/python3
"""The peer of aicq's ai.train and ai.infer: the same Fashion-MNIST CNN, data, batch, optimizer, seed and thread
count with Debian's python3-torch 1.13 (the same libtorch_cpu.so, oneDNN and OpenBLAS that aicq links), so that
a ratio aicq ÷ this is the cost or gain of aicq's C++ driving of the same kernels. Run with Debian's
/usr/bin/python3 (the first python3 on PATH may be another interpreter without torch).

    /usr/bin/python3 bench/ai/train_fashion.py train [--threads N] [--batch 64] [--lr 1e-3] [--seed 0]
                                                     [--target 0.85] [--eval-every S] [--budget-s 120]
    /usr/bin/python3 bench/ai/train_fashion.py infer [same training options] [--offline-batch 1000]
                                                     [--offline-reps 10] [--queries 2000] [--grad-mode no_grad]

Prints one JSON record on stdout (schema aicq-bench-ai-peer/1); progress goes to stderr.

train (as ai.train, src/aicq/probe/ai_model.cpp): conv 1→32 3×3 same, ReLU, 2×2 max-pool, conv 32→64 3×3 same,
ReLU, 2×2 max-pool, linear 3136→128, ReLU, linear 128→10 (src/aicq/probe/flops.hpp, CnnShape); weights from
torch.manual_seed(seed); pixels ÷ 255 normalised with the training set's mean and standard deviation; batches of
`batch` from aicq's SplitMix64 permutation of the 60 000 training images per epoch (full batches only); Adam, lr 1e-3,
cross-entropy; the full 10 000-image test set evaluated every `eval_every` steps (no-grad, batches of 1000) until
the top-1 accuracy reaches the target. Clocks (MLPerf Training): time_to_accuracy_s runs from the start of the
first training step to the end of the evaluation that reached the target; samples/s = samples trained ÷ the
time spent in training steps only (evaluations excluded).

infer (as ai.infer, src/aicq/probe/ai_infer.cpp, which trains its model the same way when ai.train did not run
in its process): the model trained to the target first (untimed), then, in no-grad mode, Offline: the 10 000 test
images in batches of `offline_batch`, samples/s per pass over the set; SingleStream: `queries` test images one at
a time (batch 1), every query's latency, p50/p90/p99 by the nearest rank (the ⌈p·n⌉-th smallest).
"""
import argparse
import gzip
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = os.environ.get("AICQ_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def log(msg):
    print(f"train_fashion: {msg}", file=sys.stderr, flush=True)


def read_idx(path):
    """One gzipped IDX file (magic 0 0 8 ndims, big-endian uint32 sizes, uint8 data) as a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    ndims = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndims)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndims)
    if body.size != math.prod(dims):
        raise SystemExit(f"{path}: {body.size} data bytes, dims {dims} need {math.prod(dims)}")
    return body.reshape(dims)


def load_data():
    """Images float32 [N,1,28,28] normalised with the training set's mean and std (of pixels ÷ 255), labels int64."""
    t0 = time.perf_counter()
    p = lambda name: os.path.join(DATA_DIR, name)
    train_x = read_idx(p("train-images-idx3-ubyte.gz"))
    train_y = read_idx(p("train-labels-idx1-ubyte.gz"))
    test_x = read_idx(p("t10k-images-idx3-ubyte.gz"))
    test_y = read_idx(p("t10k-labels-idx1-ubyte.gz"))
    # As aicq: uint8 → float32 ÷ 255, then the training set's mean and (unbiased) standard deviation, computed by
    # torch in float32, subtracted and divided in place.
    train_f = torch.from_numpy(train_x.copy()).reshape(-1, 1, 28, 28).to(torch.float32).div_(255.0)
    test_f = torch.from_numpy(test_x.copy()).reshape(-1, 1, 28, 28).to(torch.float32).div_(255.0)
    mean, std = train_f.mean().item(), train_f.std().item()

    def images(x):
        return x.sub_(mean).div_(std)

    data = {"train_x": images(train_f), "train_y": torch.from_numpy(train_y.astype(np.int64)),
            "test_x": images(test_f), "test_y": torch.from_numpy(test_y.astype(np.int64)),
            "mean": mean, "std": std, "load_s": time.perf_counter() - t0}
    return data


class FashionCnn(nn.Module):
    """Declared in the order of aicq's FashionCnnImpl (conv1, conv2, fc1, fc2), so that one seed gives one set
    of initial weights in both."""

    def __init__(self, c1=32, c2=64, k=3, hidden=128, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, k, padding=k // 2)
        self.conv2 = nn.Conv2d(c1, c2, k, padding=k // 2)
        self.fc1 = nn.Linear(c2 * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


def flop_per_sample(c1=32, c2=64, k=3, hidden=128, classes=10, image=28):
    """Forward and training FLOP per sample, as src/aicq/probe/flops.hpp counts them (2 FLOP per multiply-add,
    matrix work only; backward = 2 × forward except the first layer's, which needs no input gradient)."""
    conv1 = 2 * image * image * c1 * 1 * k * k
    conv2 = 2 * (image // 2) ** 2 * c2 * c1 * k * k
    fc1 = 2 * c2 * (image // 4) ** 2 * hidden
    fc2 = 2 * hidden * classes
    forward = conv1 + conv2 + fc1 + fc2
    training = forward + conv1 + 2 * (conv2 + fc1 + fc2)
    return forward, training


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    model.train()
    return correct / x.shape[0]


M64 = (1 << 64) - 1


def epoch_order(seed, epoch, n):
    """aicq's batch order (src/aicq/probe/ai_model.cpp, epoch_order): a Fisher–Yates permutation of 0…n-1 driven
    by SplitMix64 from a state derived from (seed, epoch), j = r mod (i+1) for i = n-1 … 1. The random numbers are
    drawn with numpy (wrapping uint64 arithmetic), the swaps in a loop."""
    state = (seed ^ ((0xA1C9000000000000 + epoch * 0x2545F4914F6CDD1D) & M64)) & M64
    with np.errstate(over="ignore"):
        k = np.arange(1, n, dtype=np.uint64)  # the k-th draw sees state + k·γ
        z = np.uint64(state) + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        j = z % np.arange(n, 1, -1, dtype=np.uint64)  # i + 1 for i = n-1 … 1
    p = list(range(n))
    for i, ji in zip(range(n - 1, 0, -1), j.tolist()):
        p[i], p[ji] = p[ji], p[i]
    return torch.tensor(p, dtype=torch.int64)


class Trainer:
    """Model + Adam + step counter; step s uses batch s of the epoch permutations drawn from (seed, epoch)."""

    def __init__(self, args, data):
        self.args, self.data = args, data
        torch.manual_seed(args.seed)
        self.model = FashionCnn()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=args.lr)
        self.steps = 0
        self.order, self.order_epoch = None, -1
        self.per_epoch = data["train_x"].shape[0] // args.batch  # full batches only

    def batch_indices(self):
        epoch, k = divmod(self.steps, self.per_epoch)
        if epoch != self.order_epoch:
            self.order = epoch_order(self.args.seed, epoch, self.data["train_x"].shape[0])
            self.order_epoch = epoch
        return self.order[k * self.args.batch:(k + 1) * self.args.batch]

    def step(self):
        idx = self.batch_indices()
        x, y = self.data["train_x"].index_select(0, idx), self.data["train_y"].index_select(0, idx)
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        return loss.item()


def train_to_target(args, data):
    tr = Trainer(args, data)
    # aicq's default: about four evaluations per epoch (937 steps of 64: every 235 steps).
    every = args.eval_every if args.eval_every > 0 else max(1, (tr.per_epoch + 3) // 4)
    evaluations, step_times, losses = [], [], []
    segment_s = 0.0  # training time since the last evaluation
    reached, accuracy = False, 0.0
    first = None
    while True:
        t = time.perf_counter()
        if first is None:
            first = t
        losses.append(tr.step())
        step_times.append(time.perf_counter() - t)
        segment_s += step_times[-1]
        if tr.steps % every == 0:
            t_eval = time.perf_counter()
            accuracy = evaluate(tr.model, data["test_x"], data["test_y"])
            now = time.perf_counter()
            evaluations.append({"step": tr.steps, "accuracy": accuracy, "elapsed_s": now - first, "train_s": segment_s,
                                "eval_s": now - t_eval})
            segment_s = 0.0
            log(f"step {tr.steps}: test accuracy {accuracy:.4f} at {now - first:.2f} s")
            if accuracy >= args.target:
                reached = True
                break
            if now - first > args.budget_s:
                break
    time_to_accuracy = evaluations[-1]["elapsed_s"]
    return tr, {
        "reached": reached, "accuracy": accuracy, "eval_every": every, "steps": tr.steps, "samples": tr.steps * args.batch,
        "time_to_accuracy_s": time_to_accuracy, "train_time_s": sum(step_times),
        "samples_per_s": tr.steps * args.batch / sum(step_times),
        # aicq's headline figure: the median of the rates of the full segments between evaluations.
        "segment_samples_per_s_median": float(np.median([every * args.batch / e["train_s"] for e in evaluations])),
        "step_s": {"median": float(np.median(step_times)), "min": min(step_times), "max": max(step_times)},
        "eval_time_s": time_to_accuracy - sum(step_times),
        "evaluations": evaluations, "first_losses": losses[:5], "last_loss": losses[-1], "step_times_s": step_times,
    }


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def infer(args, data, model):
    """As ai.infer (src/aicq/probe/ai_infer.cpp): no-grad mode (torch::NoGradGuard there) unless --grad-mode
    inference; Offline: `offline_warmups` untimed batches, then `offline_reps` timed passes over the whole test set,
    each batch's argmax copied into one prediction tensor, the accuracy that of the last pass; SingleStream:
    `query_warmups` untimed queries, then `queries` queries over test images 0, 1, … in order, each timed from the
    image in to the predicted class read back as a number."""
    model.eval()
    x, y = data["test_x"], data["test_y"]
    n, b = x.shape[0], args.offline_batch
    with torch.inference_mode() if args.grad_mode == "inference" else torch.no_grad():
        predicted = torch.empty(n, dtype=torch.int64)

        def batches(begin, end):
            for i in range(begin, end, b):
                stop = min(end, i + b)
                predicted[i:stop].copy_(model(x[i:stop]).argmax(1))

        for _ in range(args.offline_warmups):
            batches(0, min(n, b))
        offline = []
        for _ in range(args.offline_reps):
            t = time.perf_counter()
            batches(0, n)
            offline.append(n / (time.perf_counter() - t))
        accuracy = int(predicted.eq(y).sum()) / n

        def query(k):
            return model(x[k:k + 1]).argmax(1).item()

        for i in range(args.query_warmups):
            query(i % n)
        lat, correct = [], 0
        for i in range(args.queries):
            k = i % n
            t = time.perf_counter()
            predicted_k = query(k)
            lat.append(time.perf_counter() - t)
            correct += predicted_k == int(y[k])
    s = sorted(lat)
    return {
        "accuracy": accuracy,
        "offline_samples_per_s": {"median": float(np.median(offline)), "samples": offline},
        "latency_s": {"p50": percentile(s, 50), "p90": percentile(s, 90), "p99": percentile(s, 99),
                      "mean": float(np.mean(lat)), "queries": len(lat), "query_accuracy": correct / len(lat)},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["train", "infer"])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--interop-threads", type=int, default=0, help="torch.set_num_interop_threads (0: leave)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", type=float, default=0.85)
    ap.add_argument("--eval-every", type=int, default=0, help="0: about four per epoch, as aicq")
    ap.add_argument("--budget-s", type=float, default=120)
    ap.add_argument("--offline-batch", type=int, default=1000)
    ap.add_argument("--offline-warmups", type=int, default=1, help="untimed batches before the Offline passes")
    ap.add_argument("--offline-reps", type=int, default=10, help="timed passes (aicq standard: 5–10 within budget)")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--query-warmups", type=int, default=20)
    ap.add_argument("--grad-mode", choices=["inference", "no_grad"], default="no_grad")
    args = ap.parse_args()
    default_threads = torch.get_num_threads()  # torch's own choice, before anything sets it

    if args.interop_threads > 0:
        torch.set_num_interop_threads(args.interop_threads)
    # The training set's mean is a parallel reduction whose last bits depend on the thread count, and the whole
    # run depends on those bits. ai.train reads the data before it sets its threads, at libgomp's default (one
    # thread per CPU: torch's Python module, unlike a C++ program, sets its own default at import); ai.infer
    # after setting them. The same here, so that both sides train the same weights.
    torch.set_num_threads(len(os.sched_getaffinity(0)) if args.mode == "train" else args.threads)
    data = load_data()
    torch.set_num_threads(args.threads)
    log(f"data loaded in {data['load_s']:.2f} s (mean {data['mean']:.6f}, std {data['std']:.6f}); "
        f"{torch.get_num_threads()} threads")
    forward, training = flop_per_sample()
    record = {
        "schema": "aicq-bench-ai-peer/1", "mode": args.mode,
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                     "executable": sys.executable},
        "settings": {k: v for k, v in vars(args).items()},
        "effective": {"threads": torch.get_num_threads(), "torch_default_threads": default_threads, "interop_threads": torch.get_num_interop_threads(),
                      "cpu_capability": next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
                                              if "CPU capability usage" in l), None),
                      "mkldnn": torch.backends.mkldnn.is_available()},
        "data": {"dir": DATA_DIR, "mean": data["mean"], "std": data["std"], "load_s": data["load_s"]},
        "flop_per_sample": {"forward": forward, "training": training},
        "parameters": sum(p.numel() for p in FashionCnn().parameters()),
    }
    tr, train = train_to_target(args, data)
    if args.mode == "train":
        record["train"] = train
        record["train"]["flop_per_s"] = train["samples_per_s"] * training
    else:
        record["train_untimed"] = {k: train[k] for k in ("reached", "accuracy", "steps")}
        record["infer"] = infer(args, data, tr.model)
        record["infer"]["flop_per_s"] = record["infer"]["offline_samples_per_s"]["median"] * forward
    json.dump(record, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
