"""top_k / TopK, information_density, egl, ranking_loss, nearest_neighbors, contrastive_score,
gradient_embedding, ceal_pseudo_labels, rank_combine, LabelDispersion, ForgettingEvents,
synthetic."""
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    HAVE_TORCH,
    Rng,
    assert_close,
    layouts,
    random_probs,
    ref_entropy,
    sel_indices,
    softmax,
    variant,
)


# ============================================================================ top_k / TopK


def ref_top_k(scores, k, exclude=()):
    s = np.asarray(scores, dtype=np.float64)
    order = sorted((i for i in range(len(s)) if i not in set(exclude)), key=lambda i: (-s[i], i))
    return order[:k]


def test_top_k_matches_sort(dtype, rng):
    s = rng.uniform(size=1000).astype(dtype)
    out = acq.top_k(s, 25)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert out.tolist() == ref_top_k(s, 25)
    excl = [int(i) for i in out[:5]] + [999]
    assert acq.top_k(s, 25, excl).tolist() == ref_top_k(s, 25, excl)
    assert acq.top_k(s, 25, np.array(excl)).tolist() == ref_top_k(s, 25, excl)


def test_top_k_ties_lowest_index_first():
    s = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert acq.top_k(s, 4).tolist() == [1, 2, 4, 3]
    assert acq.top_k(s, 0).tolist() == []


def test_top_k_layouts(rng):
    s = rng.normal(size=300)
    ref = acq.top_k(s, 10).tolist()
    for lay, v in layouts(s):
        assert acq.top_k(v, 10).tolist() == ref, lay
    assert acq.top_k(s[:, None], 10).tolist() == ref  # an N x 1 column is a vector


def test_top_k_errors(rng):
    s = rng.normal(size=10)
    with pytest.raises(ValueError, match=r"acquire::top_k: k is 10 but only 9 candidates are available"):
        acq.top_k(s, 10, [3])
    s[4] = np.nan
    with pytest.raises(ValueError, match="acquire::top_k: scores entry 4 is NaN"):
        acq.top_k(s, 2)
    with pytest.raises(ValueError, match="must be a vector"):
        acq.top_k(np.zeros((3, 2)), 1)


def test_topk_streaming_equals_top_k(rng):
    s = rng.normal(size=1000)
    t = acq.TopK(30)
    assert t.k == 30
    for start in range(0, 1000, 128):
        t.push(s[start : start + 128], start)
    assert len(t) == 30
    assert t.indices().tolist() == ref_top_k(s, 30)
    pairs = t.sorted()
    assert [int(i) for _, i in pairs] == ref_top_k(s, 30)
    np.testing.assert_allclose([v for v, _ in pairs], np.sort(s)[::-1][:30])


def test_topk_merge_and_push_one(rng):
    s = rng.normal(size=200)
    a, b = acq.TopK(10), acq.TopK(10)
    a.push(s[:100])
    b.push(s[100:], offset=100)
    a.merge(b)
    assert a.indices().tolist() == ref_top_k(s, 10)
    c = acq.TopK(2)
    c.push_one(5, 1.0)
    c.push_one(7, 3.0)
    c.push_one(9, 2.0)
    assert c.indices().tolist() == [7, 9]
    with pytest.raises(ValueError):
        acq.TopK(-1)
    with pytest.raises(ValueError, match="NaN"):
        c.push(np.array([1.0, np.nan]))


# ============================================================================ information_density


def ref_information_density(X, scores, beta):
    X = np.asarray(X, dtype=np.float64)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    sim = np.maximum(0.0, U @ U.mean(axis=0))
    return np.asarray(scores, dtype=np.float64) * sim**beta


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0, 1.7, 9.0])
def test_information_density_formula(beta, dtype, rng):
    X = (rng.normal(size=(200, 6)) + 1.0).astype(dtype)
    s = rng.uniform(size=200).astype(dtype)
    out = acq.information_density(X, s, beta)
    assert out.dtype == dtype and out.shape == (200,)
    assert_close(out, ref_information_density(X, s, beta), dtype, rtol=1e-5 if dtype == np.float32 else 1e-11)
    if beta == 0.0:
        np.testing.assert_array_equal(out, s)


def test_information_density_layouts_and_negative_similarity(rng):
    X = rng.normal(size=(100, 4))
    X[0] = -X[1:].mean(axis=0) * 10  # opposite the pool: mean cosine < 0 counts as 0
    s = rng.uniform(size=100)
    ref = ref_information_density(X, s, 2.0)
    assert ref[0] == 0.0
    for lay, v in layouts(X):
        assert_close(acq.information_density(v, variant(s, lay), 2.0), ref, np.float64, rtol=1e-11)


def test_information_density_errors(rng):
    X = rng.normal(size=(10, 3))
    with pytest.raises(ValueError, match="acquire::information_density: beta"):
        acq.information_density(X, np.ones(10), -1.0)
    Z = X.copy()
    Z[3] = 0
    with pytest.raises(ValueError, match="X row 3 has zero norm"):
        acq.information_density(Z, np.ones(10), 1.0)
    with pytest.raises(ValueError, match="scores has 9 entries but X has 10 rows"):
        acq.information_density(X, np.ones(9), 1.0)


# ============================================================================ egl


def ref_egl(P, H, bias=True):
    P = np.asarray(P, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    N, K = P.shape
    out = np.zeros(N)
    for y in range(K):
        e = np.zeros(K)
        e[y] = 1
        out += P[:, y] * np.linalg.norm(P - e, axis=1)
    return out * np.sqrt((H**2).sum(axis=1) + (1.0 if bias else 0.0))


@pytest.mark.parametrize("bias", [True, False])
def test_egl_formula(bias, dtype, rng):
    P = random_probs(rng, 120, 5, dtype)
    H = rng.normal(size=(120, 7)).astype(dtype)
    out = acq.egl(P, H, bias=bias)
    assert out.dtype == dtype
    assert_close(out, ref_egl(P, H, bias), dtype)


def test_egl_bias_reaches_cpp_and_edge_cases(rng):
    P = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    H = np.array([[3.0, 4.0], [3.0, 4.0], [0.0, 0.0]])
    # one-hot: 0; 50/50: 2 * 0.5 * ||(-.5, .5, 0)|| * sqrt(25 + 1)
    np.testing.assert_allclose(acq.egl(P, H), [0.0, math.sqrt(0.5) * math.sqrt(26), math.sqrt(0.5)], rtol=1e-12)
    np.testing.assert_allclose(acq.egl(P, H, bias=False), [0.0, math.sqrt(0.5) * 5, 0.0], rtol=1e-12, atol=1e-15)


def test_egl_layouts(rng):
    P = random_probs(rng, 60, 4)
    H = rng.normal(size=(60, 3))
    ref = ref_egl(P, H)
    for lay, v in layouts(P):
        assert_close(acq.egl(v, variant(H, lay)), ref, np.float64)


def test_egl_from_norms(dtype, rng):
    P = random_probs(rng, 50, 4, dtype)
    G = rng.uniform(size=(50, 4)).astype(dtype)
    out = acq.egl_from_norms(P, G)
    assert_close(out, (P.astype(np.float64) * G).sum(axis=1), dtype)
    G[7, 2] = -1
    with pytest.raises(ValueError, match=r"acquire::egl_from_norms: norms row 7 column 2 is -1"):
        acq.egl_from_norms(P, G)
    acq.egl_from_norms(P, G, checks=False)


# ============================================================================ ranking_loss


def ref_ranking_loss(pred, target, margin=1.0):
    b = len(pred)
    half = b // 2
    loss, grad = 0.0, np.zeros(b)
    for i in range(half):
        j = i + half
        s = 1.0 if target[i] > target[j] else -1.0
        h = margin - s * (pred[i] - pred[j])
        if h > 0:
            loss += h
            grad[i] = -s / half
            grad[j] = s / half
    return loss / half, grad


@pytest.mark.parametrize("margin", [1.0, 0.0, 0.3])
def test_ranking_loss_formula(margin, dtype, rng):
    pred = rng.normal(size=16).astype(dtype)
    target = rng.normal(size=16).astype(dtype)
    target[3] = target[11]  # equal target losses count as -1
    r = acq.ranking_loss(pred, target, margin=margin)
    loss, grad = ref_ranking_loss(pred.astype(np.float64), target.astype(np.float64), margin)
    assert r.loss == pytest.approx(loss, rel=1e-12, abs=1e-15)
    g = np.asarray(r.gradient)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, grad, rtol=1e-6)


def test_ranking_loss_hand_value():
    r = acq.ranking_loss(np.array([0.0, 0.0]), np.array([2.0, 1.0]))
    assert r.loss == pytest.approx(1.0)
    np.testing.assert_allclose(r.gradient, [-1.0, 1.0])  # (2/b) = 1
    r = acq.ranking_loss(np.array([3.0, 0.0]), np.array([2.0, 1.0]))
    assert r.loss == 0.0
    np.testing.assert_array_equal(r.gradient, [0.0, 0.0])


def test_ranking_loss_errors():
    with pytest.raises(ValueError, match="acquire::ranking_loss: the batch size must be even"):
        acq.ranking_loss(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="predicted has 4 entries but target has 2"):
        acq.ranking_loss(np.zeros(4), np.zeros(2))
    with pytest.raises(ValueError, match="margin"):
        acq.ranking_loss(np.zeros(2), np.zeros(2), margin=-1.0)


# ============================================================================ nearest_neighbors


def ref_knn(Q, R, k):
    D = ((np.asarray(Q, np.float64)[:, None] - np.asarray(R, np.float64)[None]) ** 2).sum(axis=2)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(D, idx, axis=1)


def test_nearest_neighbors_brute_force(dtype, rng):
    Q = rng.normal(size=(40, 5)).astype(dtype)
    R = rng.normal(size=(70, 5)).astype(dtype)
    idx, dist = acq.nearest_neighbors(Q, R, 6)
    ridx, rdist = ref_knn(Q, R, 6)
    assert idx.dtype == np.int64 and idx.shape == (40, 6)
    np.testing.assert_array_equal(idx, ridx)
    assert_close(dist, rdist, dtype, rtol=1e-4 if dtype == np.float32 else 1e-9, atol=1e-5 if dtype == np.float32 else 1e-10)


def test_nearest_neighbors_layouts_and_tiles(rng):
    Q = rng.normal(size=(300, 4))
    R = rng.normal(size=(500, 4))
    ridx, _ = ref_knn(Q, R, 3)
    idx, _ = acq.nearest_neighbors(Q, R, 3, memory_bytes=4096)  # many small tiles
    np.testing.assert_array_equal(idx, ridx)
    for lay, v in layouts(Q):
        np.testing.assert_array_equal(acq.nearest_neighbors(v, variant(R, lay), 3)[0], ridx, err_msg=lay)
    with pytest.raises(ValueError, match="acquire::nearest_neighbors.*memory_bytes"):
        acq.nearest_neighbors(Q, R, 3, memory_bytes=100)
    with pytest.raises(ValueError, match=r"k"):
        acq.nearest_neighbors(Q, R, 501)


# ============================================================================ contrastive_score


def ref_contrastive(Pp, Hp, Pl, Hl, k, eps=1e-12):
    idx, _ = ref_knn(Hp, Hl, k)
    Pp = np.asarray(Pp, np.float64)
    Pl = np.asarray(Pl, np.float64)
    out = np.zeros(len(Pp))
    logx = np.log(np.maximum(Pp, eps))
    for i in range(len(Pp)):
        for l in idx[i]:
            p = Pl[l]
            out[i] += (np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0) - p * logx[i]).sum()
    return np.maximum(out / k, 0.0)


def test_contrastive_score_brute_force(dtype, rng):
    Pp, Hp = random_probs(rng, 50, 4, dtype), rng.normal(size=(50, 3)).astype(dtype)
    Pl, Hl = random_probs(rng, 20, 4, dtype), rng.normal(size=(20, 3)).astype(dtype)
    out = acq.contrastive_score(Pp, Hp, Pl, Hl, 5)
    assert out.dtype == dtype and out.shape == (50,)
    assert_close(out, ref_contrastive(Pp, Hp, Pl, Hl, 5), dtype, rtol=1e-5 if dtype == np.float32 else 1e-10)


def test_contrastive_epsilon_reaches_cpp():
    Pp = np.array([[1.0, 0.0]])
    Hp = np.zeros((1, 1))
    Pl = np.array([[0.5, 0.5]])
    Hl = np.zeros((1, 1))
    a = acq.contrastive_score(Pp, Hp, Pl, Hl, 1)
    b = acq.contrastive_score(Pp, Hp, Pl, Hl, 1, epsilon=1e-3)
    np.testing.assert_allclose(a, ref_contrastive(Pp, Hp, Pl, Hl, 1, 1e-12), rtol=1e-12)
    np.testing.assert_allclose(b, ref_contrastive(Pp, Hp, Pl, Hl, 1, 1e-3), rtol=1e-12)
    assert a[0] > b[0]
    with pytest.raises(ValueError, match="epsilon"):
        acq.contrastive_score(Pp, Hp, Pl, Hl, 1, epsilon=2.0)


# ============================================================================ gradient_embedding


def test_gradient_embedding(dtype, rng):
    P = random_probs(rng, 30, 3, dtype)
    H = rng.normal(size=(30, 4)).astype(dtype)
    G = acq.gradient_embedding(P, H)
    assert G.shape == (30, 12) and G.dtype == dtype
    a = P.astype(np.float64).copy()
    a[np.arange(30), np.argmax(P, axis=1)] -= 1
    ref = (a[:, :, None] * H.astype(np.float64)[:, None, :]).reshape(30, 12)
    assert_close(G, ref, dtype)
    for lay, v in layouts(P):
        assert_close(acq.gradient_embedding(v, variant(H, lay)), ref, dtype)


# ============================================================================ CEAL


def test_ceal_pseudo_labels(dtype, rng):
    P = random_probs(rng, 100, 4, dtype, sharp=5.0)
    h = ref_entropy(P)
    threshold = float(np.quantile(h, 0.3))
    exclude = [int(np.argmin(h)), 50]
    out = acq.ceal_pseudo_labels(P, exclude, threshold)
    expected = [i for i in range(100) if i not in exclude and h[i] < threshold]
    assert np.asarray(out.indices).tolist() == expected
    assert np.asarray(out.labels).tolist() == np.argmax(P[expected], axis=1).tolist()
    np.testing.assert_allclose(out.entropy, h[expected], rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)
    assert len(np.asarray(acq.ceal_pseudo_labels(P, None, 0.0).indices)) == 0


def test_ceal_schedule():
    s = acq.CealSchedule(0.05, 0.01)
    assert s.threshold(0) == pytest.approx(0.05)
    assert s.threshold(2) == pytest.approx(0.03)
    assert s.threshold(10) == 0.0
    with pytest.raises(ValueError, match=r"acquire::CealSchedule::threshold: round must be >= 0"):
        s.threshold(-1)
    d = acq.CealSchedule()
    assert d.threshold(1) == pytest.approx(0.05 - 0.0033)


def test_ceal_errors():
    P = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="acquire::ceal_pseudo_labels: threshold"):
        acq.ceal_pseudo_labels(P, [], -0.1)
    with pytest.raises(ValueError, match=r"exclude entry 1 repeats index 2"):
        acq.ceal_pseudo_labels(P, [2, 2], 0.1)


# ============================================================================ rank_combine


def ref_ranks(s):
    s = np.asarray(s, dtype=np.float64)
    n = len(s)
    order = sorted(range(n), key=lambda i: s[i])
    out = np.zeros(n)
    q = 0
    while q < n:
        e = q + 1
        while e < n and s[order[e]] == s[order[q]]:
            e += 1
        r = 0.5 * (q + e - 1) / (n - 1) if n > 1 else 0.5
        for t in range(q, e):
            out[order[t]] = r
        q = e
    return out


def test_rank_combine(rng):
    a = rng.normal(size=40)
    b = rng.uniform(size=40).astype(np.float32)
    c = np.round(rng.uniform(size=40) * 4)  # ties get their mean rank
    out = acq.rank_combine([a, b, c], [0.5, 0.25, 1.0])
    expected = (0.5 * ref_ranks(a) + 0.25 * ref_ranks(b) + 1.0 * ref_ranks(c)) / 1.75
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.dtype == np.float64
    np.testing.assert_allclose(acq.rank_combine([a], [1.0]), ref_ranks(a), rtol=1e-12)
    np.testing.assert_array_equal(acq.rank_combine([np.array([3.0])], [1.0]), [0.5])


def test_rank_combine_errors(rng):
    a = rng.normal(size=5)
    with pytest.raises(ValueError, match="acquire::rank_combine: got 2 scores but 1 weights"):
        acq.rank_combine([a, a], [1.0])
    with pytest.raises(ValueError, match="the weights sum to 0"):
        acq.rank_combine([a], [0.0])
    bad = a.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="scores entry 1 row 2 is NaN"):
        acq.rank_combine([a, bad], [1.0, 1.0])
    with pytest.raises(ValueError, match="scores entry 1 has 4 rows but entry 0 has 5"):
        acq.rank_combine([a, a[:4]], [1.0, 1.0])


# ============================================================================ LabelDispersion


def test_label_dispersion():
    ld = acq.LabelDispersion(4, 3)
    epochs = [[0, 1, 2, 0], [0, 2, 2, 1], [0, 1, 1, 2], [0, 1, 2, 0]]
    for e in epochs:
        ld.observe(e)
    E = np.array(epochs)
    f = np.array([np.bincount(E[:, i], minlength=3).max() for i in range(4)])
    np.testing.assert_allclose(ld.scores(), 1 - f / 4, rtol=1e-15)
    epochs = ld.epochs() if callable(ld.epochs) else ld.epochs
    assert epochs == 4
    assert ld.modal_label(2) == 2
    assert ld.modal_label(3) == 0  # 0 twice, 1 and 2 once
    ld.observe(np.array([1, 1, 1, 1], dtype=np.int32))  # integer arrays work
    with pytest.raises(ValueError, match=r"LabelDispersion"):
        ld.observe([0, 1, 3, 0])  # class 3 out of [0, 3)
    with pytest.raises(ValueError, match=r"LabelDispersion"):
        ld.observe([0, 1])
    with pytest.raises(ValueError, match="no epoch observed yet"):
        acq.LabelDispersion(2, 2).scores()


def test_label_dispersion_torch_argmax(rng):
    if not HAVE_TORCH:
        pytest.skip("torch does not import")
    import torch

    ld = acq.LabelDispersion(50, 4)
    P = torch.from_numpy(random_probs(rng, 50, 4))
    ld.observe(P.argmax(dim=1))
    np.testing.assert_array_equal(ld.scores(), np.zeros(50))


# ============================================================================ ForgettingEvents


def test_forgetting_events():
    fe = acq.ForgettingEvents(5)
    # sample 0: learned, forgotten, learned, forgotten -> 2; 1: never learned; 2: always right;
    # 3: wrong then right -> 0; 4: right, wrong -> 1
    seq = [[1, 0, 1, 0, 1], [0, 0, 1, 1, 0], [1, 0, 1, 1, 0], [0, 0, 1, 1, 0]]
    for s in seq:
        fe.observe(np.array(s, dtype=bool))
    np.testing.assert_array_equal(fe.counts(), [2, 0, 0, 0, 1])
    assert np.asarray(fe.never_learned()).tolist() == [1]
    assert np.asarray(fe.unforgettable()).tolist() == [2, 3]
    np.testing.assert_array_equal(fe.scores(), [2.0, np.inf, 0.0, 0.0, 1.0])
    assert fe.count(0) == 2 and fe.presentations(4) == 4 and fe.learned(3) and not fe.learned(1)


def test_forgetting_events_minibatches():
    fe = acq.ForgettingEvents(6)
    fe.observe([4, 1], [1, 1])
    fe.observe([1, 5], [0, 0])
    fe.observe(np.array([1]), np.array([1], dtype=np.int64))
    np.testing.assert_array_equal(fe.counts(), [0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(fe.scores(), [0, 1, 0, 0, 0, np.inf])
    with pytest.raises(ValueError, match="ForgettingEvents"):
        fe.observe([1, 1], [1, 0])
    with pytest.raises(ValueError, match="ForgettingEvents"):
        fe.observe([0, 1, 0, 2, 1, 0])  # entry other than 0/1 ... (2)
    with pytest.raises(ValueError, match="ForgettingEvents"):
        fe.observe([1, 0, 1])  # wrong size


# ============================================================================ synthetic


def ref_synthetic_logits(n, k, sharpness=3.0, tie_fraction=0.0, seed=1, dtype=np.float32):
    out = np.zeros((n, k), dtype=dtype)
    for block in range((n + 1023) // 1024):
        r = Rng((seed * 0x100000001B3 + 0x9E3779B97F4A7C15 * (block + 1)) & ((1 << 64) - 1))
        for i in range(block * 1024, min(n, (block + 1) * 1024)):
            for j in range(k):
                out[i, j] = dtype(sharpness * r.normal())
            if k >= 2 and r.uniform() < tie_fraction:
                best = int(np.argmax(out[i]))
                other = (best + 1 + r.below(k - 1)) % k
                out[i, other] = out[i, best]
    return out


def test_synthetic_logits_match_replica_of_rng():
    L = acq.synthetic.logits(1100, 4, seed=3, dtype="float64")
    assert L.shape == (1100, 4) and L.dtype == np.float64
    np.testing.assert_array_equal(L, ref_synthetic_logits(1100, 4, seed=3, dtype=np.float64))
    L32 = acq.synthetic.logits(20, 5, sharpness=2.0, tie_fraction=0.5, seed=9)
    assert L32.dtype == np.float32
    np.testing.assert_array_equal(L32, ref_synthetic_logits(20, 5, 2.0, 0.5, 9, np.float32))


def test_synthetic_probabilities_and_ties():
    P = acq.synthetic.probabilities(500, 6, tie_fraction=1.0, seed=2, dtype="float64")
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(P, softmax(acq.synthetic.logits(500, 6, tie_fraction=1.0, seed=2, dtype="float64")),
                               rtol=1e-12)
    np.testing.assert_allclose(acq.margin(P), 1.0, rtol=1e-12)  # every row has a top-2 tie
    sharp = acq.synthetic.probabilities(500, 6, sharpness=50.0, seed=2)
    assert acq.entropy(sharp).mean() < acq.entropy(acq.synthetic.probabilities(500, 6, sharpness=0.5, seed=2)).mean()


def test_synthetic_same_seed_same_data():
    a = acq.synthetic.embeddings(300, 5, clusters=4, spread=0.1, seed=7)
    b = acq.synthetic.embeddings(300, 5, clusters=4, spread=0.1, seed=7)
    c = acq.synthetic.embeddings(300, 5, clusters=4, spread=0.1, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (300, 5) and a.dtype == np.float32
    # four tight clusters
    best = min(acq.kmeans(a.astype(np.float64), 4, seed=seed).inertia for seed in range(5))
    assert best / 300 < 5 * 0.1**2 * 5


def test_synthetic_stack():
    S = acq.synthetic.stack(4, 30, 5, disagreement=0.0, seed=3, dtype="float64")
    assert S.shape == (4, 30, 5) and S.dtype == np.float64
    np.testing.assert_allclose(S.sum(axis=2), 1.0, rtol=1e-12)
    np.testing.assert_allclose(acq.bald(S), 0.0, atol=1e-12)  # identical members
    D = acq.synthetic.stack(4, 30, 5, disagreement=3.0, seed=3)
    assert D.dtype == np.float32
    assert acq.bald(D).mean() > 0.05


def test_ranks_objects():
    s = np.array([3.0, 1.0, 2.0, 2.0])
    r = acq.Ranks(s)
    np.testing.assert_allclose(r.values(), ref_ranks(s), rtol=1e-15)
    np.testing.assert_allclose(r.values(), [1.0, 0.0, 0.5, 0.5])
    neg = acq.Ranks(-s)
    out = acq.rank_combine([r, neg], [1.0, 1.0])
    np.testing.assert_allclose(out, 0.5, rtol=1e-15)
    np.testing.assert_allclose(acq.rank_combine([r, s], [1.0, 3.0]), ref_ranks(s), rtol=1e-15)


def test_forgetting_events_numpy_bool_flags():
    fe = acq.ForgettingEvents(3)
    pred, y = np.array([1, 2, 0]), np.array([1, 0, 0])
    fe.observe(pred == y)  # a NumPy bool array
    fe.observe(np.array([False, False, False]))
    np.testing.assert_array_equal(fe.counts(), [1, 0, 1])


@pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")
def test_forgetting_events_torch_bool_flags():
    import torch

    fe = acq.ForgettingEvents(3)
    pred, y = torch.tensor([1, 2, 0]), torch.tensor([1, 0, 0])
    fe.observe(pred == y)
    fe.observe(torch.tensor([False, False, False]))
    np.testing.assert_array_equal(fe.counts(), [1, 0, 1])
    fe.observe(torch.tensor([0, 1]), torch.tensor([True, True]))
    assert fe.presentations(0) == 3


@pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")
def test_forgetting_events_torch_integer_flags():
    import torch

    fe = acq.ForgettingEvents(3)
    fe.observe(torch.tensor([1, 0, 1]))
    fe.observe(torch.tensor([0, 0, 1], dtype=torch.int32))
    np.testing.assert_array_equal(fe.counts(), [1, 0, 0])
