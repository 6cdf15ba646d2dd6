#!/usr/bin/env python3
"""Pool-based active learning on Fashion-MNIST with scikit-learn and acquire_al.

The loop a scikit-learn user writes: fit a LogisticRegression on the labeled rows, score the
pool, ask acquire_al for the next batch, "label" it (the oracle is the true training label),
repeat, and measure test accuracy after every round.

Features: a fixed 50-d PCA fitted once on the pool pixels (pixels scaled to [0, 1]; the labels
are never seen). The classifier is LogisticRegression(multinomial, lbfgs, max_iter=200) on
those 50 features; for a linear softmax model the features ARE the penultimate representation,
so BADGE's gradient embedding (p - e_yhat) (outer) h with h = the PCA features is the exact
last-layer gradient.

Strategies (the same protocol for all: the same initial 20 random labels per seed, b = 20 per
round, R rounds, accuracy on the test images after each round, seeds 0..S-1):
  random         uniform draw from the unlabeled pool
  margin         acq.margin(P), top b               (P = the model's pool probabilities)
  entropy        acq.entropy(P), top b
  power_entropy  acq.stochastic_batch(acq.entropy(P), b, mode="power", beta=1)
  bald           acq.bald on a bootstrap committee of T = 5 models ([T][N][K], layout "tnk")
  badge          acq.badge(P, H, labeled, b), H = the PCA features
  k_center       acq.k_center_greedy on the PCA features
  typiclust      acq.typiclust on the PCA features

Usage:
  PYTHONPATH=build/release/py python3 examples/python/al_loop.py --quick --out /tmp/al_quick
  PYTHONPATH=build/release/py python3 examples/python/al_loop.py --out results
Outputs in --out: results.csv, results.md, learning_curves.png.
"""
import argparse
import csv
import gzip
import os
import re
import subprocess
import sys
import time
import warnings

import numpy as np
import sklearn

try:
    import acquire_al as acq
except ImportError as exc:
    sys.exit(f"cannot import acquire_al ({exc}); pip install . (README), or run with PYTHONPATH=build/release/py after the CMake build")

from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

STRATEGIES = ["random", "margin", "entropy", "power_entropy", "bald", "badge", "k_center", "typiclust"]
K = 10  # classes
COMMITTEE = 5  # bootstrap models for BALD
INITIAL = 20  # initial random labels
PCA_DIM = 50


# ----------------------------------------------------------------------------------------------
# Data


def find_data_dir(explicit=None):
    if explicit:
        return explicit
    default = "/usr/share/datasets/fashion-mnist"
    if os.path.exists(os.path.join(default, "train-images-idx3-ubyte.gz")):
        return default
    try:  # wherever Debian's dataset-fashion-mnist put them
        files = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True,
                               check=True).stdout.split()
        for f in files:
            if f.endswith("train-images-idx3-ubyte.gz"):
                return os.path.dirname(f)
    except (OSError, subprocess.CalledProcessError):
        pass
    sys.exit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or pass --data DIR")


def read_idx(path):
    """An IDX file (gzip) as a NumPy array: magic (0, 0, type, ndim), ndim big-endian sizes, data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(data_dir):
    def images(name):
        x = read_idx(os.path.join(data_dir, name))
        return (x.reshape(x.shape[0], -1).astype(np.float32) / 255.0)

    def labels(name):
        return read_idx(os.path.join(data_dir, name)).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


# ----------------------------------------------------------------------------------------------
# Model


# multi_class is deprecated from scikit-learn 1.5, where lbfgs is multinomial anyway.
_SKLEARN = tuple(int(v) for v in re.findall(r"\d+", sklearn.__version__)[:2])
_LR_KW = {"multi_class": "multinomial"} if _SKLEARN < (1, 5) else {}


class Model:
    """LogisticRegression that always answers with K probability columns (a class missing from
    the labeled set gets probability 0) and copes with a single-class labeled set."""

    def __init__(self, X, y):
        self.constant = None
        classes = np.unique(y)
        if len(classes) < 2:
            self.constant = int(classes[0])
            return
        self.lr = LogisticRegression(solver="lbfgs", max_iter=200, **_LR_KW)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.lr.fit(X, y)

    def proba(self, X):
        P = np.zeros((X.shape[0], K), dtype=np.float64)
        if self.constant is not None:
            P[:, self.constant] = 1.0
        else:
            P[:, self.lr.classes_] = self.lr.predict_proba(X)
        return P

    def accuracy(self, X, y):
        if self.constant is not None:
            return float(np.mean(y == self.constant))
        return float(self.lr.score(X, y))


def committee(Z, y, labeled, rng):
    """T models on bootstrap resamples of the labeled rows (resampled until >= 2 classes)."""
    members = []
    lab = np.asarray(labeled)
    for _ in range(COMMITTEE):
        for _attempt in range(100):
            boot = lab[rng.integers(0, len(lab), size=len(lab))]
            if len(np.unique(y[boot])) >= 2:
                break
        members.append(Model(Z[boot], y[boot]))
    return members


# ----------------------------------------------------------------------------------------------
# One acquisition step: b new pool indices


def acquire_batch(strategy, model, Z, y, labeled, b, seed, rnd, rng):
    """`seed` and `rnd` (round) make every stochastic choice reproducible."""
    lab = np.asarray(labeled, dtype=np.int64)
    step_seed = seed * 1000 + rnd
    if strategy == "random":
        mask = np.ones(Z.shape[0], dtype=bool)
        mask[lab] = False
        return rng.choice(np.flatnonzero(mask), size=b, replace=False)
    if strategy in ("margin", "entropy", "power_entropy", "badge"):
        P = model.proba(Z)
        if strategy == "margin":
            return acq.top_k(acq.margin(P), b, exclude=lab)
        if strategy == "entropy":
            return acq.top_k(acq.entropy(P), b, exclude=lab)
        if strategy == "power_entropy":
            return acq.stochastic_batch(acq.entropy(P), b, mode="power", beta=1.0, labeled=lab, seed=step_seed)
        return acq.badge(P, Z, lab, b, seed=step_seed).indices
    if strategy == "bald":
        S = np.stack([m.proba(Z) for m in committee(Z, y, lab, rng)])  # [T][N][K]
        return acq.top_k(acq.bald(S, layout="tnk"), b, exclude=lab)
    if strategy == "k_center":
        return acq.k_center_greedy(Z, lab, b).indices
    if strategy == "typiclust":
        return acq.typiclust(Z, b, labeled=lab, kmeans=acq.KMeansOptions(seed=step_seed)).indices
    raise ValueError(f"unknown strategy {strategy}")


# ----------------------------------------------------------------------------------------------
# Reports


def summarise(rows, strategies, out_dir, args, n_pool, n_test, timings):
    label_counts = sorted({r["labels"] for r in rows})
    acc = {}  # (strategy, labels) -> list over seeds
    for r in rows:
        acc.setdefault((r["strategy"], r["labels"]), []).append(r["accuracy"])

    def mean_sd(v):
        v = np.asarray(v, dtype=float)
        return v.mean(), (v.std(ddof=1) if len(v) > 1 else 0.0)

    lines = [f"# Active learning on Fashion-MNIST with acquire_al ({'--quick' if args.quick else 'full'} run)", "",
             f"Pool {n_pool:,} training images{'' if n_pool == 60000 else ' (seeded subsample)'}, "
             f"test {n_test:,} images, LogisticRegression (multinomial, lbfgs, max_iter=200) on a fixed "
             f"{PCA_DIM}-d PCA fitted once on the pool pixels; {INITIAL} initial random labels (the same "
             f"for every strategy), b = {args.batch} per round, {args.rounds} rounds, seeds "
             f"0..{args.seeds - 1}. Cells: "
             + (f"mean ± sample sd of test accuracy over {args.seeds} seeds." if args.seeds > 1
                else "test accuracy of the single seed (no spread with S = 1)."), "",
             "## Test accuracy by label count", "",
             "| strategy | " + " | ".join(str(c) for c in label_counts) + " |",
             "|---|" + "---|" * len(label_counts)]
    for s in strategies:
        cells = []
        for c in label_counts:
            m, sd = mean_sd(acc[(s, c)])
            cells.append(f"{m:.3f} ± {sd:.3f}" if args.seeds > 1 else f"{m:.3f}")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")

    final = label_counts[-1]
    rand_mean = mean_sd(acc[("random", final)])[0] if ("random", final) in acc else None
    ranking = sorted(strategies, key=lambda s: -mean_sd(acc[(s, final)])[0])
    lines += ["", f"## Ranking at the final budget ({final} labels), losers included", "",
              "| rank | strategy | accuracy | vs random | per-seed | acquisition s / round | training s / round |",
              "|---|---|---|---|---|---|---|"]
    for i, s in enumerate(ranking, 1):
        m, sd = mean_sd(acc[(s, final)])
        vs = "-" if rand_mean is None or s == "random" else f"{m - rand_mean:+.3f}"
        per_seed = ", ".join(f"{v:.3f}" for v in acc[(s, final)])
        t = timings[s]
        mtxt = f"{m:.3f} ± {sd:.3f}" if args.seeds > 1 else f"{m:.3f}"
        lines.append(f"| {i} | {s} | {mtxt} | {vs} | {per_seed} | "
                     f"{np.mean(t['acquire']):.3f} | {np.mean(t['train']):.3f} |")
    lines += ["", "Training time includes the bootstrap committee for bald; every row is in results.csv.", ""]
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(lines))
    return acc, label_counts


def plot(acc, label_counts, strategies, out_dir, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = ["o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h"]
    colours = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(8, 5.5))
    x = np.asarray(label_counts)
    j = 0
    for s in strategies:
        v = [np.asarray(acc[(s, c)], dtype=float) for c in label_counts]
        m = np.array([a.mean() for a in v])
        sd = np.array([a.std(ddof=1) if len(a) > 1 else 0.0 for a in v])
        if s == "random":
            colour, style = "black", dict(linestyle="-", linewidth=2.0, marker=None)
        else:
            colour, style = colours[j % len(colours)], dict(linestyle="-", linewidth=1.4,
                                                             marker=markers[j % len(markers)], markersize=5)
            j += 1
        ax.plot(x, m, color=colour, label=s, **style)
        if np.any(sd > 0):
            ax.fill_between(x, m - sd, m + sd, color=colour, alpha=0.12, linewidth=0)
    ax.set_xlabel("labeled examples")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Fashion-MNIST, LogisticRegression on {PCA_DIM}-d PCA, b = {args.batch}, "
                 f"{args.seeds} seed(s) (band: ± sd)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "learning_curves.png"), dpi=120)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: R=3, pool 5,000, test 2,000, S=1 (under a minute)")
    ap.add_argument("--out", default="al_results", help="output directory (default: al_results)")
    ap.add_argument("--data", default=None, help="directory with the Fashion-MNIST .gz files")
    ap.add_argument("--pool", type=int, default=None, help="pool size (default 20,000; quick 5,000; max 60,000)")
    ap.add_argument("--test", type=int, default=None, help="test images (default 10,000; quick 2,000)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds R (default 10; quick 3)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds 0..S-1 (default 3; quick 1)")
    ap.add_argument("--batch", type=int, default=20, help="labels per round b (default 20)")
    ap.add_argument("--threads", type=int, default=0,
                    help="acquire_al threads (default 0: leave acquire's default, all cores)")
    ap.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset")
    args = ap.parse_args()
    args.pool = args.pool or (5000 if args.quick else 20000)
    args.test = args.test or (2000 if args.quick else 10000)
    args.rounds = args.rounds or (3 if args.quick else 10)
    args.seeds = args.seeds or (1 if args.quick else 3)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    for s in strategies:
        if s not in STRATEGIES:
            sys.exit(f"unknown strategy {s}; choose from {', '.join(STRATEGIES)}")
    os.makedirs(args.out, exist_ok=True)
    if args.threads > 0:
        acq.set_num_threads(args.threads)
    t_start = time.perf_counter()

    # Data: a seeded pool subsample and test subsample, fixed for every seed and strategy.
    X_train, y_train, X_test, y_test = load_fashion_mnist(find_data_dir(args.data))
    data_rng = np.random.default_rng(20240601)
    pool_idx = (np.arange(len(X_train)) if args.pool >= len(X_train)
                else np.sort(data_rng.choice(len(X_train), size=args.pool, replace=False)))
    test_idx = (np.arange(len(X_test)) if args.test >= len(X_test)
                else np.sort(data_rng.choice(len(X_test), size=args.test, replace=False)))
    X_pool, y_pool = X_train[pool_idx], y_train[pool_idx]
    X_te, y_te = X_test[test_idx], y_test[test_idx]

    # Features: a 50-d PCA fitted once on the (unlabeled) pool pixels.
    pca = PCA(n_components=PCA_DIM, svd_solver="randomized", random_state=0).fit(X_pool)
    Z = np.ascontiguousarray(pca.transform(X_pool), dtype=np.float64)
    Z_te = np.ascontiguousarray(pca.transform(X_te), dtype=np.float64)
    print(f"pool {len(Z):,} x {PCA_DIM} (PCA, {pca.explained_variance_ratio_.sum():.1%} of the variance), "
          f"test {len(Z_te):,}; {len(strategies)} strategies x {args.seeds} seed(s) x {args.rounds} rounds "
          f"of b = {args.batch}; acquire_al threads {acq.get_num_threads()}; "
          f"setup {time.perf_counter() - t_start:.1f} s", flush=True)

    rows = []
    timings = {s: {"acquire": [], "train": []} for s in strategies}
    for seed in range(args.seeds):
        initial = np.random.default_rng(seed).choice(len(Z), size=INITIAL, replace=False)
        for strategy in strategies:
            rng = np.random.default_rng([seed, STRATEGIES.index(strategy)])
            labeled = [int(i) for i in initial]
            t0 = time.perf_counter()
            for rnd in range(args.rounds + 1):
                t = time.perf_counter()
                model = Model(Z[labeled], y_pool[labeled])
                t_train = time.perf_counter() - t
                accuracy = model.accuracy(Z_te, y_te)
                rows.append(dict(strategy=strategy, seed=seed, round=rnd, labels=len(labeled), accuracy=accuracy))
                if rnd == args.rounds:
                    break
                t = time.perf_counter()
                picks = acquire_batch(strategy, model, Z, y_pool, labeled, args.batch, seed, rnd, rng)
                t_acq = time.perf_counter() - t
                timings[strategy]["acquire"].append(t_acq)
                timings[strategy]["train"].append(t_train)
                picks = [int(i) for i in picks]
                if len(picks) != args.batch or len(set(picks)) != args.batch or set(picks) & set(labeled):
                    raise RuntimeError(f"{strategy}: bad batch {picks[:5]}... (size {len(picks)})")
                labeled.extend(picks)  # the oracle answers with y_pool[picks]
            print(f"seed {seed} {strategy:<14} accuracy {rows[-args.rounds - 1]['accuracy']:.3f} -> "
                  f"{rows[-1]['accuracy']:.3f} at {rows[-1]['labels']} labels "
                  f"({time.perf_counter() - t0:.1f} s)", flush=True)

    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["strategy", "seed", "round", "labels", "accuracy"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "accuracy": f"{r['accuracy']:.4f}"})
    acc, label_counts = summarise(rows, strategies, args.out, args, len(Z), len(Z_te), timings)
    plot(acc, label_counts, strategies, args.out, args)
    print(f"wrote {args.out}/results.csv, results.md, learning_curves.png "
          f"({time.perf_counter() - t_start:.1f} s total)")


if __name__ == "__main__":
    main()
