"""Ragged outputs: ragged_score, sequence_score and ragged_stack_score against per-sample NumPy
loops, hand-computed sequence scores, and the offsets errors."""
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    assert_close,
    random_probs,
    random_stack,
    ref_bald,
    ref_entropy,
    ref_least_confidence,
    ref_margin,
    ref_ratio,
)

FLAT = {"least_confidence": ref_least_confidence, "margin": ref_margin, "entropy": ref_entropy, "ratio": ref_ratio}
REDUCE = {"max": np.max, "mean": np.mean, "sum": np.sum}
OFFSETS = [0, 3, 3, 4, 9]  # 4 samples, the second empty


@pytest.mark.parametrize("score", list(FLAT))
@pytest.mark.parametrize("reduction", list(REDUCE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ragged_score_equals_per_sample_loops(rng, score, reduction, dtype):
    P = random_probs(rng, OFFSETS[-1], 5, dtype)
    e = FLAT[score](P.astype(np.float64))
    want = [REDUCE[reduction](e[a:b]) if b > a else -1.0 for a, b in zip(OFFSETS[:-1], OFFSETS[1:])]
    got = acq.ragged_score(P, np.array(OFFSETS), score, reduction)
    assert got.dtype == dtype
    assert_close(got, np.array(want), dtype)
    assert_close(acq.ragged_score(np.asfortranarray(P), OFFSETS, score, reduction), np.array(want), dtype)


def test_sequence_scores_by_hand():
    P = np.array([[0.9, 0.1], [0.6, 0.4]])
    h = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1)) - (0.6 * math.log(0.6) + 0.4 * math.log(0.4))
    assert acq.sequence_score(P, [0, 2], "least_confidence")[0] == pytest.approx(1 - 0.54, abs=1e-12)
    assert acq.sequence_score(P, [0, 2], "mnlp")[0] == pytest.approx(-(math.log(0.9) + math.log(0.6)) / 2, abs=1e-12)
    assert acq.sequence_score(P, [0, 2], "total_entropy")[0] == pytest.approx(h, abs=1e-12)
    assert acq.sequence_score(P, [0, 2], "mean_entropy")[0] == pytest.approx(h / 2, abs=1e-12)
    assert list(acq.sequence_score(P, [0, 0, 2], "mnlp"))[0] == -1


def test_ragged_stack_score(rng):
    S = random_stack(rng, 4, OFFSETS[-1], 3, np.float64)
    e = ref_bald(S)
    want = [e[a:b].mean() if b > a else -1.0 for a, b in zip(OFFSETS[:-1], OFFSETS[1:])]
    assert_close(acq.ragged_stack_score(S, OFFSETS, "bald", "mean"), np.array(want), np.float64)
    assert_close(acq.ragged_stack_score(S.transpose(1, 2, 0).copy(), OFFSETS, "bald", "mean", layout="nkt"),
                 np.array(want), np.float64)


def test_ragged_errors(rng):
    P = random_probs(rng, 9, 4)
    with pytest.raises(ValueError, match=r"offsets entry 3 is 2, below entry 2 \(3\)"):
        acq.ragged_score(P, [0, 3, 3, 2, 9], "entropy", "max")
    with pytest.raises(ValueError, match=r"offsets entry 4 \(the last\) is 8 but probabilities has 9 rows"):
        acq.ragged_score(P, [0, 3, 3, 4, 8], "entropy", "max")
    with pytest.raises(ValueError, match="reduction must be"):
        acq.ragged_score(P, OFFSETS, "entropy", "median")
    with pytest.raises(ValueError, match="score must be"):
        acq.sequence_score(P, OFFSETS, "entropy")
    P[5, 2] = np.nan
    with pytest.raises(ValueError, match="sample 3 element 1 class 2 is nan"):
        acq.ragged_score(P, OFFSETS, "margin", "sum")
    with pytest.raises(TypeError, match="integer"):
        acq.ragged_score(P, np.array(OFFSETS, dtype=float), "margin", "sum")
