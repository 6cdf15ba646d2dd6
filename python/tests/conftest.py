"""Shared fixtures and helpers of the acquire_al test suite.

Layout variants: every matrix the module reads in place must give the same result whether it
comes as a C-order array, a Fortran-order array, a strided view of a larger array, or a CPU
torch tensor. `layouts(a)` yields (name, variant) for all of them.

Reference code: a Python replica of acquire::Rng (xoshiro256** seeded by splitmix64) and of the
race keys of D^2 sampling, so that seeded selectors can be reproduced exactly in NumPy.
"""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

try:  # torch is optional: its parameters are skipped without it
    import torch  # noqa: F401

    HAVE_TORCH = True
except Exception:  # pragma: no cover - depends on the machine
    torch = None
    HAVE_TORCH = False

import acquire_al as acq  # noqa: E402  (after sys.path; PYTHONPATH=build/py)

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")

DTYPES = [np.float32, np.float64]
LAYOUT_NAMES = ["C", "F", "cols_strided", "rows_strided", "torch"]


# --------------------------------------------------------------------------------------------
# Tolerances


def tol(dtype):
    """(rtol, atol) for comparing a result in `dtype` against a float64 reference."""
    if np.dtype(dtype) == np.float32:
        return dict(rtol=1e-5, atol=1e-6)
    return dict(rtol=1e-12, atol=1e-12)


def assert_close(actual, expected, dtype, rtol=None, atol=None):
    t = tol(dtype)
    if rtol is not None:
        t["rtol"] = rtol
    if atol is not None:
        t["atol"] = atol
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64), **t)


# --------------------------------------------------------------------------------------------
# Layout variants


def variant(a, name):
    """One layout variant of `a` (1-D, 2-D or 3-D), holding the same values."""
    a = np.asarray(a)
    if name == "C":
        return np.ascontiguousarray(a)
    if name == "F":
        return np.asfortranarray(a)
    if name == "cols_strided":  # a[..., ::2] of an array twice as wide along the last axis
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        wide[..., ::2] = a
        wide[..., 1::2] = np.nan  # never read
        v = wide[..., ::2]
        assert not v.flags.c_contiguous or a.shape[-1] <= 1
        return v
    if name == "rows_strided":  # a[::2] of an array twice as tall
        tall = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        tall[::2] = a
        tall[1::2] = np.nan  # never read
        return tall[::2]
    if name == "torch":
        if not HAVE_TORCH:
            pytest.skip("torch does not import")
        return torch.from_numpy(np.ascontiguousarray(a))
    if name == "torch_strided":
        if not HAVE_TORCH:
            pytest.skip("torch does not import")
        wide = torch.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=torch.from_numpy(a[:0]).dtype)
        wide[..., ::2] = torch.from_numpy(np.ascontiguousarray(a))
        return wide[..., ::2]
    raise ValueError(name)


def layouts(a, names=None, with_torch=True):
    """Yields (name, variant) for every layout of `a`: C order, Fortran order, a column-strided
    view, a row-strided view and (when torch imports) a CPU tensor and a strided tensor view."""
    names = list(names or LAYOUT_NAMES)
    if with_torch and HAVE_TORCH and "torch" in names and "torch_strided" not in names:
        names.append("torch_strided")
    for name in names:
        if name.startswith("torch") and (not with_torch or not HAVE_TORCH):
            continue
        yield name, variant(a, name)


def layout_params(names=None):
    """pytest params over the layout names, torch ones marked to skip without torch."""
    out = []
    for name in names or LAYOUT_NAMES + ["torch_strided"]:
        marks = [needs_torch] if name.startswith("torch") else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def dtype(request):
    return request.param


@pytest.fixture(params=layout_params())
def layout(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# --------------------------------------------------------------------------------------------
# Random inputs


def random_probs(rng, n, k, dtype=np.float64, sharp=2.0):
    z = rng.normal(size=(n, k)) * sharp
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p.astype(dtype)


def random_stack(rng, t, n, k, dtype=np.float64, sharp=2.0, noise=1.0):
    """[T][N][K] member predictions around shared logits."""
    shared = rng.normal(size=(1, n, k)) * sharp
    z = shared + noise * rng.normal(size=(t, n, k))
    z -= z.max(axis=2, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=2, keepdims=True)
    return p.astype(dtype)


def to_layout(S_tnk, layout):
    """The [T][N][K] stack rearranged for layout="tnk" | "ntk" | "nkt"."""
    return {"tnk": S_tnk, "ntk": S_tnk.transpose(1, 0, 2), "nkt": S_tnk.transpose(1, 2, 0)}[layout].copy()


# --------------------------------------------------------------------------------------------
# Reference formulas (float64)


def xlogx(p):
    p = np.asarray(p, dtype=np.float64)
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def ref_entropy(P):
    return -xlogx(P).sum(axis=-1)


def top2(P):
    s = np.sort(np.asarray(P, dtype=np.float64), axis=1)
    p1 = s[:, -1]
    p2 = s[:, -2] if s.shape[1] > 1 else np.zeros_like(p1)
    return p1, p2


def ref_least_confidence(P):
    return 1.0 - np.asarray(P, dtype=np.float64).max(axis=1)


def ref_margin(P):
    p1, p2 = top2(P)
    return 1.0 - (p1 - p2)


def ref_ratio(P):
    p1, p2 = top2(P)
    return p2 / p1


def softmax(L):
    L = np.asarray(L, dtype=np.float64)
    z = L - L.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def ref_bald(S):
    S = np.asarray(S, dtype=np.float64)
    return np.maximum(0.0, ref_entropy(S.mean(axis=0)) - ref_entropy(S).mean(axis=0))


def ref_mean_std(S):
    S = np.asarray(S, dtype=np.float64)
    return S.std(axis=0).mean(axis=1)


def ref_votes(S):
    T, N, K = S.shape
    votes = np.argmax(S, axis=2)  # lowest class on ties
    counts = np.zeros((N, K))
    for t in range(T):
        counts[np.arange(N), votes[t]] += 1
    return counts


def ref_vote_entropy(S):
    T = S.shape[0]
    return -xlogx(ref_votes(S) / T).sum(axis=1)


def ref_consensus_entropy(S):
    return ref_entropy(np.asarray(S, dtype=np.float64).mean(axis=0))


def ref_kl_members(S):
    S = np.asarray(S, dtype=np.float64)
    pc = S.mean(axis=0)
    kl = (xlogx(S) - np.where(S > 0, S * np.log(np.where(pc > 0, pc, 1.0))[None], 0.0)).sum(axis=2)
    return np.maximum(kl, 0.0)  # T x N


def ref_kl_disagreement(S):
    return ref_kl_members(S).mean(axis=0)


def ref_max_kl_disagreement(S):
    return ref_kl_members(S).max(axis=0)


def ref_variation_ratio(S):
    T = S.shape[0]
    return 1.0 - ref_votes(S).max(axis=1) / T


# --------------------------------------------------------------------------------------------
# acquire::Rng and the race keys, in Python (exact: 64-bit integer arithmetic)

M64 = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def mix64(z):
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class Rng:
    """acquire::Rng: xoshiro256** seeded by splitmix64."""

    def __init__(self, seed=0):
        self.s = []
        seed &= M64
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & M64
            self.s.append(mix64(seed))

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.next()
            if x >= threshold:
                return x % n

    def normal(self):
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586476925286766559 * u2)


def race_stream(seed, step):
    return mix64((mix64((seed & M64) ^ 0x243F6A8885A308D3) + (step + 1) * 0x9E3779B97F4A7C15) & M64)


def race_uniform(stream, row):
    return ((mix64((stream + (row + 1) * 0xD1B54A32D192ED03) & M64) >> 11) + 1) * 2.0**-53


def race_key(seed, step, row):
    return -math.log(race_uniform(race_stream(seed, step), row))


def gumbel(bits):
    u = ((bits >> 11) + 0.5) * 2.0**-53
    return -math.log(-math.log(u))


def ref_d2_sampling(D2_of, n, blocked, initial, first, b, seed):
    """detail::d2_sampling in Python. D2_of(c) -> squared distances of all rows to row c
    (float64 array). Returns (indices, objective)."""
    nearest = np.full(n, np.inf)
    unavailable = np.array(blocked, dtype=bool).copy()
    any_center = False

    def add(c):
        nonlocal any_center
        d = D2_of(c)
        np.minimum(nearest, d, out=nearest)
        nearest[c] = 0.0
        unavailable[c] = True
        any_center = True

    for c in initial:
        add(c)
    picks, objective = [], []
    for step in range(b):
        if step == 0 and not len(initial) and first >= 0:
            pick = first
        else:
            stream = race_stream(seed, step)
            best, best_ratio, lowest = -1, math.inf, -1
            for i in range(n):
                if unavailable[i]:
                    continue
                if lowest < 0:
                    lowest = i
                w = nearest[i] if any_center else 1.0
                if not w > 0:
                    continue
                ratio = -math.log(race_uniform(stream, i)) / w
                if best < 0 or ratio < best_ratio:
                    best, best_ratio = i, ratio
            pick = best if best >= 0 else lowest
        add(pick)
        picks.append(pick)
        objective.append(float(nearest[~np.array(blocked, dtype=bool)].sum()))
    return picks, objective


# --------------------------------------------------------------------------------------------
# Selection helpers


def sel_indices(sel):
    """The picks of an acq.Selection (or an index array) as a list of ints."""
    idx = getattr(sel, "indices", sel)
    return [int(i) for i in np.asarray(idx).tolist()]


def sel_objective(sel):
    return np.asarray(sel.objective, dtype=np.float64)


def assert_valid_picks(picks, n, b, labeled=()):
    picks = list(picks)
    assert len(picks) == b
    assert len(set(picks)) == b, "picks repeat"
    assert all(0 <= i < n for i in picks), "pick out of range"
    assert not set(picks) & set(int(i) for i in labeled), "a labeled index was picked"


def free_memory_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
