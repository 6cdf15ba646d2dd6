#!/usr/bin/env python3
"""acquire_al against the NumPy/SciPy forms the Python active-learning libraries run.

One process, one thread (acquire_al.set_num_threads(1); OMP/OPENBLAS/MKL thread variables set
to 1 before NumPy is imported), the same arrays for both sides. Every time is the median of
several repetitions measured with time.perf_counter (after one warm-up call).

Baselines (what the libraries do, vectorised as they ship it):
  least confidence   modAL classifier_uncertainty:   1 - P.max(1)
  margin             modAL classifier_margin:         np.partition(-P, 1, axis=1) -> 1 - (p1 - p2)
  entropy            modAL classifier_entropy:        scipy.stats.entropy(P.T)
                     plain NumPy:                     -(P * np.log(P)).sum(1)
  BALD               baal heuristics.BALD on its [N][K][T] stack with scipy.special.xlogy
                     (acquire reads the same array with layout="nkt")
  k-center greedy    google/active-learning kcenter_greedy: sklearn pairwise_distances to the
                     newest center, elementwise min update, argmax
  BADGE              NumPy gradient embedding (P - e_yhat) (outer) h, then k-means++ D^2
                     sampling with the squared distances updated after every pick

acquire is timed twice: the default (checked) call and checks=False.

Synthetic data (seeded numpy.random.Generator): probabilities are the softmax of standard normal
logits scaled by 3, computed and stored in float32 (rows sum to 1 in float32); embeddings for
k-center/BADGE are 32 Gaussian clusters (standard normal centres, spread 0.3), like
acquire::synthetic::embeddings used by the C++ benchmarks.

Usage:
  PYTHONPATH=build/release/py python3 python/bench/bench_python.py [--quick]
      [--markdown FILE] [--reps R] [--calls C] [--seed S]
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.special  # noqa: E402
import scipy.stats  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import pairwise_distances  # noqa: E402

try:
    import acquire_al as acq  # noqa: E402
except ImportError as exc:  # pragma: no cover - environment problem, say what to do
    sys.exit(f"cannot import acquire_al ({exc}); pip install . (README), or run with PYTHONPATH=build/release/py after the CMake build")


# ----------------------------------------------------------------------------------------------
# Synthetic data


def probabilities(rng, n, k, scale=3.0, chunk=1 << 16):
    """n x k float32 softmax of scale * standard normal logits (built in chunks to bound memory)."""
    P = np.empty((n, k), dtype=np.float32)
    for s in range(0, n, chunk):
        m = min(chunk, n - s)
        L = rng.standard_normal((m, k), dtype=np.float32)
        L *= np.float32(scale)
        L -= L.max(axis=1, keepdims=True)
        np.exp(L, out=L)
        L /= L.sum(axis=1, keepdims=True)
        P[s:s + m] = L
    return P


def stack_nkt(rng, n, k, t, scale=3.0):
    """baal's [N][K][T] stack: T softmax draws per sample, each normalised over the K axis."""
    L = rng.standard_normal((n, k, t), dtype=np.float32)
    L *= np.float32(scale)
    L -= L.max(axis=1, keepdims=True)
    np.exp(L, out=L)
    L /= L.sum(axis=1, keepdims=True)
    return L


def embeddings(rng, n, d, clusters=32, spread=0.3):
    """n x d float32 points around `clusters` standard normal centres."""
    centres = rng.standard_normal((clusters, d))
    which = rng.integers(0, clusters, size=n)
    X = centres[which] + spread * rng.standard_normal((n, d))
    return np.ascontiguousarray(X, dtype=np.float32)


# ----------------------------------------------------------------------------------------------
# The baselines


def least_confidence_modal(P):
    return 1 - P.max(axis=1)


def margin_modal(P):
    part = np.partition(-P, 1, axis=1)
    return 1 - (part[:, 1] - part[:, 0])  # part[:, 0] = -p1, part[:, 1] = -p2


def entropy_scipy(P):
    return scipy.stats.entropy(P.T)


def entropy_numpy(P):
    return -(P * np.log(P)).sum(axis=1)


def bald_baal(S):
    """baal.active.heuristics.BALD.compute_score on [N][K][T]."""
    xlogy = scipy.special.xlogy
    expected_entropy = -np.mean(np.sum(xlogy(S, S), axis=1), axis=-1)
    expected_p = np.mean(S, axis=-1)
    entropy_expected_p = -np.sum(xlogy(expected_p, expected_p), axis=1)
    return entropy_expected_p - expected_entropy


def kcenter_google(X, b, first):
    """google/active-learning sampling_methods/kcenter_greedy.py, select_batch_ with no labels
    (its first center is np.random.choice; here the same `first` as acquire's, so both pick the
    same batch)."""
    min_distances = None
    batch = []
    for _ in range(b):
        ind = first if min_distances is None else int(np.argmax(min_distances))
        dist = pairwise_distances(X, X[[ind]], metric="euclidean")
        if min_distances is None:
            min_distances = np.min(dist, axis=1).reshape(-1, 1)
        else:
            min_distances = np.minimum(min_distances, dist)
        batch.append(ind)
    return batch


def badge_numpy(P, H, b, rng):
    """BADGE in NumPy: g = (p - e_yhat) (outer) h materialised (N x K d), first pick the largest
    ||g||, then D^2 sampling with the squared distances updated after each pick."""
    n = P.shape[0]
    A = P.copy()
    A[np.arange(n), P.argmax(axis=1)] -= 1
    G = (A[:, :, None] * H[:, None, :]).reshape(n, -1)
    first = int(np.argmax(np.einsum("ij,ij->i", G, G)))
    picks = [first]
    diff = G - G[first]
    D2 = np.einsum("ij,ij->i", diff, diff).astype(np.float64)
    for _ in range(1, b):
        ind = int(rng.choice(n, p=D2 / D2.sum()))
        picks.append(ind)
        diff = G - G[ind]
        np.minimum(D2, np.einsum("ij,ij->i", diff, diff), out=D2)
    return picks


# ----------------------------------------------------------------------------------------------
# Timing


def median_time(fn, reps, warmup=1):
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def per_call_median(fn, calls):
    for _ in range(min(100, calls)):
        fn()
    times = []
    pc = time.perf_counter
    for _ in range(calls):
        t0 = pc()
        fn()
        times.append(pc() - t0)
    return statistics.median(times)


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} us"


def max_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return f"SHAPE MISMATCH {a.shape} vs {b.shape}"
    return f"max abs diff {np.max(np.abs(a - b)):.1e}"


def same_picks(a, b):
    a = [int(i) for i in a]
    b = [int(i) for i in b]
    if a == b:
        return f"same {len(a)} picks"
    first = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"picks agree up to pick {first} of {len(a)}"


class Row:
    def __init__(self, function, size, baseline, t_base, t_acq, t_fast, target=None, agreement="",
                 target_kind="ratio"):
        self.function, self.size, self.baseline = function, size, baseline
        self.t_base, self.t_acq, self.t_fast = t_base, t_acq, t_fast
        self.target, self.target_kind, self.agreement = target, target_kind, agreement

    def ratio(self, t):
        return self.t_base / t if t > 0 else float("inf")

    def target_text(self):
        if self.target is None:
            return "-"
        if self.target_kind == "ratio":
            return f">= {self.target:g}x"
        return f"< {self.target * 1e6:g} us"

    def met(self):
        if self.target is None:
            return "-"
        ok = self.ratio(self.t_acq) >= self.target if self.target_kind == "ratio" else self.t_acq < self.target
        return "yes" if ok else "NO"

    def cells(self):
        return [self.function, self.size, self.baseline, fmt_time(self.t_base), fmt_time(self.t_acq),
                f"{self.ratio(self.t_acq):.1f}x", fmt_time(self.t_fast), f"{self.ratio(self.t_fast):.1f}x",
                self.target_text(), self.met(), self.agreement]


HEADERS = ["function", "size", "NumPy/SciPy form", "NumPy/SciPy", "acquire (checked)", "ratio",
           "acquire (checks=False)", "ratio", "target", "met", "agreement"]


def markdown_table(rows):
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in rows:
        lines.append("| " + " | ".join(r.cells()) + " |")
    return "\n".join(lines)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


# ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every size ~100x smaller (smoke run)")
    ap.add_argument("--markdown", metavar="FILE", help="write the results as a markdown table")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per measurement (default 7, quick 3)")
    ap.add_argument("--calls", type=int, default=None, help="calls for the per-call overhead (default 20000, quick 2000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    acq.set_num_threads(1)
    reps = args.reps or (3 if args.quick else 7)
    calls = args.calls or (2000 if args.quick else 20000)
    q = 100 if args.quick else 1
    n_unc, k_unc = 1_000_000 // q, 100
    n_kc, d_kc, b_kc = 100_000 // q, 64, (10 if args.quick else 100)
    n_bg, k_bg, d_bg, b_bg = 20_000 // q, 10, 64, (10 if args.quick else 100)
    n_bald, k_bald, t_bald = 100_000 // q, 10, 20
    rng = np.random.default_rng(args.seed)
    rows = []

    def say(row):
        rows.append(row)
        c = row.cells()
        print(f"{c[0]:<34} {c[1]:<22} base {c[3]:>10}  acquire {c[4]:>10} ({c[5]:>6})  "
              f"checks=False {c[6]:>10} ({c[7]:>6})  target {c[8]:<9} {c[9]:<3}  {c[10]}", flush=True)

    print(f"# {cpu_name()}; numpy {np.__version__}, scipy {scipy.__version__}, sklearn {sklearn.__version__}; "
          f"acquire_al threads {acq.get_num_threads()}; reps {reps}", flush=True)

    # --- uncertainty -------------------------------------------------------------------------
    P = probabilities(rng, n_unc, k_unc)
    size = f"N={n_unc:,} K={k_unc} f32"
    cases = [
        ("least_confidence", "1 - P.max(1) (modAL)", least_confidence_modal, acq.least_confidence, 2.5),
        ("margin", "np.partition(-P, 1, axis=1) (modAL)", margin_modal, acq.margin, 15.0),
        ("entropy", "scipy.stats.entropy(P.T) (modAL)", entropy_scipy, acq.entropy, 7.0),
        ("entropy", "-(P*np.log(P)).sum(1) (NumPy)", entropy_numpy, acq.entropy, None),
    ]
    for name, form, base, fn, target in cases:
        t_base, ref = median_time(lambda: base(P), reps)
        t_acq, out = median_time(lambda: fn(P), reps)
        t_fast, out_fast = median_time(lambda: fn(P, checks=False), reps)
        agree = max_diff(ref, out)
        if not np.array_equal(np.asarray(out), np.asarray(out_fast)):
            agree += "; checked != unchecked"
        say(Row(name, size, form, t_base, t_acq, t_fast, target, agree))
        del ref, out, out_fast

    # --- per-call overhead -------------------------------------------------------------------
    small = probabilities(rng, 100, 10)
    t_base = per_call_median(lambda: scipy.stats.entropy(small.T), calls)
    t_acq = per_call_median(lambda: acq.entropy(small), calls)
    t_fast = per_call_median(lambda: acq.entropy(small, checks=False), calls)
    say(Row("entropy per-call overhead", f"100 x 10 f32, median of {calls} calls", "scipy.stats.entropy(P.T)",
            t_base, t_acq, t_fast, 10e-6, max_diff(scipy.stats.entropy(small.T), acq.entropy(small)),
            target_kind="time"))
    del P

    # --- BALD --------------------------------------------------------------------------------
    S = stack_nkt(rng, n_bald, k_bald, t_bald)
    t_base, ref = median_time(lambda: bald_baal(S), reps)
    t_acq, out = median_time(lambda: acq.bald(S, layout="nkt"), reps)
    t_fast, out_fast = median_time(lambda: acq.bald(S, layout="nkt", checks=False), reps)
    say(Row("bald", f"T={t_bald} N={n_bald:,} K={k_bald} f32 [N][K][T]", "baal BALD, scipy.special.xlogy",
            t_base, t_acq, t_fast, None, max_diff(ref, out)))
    del S

    # --- k-center greedy ---------------------------------------------------------------------
    X = embeddings(rng, n_kc, d_kc)
    first = int(rng.integers(n_kc))
    kc_reps = max(1, min(reps, 5))
    t_base, ref = median_time(lambda: kcenter_google(X, b_kc, first), kc_reps)
    t_acq, sel = median_time(lambda: acq.k_center_greedy(X, None, b_kc, first=first), kc_reps)
    t_fast, sel_fast = median_time(lambda: acq.k_center_greedy(X, None, b_kc, first=first, checks=False), kc_reps)
    agree = same_picks(ref, sel.indices)
    if not np.array_equal(sel.indices, sel_fast.indices):
        agree += "; checked != unchecked"
    say(Row("k_center_greedy", f"N={n_kc:,} d={d_kc} b={b_kc} f32", "google kcenter_greedy (sklearn)",
            t_base, t_acq, t_fast, None, agree))
    del X

    # --- BADGE -------------------------------------------------------------------------------
    Pb = probabilities(rng, n_bg, k_bg)
    H = embeddings(rng, n_bg, d_bg)
    t_base, ref = median_time(lambda: badge_numpy(Pb, H, b_bg, np.random.default_rng(args.seed)), kc_reps)
    t_acq, sel = median_time(lambda: acq.badge(Pb, H, None, b_bg, seed=args.seed), kc_reps)
    t_fast, sel_fast = median_time(lambda: acq.badge(Pb, H, None, b_bg, seed=args.seed, checks=False), kc_reps)
    agree = "first pick " + ("equal" if int(ref[0]) == int(sel.indices[0]) else f"DIFFERS ({ref[0]} vs {sel.indices[0]})")
    agree += "; later picks random on both sides"
    if not np.array_equal(sel.indices, sel_fast.indices):
        agree += "; checked != unchecked"
    say(Row("badge", f"N={n_bg:,} K={k_bg} d={d_bg} b={b_bg} f32", "NumPy grad. embedding + D^2 sampling",
            t_base, t_acq, t_fast, None, agree))

    if args.markdown:
        header = (f"CPU: {cpu_name()}; numpy {np.__version__}, scipy {scipy.__version__}, "
                  f"scikit-learn {sklearn.__version__}; one thread (acquire_al.set_num_threads(1), "
                  f"OMP/OPENBLAS/MKL_NUM_THREADS=1); date {datetime.date.today().isoformat()}"
                  f"{'; --quick smoke run (N /100, b /10): targets are for the full sizes' if args.quick else ''}")
        notes = (f"Median of {reps} repetitions (k-center and BADGE: {kc_reps}) with time.perf_counter after one "
                 f"warm-up call; per-call overhead: median of {calls} single calls. ratio = NumPy/SciPy time / "
                 "acquire time (higher = acquire faster); targets are judged on the checked (default) call. "
                 "Probabilities: float32 softmax of 3 x standard normal logits (seeded numpy Generator); "
                 "embeddings: 32 Gaussian clusters, spread 0.3.")
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + markdown_table(rows) + "\n\n" + notes + "\n")
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
