"""least_confidence, margin, entropy, ratio: hand values, NumPy formulas, layouts, logits."""
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    HAVE_TORCH,
    assert_close,
    layouts,
    ref_entropy,
    ref_least_confidence,
    ref_margin,
    ref_ratio,
    random_probs,
    softmax,
    variant,
)

SCORERS = {
    "least_confidence": ref_least_confidence,
    "margin": ref_margin,
    "entropy": ref_entropy,
    "ratio": ref_ratio,
}
NAMES = list(SCORERS)


def score(name, P, **kw):
    return getattr(acq, name)(P, **kw)


# ----------------------------------------------------------------------------- hand values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_values_two_classes(dtype):
    P = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [0.75, 0.25]], dtype=dtype)
    t = dict(rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-7 if dtype == np.float32 else 1e-15)
    np.testing.assert_allclose(acq.entropy(P), [math.log(2), 0, 0, -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))], **t)
    np.testing.assert_allclose(acq.margin(P), [1.0, 0.0, 0.0, 0.5], **t)
    np.testing.assert_allclose(acq.least_confidence(P), [0.5, 0.0, 0.0, 0.25], **t)
    np.testing.assert_allclose(acq.ratio(P), [1.0, 0.0, 0.0, 1.0 / 3.0], **t)


@pytest.mark.parametrize("k", [3, 7, 100])
def test_uniform_row_is_the_maximum(k):
    P = np.full((2, k), 1.0 / k)
    np.testing.assert_allclose(acq.entropy(P), math.log(k), rtol=1e-12)
    np.testing.assert_allclose(acq.least_confidence(P), 1 - 1 / k, rtol=1e-12)
    np.testing.assert_allclose(acq.margin(P), 1.0, rtol=1e-12)
    np.testing.assert_allclose(acq.ratio(P), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_one_hot_scores_zero(name):
    P = np.eye(5)[[0, 3, 4, 1]]
    out = score(name, P)
    assert np.all(out == 0.0)
    assert not np.any(np.signbit(out)), "entropy of a one-hot row must be +0, not -0"


@pytest.mark.parametrize("name", NAMES)
def test_single_class_scores_zero(name):
    P = np.ones((6, 1), dtype=np.float32)
    np.testing.assert_array_equal(score(name, P), np.zeros(6, dtype=np.float32))


def test_margin_tie_of_two_maxima_is_one():
    P = np.array([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]])
    np.testing.assert_allclose(acq.margin(P), [1.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(acq.ratio(P), [1.0, 1.0], rtol=1e-14)


def test_entropy_zero_probability_counts_zero():
    P = np.array([[0.5, 0.5, 0.0, 0.0]])
    np.testing.assert_allclose(acq.entropy(P), [math.log(2)], rtol=1e-14)


# ----------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [2, 5, 40])
def test_matches_numpy_formula(name, k, dtype, rng):
    P = random_probs(rng, 257, k, dtype)
    out = score(name, P)
    assert out.shape == (257,)
    assert out.dtype == dtype
    assert_close(out, SCORERS[name](P.astype(np.float64)), dtype)


@pytest.mark.parametrize("name", NAMES)
def test_every_layout_gives_identical_scores(name, dtype, rng):
    P = random_probs(rng, 300, 12, dtype)
    expected = score(name, P)
    for lay, v in layouts(P):
        out = score(name, v)
        assert isinstance(out, np.ndarray), lay
        assert out.dtype == dtype, lay
        assert_close(out, expected, dtype, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-7 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_layouts_with_many_classes(name, rng):
    # K >= 32 takes other kernels (long rows / long columns)
    P = random_probs(rng, 100, 64, np.float32)
    ref = SCORERS[name](P.astype(np.float64))
    for lay, v in layouts(P):
        assert_close(score(name, v), ref, np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_permuting_rows_permutes_scores(name, dtype, rng):
    P = random_probs(rng, 200, 6, dtype)
    perm = rng.permutation(200)
    np.testing.assert_array_equal(score(name, P[perm]), score(name, P)[perm])


@pytest.mark.parametrize("name", NAMES)
def test_multi_block_pool(name, rng):
    # more rows than one block of 8192: blocks are scored in parallel
    P = random_probs(rng, 20000, 3, np.float64)
    assert_close(score(name, P), SCORERS[name](P), np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_same_result_on_any_thread_count(name, rng):
    P = random_probs(rng, 30000, 10, np.float32)
    before = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        one = score(name, P)
        acq.set_num_threads(2)
        two = score(name, P)
    finally:
        acq.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("name", NAMES)
def test_ranges(name, rng):
    k = 7
    P = random_probs(rng, 500, k, np.float64, sharp=4.0)
    out = score(name, P)
    hi = {"least_confidence": 1 - 1 / k, "margin": 1.0, "entropy": math.log(k), "ratio": 1.0}[name]
    assert np.all(out >= 0) and np.all(out <= hi + 1e-12)


def test_margin_and_ratio_rank_alike_for_two_classes(rng):
    P = random_probs(rng, 100, 2, np.float64)
    np.testing.assert_array_equal(np.argsort(acq.margin(P), kind="stable"), np.argsort(acq.ratio(P), kind="stable"))


# ----------------------------------------------------------------------------- logits


@pytest.mark.parametrize("name", NAMES)
def test_logits_give_the_softmax_scores(name, dtype, rng):
    L = (rng.normal(size=(150, 9)) * 3).astype(dtype)
    out = score(name, acq.logits(L))
    assert out.dtype == dtype
    assert_close(out, SCORERS[name](softmax(L.astype(np.float64))), dtype, rtol=1e-5 if dtype == np.float32 else 1e-11,
                 atol=2e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_logits_every_layout(name, rng):
    L = rng.normal(size=(120, 5)) * 2
    ref = SCORERS[name](softmax(L))
    for lay, v in layouts(L):
        assert_close(score(name, acq.logits(v)), ref, np.float64, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_huge_logits_stay_finite(name):
    L = np.array([[1000.0, 999.0, -1000.0], [5e4, 5e4, 0.0], [-800.0, -800.0, -800.0]])
    out = score(name, acq.logits(L))
    assert np.all(np.isfinite(out))
    assert_close(out, SCORERS[name](softmax(L)), np.float64, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_logits_shift_invariant(name, rng):
    L = rng.normal(size=(50, 4))
    a = score(name, acq.logits(L))
    b = score(name, acq.logits(L + 123.0))
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_logits_nan_names_row():
    L = np.zeros((30, 4))
    L[17, 2] = np.nan
    with pytest.raises(ValueError, match=r"acquire::entropy: logits row 17"):
        acq.entropy(acq.logits(L))


# ----------------------------------------------------------------------------- checks option


@pytest.mark.parametrize("name", NAMES)
def test_checks_false_lets_a_non_normalised_row_through(name):
    P = np.array([[0.3, 0.3, 0.1], [0.2, 0.5, 0.3]])
    with pytest.raises(ValueError, match=f"acquire::{name}: probabilities row 0 sums to"):
        score(name, P)
    out = score(name, P, checks=False)
    np.testing.assert_allclose(out, SCORERS[name](P), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_check_options_object_false(name):
    P = np.array([[0.3, 0.3, 0.1]])
    out = score(name, P, checks=acq.CheckOptions(values=False))
    np.testing.assert_allclose(out, SCORERS[name](P), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_check_options_tolerance_reaches_cpp(name):
    P = np.array([[0.5, 0.55], [0.4, 0.6]])  # row 0 sums to 1.05
    with pytest.raises(ValueError, match="tolerance 0.001"):
        score(name, P)
    with pytest.raises(ValueError, match="row 0 sums to 1.05"):
        score(name, P, checks=acq.CheckOptions(tolerance=0.01))
    out = score(name, P, checks=acq.CheckOptions(values=True, tolerance=0.1))
    np.testing.assert_allclose(out, SCORERS[name](P), rtol=1e-14)


def test_check_options_defaults_and_repr():
    c = acq.CheckOptions()
    assert c.values is True
    assert c.tolerance == pytest.approx(1e-3)
    c2 = acq.CheckOptions(values=False, tolerance=0.5)
    assert c2.values is False and c2.tolerance == 0.5


@pytest.mark.parametrize("name", NAMES)
def test_bad_row_named_beyond_first_block(name, dtype):
    P = np.full((20000, 4), 0.25, dtype=dtype)
    P[12345] = [0.5, 0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=rf"acquire::{name}: probabilities row 12345 sums to 2"):
        score(name, P)
    with pytest.raises(ValueError, match=r"row 12345"):
        score(name, np.asfortranarray(P))


@pytest.mark.parametrize("name", NAMES)
def test_nan_row_named(name, layout):
    P = np.full((40, 3), 1 / 3)
    P[23, 1] = np.nan
    v = variant(P, layout)
    with pytest.raises(ValueError, match=rf"acquire::{name}: probabilities row 23 column 1 is nan"):
        score(name, v)


@pytest.mark.parametrize("name", NAMES)
def test_negative_entry_named(name):
    P = np.array([[0.5, 0.5], [-0.2, 1.2]])
    with pytest.raises(ValueError, match=r"row 1 column 0 is -0.2 \(must be in \[0, 1\]\)"):
        score(name, P)


# ----------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("name", NAMES)
def test_output_owns_its_memory(name, rng):
    P = random_probs(rng, 64, 4, np.float32)
    out = score(name, P)
    assert not np.shares_memory(out, P)
    assert out.flags.owndata or out.base is not P
    assert out.flags.writeable
    P[:] = 0.25  # changing the input later must not change the scores
    assert not np.allclose(out, score(name, P))


@pytest.mark.skipif(not HAVE_TORCH, reason="torch does not import")
@pytest.mark.parametrize("name", NAMES)
def test_torch_input_gives_numpy_output(name, rng):
    import torch

    P = random_probs(rng, 50, 5, np.float64)
    out = score(name, torch.from_numpy(P))
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, score(name, P))


def test_accepts_n_by_1_column_of_ones_and_single_row():
    np.testing.assert_allclose(acq.entropy(np.array([[0.25, 0.75]])), [-(0.25 * math.log(0.25) + 0.75 * math.log(0.75))])


@pytest.mark.parametrize("name", NAMES)
def test_single_row_and_single_column_views(name, rng):
    P = random_probs(rng, 8, 6, np.float64)
    wide = np.full((8, 12), np.nan)
    wide[:, ::2] = P
    # 1 x K with column stride 2 (read column by column: the sum's order, hence the last bit, may differ)
    np.testing.assert_allclose(score(name, wide[3:4, ::2]), score(name, P[3:4]), rtol=1e-14)
    tall = np.full((16, 6), np.nan)
    tall[::2] = P
    np.testing.assert_array_equal(score(name, tall[::2]), score(name, P))
    ones = np.full((10, 3), np.nan)
    ones[:, 1] = 1.0
    np.testing.assert_array_equal(score(name, ones[::2, 1:2]), np.zeros(5))  # N x 1, row stride 6


def test_set_and_get_num_threads():
    before = acq.get_num_threads()
    try:
        acq.set_num_threads(1)
        assert acq.get_num_threads() == 1
        acq.set_num_threads(2)
        assert acq.get_num_threads() == (2 if acq.openmp else 1)
    finally:
        acq.set_num_threads(before)
