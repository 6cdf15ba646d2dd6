"""Neighbour graphs: NeighborGraph, the exact knn_graph, acquire_al.hnsw, and the `graph=` option of
every selector that looks at neighbours (brute force in NumPy; full graphs make the exact picks)."""
import pickle

import numpy as np
import pytest

import acquire_al as acq
from conftest import HAVE_TORCH, layouts, sel_indices, torch

needs_hnsw = pytest.mark.skipif(not acq.hnsw.available, reason="acquire_al built without hnswlib")


def blobs(seed, n, d, centers=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, d)) * 3
    return (c[rng.integers(0, centers, size=n)] + 0.4 * rng.normal(size=(n, d))).astype(dtype)


def brute_graph(Q, R, k, one_set):
    """Each query row's k nearest reference rows by (squared distance, index), itself left out."""
    Q, R = np.asarray(Q, np.float64), np.asarray(R, np.float64)
    d2 = ((Q[:, None, :] - R[None, :, :]) ** 2).sum(axis=2)
    rows, dists = [], []
    for i in range(len(Q)):
        order = [j for j in np.lexsort((np.arange(len(R)), d2[i])) if not (one_set and j == i)][:k]
        rows.append(order)
        dists.append(d2[i, order])
    return np.array(rows), np.array(dists)


def as_graph(rows, dists):
    n, k = rows.shape
    return acq.NeighborGraph(np.arange(0, n * k + 1, k), rows.ravel(), dists.ravel())


# ============================================================================ NeighborGraph


def test_graph_from_arrays_views_pickle_and_rows():
    g = acq.NeighborGraph([0, 2, 3, 3], np.array([1, 2, 0]), np.array([0.5, 1.0, 0.5], np.float32))
    assert g.rows == 3 and repr(g) == "NeighborGraph(rows=3, edges=3)"
    assert g.offsets.dtype == np.int64 and g.indices.dtype == np.int64 and g.distances.dtype == np.float64
    np.testing.assert_array_equal(g.offsets, [0, 2, 3, 3])
    assert [g.degree(i) for i in range(3)] == [2, 1, 0]
    idx, dist = g.neighbors(0)
    np.testing.assert_array_equal(idx, [1, 2])
    np.testing.assert_array_equal(dist, [0.5, 1.0])
    with pytest.raises(ValueError):  # views are read-only: a graph cannot change under a selector
        g.indices[0] = 2
    with pytest.raises(IndexError, match="row 3 outside"):
        g.neighbors(3)
    view = g.distances
    del g  # the view keeps the graph alive
    np.testing.assert_array_equal(view, [0.5, 1.0, 0.5])
    h = pickle.loads(pickle.dumps(acq.NeighborGraph([0, 1], [4], [2.0])))
    assert h.rows == 1 and list(h.indices) == [4] and list(h.distances) == [2.0]


def test_graph_constructor_refuses_wrong_types():
    with pytest.raises(TypeError, match="offsets"):
        acq.NeighborGraph(np.array([0.0, 1.0]), [0], [1.0])
    with pytest.raises(TypeError, match="distances"):
        acq.NeighborGraph([0, 1], [0], "1")


# ============================================================================ knn_graph (exact)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_knn_graph_is_the_brute_force_graph(dtype):
    X = blobs(1, 40, 5, dtype=dtype)
    rows, dists = brute_graph(X, X, 6, True)
    for name, x in layouts(X):
        g = acq.knn_graph(x, 6)
        assert g.rows == 40, name
        np.testing.assert_array_equal(g.offsets, np.arange(0, 241, 6))
        np.testing.assert_array_equal(g.indices.reshape(40, 6), rows, err_msg=name)
        np.testing.assert_allclose(g.distances.reshape(40, 6), dists, rtol=1e-4 if dtype == np.float32 else 1e-9,
                                   atol=1e-4)
    assert acq.knn_graph(X[:4], 10).indices.size == 4 * 3  # k capped at N - 1
    with pytest.raises(ValueError, match="knn_graph: k must be >= 1"):
        acq.knn_graph(X, 0)


def test_permuting_rows_permutes_the_graph():
    X = blobs(2, 30, 4)
    perm = np.random.default_rng(0).permutation(30)
    g, h = acq.knn_graph(X, 5), acq.knn_graph(X[perm], 5)
    inverse = np.argsort(perm)
    for i in range(30):
        np.testing.assert_array_equal(perm[h.neighbors(inverse[i])[0]], g.neighbors(i)[0])


# ============================================================================ acquire_al.hnsw


@needs_hnsw
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hnsw_full_recall_equals_the_exact_graph(dtype):
    X = blobs(3, 300, 8, dtype=dtype)
    exact = acq.knn_graph(X, 10)
    for shards in (1, 2):
        g = acq.hnsw.knn_graph(X, 10, ef_search=300, ef_construction=300, shards=shards)
        np.testing.assert_array_equal(g.offsets, exact.offsets)
        np.testing.assert_array_equal(g.indices, exact.indices)
        # HNSW's distances are re-measured in double, feature by feature.
        np.testing.assert_allclose(g.distances, exact.distances, rtol=1e-4, atol=1e-4)


@needs_hnsw
def test_hnsw_is_deterministic_across_thread_counts_and_layouts():
    X = blobs(4, 2000, 16, centers=20, dtype=np.float32)
    threads = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        one = acq.hnsw.knn_graph(X, 8, ef_search=20)
        acq.set_num_threads(2)
        for name, x in layouts(X):
            two = acq.hnsw.knn_graph(x, 8, ef_search=20)
            np.testing.assert_array_equal(one.indices, two.indices, err_msg=name)
            np.testing.assert_array_equal(one.distances, two.distances, err_msg=name)
    finally:
        acq.set_num_threads(threads)


@needs_hnsw
def test_hnsw_refine_moves_rows_nearer_and_stays_deterministic():
    X = blobs(7, 3000, 12, centers=20, dtype=np.float32)
    weak = dict(M=4, ef_construction=10, ef_search=11)
    g0 = acq.hnsw.knn_graph(X, 10, **weak)
    exact = acq.knn_graph(X, 10).indices.reshape(3000, 10)
    threads = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        one = acq.hnsw.knn_graph(X, 10, refine=2, **weak)
        acq.set_num_threads(2)
        two = acq.hnsw.knn_graph(X, 10, refine=2, **weak)
    finally:
        acq.set_num_threads(threads)
    np.testing.assert_array_equal(one.indices, two.indices)
    np.testing.assert_array_equal(one.distances, two.distances)
    # Each slot only moves nearer, and recall rises.
    assert np.all(two.distances <= g0.distances)
    hits = lambda g: np.mean([len(set(a) & set(b)) for a, b in zip(g.indices.reshape(3000, 10), exact)]) / 10
    assert hits(two) > hits(g0) + 0.02
    with pytest.raises(ValueError, match="refine must be >= 0"):
        acq.hnsw.knn_graph(X, 10, refine=-1)


@needs_hnsw
def test_hnsw_between_two_sets_and_its_errors():
    Q, R = blobs(5, 50, 6), blobs(6, 80, 6)
    rows, _ = brute_graph(Q, R, 4, False)
    g = acq.hnsw.knn_graph(Q, R, 4, ef_search=80, ef_construction=200)
    np.testing.assert_array_equal(g.indices.reshape(50, 4), rows)
    with pytest.raises(ValueError, match="hnsw::knn_graph: .*M"):
        acq.hnsw.knn_graph(Q, 3, M=1)
    bad = Q.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        acq.hnsw.knn_graph(bad, 3)
    with pytest.raises(TypeError, match="reference"):
        acq.hnsw.knn_graph(Q, R.astype(np.float32), 3)


# ============================================================================ graph= in the selectors


def unit(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_facility_location_and_max_coverage_on_the_full_graph_make_the_exact_picks():
    X = blobs(7, 120, 6)
    cosine = acq.knn_graph(unit(X), 119)
    for candidates in (None, list(range(0, 120, 2))):
        a = acq.facility_location(X, candidates, 12, neighbors=10)
        b = acq.facility_location(X, candidates, 12, neighbors=10, graph=cosine)
        assert sel_indices(a) == sel_indices(b)
    euclidean = acq.knn_graph(X, 119)
    a = acq.max_coverage(X, 1.0, 8, neighbors=10)
    b = acq.max_coverage(X, 1.0, 8, neighbors=10, graph=euclidean)
    assert sel_indices(a) == sel_indices(b)
    with pytest.raises(ValueError, match="graph needs sparse mode"):
        acq.facility_location(X, None, 3, graph=cosine)
    with pytest.raises(TypeError, match="facility_location: graph must be an acquire_al.NeighborGraph"):
        acq.facility_location(X, None, 3, neighbors=5, graph=np.zeros(3))


def test_probcover_and_its_delta_on_the_full_graph_are_exact():
    X = blobs(8, 150, 4)
    full = acq.knn_graph(X, 149)
    labels = np.repeat(np.arange(5), 30)
    assert acq.probcover_delta(X, labels, graph=full) == acq.probcover_delta(X, labels)
    a = acq.probcover(X, 1.0, 10, labeled=[3, 40])
    b = acq.probcover(X, 1.0, 10, labeled=[3, 40], graph=full)
    assert sel_indices(a) == sel_indices(b)
    looped = acq.NeighborGraph(full.offsets, np.where(np.arange(full.indices.size) == 149, 1, full.indices),
                               full.distances)  # row 1's first entry made row 1 itself
    with pytest.raises(ValueError, match="probcover: options graph row 1 lists itself"):
        acq.probcover(X, 1.0, 10, graph=looped)


def test_typiclust_on_the_full_graph_equals_the_exact_typicality():
    X = blobs(9, 200, 5)
    assignment = np.repeat(np.arange(4), 50)
    full = acq.knn_graph(X, 199)
    a = acq.typiclust(X, assignment, 6, neighbors=10)
    b = acq.typiclust(X, assignment, 6, neighbors=10, graph=full)
    assert sel_indices(a) == sel_indices(b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contrastive_score_from_a_graph_equals_the_exact_search(dtype):
    rng = np.random.default_rng(10)
    Hp, Hl = blobs(10, 60, 5, dtype=dtype), blobs(11, 25, 5, dtype=dtype)
    Pp = rng.dirichlet(np.ones(4), size=60).astype(dtype)
    Pl = rng.dirichlet(np.ones(4), size=25).astype(dtype)
    rows, dists = brute_graph(Hp, Hl, 7, False)
    exact = acq.contrastive_score(Pp, Hp, Pl, Hl, 7)
    from_graph = acq.contrastive_score(Pp, Pl, as_graph(rows, dists))
    np.testing.assert_allclose(from_graph, exact, rtol=1e-5 if dtype == np.float32 else 1e-12)
    if HAVE_TORCH:
        np.testing.assert_allclose(acq.contrastive_score(torch.from_numpy(Pp), torch.from_numpy(Pl),
                                                         as_graph(rows, dists)), exact,
                                   rtol=1e-5 if dtype == np.float32 else 1e-12)
    empty_row = acq.NeighborGraph(np.r_[0, np.arange(0, 59 * 7 + 1, 7)], rows[1:].ravel(), dists[1:].ravel())
    with pytest.raises(ValueError, match="graph row 0 lists no labeled neighbour"):
        acq.contrastive_score(Pp, Pl, empty_row)
