"""Batch selectors: brute force on tiny pools, exact replicas of the seeded ones, invariants,
every option reaching C++."""
import itertools
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    Rng,
    assert_valid_picks,
    gumbel,
    layouts,
    random_probs,
    random_stack,
    ref_bald,
    ref_d2_sampling,
    ref_entropy,
    sel_indices,
    sel_objective,
    variant,
)


def blobs(rng, n, d, centers=4, spread=0.3, dtype=np.float64):
    c = rng.normal(size=(centers, d)) * 3
    X = c[rng.integers(0, centers, size=n)] + spread * rng.normal(size=(n, d))
    return X.astype(dtype)


def pairwise_d2(X):
    X = np.asarray(X, dtype=np.float64)
    return ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)


# ============================================================================ k_center_greedy


def ref_k_center(X, labeled, b, metric="euclidean", first=-1, seed=0):
    X = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    n = len(X)
    nearest = np.full(n, np.inf)
    taken = np.zeros(n, dtype=bool)
    for c in labeled:
        nearest = np.minimum(nearest, np.linalg.norm(X - X[c], axis=1))
        taken[c] = True
    picks, objective = [], []
    for step in range(b):
        if step == 0 and not len(labeled):
            pick = first if first >= 0 else Rng(seed).below(n)
        else:
            masked = np.where(taken, -np.inf, nearest)
            pick = int(np.argmax(masked))  # ties: lowest index
        taken[pick] = True
        nearest = np.minimum(nearest, np.linalg.norm(X - X[pick], axis=1))
        picks.append(pick)
        objective.append(nearest.max())
    return picks, objective


@pytest.mark.parametrize("n_labeled", [0, 1, 5])
def test_k_center_matches_brute_force(n_labeled, dtype, rng):
    X = rng.normal(size=(80, 6)).astype(dtype)
    labeled = list(rng.choice(80, n_labeled, replace=False))
    sel = acq.k_center_greedy(X, labeled, 10)
    picks, objective = ref_k_center(X, labeled, 10)
    assert sel_indices(sel) == picks
    assert len(sel) == 10
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=rtol)
    assert sel.indices.dtype == np.int64 and sel.objective.dtype == np.float64


def test_k_center_objective_is_non_increasing(rng):
    X = blobs(rng, 200, 5)
    sel = acq.k_center_greedy(X, [0, 1], 30)
    obj = sel_objective(sel)
    assert np.all(np.diff(obj) <= 1e-12)
    assert_valid_picks(sel_indices(sel), 200, 30, [0, 1])


def test_k_center_every_layout_same_picks(rng):
    X = rng.normal(size=(60, 8))
    ref = sel_indices(acq.k_center_greedy(X, [3], 12))
    for lay, v in layouts(X):
        assert sel_indices(acq.k_center_greedy(v, [3], 12)) == ref, lay


def test_k_center_labeled_as_array_and_tensor(rng):
    X = rng.normal(size=(40, 3))
    a = sel_indices(acq.k_center_greedy(X, [1, 7, 9], 5))
    assert sel_indices(acq.k_center_greedy(X, np.array([1, 7, 9]), 5)) == a
    assert sel_indices(acq.k_center_greedy(X, np.array([1, 7, 9], dtype=np.int32), 5)) == a
    assert sel_indices(acq.k_center_greedy(X, (1, 7, 9), 5)) == a
    try:
        import torch
    except Exception:
        return
    assert sel_indices(acq.k_center_greedy(X, torch.tensor([1, 7, 9]), 5)) == a


def test_k_center_first_option(rng):
    X = rng.normal(size=(30, 4))
    sel = acq.k_center_greedy(X, [], 4, first=17)
    assert sel_indices(sel)[0] == 17
    assert sel_indices(sel) == ref_k_center(X, [], 4, first=17)[0]


def test_k_center_seed_draws_first_pick(rng):
    X = rng.normal(size=(500, 4))
    picks = {}
    for seed in (0, 1, 2, 12345):
        sel = sel_indices(acq.k_center_greedy(X, None, 3, seed=seed))
        assert sel[0] == Rng(seed).below(500)
        assert sel == ref_k_center(X, [], 3, seed=seed)[0]
        picks[seed] = sel[0]
    assert len(set(picks.values())) > 1


def test_k_center_metric_cosine_differs(rng):
    # Row 1 is far from row 0 but in almost the same direction; row 2 is close but orthogonal.
    X = np.array([[1.0, 0.0], [100.0, 1.0], [0.0, 1.0], [1.0, 0.05]])
    assert sel_indices(acq.k_center_greedy(X, [0], 1)) == [1]
    assert sel_indices(acq.k_center_greedy(X, [0], 1, metric="euclidean")) == [1]
    assert sel_indices(acq.k_center_greedy(X, [0], 1, metric="cosine")) == [2]
    Y = rng.normal(size=(50, 5)) * rng.uniform(0.1, 10, size=(50, 1))
    sel = acq.k_center_greedy(Y, [0], 8, metric="cosine")
    picks, objective = ref_k_center(Y, [0], 8, metric="cosine")
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-10)


def test_k_center_prune_off_same_picks(rng):
    X = blobs(rng, 300, 4)
    a = acq.k_center_greedy(X, [5], 20, prune=True)
    b = acq.k_center_greedy(X, [5], 20, prune=False)
    assert sel_indices(a) == sel_indices(b)
    np.testing.assert_array_equal(a.objective, b.objective)


def test_k_center_ties_go_to_lowest_index():
    X = np.array([[0.0], [1.0], [-1.0], [1.0]])
    assert sel_indices(acq.k_center_greedy(X, [0], 1)) == [1]


def test_k_center_checks_false_lets_nan_through():
    X = np.zeros((5, 2))
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"acquire::k_center_greedy: X row 2 column 1 is nan"):
        acq.k_center_greedy(X, [0], 1)
    sel = acq.k_center_greedy(X, [0], 1, checks=False)
    assert len(sel) == 1


def test_k_center_budget_zero():
    sel = acq.k_center_greedy(np.zeros((4, 2)), [1], 0)
    assert len(sel) == 0 and sel.indices.dtype == np.int64


# ============================================================================ kmeans_pp


def d2_rows(X):
    X = np.asarray(X, dtype=np.float64)
    return lambda c: ((X - X[c]) ** 2).sum(axis=1)


@pytest.mark.parametrize("seed", [0, 7, 2**64 - 1])
def test_kmeans_pp_matches_exact_replica(seed, dtype, rng):
    X = rng.normal(size=(120, 5)).astype(dtype)
    sel = acq.kmeans_pp(X, 8, seed=seed)
    picks, objective = ref_d2_sampling(d2_rows(X), 120, [False] * 120, [], -1, 8, seed)
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-5 if dtype == np.float32 else 1e-10)


def test_kmeans_pp_initial_and_first(rng):
    X = rng.normal(size=(90, 3))
    sel = acq.kmeans_pp(X, 6, initial=[4, 50], seed=3)
    picks, objective = ref_d2_sampling(d2_rows(X), 90, [False] * 90, [4, 50], -1, 6, 3)
    assert sel_indices(sel) == picks
    assert not {4, 50} & set(picks)
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-10)
    sel = acq.kmeans_pp(X, 4, first=33, seed=3)
    assert sel_indices(sel)[0] == 33
    assert sel_indices(sel) == ref_d2_sampling(d2_rows(X), 90, [False] * 90, [], 33, 4, 3)[0]


def test_kmeans_pp_seed_changes_picks(rng):
    X = rng.normal(size=(200, 4))
    a = sel_indices(acq.kmeans_pp(X, 5, seed=0))
    b = sel_indices(acq.kmeans_pp(X, 5, seed=1))
    assert a != b
    assert a == sel_indices(acq.kmeans_pp(X, 5, seed=0))  # same seed, same picks


def test_kmeans_pp_prune_and_layouts_same_picks(rng):
    X = blobs(rng, 150, 6)
    ref = sel_indices(acq.kmeans_pp(X, 10, seed=5))
    assert sel_indices(acq.kmeans_pp(X, 10, seed=5, prune=False)) == ref
    for lay, v in layouts(X):
        assert sel_indices(acq.kmeans_pp(v, 10, seed=5)) == ref, lay


def test_kmeans_pp_duplicates_take_lowest_remaining():
    X = np.zeros((5, 2))
    sel = acq.kmeans_pp(X, 3, first=2)
    assert sel_indices(sel) == [2, 0, 1]
    np.testing.assert_array_equal(sel.objective, [0, 0, 0])


def test_kmeans_pp_same_on_any_thread_count(rng):
    X = rng.normal(size=(9000, 4)).astype(np.float32)
    before = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        a = sel_indices(acq.kmeans_pp(X, 6, seed=2))
        acq.set_num_threads(2)
        b = sel_indices(acq.kmeans_pp(X, 6, seed=2))
    finally:
        acq.set_num_threads(before)
    assert a == b


# ============================================================================ badge


def badge_embedding(P, H):
    P = np.asarray(P, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    a = P.copy()
    a[np.arange(len(P)), np.argmax(P, axis=1)] -= 1.0
    return (a[:, :, None] * H[:, None, :]).reshape(len(P), -1)


def ref_badge(P, H, labeled, b, seed):
    G = badge_embedding(P, H)
    n = len(P)
    blocked = np.zeros(n, dtype=bool)
    blocked[list(labeled)] = True
    norm2 = (G**2).sum(axis=1)
    first = int(np.argmax(np.where(blocked, -np.inf, norm2)))
    return ref_d2_sampling(d2_rows(G), n, blocked, [], first, b, seed)


@pytest.mark.parametrize("seed", [0, 11])
def test_badge_matches_exact_replica(seed, dtype, rng):
    P = random_probs(rng, 70, 4, dtype)
    H = rng.normal(size=(70, 5)).astype(dtype)
    labeled = [3, 9, 40]
    sel = acq.badge(P, H, labeled, 7, seed=seed)
    picks, objective = ref_badge(P, H, labeled, 7, seed)
    assert sel_indices(sel) == picks
    assert_valid_picks(picks, 70, 7, labeled)
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-4 if dtype == np.float32 else 1e-9)


def test_badge_first_pick_is_largest_gradient(rng):
    P = random_probs(rng, 50, 3)
    H = rng.normal(size=(50, 4))
    G = badge_embedding(P, H)
    assert sel_indices(acq.badge(P, H, [], 1))[0] == int(np.argmax((G**2).sum(1)))


def test_badge_seed_prune_layouts(rng):
    P = random_probs(rng, 100, 5)
    H = rng.normal(size=(100, 6))
    a = sel_indices(acq.badge(P, H, [0], 8, seed=1))
    assert a != sel_indices(acq.badge(P, H, [0], 8, seed=2))
    assert a == sel_indices(acq.badge(P, H, [0], 8, seed=1, prune=False))
    for lay, v in layouts(H):
        assert sel_indices(acq.badge(variant(P, lay), v, [0], 8, seed=1)) == a, lay


def test_badge_checks_false():
    P = np.array([[0.6, 0.6], [0.5, 0.5], [0.2, 0.8]])
    H = np.eye(3)[:, :2] + 1.0
    with pytest.raises(ValueError, match=r"acquire::badge: P row 0 sums to 1.2"):
        acq.badge(P, H, [], 1)
    assert len(acq.badge(P, H, [], 1, checks=False)) == 1


# ============================================================================ facility location


def unit(X):
    X = np.asarray(X, dtype=np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def ref_facility(X, candidates, b):
    U = unit(X)
    S = U @ U.T
    n = len(X)
    cands = sorted(candidates) if len(candidates) else list(range(n))
    cover = np.zeros(n)
    picks, objective = [], []
    for _ in range(b):
        best, best_gain = -1, -np.inf
        for c in cands:
            if c in picks:
                continue
            g = np.maximum(0.0, S[c] - cover).sum()
            if g > best_gain:
                best, best_gain = c, g
        picks.append(best)
        cover = np.maximum(cover, np.maximum(S[best], 0.0))
        objective.append(cover.sum())
    return picks, objective


@pytest.mark.parametrize("with_candidates", [False, True])
def test_facility_location_matches_brute_force(with_candidates, dtype, rng):
    X = rng.normal(size=(40, 5)).astype(dtype)
    candidates = list(rng.choice(40, 25, replace=False)) if with_candidates else []
    cand_arg = candidates if with_candidates else None
    sel = acq.facility_location(X, cand_arg, 6)
    picks, objective = ref_facility(X, candidates, 6)
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-5 if dtype == np.float32 else 1e-10)
    if with_candidates:
        assert set(picks) <= set(candidates)


def test_facility_location_empty_candidates_means_all(rng):
    X = rng.normal(size=(30, 4))
    assert sel_indices(acq.facility_location(X, [], 5)) == sel_indices(acq.facility_location(X, None, 5))


def test_facility_location_lazy_memory_same_picks(rng):
    X = rng.normal(size=(120, 6))
    ref = acq.facility_location(X, None, 10)
    for kw in (dict(lazy=False), dict(memory_bytes=120 * 8 * 3), dict(neighbors=120)):
        sel = acq.facility_location(X, None, 10, **kw)
        assert sel_indices(sel) == sel_indices(ref), kw
        np.testing.assert_allclose(sel.objective, ref.objective, rtol=1e-12)
    for lay, v in layouts(X):
        assert sel_indices(acq.facility_location(v, None, 10)) == sel_indices(ref), lay


def test_facility_location_neighbors_sparsifies(rng):
    X = rng.normal(size=(50, 3))
    dense = acq.facility_location(X, None, 5)
    sparse = acq.facility_location(X, None, 5, neighbors=1)
    # each point keeps only its most similar candidate, itself: every pick covers one point
    np.testing.assert_allclose(sparse.objective, [1, 2, 3, 4, 5], rtol=1e-6)
    assert sel_objective(dense)[0] > 1.5


def test_facility_location_stochastic_seed_epsilon(rng):
    X = rng.normal(size=(60, 4))
    greedy = sel_indices(acq.facility_location(X, None, 10))
    a = sel_indices(acq.facility_location(X, None, 10, stochastic=True, epsilon=0.9, seed=1))
    b = sel_indices(acq.facility_location(X, None, 10, stochastic=True, epsilon=0.9, seed=2))
    assert_valid_picks(a, 60, 10)
    assert a != greedy
    assert a != b
    assert a == sel_indices(acq.facility_location(X, None, 10, stochastic=True, epsilon=0.9, seed=1))
    # a tiny epsilon samples every remaining candidate: plain greedy (candidates a subset, or
    # a memory bound that keeps the block from being computed whole)
    cands = list(range(59))
    assert sel_indices(acq.facility_location(X, cands, 10, stochastic=True, epsilon=1e-9, seed=1)) == sel_indices(
        acq.facility_location(X, cands, 10))
    assert sel_indices(acq.facility_location(X, None, 10, stochastic=True, epsilon=1e-9, seed=1,
                                             memory_bytes=60 * 8 * 10)) == greedy


def test_facility_location_stochastic_full_sample_is_greedy(rng):
    X = rng.normal(size=(60, 4))
    greedy = sel_indices(acq.facility_location(X, None, 10))
    # ceil((60 / 10) ln(1e9)) = 125 >= 60: every step samples every remaining candidate
    assert sel_indices(acq.facility_location(X, None, 10, stochastic=True, epsilon=1e-9, seed=1)) == greedy


def test_facility_location_errors(rng):
    X = rng.normal(size=(10, 3))
    with pytest.raises(ValueError, match="acquire::facility_location: options epsilon"):
        acq.facility_location(X, None, 2, epsilon=1.5)
    with pytest.raises(ValueError, match="memory_bytes"):
        acq.facility_location(X, None, 2, memory_bytes=16)
    with pytest.raises(ValueError, match="neighbors"):
        acq.facility_location(X, None, 2, neighbors=-1)
    Z = X.copy()
    Z[4] = 0
    with pytest.raises(ValueError, match="X row 4 has zero norm"):
        acq.facility_location(Z, None, 2)
    with pytest.raises(ValueError, match=r"acquire::facility_location: b is 11 but only 10"):
        acq.facility_location(X, None, 11)
    with pytest.raises(ValueError, match=r"b is 4 but only 3"):
        acq.facility_location(X, [1, 2, 3], 4)


# ============================================================================ max coverage


def ref_max_coverage(X, radius, b, candidates=()):
    A = pairwise_d2(X) <= radius**2
    n = len(X)
    cands = sorted(candidates) if len(candidates) else list(range(n))
    covered = np.zeros(n, dtype=bool)
    picks, objective = [], []
    for _ in range(b):
        best, best_gain = -1, -1
        for c in cands:
            if c in picks:
                continue
            g = int((A[c] & ~covered).sum())
            if g > best_gain:
                best, best_gain = c, g
        picks.append(best)
        covered |= A[best]
        objective.append(float(covered.sum()))
    return picks, objective


def test_max_coverage_matches_brute_force(dtype, rng):
    X = blobs(rng, 60, 2, centers=5, spread=0.8).astype(dtype)
    D = np.sqrt(pairwise_d2(X))
    radius = 1.2345
    assert np.min(np.abs(D - radius)) > 1e-4  # no pair on the boundary
    sel = acq.max_coverage(X, radius, 6)
    picks, objective = ref_max_coverage(X, radius, 6)
    assert sel_indices(sel) == picks
    np.testing.assert_array_equal(sel_objective(sel), objective)
    cands = list(range(0, 60, 3))
    sel = acq.max_coverage(X, radius, 4, candidates=cands)
    picks, objective = ref_max_coverage(X, radius, 4, cands)
    assert sel_indices(sel) == picks
    np.testing.assert_array_equal(sel_objective(sel), objective)


def test_max_coverage_radius_zero_covers_one_each(rng):
    X = rng.normal(size=(20, 3))
    sel = acq.max_coverage(X, 0.0, 4)
    assert sel_indices(sel) == [0, 1, 2, 3]
    np.testing.assert_array_equal(sel.objective, [1, 2, 3, 4])


def test_max_coverage_bad_radius(rng):
    with pytest.raises(ValueError, match="acquire::max_coverage: radius"):
        acq.max_coverage(rng.normal(size=(5, 2)), -1.0, 1)


# ============================================================================ probcover


def ref_probcover(X, delta, b, labeled=()):
    n = len(X)
    ball = (np.sqrt(pairwise_d2(X)) < delta) | np.eye(n, dtype=bool)
    covered = np.zeros(n, dtype=bool)
    for l in labeled:
        covered |= ball[l]
    taken = np.zeros(n, dtype=bool)
    taken[list(labeled)] = True
    picks, objective = [], []
    for _ in range(b):
        gains = np.where(taken, -1, (ball & ~covered).sum(axis=1))
        best = int(np.argmax(gains))
        taken[best] = True
        covered |= ball[best]
        picks.append(best)
        objective.append(float(covered.sum()))
    return picks, objective


@pytest.mark.parametrize("labeled", [[], [2, 30]])
def test_probcover_matches_brute_force(labeled, dtype, rng):
    X = blobs(rng, 70, 3, centers=6, spread=0.5).astype(dtype)
    delta = 0.987
    assert np.min(np.abs(np.sqrt(pairwise_d2(X)) - delta)) > 1e-4
    sel = acq.probcover(X, delta, 8, labeled=labeled or None)
    picks, objective = ref_probcover(X, delta, 8, labeled)
    assert sel_indices(sel) == picks
    np.testing.assert_array_equal(sel_objective(sel), objective)


def test_probcover_huge_delta_falls_back_to_lowest(rng):
    X = rng.normal(size=(15, 2))
    sel = acq.probcover(X, 1e6, 4, labeled=[0])
    # row 1's ball already holds everything; then nothing adds: lowest unlabeled in order
    assert sel_indices(sel) == [1, 2, 3, 4]
    np.testing.assert_array_equal(sel.objective, [15, 15, 15, 15])


def test_probcover_memory_bound(rng):
    X = rng.normal(size=(200, 2))
    with pytest.raises(ValueError, match=r"acquire::probcover: the delta-ball graph"):
        acq.probcover(X, 100.0, 3, memory_bytes=4096)
    with pytest.raises(ValueError, match="tile_bytes"):
        acq.probcover(X, 0.5, 3, tile_bytes=100)
    a = acq.probcover(X, 0.5, 5, tile_bytes=4096)
    assert sel_indices(a) == sel_indices(acq.probcover(X, 0.5, 5))


def test_probcover_delta_from_labels(rng):
    X = blobs(rng, 50, 3, centers=3, spread=1.0)
    labels = list(rng.integers(0, 3, size=50))
    D = np.sqrt(pairwise_d2(X))
    lab = np.array(labels)
    r = np.array([D[i, lab != lab[i]].min() for i in range(50)])
    for alpha in (0.95, 0.5, 1.0):
        q = max(1, min(50, math.ceil(alpha * 50 - 1e-9)))
        expected = np.sort(r)[::-1][q - 1]
        got = acq.probcover_delta(X, labels, alpha=alpha)
        assert got == pytest.approx(expected, rel=1e-9)
    assert acq.probcover_delta(X, [0] * 50) == math.inf


def test_probcover_delta_from_clusters_uses_kmeans(rng):
    X = blobs(rng, 60, 2, centers=3)
    km = acq.kmeans(X, 3, seed=4)
    a = acq.probcover_delta(X, 3, kmeans=acq.KMeansOptions(seed=4))
    b = acq.probcover_delta(X, np.asarray(km.assignment))
    assert a == pytest.approx(b, rel=1e-12)


# ============================================================================ typicality / typiclust


def ref_typicality(X, k):
    n = len(X)
    kk = min(k, n // 2)
    if kk == 0:
        return np.zeros(n)
    D = np.sqrt(pairwise_d2(X))
    np.fill_diagonal(D, np.inf)
    near = np.sort(D, axis=1)[:, :kk]
    return 1.0 / near.mean(axis=1)


def test_typicality_matches_formula(rng):
    X = rng.normal(size=(40, 4))
    for k in (1, 5, 20, 100):
        np.testing.assert_allclose(acq.typicality(X, k), ref_typicality(X, k), rtol=1e-9)
    out = acq.typicality(X.astype(np.float32), 5)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ref_typicality(X.astype(np.float32), 5), rtol=1e-4)
    np.testing.assert_array_equal(acq.typicality(X[:1], 3), [0.0])


def ref_typiclust(X, assignment, b, labeled=(), neighbors=20, min_cluster_size=5):
    n = len(X)
    assignment = np.asarray(assignment)
    clusters = int(assignment.max()) + 1
    members = [list(np.flatnonzero(assignment == c)) for c in range(clusters)]
    taken = np.zeros(n, dtype=bool)
    taken[list(labeled)] = True
    labeled_count = [int(taken[m].sum()) for m in members]
    left = [len(m) - labeled_count[c] for c, m in enumerate(members)]
    typical = {}
    picks, objective = [], []
    for _ in range(b):
        any_large = any(left[c] > 0 and len(members[c]) > min_cluster_size for c in range(clusters))
        best = None
        for c in range(clusters):
            if left[c] == 0 or (any_large and len(members[c]) <= min_cluster_size):
                continue
            if best is None or labeled_count[c] < labeled_count[best] or (
                labeled_count[c] == labeled_count[best] and len(members[c]) > len(members[best])
            ):
                best = c
        if best not in typical:
            typical[best] = ref_typicality(X[members[best]], neighbors)
        t = typical[best]
        q = max((q for q in range(len(members[best])) if not taken[members[best][q]]), key=lambda q: (t[q], -q))
        i = members[best][q]
        taken[i] = True
        labeled_count[best] += 1
        left[best] -= 1
        picks.append(int(i))
        objective.append(t[q])
    return picks, objective


def test_typiclust_with_assignment_matches_brute_force(rng):
    X = blobs(rng, 80, 3, centers=4, spread=0.6)
    assignment = list(rng.integers(0, 5, size=80))
    assignment[0] = 7  # a singleton cluster with a sparse id
    labeled = [1, 2, 3]
    sel = acq.typiclust(X, assignment, 9, labeled=labeled, neighbors=4, min_cluster_size=2)
    picks, objective = ref_typiclust(X, assignment, 9, labeled, neighbors=4, min_cluster_size=2)
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-9)
    assert_valid_picks(picks, 80, 9, labeled)


def test_typiclust_min_cluster_size_and_neighbors_reach_cpp(rng):
    X = blobs(rng, 60, 2, centers=3, spread=0.7)
    assignment = [0] * 50 + [1] * 6 + [2] * 4
    a = sel_indices(acq.typiclust(X, assignment, 3, min_cluster_size=5))
    assert a == ref_typiclust(X, assignment, 3, min_cluster_size=5)[0]
    b = sel_indices(acq.typiclust(X, assignment, 3, min_cluster_size=10))
    assert b == ref_typiclust(X, assignment, 3, min_cluster_size=10)[0]
    assert a != b  # cluster 1 (6 points) waits when the minimum is 10
    c = sel_indices(acq.typiclust(X, assignment, 3, neighbors=1, min_cluster_size=5))
    assert c == ref_typiclust(X, assignment, 3, neighbors=1, min_cluster_size=5)[0]


def test_typiclust_runs_kmeans(rng):
    X = blobs(rng, 100, 4, centers=5, spread=0.4)
    sel = acq.typiclust(X, 6, labeled=[0, 1], kmeans=acq.KMeansOptions(seed=3))
    km = acq.kmeans(X, min(2 + 6, 500, 100), seed=3)
    picks, objective = ref_typiclust(X, np.asarray(km.assignment), 6, [0, 1])
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-9)
    # max_clusters caps the clustering
    sel2 = acq.typiclust(X, 6, labeled=[0, 1], max_clusters=2, kmeans=acq.KMeansOptions(seed=3))
    km2 = acq.kmeans(X, 2, seed=3)
    assert sel_indices(sel2) == ref_typiclust(X, np.asarray(km2.assignment), 6, [0, 1])[0]


def test_typiclust_errors(rng):
    X = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="acquire::typiclust: options neighbors must be >= 1"):
        acq.typiclust(X, 2, neighbors=0)
    with pytest.raises(ValueError, match="assignment has 3 entries but X has 10 rows"):
        acq.typiclust(X, [0, 1, 2], 2)
    with pytest.raises(ValueError, match=r"assignment entry 1 is 10, out of range \[0, 10\)"):
        acq.typiclust(X, [0, 10] + [0] * 8, 2)


# ============================================================================ kmeans


def test_kmeans_invariants(dtype, rng):
    X = blobs(rng, 150, 3, centers=4).astype(dtype)
    km = acq.kmeans(X, 4, seed=1)
    centers = np.asarray(km.centers, dtype=np.float64)
    assignment = np.asarray(km.assignment)
    assert centers.shape == (4, 3)
    assert np.asarray(km.centers).dtype == dtype
    d2 = ((X.astype(np.float64)[:, None] - centers[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(assignment, np.argmin(d2, axis=1))
    assert km.inertia == pytest.approx(d2[np.arange(150), assignment].sum(), rel=1e-5)
    assert 0 <= km.iterations <= 100


def ref_greedy_kmeans_pp(X, k, seed):
    """acquire's k-means start (cluster.hpp, detail::greedy_kmeans_pp): the first center
    uniform, then 2 + floor(ln k) D^2 candidates per step, the lowest potential kept."""
    n = X.shape[0]
    trials = 2 + int(math.log(k))
    r = Rng(seed)
    centers = [r.below(n)]
    d2 = ((X - X[centers[0]]) ** 2).sum(axis=1)
    while len(centers) < k:
        prefix = np.cumsum(d2)  # sequential, as the C++ sums
        total = prefix[-1]
        best, best_potential, best_d2 = None, None, None
        for _ in range(trials):
            c = min(int(np.searchsorted(prefix, r.uniform() * total, side="right")), n - 1)
            trial = np.minimum(d2, ((X - X[c]) ** 2).sum(axis=1))
            potential = np.cumsum(trial)[-1]
            if best is None or potential < best_potential:
                best, best_potential, best_d2 = c, potential, trial
        centers.append(best)
        d2 = best_d2
    return centers


def test_kmeans_starts_from_greedy_kmeans_pp(rng):
    X = rng.normal(size=(50, 3))
    for seed in (0, 9):
        km = acq.kmeans(X, 5, max_iterations=0, seed=seed, restarts=1)
        np.testing.assert_array_equal(km.centers, X[ref_greedy_kmeans_pp(X, 5, seed)])
        assert km.iterations == 0


def test_kmeans_restarts_keep_the_lowest_inertia(rng):
    X = rng.normal(size=(200, 2))
    for seed in range(5):
        one = acq.kmeans(X, 8, seed=seed, restarts=1)
        three = acq.kmeans(X, 8, seed=seed, restarts=3)
        assert three.inertia <= one.inertia
        assert acq.kmeans(X, 8, seed=seed).inertia == three.inertia  # the default is 3
    assert acq.KMeansOptions().restarts == 3
    with pytest.raises(ValueError, match="restarts must be >= 1"):
        acq.kmeans(X, 3, restarts=0)


def test_kmeans_lloyd_step(rng):
    X = rng.normal(size=(60, 2))
    km0 = acq.kmeans(X, 3, max_iterations=0, seed=2, restarts=1)
    km1 = acq.kmeans(X, 3, max_iterations=1, seed=2, restarts=1)
    a = np.asarray(km0.assignment)
    means = np.array([X[a == c].mean(axis=0) for c in range(3)])
    np.testing.assert_allclose(km1.centers, means, rtol=1e-12)
    assert km1.inertia <= km0.inertia


def test_kmeans_seed_and_tolerance_reach_cpp(rng):
    X = rng.normal(size=(300, 2))
    a = acq.kmeans(X, 8, seed=0, max_iterations=0)
    b = acq.kmeans(X, 8, seed=1, max_iterations=0)
    assert not np.array_equal(a.centers, b.centers)
    loose = acq.kmeans(X, 8, seed=0, tolerance=0.5)
    tight = acq.kmeans(X, 8, seed=0, tolerance=0.0)
    assert loose.iterations < tight.iterations


def test_kmeans_errors(rng):
    X = rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match=r"acquire::kmeans: k must be in \[1, 5\], got 6"):
        acq.kmeans(X, 6)
    with pytest.raises(ValueError, match="max_iterations"):
        acq.kmeans(X, 2, max_iterations=-1)


# ============================================================================ cluster_select


def ref_cluster_select(X, scores, b, beta=10, labeled=(), seed=0):
    avail = len(X) - len(labeled)
    pre = sel_indices(acq.top_k(scores, min(beta * b, avail), list(labeled)))
    rows = X[pre]
    km = acq.kmeans(rows, b, seed=seed, checks=False)
    centers = np.asarray(km.centers, dtype=np.float64)
    assignment = np.asarray(km.assignment)
    taken = np.zeros(len(pre), dtype=bool)
    picks, objective = [], []
    for c in range(b):
        best, best_d2 = -1, 0.0
        for q in range(len(pre)):
            if assignment[q] != c:
                continue
            v = float(((rows[q].astype(np.float64) - centers[c]) ** 2).sum())
            if best < 0 or v < best_d2 or (v == best_d2 and pre[q] < pre[best]):
                best, best_d2 = q, v
        if best < 0:
            continue
        taken[best] = True
        picks.append(pre[best])
        objective.append(math.sqrt(best_d2))
    for q in range(len(pre)):
        if len(picks) >= b:
            break
        if not taken[q]:
            taken[q] = True
            picks.append(pre[q])
            objective.append(0.0)
    return picks, objective, pre


def test_cluster_select_matches_reference(rng):
    X = blobs(rng, 200, 3, centers=6)
    scores = rng.uniform(size=200)
    labeled = [int(i) for i in np.argsort(-scores)[:5]]
    sel = acq.cluster_select(X, scores, 6, beta=4, labeled=labeled, kmeans=acq.KMeansOptions(seed=2))
    picks, objective, pre = ref_cluster_select(X, scores, 6, beta=4, labeled=labeled, seed=2)
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-9, atol=1e-12)
    assert set(picks) <= set(pre)
    assert_valid_picks(picks, 200, 6, labeled)


def test_cluster_select_beta_reaches_cpp(rng):
    X = blobs(rng, 200, 3, centers=6)
    scores = rng.uniform(size=200)
    one = sel_indices(acq.cluster_select(X, scores, 5, beta=1))
    assert sorted(one) == sorted(sel_indices(acq.top_k(scores, 5)))
    ten = sel_indices(acq.cluster_select(X, scores, 5, beta=10))
    assert sorted(ten) != sorted(one)
    with pytest.raises(ValueError, match=r"acquire::cluster_select: options beta must be in \[1, 50\]"):
        acq.cluster_select(X, scores, 5, beta=51)


def test_cluster_select_nan_score(rng):
    X = rng.normal(size=(10, 2))
    s = np.ones(10)
    s[6] = np.nan
    with pytest.raises(ValueError, match="acquire::cluster_select: scores entry 6 is NaN"):
        acq.cluster_select(X, s, 2)


# ============================================================================ cluster_margin


def ref_cluster_margin(scores, assignment, b, margin_pool=0, labeled=(), seed=0):
    n = len(scores)
    available = n - len(labeled)
    km = margin_pool or min(10 * b, available)
    pool = sel_indices(acq.top_k(scores, km, list(labeled)))
    pool.sort(key=lambda i: (assignment[i], i))
    groups = []
    for q, i in enumerate(pool):
        if q == 0 or assignment[i] != assignment[pool[q - 1]]:
            groups.append([])
        groups[-1].append(i)
    groups.sort(key=len)  # stable: ties keep the cluster-id order
    r = Rng(seed)
    left = [len(g) for g in groups]
    picks = []
    while len(picks) < b:
        for g in range(len(groups)):
            if len(picks) >= b:
                break
            if left[g] == 0:
                continue
            members = groups[g]
            pick = r.below(left[g])
            members[pick], members[left[g] - 1] = members[left[g] - 1], members[pick]
            left[g] -= 1
            picks.append(members[left[g]])
    return picks


@pytest.mark.parametrize("seed", [0, 5])
def test_cluster_margin_matches_exact_replica(seed, rng):
    n = 120
    scores = rng.uniform(size=n)
    assignment = list(rng.integers(0, 9, size=n))
    labeled = [int(i) for i in rng.choice(n, 10, replace=False)]
    sel = acq.cluster_margin(scores, assignment, 12, labeled=labeled, seed=seed)
    picks = ref_cluster_margin(scores, assignment, 12, labeled=labeled, seed=seed)
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), scores[picks], rtol=0)
    assert_valid_picks(picks, n, 12, labeled)


def test_cluster_margin_options_reach_cpp(rng):
    n = 200
    scores = rng.uniform(size=n).astype(np.float32)
    assignment = rng.integers(0, 6, size=n)
    a = sel_indices(acq.cluster_margin(scores, assignment, 10, seed=0))
    assert a != sel_indices(acq.cluster_margin(scores, assignment, 10, seed=1))
    m = sel_indices(acq.cluster_margin(scores, assignment, 10, margin_pool=10))
    assert sorted(m) == sorted(sel_indices(acq.top_k(scores, 10)))
    assert m == ref_cluster_margin(scores, assignment, 10, margin_pool=10)
    with pytest.raises(ValueError, match="acquire::cluster_margin: options margin_pool is 5"):
        acq.cluster_margin(scores, assignment, 10, margin_pool=5)


# ============================================================================ agglomerative


def canonical(assignment):
    """Relabel clusters in order of their lowest row."""
    out, seen = [], {}
    for a in np.asarray(assignment).tolist():
        if a not in seen:
            seen[a] = len(seen)
        out.append(seen[a])
    return out


def test_agglomerative_matches_scipy(rng):
    scipy_hier = pytest.importorskip("scipy.cluster.hierarchy")
    X = blobs(rng, 60, 3, centers=5, spread=0.5)
    Z = scipy_hier.linkage(X, method="average", metric="euclidean")
    heights = Z[:, 2]
    for threshold in (0.3, 1.0, 2.5, 6.0):
        assert np.min(np.abs(heights - threshold)) > 1e-6
        expected = scipy_hier.fcluster(Z, t=threshold, criterion="distance")
        for naive in (False, True):
            cl = acq.agglomerative_clustering(X, threshold, naive=naive)
            assignment = np.asarray(cl.assignment)
            assert assignment.dtype == np.int64
            assert assignment.tolist() == canonical(expected), (threshold, naive)
            assert cl.clusters == len(set(expected.tolist()))


def test_agglomerative_extremes(rng):
    X = rng.normal(size=(12, 2))
    cl = acq.agglomerative_clustering(X, 0.0)
    assert cl.clusters == 12 and np.asarray(cl.assignment).tolist() == list(range(12))
    cl = acq.agglomerative_clustering(X, math.inf)
    assert cl.clusters == 1 and set(np.asarray(cl.assignment).tolist()) == {0}
    with pytest.raises(ValueError, match="over options memory_bytes"):
        acq.agglomerative_clustering(X, 1.0, memory_bytes=100)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        acq.agglomerative_clustering(X, -1.0)


# ============================================================================ stochastic_batch


def ref_stochastic(scores, b, mode="power", beta=1.0, labeled=(), seed=0):
    s = np.asarray(scores, dtype=np.float64)
    n = len(s)
    if math.isinf(beta):
        return sel_indices(acq.top_k(scores, b, list(labeled)))
    if mode == "power":
        lw = [0.0 if beta == 0 else (beta * math.log(v) if v > 0 else -math.inf) for v in s]
    elif mode == "softmax":
        lw = [beta * v for v in s]
    else:
        order = sorted(range(n), key=lambda i: (-s[i], i))
        lw = [0.0] * n
        for r, i in enumerate(order):
            lw[i] = -beta * math.log(r + 1)
    r = Rng(seed)
    skip = set(labeled)
    positive, zero = [], []
    for i in range(n):
        bits = r.next()
        if i in skip:
            continue
        g = gumbel(bits)
        if lw[i] == -math.inf:
            zero.append((g, i))
        else:
            positive.append((lw[i] + g, i))
    positive.sort(key=lambda e: (-e[0], e[1]))
    zero.sort(key=lambda e: (-e[0], e[1]))
    out = [i for _, i in positive[:b]]
    for _, i in zero[:b]:
        if len(out) == b:
            break
        out.append(i)
    return out


@pytest.mark.parametrize("mode", ["power", "softmax", "soft_rank"])
@pytest.mark.parametrize("beta", [0.0, 1.0, 3.5])
def test_stochastic_batch_matches_exact_replica(mode, beta, rng):
    scores = rng.uniform(0, 2, size=80)
    scores[[5, 6]] = 0.0
    labeled = [1, 2, 70]
    out = acq.stochastic_batch(scores, 15, mode=mode, beta=beta, labeled=labeled, seed=4)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert out.tolist() == ref_stochastic(scores, 15, mode, beta, labeled, 4)
    assert_valid_picks(out.tolist(), 80, 15, labeled)


def test_stochastic_batch_infinite_beta_is_top_k(rng):
    scores = rng.uniform(size=50)
    np.testing.assert_array_equal(acq.stochastic_batch(scores, 7, beta=math.inf), acq.top_k(scores, 7))


def test_stochastic_batch_zero_scores_come_last(rng):
    scores = np.zeros(20)
    scores[[3, 8, 15]] = [0.1, 0.2, 0.3]
    out = acq.stochastic_batch(scores, 6, seed=1).tolist()
    assert set(out[:3]) == {3, 8, 15}
    assert out == ref_stochastic(scores, 6, seed=1)


def test_stochastic_batch_options_reach_cpp(rng):
    scores = rng.uniform(size=300)
    a = acq.stochastic_batch(scores, 10, seed=0).tolist()
    assert a != acq.stochastic_batch(scores, 10, seed=1).tolist()
    assert a != acq.stochastic_batch(scores, 10, seed=0, mode="softmax").tolist()
    assert a != acq.stochastic_batch(scores, 10, seed=0, beta=8.0).tolist()
    assert a == acq.stochastic_batch(scores, 10, seed=0).tolist()
    with pytest.raises(ValueError, match="mode"):
        acq.stochastic_batch(scores, 10, mode="gumbel")
    with pytest.raises(ValueError, match=r"acquire::stochastic_batch: scores entry 4 is -1 \(power sampling"):
        s = scores.copy()
        s[4] = -1
        acq.stochastic_batch(s, 2)
    acq.stochastic_batch(s, 2, mode="softmax")  # negative scores are fine for softmax


def test_stochastic_batch_checks_false_allows_inf(rng):
    s = rng.uniform(size=10)
    s[7] = np.inf
    with pytest.raises(ValueError, match=r"scores entry 7 is inf \(must be finite\)"):
        acq.stochastic_batch(s, 2)
    out = acq.stochastic_batch(s, 2, checks=False).tolist()
    assert out[0] == 7


# ============================================================================ batch_bald


def joint_mi(S, picks):
    """I(y_picks; w) by enumerating every label configuration (S: T x N x K, float64)."""
    T = S.shape[0]
    joint = np.ones((T, 1))
    for i in picks:
        joint = (joint[:, :, None] * S[:, i, None, :]).reshape(T, -1)
    p = joint.mean(axis=0)
    H = -(p[p > 0] * np.log(p[p > 0])).sum()
    cond = sum(ref_entropy(S[:, i, :]).mean() for i in picks)
    return H - cond


def ref_batch_bald(S, b, labeled=()):
    S = np.asarray(S, dtype=np.float64)
    N = S.shape[1]
    picks, objective = [], []
    for _ in range(b):
        best, best_v = -1, -np.inf
        for x in range(N):
            if x in picks or x in labeled:
                continue
            v = joint_mi(S, picks + [x])
            if best < 0 or v > best_v + 1e-12 * abs(best_v):  # ties: lowest index
                best, best_v = x, v
        picks.append(best)
        objective.append(best_v)
    return picks, objective


@pytest.mark.parametrize("stack_layout", ["tnk", "ntk", "nkt"])
def test_batch_bald_matches_brute_force(stack_layout, dtype, rng):
    S = random_stack(rng, 5, 25, 3, dtype, noise=1.5)
    from conftest import to_layout

    sel = acq.batch_bald(to_layout(S, stack_layout), 4, layout=stack_layout, labeled=[0, 2])
    picks, objective = ref_batch_bald(S, 4, labeled=[0, 2])
    assert sel_indices(sel) == picks
    np.testing.assert_allclose(sel_objective(sel), objective, rtol=1e-5 if dtype == np.float32 else 1e-9, atol=1e-7)


def test_batch_bald_first_pick_is_top_bald(rng):
    S = random_stack(rng, 8, 60, 4, noise=1.2)
    sel = acq.batch_bald(S, 1)
    assert sel_indices(sel) == [int(np.argmax(ref_bald(S)))]
    np.testing.assert_allclose(sel.objective, [ref_bald(S).max()], rtol=1e-9)


def test_batch_bald_lazy_same_picks(rng):
    S = random_stack(rng, 6, 80, 4, noise=1.0)
    a = acq.batch_bald(S, 5)
    b = acq.batch_bald(S, 5, lazy=False)
    assert sel_indices(a) == sel_indices(b)
    np.testing.assert_allclose(a.objective, b.objective, rtol=1e-12)
    for lay, v in layouts(S):
        assert sel_indices(acq.batch_bald(v, 5)) == sel_indices(a), lay


def test_batch_bald_sampling_options_reach_cpp(rng):
    S = random_stack(rng, 6, 40, 4, noise=1.5)
    exact = acq.batch_bald(S, 3)
    sampled = acq.batch_bald(S, 3, max_configurations=1, samples=2, seed=0)
    assert sel_indices(sampled)[0] == sel_indices(exact)[0]
    assert sampled.objective[1] != pytest.approx(exact.objective[1], rel=1e-9)
    other_seed = acq.batch_bald(S, 3, max_configurations=1, samples=2, seed=1)
    more = acq.batch_bald(S, 3, max_configurations=1, samples=500, seed=0)
    assert (sampled.objective[1:] != other_seed.objective[1:]).any() or sel_indices(sampled) != sel_indices(other_seed)
    assert not np.array_equal(more.objective, sampled.objective)
    with pytest.raises(ValueError, match="acquire::batch_bald: options samples must be >= 1"):
        acq.batch_bald(S, 2, samples=0)
    with pytest.raises(ValueError, match="max_configurations must be >= 1"):
        acq.batch_bald(S, 2, max_configurations=0)


def test_batch_bald_checks(rng):
    S = random_stack(rng, 3, 10, 2)
    S[1, 4] = [0.7, 0.7]
    with pytest.raises(ValueError, match=r"acquire::batch_bald: predictions member 1 row 4 sums to 1.4"):
        acq.batch_bald(S, 2)
    assert len(acq.batch_bald(S, 2, checks=False)) == 2


# ============================================================================ prefilter / hybrid


def test_prefilter_is_top_k_of_unlabeled(rng):
    scores = rng.uniform(size=100)
    out = acq.prefilter(scores, 10, [int(np.argmax(scores))])
    assert out.dtype == np.int64
    order = [int(i) for i in np.argsort(-scores, kind="stable") if i != np.argmax(scores)]
    assert out.tolist() == order[:10]


def test_hybrid_with_python_selector(rng):
    if not hasattr(acq, "hybrid"):
        pytest.skip("acq.hybrid is not bound (the spec lists prefilter only)")
    X = rng.normal(size=(100, 4))
    scores = rng.uniform(size=100)
    labeled = [0, 1]

    def select(candidates, k):
        return acq.facility_location(X, candidates, k)

    sel = acq.hybrid(scores, 30, labeled, 5, select)
    pre = acq.prefilter(scores, 30, labeled)
    assert sel_indices(sel) == sel_indices(acq.facility_location(X, pre, 5))
    with pytest.raises(ValueError, match="acquire::hybrid"):
        acq.hybrid(scores, 30, labeled, 5, lambda c, k: acq.facility_location(X, None, k))


# ============================================================================ discriminator_select


def test_discriminator_select_lowest_first(dtype, rng):
    D = rng.uniform(size=60).astype(dtype)
    labeled = [int(np.argmin(D)), 10]
    sel = acq.discriminator_select(D, labeled, 7)
    order = [int(i) for i in np.argsort(D, kind="stable") if i not in labeled]
    assert sel_indices(sel) == order[:7]
    np.testing.assert_array_equal(sel_objective(sel), D[order[:7]].astype(np.float64))


def test_discriminator_select_ties_lowest_index():
    D = np.array([0.5, 0.1, 0.1, 0.9, 0.1])
    assert sel_indices(acq.discriminator_select(D, None, 3)) == [1, 2, 4]
    with pytest.raises(ValueError, match=r"acquire::discriminator_select: D entry 3 is inf"):
        acq.discriminator_select(np.array([0.0, 1.0, 2.0, np.inf]), [], 1)


# ============================================================================ invariants across selectors


def all_selectors(rng):
    n = 60
    X = blobs(rng, n, 4, centers=5)
    P = random_probs(rng, n, 4)
    S = random_stack(rng, 4, n, 3)
    scores = rng.uniform(size=n)
    assignment = rng.integers(0, 5, size=n)
    return n, {
        "k_center_greedy": lambda L, b: acq.k_center_greedy(X, L, b),
        "kmeans_pp": lambda L, b: acq.kmeans_pp(X, b, initial=L),
        "badge": lambda L, b: acq.badge(P, X, L, b),
        "facility_location": lambda L, b: acq.facility_location(X, [i for i in range(n) if i not in L], b),
        "max_coverage": lambda L, b: acq.max_coverage(X, 1.0, b, candidates=[i for i in range(n) if i not in L]),
        "probcover": lambda L, b: acq.probcover(X, 1.0, b, labeled=L),
        "typiclust": lambda L, b: acq.typiclust(X, b, labeled=L),
        "cluster_select": lambda L, b: acq.cluster_select(X, scores, b, labeled=L),
        "cluster_margin": lambda L, b: acq.cluster_margin(scores, assignment, b, labeled=L),
        "stochastic_batch": lambda L, b: acq.stochastic_batch(scores, b, labeled=L),
        "batch_bald": lambda L, b: acq.batch_bald(S, b, labeled=L),
        "discriminator_select": lambda L, b: acq.discriminator_select(scores, L, b),
    }


SELECTOR_NAMES = [
    "k_center_greedy", "kmeans_pp", "badge", "facility_location", "max_coverage", "probcover", "typiclust",
    "cluster_select", "cluster_margin", "stochastic_batch", "batch_bald", "discriminator_select",
]


@pytest.mark.parametrize("name", SELECTOR_NAMES)
def test_picks_unique_in_range_never_labeled_and_deterministic(name):
    rng = np.random.default_rng(99)
    n, sels = all_selectors(rng)
    labeled = [int(i) for i in rng.choice(n, 8, replace=False)]
    first = sels[name](labeled, 10)
    second = sels[name](labeled, 10)
    assert_valid_picks(sel_indices(first), n, 10, labeled)
    assert sel_indices(first) == sel_indices(second)
    if hasattr(first, "objective"):
        assert len(first.objective) == 10
        np.testing.assert_array_equal(first.objective, second.objective)
    # the whole unlabeled pool can be taken
    everything = sel_indices(sels[name](labeled, n - 8))
    assert sorted(everything) == sorted(set(range(n)) - set(labeled))


def test_hybrid_selector_may_return_a_sequence_and_errors_propagate(rng):
    scores = rng.uniform(size=50)
    seen = {}

    def first_k(candidates, k):
        seen["candidates"] = candidates
        return [int(i) for i in candidates[:k]]

    sel = acq.hybrid(scores, 10, [3], 4, first_k)
    assert isinstance(seen["candidates"], np.ndarray) and seen["candidates"].dtype == np.int64
    np.testing.assert_array_equal(seen["candidates"], acq.prefilter(scores, 10, [3]))
    assert sel_indices(sel) == seen["candidates"][:4].tolist()

    def boom(candidates, k):
        raise RuntimeError("boom from the selector")

    with pytest.raises(RuntimeError, match="boom from the selector"):
        acq.hybrid(scores, 10, [3], 4, boom)
    with pytest.raises(ValueError, match="acquire::hybrid: the selector returned 3 picks, expected 4"):
        acq.hybrid(scores, 10, [3], 4, lambda c, k: list(c[:3]))
    with pytest.raises(ValueError, match="acquire::hybrid: the selector repeated a pick"):
        acq.hybrid(scores, 10, [3], 2, lambda c, k: [int(c[0]), int(c[0])])
    with pytest.raises(ValueError, match="acquire::hybrid: b is 11 but only 10"):
        acq.hybrid(scores, 10, [3], 11, first_k)


def test_permuting_the_pool_permutes_the_picks(rng):
    X = rng.normal(size=(70, 5))
    perm = rng.permutation(70)
    inv = np.argsort(perm)  # row i of X is row inv[i] of X[perm]
    a = sel_indices(acq.k_center_greedy(X, [0, 9], 8))
    b = sel_indices(acq.k_center_greedy(X[perm], [int(inv[0]), int(inv[9])], 8))
    assert [int(perm[i]) for i in b] == a
    a = sel_indices(acq.facility_location(X, None, 6))
    b = sel_indices(acq.facility_location(X[perm], None, 6))
    assert [int(perm[i]) for i in b] == a
    S = random_stack(rng, 5, 70, 3)
    a = sel_indices(acq.batch_bald(S, 3))
    b = sel_indices(acq.batch_bald(S[:, perm], 3))
    assert [int(perm[i]) for i in b] == a


def test_mixed_layouts_of_two_matrices(rng):
    P = random_probs(rng, 80, 4)
    H = rng.normal(size=(80, 6))
    ref_b = sel_indices(acq.badge(P, H, [1], 6, seed=3))
    ref_g = acq.gradient_embedding(P, H)
    for lp, vp in layouts(P):
        for lh, vh in layouts(H, names=["C", "F", "cols_strided"]):
            assert sel_indices(acq.badge(vp, vh, [1], 6, seed=3)) == ref_b, (lp, lh)
            np.testing.assert_allclose(acq.gradient_embedding(vp, vh), ref_g, rtol=1e-14, err_msg=f"{lp} {lh}")


def test_one_row_pool():
    X = np.ones((1, 2))
    P = np.ones((1, 1))
    S = np.ones((1, 1, 1))
    for sel in (acq.k_center_greedy(X, [], 1), acq.kmeans_pp(X, 1), acq.badge(P, X, [], 1),
                acq.facility_location(X, None, 1), acq.max_coverage(X, 0.1, 1), acq.probcover(X, 0.5, 1),
                acq.typiclust(X, 1), acq.cluster_select(X, np.ones(1), 1), acq.cluster_margin(np.ones(1), [0], 1),
                acq.batch_bald(S, 1), acq.discriminator_select(np.ones(1), [], 1)):
        assert sel_indices(sel) == [0]
    assert acq.stochastic_batch(np.ones(1), 1).tolist() == [0]
    assert acq.agglomerative_clustering(X, 1.0).clusters == 1
    assert np.asarray(acq.kmeans(X, 1).assignment).tolist() == [0]
    for layout in ("tnk", "ntk", "nkt"):
        assert sel_indices(acq.batch_bald(S, 1, layout=layout)) == [0]
        np.testing.assert_array_equal(acq.bald(S, layout=layout), [0.0])


def test_typicality_tiles_and_memory_bound(rng):
    X = rng.normal(size=(300, 3))
    ref = ref_typicality(X, 7)
    np.testing.assert_allclose(acq.typicality(X, 7, memory_bytes=4096), ref, rtol=1e-9)
    np.testing.assert_allclose(acq.typicality(X, 7), ref, rtol=1e-9)
    with pytest.raises(ValueError, match="acquire::typicality: .*memory_bytes"):
        acq.typicality(X, 7, memory_bytes=4095)
    for lay, v in layouts(X):
        np.testing.assert_allclose(acq.typicality(v, 7), ref, rtol=1e-9, err_msg=lay)
