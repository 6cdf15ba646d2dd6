"""Errors: wrong dtypes and kinds of input (TypeError with what to pass instead), bad values and
indices (ValueError carrying the C++ message), bad options."""
import numpy as np
import pytest

import acquire_al as acq
from conftest import HAVE_TORCH, needs_torch, random_probs, random_stack

N = 12


def _pool():
    rng = np.random.default_rng(3)
    return {
        "P": random_probs(rng, N, 3),
        "X": rng.normal(size=(N, 4)),
        "S": random_stack(rng, 3, N, 3),
        "s": rng.uniform(size=N),
        "a": rng.integers(0, 3, size=N),
    }


# Every function reading a float matrix (or stack / score vector) as its first argument:
# name -> callable(first_argument, pool)
FIRST_ARG = {
    "least_confidence": lambda A, d: acq.least_confidence(A),
    "margin": lambda A, d: acq.margin(A),
    "entropy": lambda A, d: acq.entropy(A),
    "ratio": lambda A, d: acq.ratio(A),
    "entropy(logits)": lambda A, d: acq.entropy(acq.logits(A)),
    "bald": lambda A, d: acq.bald(A),
    "mean_std": lambda A, d: acq.mean_std(A),
    "vote_entropy": lambda A, d: acq.vote_entropy(A),
    "consensus_entropy": lambda A, d: acq.consensus_entropy(A),
    "kl_disagreement": lambda A, d: acq.kl_disagreement(A),
    "max_kl_disagreement": lambda A, d: acq.max_kl_disagreement(A),
    "variation_ratio": lambda A, d: acq.variation_ratio(A),
    "batch_bald": lambda A, d: acq.batch_bald(A, 2),
    "k_center_greedy": lambda A, d: acq.k_center_greedy(A, [0], 2),
    "kmeans_pp": lambda A, d: acq.kmeans_pp(A, 2),
    "badge": lambda A, d: acq.badge(A, d["X"], [], 2),
    "facility_location": lambda A, d: acq.facility_location(A, None, 2),
    "max_coverage": lambda A, d: acq.max_coverage(A, 1.0, 2),
    "probcover": lambda A, d: acq.probcover(A, 1.0, 2),
    "typicality": lambda A, d: acq.typicality(A, 3),
    "typiclust": lambda A, d: acq.typiclust(A, 2),
    "kmeans": lambda A, d: acq.kmeans(A, 2),
    "cluster_select": lambda A, d: acq.cluster_select(A, d["s"], 2),
    "agglomerative_clustering": lambda A, d: acq.agglomerative_clustering(A, 1.0),
    "information_density": lambda A, d: acq.information_density(A, d["s"], 1.0),
    "egl": lambda A, d: acq.egl(A, d["X"]),
    "nearest_neighbors": lambda A, d: acq.nearest_neighbors(A, d["X"], 2),
    "gradient_embedding": lambda A, d: acq.gradient_embedding(A, d["X"]),
    "ceal_pseudo_labels": lambda A, d: acq.ceal_pseudo_labels(A, [], 0.1),
    "top_k": lambda A, d: acq.top_k(A, 2),
    "stochastic_batch": lambda A, d: acq.stochastic_batch(A, 2),
    "cluster_margin": lambda A, d: acq.cluster_margin(A, d["a"], 2),
    "discriminator_select": lambda A, d: acq.discriminator_select(A, [], 2),
    "prefilter": lambda A, d: acq.prefilter(A, 2, []),
}
KIND = {name: "P" for name in ("least_confidence", "margin", "entropy", "ratio", "entropy(logits)", "badge", "egl",
                               "gradient_embedding", "ceal_pseudo_labels")}
KIND.update({name: "S" for name in ("bald", "mean_std", "vote_entropy", "consensus_entropy", "kl_disagreement",
                                    "max_kl_disagreement", "variation_ratio", "batch_bald")})
KIND.update({name: "s" for name in ("top_k", "stochastic_batch", "cluster_margin", "discriminator_select", "prefilter")})


def first_arg(name, d):
    return d[KIND.get(name, "X")]


@pytest.mark.parametrize("name", list(FIRST_ARG))
@pytest.mark.parametrize("bad", ["int64", "float16", "int32", "complex128", ">f8"])
def test_wrong_dtype_is_a_type_error(name, bad):
    d = _pool()
    A = first_arg(name, d)
    wrong = (A * 10).astype(bad)
    with pytest.raises(TypeError, match="float32 or float64"):
        FIRST_ARG[name](wrong, d)


@pytest.mark.parametrize("name", list(FIRST_ARG))
def test_reversed_view_is_a_type_error(name):
    d = _pool()
    A = first_arg(name, d)
    with pytest.raises(TypeError, match="negative stride|reversed"):
        FIRST_ARG[name](A[::-1], d)


@pytest.mark.parametrize("name", list(FIRST_ARG))
def test_list_is_not_an_array(name):
    d = _pool()
    A = first_arg(name, d)
    with pytest.raises(TypeError, match="NumPy array or a CPU torch tensor"):
        FIRST_ARG[name](A.tolist(), d)


@needs_torch
@pytest.mark.parametrize("name", list(FIRST_ARG))
def test_requires_grad_is_a_type_error(name):
    import torch

    d = _pool()
    t = torch.tensor(first_arg(name, d), requires_grad=True)
    with pytest.raises(TypeError, match="detach"):
        FIRST_ARG[name](t, d)
    FIRST_ARG[name](t.detach(), d)  # and the detached tensor is accepted


@needs_torch
@pytest.mark.parametrize("name", ["entropy", "bald", "k_center_greedy", "top_k"])
def test_torch_wrong_dtype(name):
    import torch

    d = _pool()
    for dt in (torch.int64, torch.float16, torch.bfloat16, torch.bool):
        t = torch.from_numpy(first_arg(name, d)).to(dt)
        with pytest.raises(TypeError, match="float32 or float64"):
            FIRST_ARG[name](t, d)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")
def test_cuda_tensor_is_a_type_error():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    with pytest.raises(TypeError, match="move it to the CPU"):
        acq.entropy(torch.full((3, 2), 0.5, device="cuda"))


@pytest.mark.parametrize("name", [n for n in FIRST_ARG if KIND.get(n, "X") in ("P", "X")])
def test_matrix_must_be_2d(name):
    d = _pool()
    A = first_arg(name, d)
    with pytest.raises(ValueError, match=r"must have 2 dimensions, got 1"):
        FIRST_ARG[name](A[:, 0].copy(), d)
    with pytest.raises(ValueError, match=r"must have 2 dimensions, got 3"):
        FIRST_ARG[name](A[None], d)


@pytest.mark.parametrize("name", [n for n in FIRST_ARG if KIND.get(n) == "S"])
def test_stack_must_be_3d_and_layout_known(name):
    d = _pool()
    with pytest.raises(ValueError, match=r"must have 3 dimensions, got 2"):
        FIRST_ARG[name](d["P"], d)
    fn = getattr(acq, name)
    args = (2,) if name == "batch_bald" else ()
    with pytest.raises(ValueError, match=r'layout must be "tnk", "ntk" or "nkt", got "nt"'):
        fn(d["S"], *args, layout="nt")


@pytest.mark.parametrize("name", [n for n in FIRST_ARG if KIND.get(n) == "S"])
def test_broadcast_stack_is_a_type_error(name):
    d = _pool()
    S = np.broadcast_to(d["S"][:1], d["S"].shape)  # member stride 0
    with pytest.raises(TypeError, match="broadcast"):
        FIRST_ARG[name](S, d)


@pytest.mark.parametrize("name", [n for n in FIRST_ARG if KIND.get(n) == "s"])
def test_score_vector_must_be_a_vector(name):
    d = _pool()
    with pytest.raises(ValueError, match="must be a vector|dimensions"):
        FIRST_ARG[name](np.zeros((N, 2)), d)


def test_fractional_element_strides_are_a_type_error():
    rec = np.zeros((6, 3), dtype=[("a", "<f8"), ("b", "<f4")])
    rec["a"] = 1 / 3
    with pytest.raises(TypeError, match="whole number of elements"):
        acq.entropy(rec["a"])


# ----------------------------------------------------------------------------- secondary arrays


@pytest.mark.parametrize(
    "call",
    [
        lambda P, H: acq.egl(P, H),
        lambda P, H: acq.gradient_embedding(P, H),
        lambda P, H: acq.badge(P, H, [], 2),
        lambda P, H: acq.information_density(H, P[:, 0].copy(), 1.0),
        lambda P, H: acq.cluster_select(H, P[:, 0].copy(), 2),
        lambda P, H: acq.nearest_neighbors(H, H.astype(P.dtype), 2),
        lambda P, H: acq.egl_from_norms(P, np.abs(H[:, :3])),
    ],
    ids=["egl", "gradient_embedding", "badge", "information_density", "cluster_select", "nearest_neighbors",
         "egl_from_norms"],
)
def test_secondary_matrix_must_match_dtype(call):
    d = _pool()
    P32 = d["P"].astype(np.float32)
    H64 = d["X"]
    with pytest.raises(TypeError, match="float32|float64"):
        call(P32, H64)


@pytest.mark.parametrize("bad", [np.int64, np.float16])
def test_secondary_matrix_wrong_dtype(bad):
    d = _pool()
    with pytest.raises(TypeError, match="float32 or float64"):
        acq.egl(d["P"], d["X"].astype(bad))


# ----------------------------------------------------------------------------- values


NAN_CASES = {
    # name: (callable(pool with NaN at row 7), argument named in the message)
    "entropy": (lambda d: acq.entropy(d["P"]), "probabilities row 7"),
    "margin": (lambda d: acq.margin(np.asfortranarray(d["P"])), "probabilities row 7"),
    "bald": (lambda d: acq.bald(d["S"]), "predictions member 0 row 7"),
    "batch_bald": (lambda d: acq.batch_bald(d["S"], 2), "predictions member 0 row 7"),
    "k_center_greedy": (lambda d: acq.k_center_greedy(d["X"], [0], 2), "X row 7"),
    "kmeans_pp": (lambda d: acq.kmeans_pp(d["X"], 2), "X row 7"),
    "badge": (lambda d: acq.badge(d["P"], d["X"], [], 2), "P row 7"),
    "facility_location": (lambda d: acq.facility_location(d["X"], None, 2), "X row 7"),
    "max_coverage": (lambda d: acq.max_coverage(d["X"], 1.0, 2), "X row 7"),
    "probcover": (lambda d: acq.probcover(d["X"], 1.0, 2), "X row 7"),
    "typiclust": (lambda d: acq.typiclust(d["X"], 2), "X row 7"),
    "kmeans": (lambda d: acq.kmeans(d["X"], 2), "X row 7"),
    "agglomerative_clustering": (lambda d: acq.agglomerative_clustering(d["X"], 1.0), "X row 7"),
    "information_density": (lambda d: acq.information_density(d["X"], d["s"], 1.0), "X row 7"),
    "egl": (lambda d: acq.egl(d["P"], d["X"]), "probabilities row 7"),
    "gradient_embedding": (lambda d: acq.gradient_embedding(d["P"], d["X"]), "P row 7"),
    "ceal_pseudo_labels": (lambda d: acq.ceal_pseudo_labels(d["P"], [], 0.1), "probabilities row 7"),
    "nearest_neighbors": (lambda d: acq.nearest_neighbors(d["X"], d["X"], 2), "row 7"),
    "contrastive_score": (lambda d: acq.contrastive_score(d["P"], d["X"], d["P"], d["X"], 2), "row 7"),
    "top_k": (lambda d: acq.top_k(d["s"], 2), "scores entry 7 is NaN"),
    "stochastic_batch": (lambda d: acq.stochastic_batch(d["s"], 2), "scores entry 7 is nan"),
    "cluster_margin": (lambda d: acq.cluster_margin(d["s"], d["a"], 2), "scores entry 7 is NaN"),
    "discriminator_select": (lambda d: acq.discriminator_select(d["s"], [], 2), "D entry 7 is nan"),
}


@pytest.mark.parametrize("name", list(NAN_CASES))
def test_nan_row_names_function_and_row(name):
    d = _pool()
    for key in ("P", "X", "s"):
        d[key] = d[key].copy()
        d[key][7] = np.nan
    d["S"] = d["S"].copy()
    d["S"][0, 7, 1] = np.nan
    call, where = NAN_CASES[name]
    with pytest.raises(ValueError, match=rf"acquire::{name}: .*{where}"):
        call(d)


@pytest.mark.parametrize(
    "name,call",
    [
        ("entropy", lambda P: acq.entropy(P)),
        ("least_confidence", lambda P: acq.least_confidence(P)),
        ("badge", lambda P: acq.badge(P, np.ones((N, 2)), [], 2)),
        ("egl", lambda P: acq.egl(P, np.ones((N, 2)))),
        ("egl_from_norms", lambda P: acq.egl_from_norms(P, np.ones((N, 3)))),
        ("gradient_embedding", lambda P: acq.gradient_embedding(P, np.ones((N, 2)))),
        ("ceal_pseudo_labels", lambda P: acq.ceal_pseudo_labels(P, [], 0.1)),
        ("contrastive_score", lambda P: acq.contrastive_score(P, np.ones((N, 2)), P, np.ones((N, 2)), 2)),
    ],
)
def test_rows_not_summing_to_one(name, call):
    P = np.full((N, 3), 1 / 3)
    P[9] = [0.5, 0.4, 0.3]
    with pytest.raises(ValueError, match=rf"acquire::{name}: .*row 9 sums to 1.2 \(tolerance 0.001\)"):
        call(P)


# ----------------------------------------------------------------------------- budgets and indices


SELECT_B = {
    # name: callable(b, labeled) on a pool of N rows
    "k_center_greedy": lambda d, b, L: acq.k_center_greedy(d["X"], L, b),
    "badge": lambda d, b, L: acq.badge(d["P"], d["X"], L, b),
    "batch_bald": lambda d, b, L: acq.batch_bald(d["S"], b, labeled=L),
    "probcover": lambda d, b, L: acq.probcover(d["X"], 1.0, b, labeled=L),
    "typiclust": lambda d, b, L: acq.typiclust(d["X"], b, labeled=L),
    "cluster_select": lambda d, b, L: acq.cluster_select(d["X"], d["s"], b, labeled=L),
    "cluster_margin": lambda d, b, L: acq.cluster_margin(d["s"], d["a"], b, labeled=L),
    "stochastic_batch": lambda d, b, L: acq.stochastic_batch(d["s"], b, labeled=L),
    "discriminator_select": lambda d, b, L: acq.discriminator_select(d["s"], L, b),
    "kmeans_pp": lambda d, b, L: acq.kmeans_pp(d["X"], b, initial=L),
    "top_k": lambda d, b, L: acq.top_k(d["s"], b, L),
    "prefilter": lambda d, b, L: acq.prefilter(d["s"], b, L),
}
LABELED_NAME = {"kmeans_pp": "options initial", "top_k": "exclude", "prefilter": "exclude",
                "probcover": "options labeled", "typiclust": "options labeled", "cluster_margin": "options labeled",
                "stochastic_batch": "options labeled", "discriminator_select": "labeled", "cluster_select": "labeled"}
BUDGET_NAME = {"top_k": "k", "prefilter": "k"}


@pytest.mark.parametrize("name", list(SELECT_B))
def test_budget_larger_than_pool(name):
    d = _pool()
    fn = "top_k" if name == "prefilter" else name
    arg = BUDGET_NAME.get(name, "b")
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} is {N - 1} but only {N - 2} candidates are available"):
        SELECT_B[name](d, N - 1, [0, 5])
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} is {N + 1} but only {N} candidates"):
        SELECT_B[name](d, N + 1, [])
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} must be >= 0, got -1"):
        SELECT_B[name](d, -1, [])


@pytest.mark.parametrize("name", list(SELECT_B))
def test_labeled_out_of_range_and_duplicate(name):
    d = _pool()
    fn = "top_k" if name == "prefilter" else name
    arg = LABELED_NAME.get(name, "labeled")
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} entry 1 is {N}, out of range \[0, {N}\)"):
        SELECT_B[name](d, 1, [2, N])
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} entry 0 is -1, out of range"):
        SELECT_B[name](d, 1, [-1])
    with pytest.raises(ValueError, match=rf"acquire::{fn}: {arg} .*repeats index 3"):
        SELECT_B[name](d, 1, [3, 4, 3])


def test_index_sets_of_the_wrong_kind():
    d = _pool()
    with pytest.raises(TypeError, match="integer"):
        acq.k_center_greedy(d["X"], np.array([1.0, 2.0]), 1)
    with pytest.raises(TypeError):
        acq.k_center_greedy(d["X"], [1.5], 1)
    with pytest.raises(TypeError):
        acq.k_center_greedy(d["X"], "12", 1)
    with pytest.raises(ValueError, match="1-D"):
        acq.k_center_greedy(d["X"], np.array([[1, 2]]), 1)


def test_candidates_checked():
    d = _pool()
    with pytest.raises(ValueError, match=rf"acquire::facility_location: candidates entry 0 is {N}"):
        acq.facility_location(d["X"], [N], 1)
    with pytest.raises(ValueError, match=r"acquire::max_coverage: candidates entry 1 repeats index 2"):
        acq.max_coverage(d["X"], 1.0, 1, candidates=[2, 2])


def test_k_center_first_checked():
    d = _pool()
    with pytest.raises(ValueError, match="acquire::k_center_greedy: .*first"):
        acq.k_center_greedy(d["X"], [], 1, first=N)
    with pytest.raises(ValueError, match="acquire::kmeans_pp: options first 2 is an initial center"):
        acq.kmeans_pp(d["X"], 1, initial=[2], first=2)


def test_empty_matrix():
    with pytest.raises(ValueError, match=r"acquire::entropy: probabilities must have at least one row and one column, got 0 x 3"):
        acq.entropy(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="at least one row"):
        acq.k_center_greedy(np.zeros((0, 3)), [], 0)


def test_shape_mismatch():
    d = _pool()
    with pytest.raises(ValueError, match=rf"acquire::egl: probabilities has {N} rows but features has {N - 1}"):
        acq.egl(d["P"], d["X"][:-1])
    with pytest.raises(ValueError, match=rf"acquire::badge: P has {N} rows but H has {N - 2}"):
        acq.badge(d["P"], d["X"][:-2], [], 1)


# ----------------------------------------------------------------------------- options


def test_bad_enum_strings():
    d = _pool()
    with pytest.raises(ValueError, match="metric"):
        acq.k_center_greedy(d["X"], [0], 1, metric="manhattan")
    with pytest.raises(ValueError, match="mode"):
        acq.stochastic_batch(d["s"], 1, mode="max")


def test_bad_tolerance():
    with pytest.raises(ValueError, match="acquire::entropy: options tolerance must be finite and >= 0"):
        acq.entropy(np.full((2, 2), 0.5), checks=acq.CheckOptions(tolerance=-1.0))


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="acquire::set_num_threads"):
        acq.set_num_threads(0)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        acq.entropy(np.full((2, 2), 0.5), check=False)
    with pytest.raises(TypeError):
        acq.k_center_greedy(np.zeros((3, 2)), [0], 1, metrics="cosine")


# ----------------------------------------------------------------------------- checks reach C++


def _bad_inputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    X[4, 1] = np.nan
    P = rng.dirichlet(np.ones(3), size=30)
    P[4] = [0.6, 0.6, 0.6]
    s = rng.uniform(size=30)
    s[3] = np.nan
    return X, P, s


CHECKED = {
    # name: callable(checks, X with a NaN, P with a row summing to 1.8, scores with a NaN)
    "kmeans_pp": lambda c, X, P, s: acq.kmeans_pp(X, 3, checks=c),
    "probcover": lambda c, X, P, s: acq.probcover(X, 1.0, 3, checks=c),
    "max_coverage": lambda c, X, P, s: acq.max_coverage(X, 1.0, 3, checks=c),
    "kmeans": lambda c, X, P, s: acq.kmeans(X, 3, checks=c),
    "agglomerative_clustering": lambda c, X, P, s: acq.agglomerative_clustering(X, 1.0, checks=c),
    "nearest_neighbors": lambda c, X, P, s: acq.nearest_neighbors(X, X, 2, checks=c),
    "egl": lambda c, X, P, s: acq.egl(P, np.ones((30, 2)), checks=c),
    "egl_from_norms": lambda c, X, P, s: acq.egl_from_norms(P, np.ones((30, 3)), checks=c),
    "gradient_embedding": lambda c, X, P, s: acq.gradient_embedding(P, np.ones((30, 2)), checks=c),
    "information_density": lambda c, X, P, s: acq.information_density(np.ones((30, 2)), s, 1.0, checks=c),
    "contrastive_score": lambda c, X, P, s: acq.contrastive_score(P, np.ones((30, 2)), P, np.ones((30, 2)), 2, checks=c),
    "ceal_pseudo_labels": lambda c, X, P, s: acq.ceal_pseudo_labels(P, [], 0.5, checks=c),
    "typiclust": lambda c, X, P, s: acq.typiclust(X, 3, kmeans=acq.KMeansOptions(checks=c)),
    "cluster_select": lambda c, X, P, s: acq.cluster_select(X, np.ones(30), 3, kmeans=acq.KMeansOptions(checks=c)),
    "probcover_delta": lambda c, X, P, s: acq.probcover_delta(X, 3, kmeans=acq.KMeansOptions(checks=c)),
}


@pytest.mark.parametrize("name", list(CHECKED))
def test_checks_false_reaches_cpp(name):
    X, P, s = _bad_inputs()
    with pytest.raises(ValueError, match=rf"acquire::{name}: "):
        CHECKED[name](True, X, P, s)
    CHECKED[name](False, X, P, s)
    CHECKED[name](acq.CheckOptions(values=False), X, P, s)


@pytest.mark.parametrize("name", ["egl", "egl_from_norms", "gradient_embedding", "contrastive_score",
                                  "ceal_pseudo_labels"])
def test_check_tolerance_reaches_cpp(name):
    X, P, s = _bad_inputs()
    P[4] = [0.4, 0.35, 0.3]  # sums to 1.05
    with pytest.raises(ValueError, match=r"row 4 sums to 1.05 \(tolerance 0.001\)"):
        CHECKED[name](True, X, P, s)
    CHECKED[name](acq.CheckOptions(tolerance=0.1), X, P, s)


def test_other_memory_and_tile_bounds_reach_cpp():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    with pytest.raises(ValueError, match="acquire::typiclust: options memory_bytes must be >= 4096, got 100"):
        acq.typiclust(X, 2, memory_bytes=100)
    with pytest.raises(ValueError, match="acquire::typiclust: options max_clusters must be >= 1"):
        acq.typiclust(X, 2, max_clusters=0)
    with pytest.raises(ValueError, match="acquire::typiclust: options min_cluster_size must be >= 0"):
        acq.typiclust(X, 2, min_cluster_size=-1)
    with pytest.raises(ValueError, match="acquire::agglomerative_clustering: options tile_bytes must be >= 4096"):
        acq.agglomerative_clustering(X, 1.0, tile_bytes=10)
    with pytest.raises(ValueError, match="acquire::probcover_delta: options alpha must be in"):
        acq.probcover_delta(X, [0] * 20, alpha=0.0)
    with pytest.raises(ValueError, match="acquire::probcover_delta: options tile_bytes"):
        acq.probcover_delta(X, [0] * 20, tile_bytes=10)
    with pytest.raises(ValueError, match=r"acquire::probcover_delta: labels has 3 entries but X has 20 rows"):
        acq.probcover_delta(X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"acquire::probcover_delta: clusters must be in \[1, 20\], got 21"):
        acq.probcover_delta(X, 21)
    with pytest.raises(ValueError, match="acquire::typicality: "):
        acq.typicality(X, 0)
    with pytest.raises(ValueError, match="acquire::contrastive_score: .*memory_bytes"):
        acq.contrastive_score(np.full((20, 2), 0.5), X, np.full((20, 2), 0.5), X, 2, memory_bytes=10)
    with pytest.raises(ValueError, match="acquire::kmeans: options tolerance must be >= 0"):
        acq.kmeans(X, 2, tolerance=-1.0)


@pytest.mark.parametrize(
    "name,call",
    [
        ("egl", lambda P, H: acq.egl(P, H)),
        ("badge", lambda P, H: acq.badge(P, H, [], 1)),
        ("gradient_embedding", lambda P, H: acq.gradient_embedding(P, H)),
        ("contrastive_score", lambda P, H: acq.contrastive_score(P, H, P, H, 1)),
        ("egl_from_norms", lambda P, H: acq.egl_from_norms(P, H[:, :2])),
        ("nearest_neighbors", lambda P, H: acq.nearest_neighbors(H, P, 1)),
        ("information_density", lambda P, H: acq.information_density(H, P[:, 0].copy(), 1.0)),
        ("cluster_select", lambda P, H: acq.cluster_select(H, P[:, 0].copy(), 1)),
        ("ranking_loss", lambda P, H: acq.ranking_loss(P[:, 0].copy(), H[:, 0].copy())),
    ],
)
def test_dtype_mismatch_names_an_argument_and_both_dtypes(name, call):
    P = np.full((4, 2), 0.5, dtype=np.float32)
    H = np.ones((4, 3))
    with pytest.raises(TypeError, match=rf"acquire\.{name}: \w+ has dtype float(32|64), another array of this call "
                                        r"float(32|64): pass one dtype for all") as info:
        call(P, H)
    msg = str(info.value)
    assert "float32" in msg and "float64" in msg


def test_checks_accepts_bool_and_check_options():
    P = np.array([[0.3, 0.3]])
    acq.entropy(P, checks=False)
    acq.entropy(P, checks=acq.CheckOptions(values=False))
    with pytest.raises(ValueError):
        acq.entropy(P, checks=True)


def test_checks_numpy_bool_and_wrong_type():
    P = np.array([[0.3, 0.3]])
    acq.entropy(P, checks=np.False_)  # a NumPy bool is a bool
    with pytest.raises(ValueError):
        acq.entropy(P, checks=np.True_)
    for bad in ("yes", None, 0):
        with pytest.raises(TypeError, match="checks"):
            acq.entropy(P, checks=bad)


@needs_torch
def test_torch_bool_tensor_is_not_an_index_set():
    import torch

    d = _pool()
    with pytest.raises(TypeError, match="integer"):
        acq.k_center_greedy(d["X"], torch.tensor([True, False]), 1)
