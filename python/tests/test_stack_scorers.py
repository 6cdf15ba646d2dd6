"""Committee / Bayesian scorers on prediction stacks: bald, mean_std, vote_entropy,
consensus_entropy, kl_disagreement, max_kl_disagreement, variation_ratio."""
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    HAVE_TORCH,
    assert_close,
    layouts,
    random_probs,
    random_stack,
    ref_bald,
    ref_consensus_entropy,
    ref_entropy,
    ref_kl_disagreement,
    ref_max_kl_disagreement,
    ref_mean_std,
    ref_variation_ratio,
    ref_vote_entropy,
    to_layout,
)

SCORERS = {
    "bald": ref_bald,
    "mean_std": ref_mean_std,
    "vote_entropy": ref_vote_entropy,
    "consensus_entropy": ref_consensus_entropy,
    "kl_disagreement": ref_kl_disagreement,
    "max_kl_disagreement": ref_max_kl_disagreement,
    "variation_ratio": ref_variation_ratio,
}
NAMES = list(SCORERS)
STACK_LAYOUTS = ["tnk", "ntk", "nkt"]


def score(name, S, **kw):
    return getattr(acq, name)(S, **kw)


def stack_tol(dtype):
    # differences of entropies: float32 cancellation leaves absolute errors near 1e-6 * ln K
    if np.dtype(dtype) == np.float32:
        return dict(rtol=1e-5, atol=1e-5)
    return dict(rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- hand values


def test_two_opposite_members():
    S = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # T=2, N=1, K=2
    ln2 = math.log(2)
    np.testing.assert_allclose(acq.bald(S), [ln2], rtol=1e-14)
    np.testing.assert_allclose(acq.consensus_entropy(S), [ln2], rtol=1e-14)
    np.testing.assert_allclose(acq.vote_entropy(S), [ln2], rtol=1e-14)
    np.testing.assert_allclose(acq.kl_disagreement(S), [ln2], rtol=1e-14)
    np.testing.assert_allclose(acq.max_kl_disagreement(S), [ln2], rtol=1e-14)
    np.testing.assert_allclose(acq.variation_ratio(S), [0.5], rtol=1e-14)
    np.testing.assert_allclose(acq.mean_std(S), [0.5], rtol=1e-14)


def test_agreeing_uncertain_members_have_no_epistemic_score():
    S = np.full((4, 3, 2), 0.5)  # every member says 50/50
    np.testing.assert_allclose(acq.bald(S), 0.0, atol=1e-15)
    np.testing.assert_allclose(acq.mean_std(S), 0.0, atol=1e-15)
    np.testing.assert_allclose(acq.kl_disagreement(S), 0.0, atol=1e-15)
    np.testing.assert_allclose(acq.max_kl_disagreement(S), 0.0, atol=1e-15)
    np.testing.assert_allclose(acq.vote_entropy(S), 0.0, atol=1e-15)  # ties vote for class 0
    np.testing.assert_allclose(acq.variation_ratio(S), 0.0, atol=1e-15)
    np.testing.assert_allclose(acq.consensus_entropy(S), math.log(2), rtol=1e-14)


def test_vote_entropy_counts_hard_votes():
    # T=4 members vote 0, 0, 1, 2 on a 3-class problem
    S = np.array([[[0.6, 0.3, 0.1]], [[0.5, 0.4, 0.1]], [[0.2, 0.7, 0.1]], [[0.1, 0.2, 0.7]]])
    v = np.array([0.5, 0.25, 0.25])
    np.testing.assert_allclose(acq.vote_entropy(S), [-(v * np.log(v)).sum()], rtol=1e-14)
    np.testing.assert_allclose(acq.variation_ratio(S), [0.5], rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_single_member(name, rng):
    P = random_probs(rng, 40, 5)
    S = P[None]
    out = score(name, S)
    if name == "consensus_entropy":
        np.testing.assert_allclose(out, ref_entropy(P), rtol=1e-12, atol=1e-14)
    else:
        np.testing.assert_allclose(out, 0.0, atol=1e-14)


# ----------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(5, 37, 3), (8, 20, 10), (3, 9, 40)])
def test_matches_numpy_formula(name, shape, dtype, rng):
    T, N, K = shape
    S = random_stack(rng, T, N, K, dtype)
    out = score(name, S)
    assert out.shape == (N,)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, SCORERS[name](S.astype(np.float64)), **stack_tol(dtype))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stack_layout", STACK_LAYOUTS)
def test_stack_layouts(name, stack_layout, dtype, rng):
    S = random_stack(rng, 6, 50, 7, dtype)
    ref = score(name, S)
    arranged = to_layout(S, stack_layout)
    out = score(name, arranged, layout=stack_layout)
    np.testing.assert_allclose(out, ref, **stack_tol(dtype))
    # every memory layout of the arranged array
    for lay, v in layouts(arranged):
        np.testing.assert_allclose(score(name, v, layout=stack_layout), ref, err_msg=lay, **stack_tol(dtype))


@pytest.mark.parametrize("name", NAMES)
def test_default_layout_is_tnk(name, rng):
    S = random_stack(rng, 3, 20, 4)
    np.testing.assert_array_equal(score(name, S), score(name, S, layout="tnk"))


@pytest.mark.parametrize("name", NAMES)
def test_layout_changes_the_reading(name, rng):
    # a [T][N][K] cube with T = N read as [N][T][K] is another stack: the layout reaches C++
    S = random_stack(rng, 6, 6, 4)
    a = score(name, S, layout="tnk")
    b = score(name, S, layout="ntk")
    np.testing.assert_allclose(b, SCORERS[name](S.transpose(1, 0, 2)), rtol=1e-12, atol=1e-12)
    if name not in ("vote_entropy", "variation_ratio"):
        assert not np.allclose(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_permuting_samples_permutes_scores(name, rng):
    S = random_stack(rng, 5, 64, 6, np.float32)
    perm = rng.permutation(64)
    np.testing.assert_array_equal(score(name, S[:, perm]), score(name, S)[perm])


def test_kl_disagreement_equals_bald(rng):
    S = random_stack(rng, 10, 100, 6)
    np.testing.assert_allclose(acq.kl_disagreement(S), acq.bald(S), rtol=1e-10, atol=1e-12)
    assert np.all(acq.max_kl_disagreement(S) >= acq.kl_disagreement(S) - 1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_large_pool_blocks(name, rng):
    S = random_stack(rng, 4, 3000, 5, np.float64)
    np.testing.assert_allclose(score(name, S), SCORERS[name](S), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_same_result_on_any_thread_count(name, rng):
    S = random_stack(rng, 8, 4000, 10, np.float32)
    before = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        one = score(name, S)
        acq.set_num_threads(2)
        two = score(name, S)
    finally:
        acq.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")
@pytest.mark.parametrize("name", NAMES)
def test_torch_stack_of_passes(name, rng):
    import torch

    passes = [torch.from_numpy(random_probs(rng, 30, 4, np.float32)) for _ in range(5)]
    S = torch.stack(passes)
    out = score(name, S)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, SCORERS[name](S.numpy().astype(np.float64)), **stack_tol(np.float32))
    # baal's [N][K][T] layout as a permuted (non-contiguous) tensor view
    out2 = score(name, S.permute(1, 2, 0), layout="nkt")
    np.testing.assert_allclose(out2, out, **stack_tol(np.float32))


# ----------------------------------------------------------------------------- checks / errors


@pytest.mark.parametrize("name", NAMES)
def test_bad_row_names_member_and_row(name):
    S = np.full((4, 30, 3), 1 / 3)
    S[2, 17] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=rf"acquire::{name}: predictions member 2 row 17 sums to 1.5"):
        score(name, S)


@pytest.mark.parametrize("name", NAMES)
def test_nan_names_member_and_row(name):
    S = np.full((3, 10, 2), 0.5, dtype=np.float32)
    S[1, 7, 0] = np.nan
    with pytest.raises(ValueError, match=rf"acquire::{name}: predictions member 1 row 7 column 0 is nan"):
        score(name, S)


@pytest.mark.parametrize("name", NAMES)
def test_checks_false_skips_value_checks(name):
    S = np.full((2, 3, 2), 0.5)
    S[0, 1] = [0.6, 0.6]
    with pytest.raises(ValueError, match="sums to"):
        score(name, S)
    out = score(name, S, checks=False)
    assert out.shape == (3,)
    np.testing.assert_allclose(out[[0, 2]], SCORERS[name](S[:, [0, 2]]), atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_tolerance_reaches_cpp(name):
    S = np.full((2, 3, 2), 0.5)
    S[1, 2] = [0.52, 0.5]
    with pytest.raises(ValueError, match="member 1 row 2"):
        score(name, S)
    score(name, S, checks=acq.CheckOptions(tolerance=0.05))


@pytest.mark.parametrize("name", NAMES)
def test_bad_layout_string(name):
    with pytest.raises(ValueError, match="layout"):
        score(name, np.full((2, 3, 2), 0.5), layout="kt")
    with pytest.raises(ValueError, match="layout"):
        score(name, np.full((2, 3, 2), 0.5), layout="TNK")


@pytest.mark.parametrize("name", NAMES)
def test_stack_must_be_3d(name):
    with pytest.raises(ValueError, match=rf"acquire::{name}.*3 dimensions, got 2"):
        score(name, np.full((3, 2), 0.5))
