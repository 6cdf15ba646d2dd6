"""Dense outputs: dense_score and dense_stack_score against NumPy per-pixel scores reduced by hand,
baal's segmentation forms, every layout and stride, masks, logits and the errors."""
import math

import numpy as np
import pytest

import acquire_al as acq
from conftest import (
    HAVE_TORCH,
    assert_close,
    random_probs,
    random_stack,
    ref_bald,
    ref_consensus_entropy,
    ref_entropy,
    ref_kl_disagreement,
    ref_least_confidence,
    ref_margin,
    ref_mean_std,
    ref_ratio,
    ref_variation_ratio,
    ref_vote_entropy,
)

if HAVE_TORCH:
    import torch

FLAT = {"least_confidence": ref_least_confidence, "margin": ref_margin, "entropy": ref_entropy, "ratio": ref_ratio}
STACK = {"bald": ref_bald, "mean_std": ref_mean_std, "variation_ratio": ref_variation_ratio,
         "vote_entropy": ref_vote_entropy, "consensus_entropy": ref_consensus_entropy,
         "kl_disagreement": ref_kl_disagreement}


def nchw_probs(rng, n, k, h, w, dtype):
    """[N][K][H][W] per-pixel distributions."""
    return random_probs(rng, n * h * w, k, dtype).reshape(n, h, w, k).transpose(0, 3, 1, 2).copy()


def reduce(pixels, reduction, q, mask=None):
    """pixels: [N][H][W] per-pixel scores in float64; the reduction over the counted pixels."""
    out = []
    for n in range(pixels.shape[0]):
        v = pixels[n][mask[n].astype(bool)] if mask is not None else pixels[n].ravel()
        if v.size == 0:
            out.append(-1.0)
        elif reduction == "mean":
            out.append(v.mean())
        elif reduction == "sum":
            out.append(v.sum())
        elif reduction == "max":
            out.append(v.max())
        else:
            c = max(1, math.ceil(q * v.size - 1e-9))
            out.append(np.sort(v)[::-1][:c].mean())
    return np.array(out)


@pytest.mark.parametrize("score", list(FLAT))
@pytest.mark.parametrize("reduction", ["mean", "max", "sum", "top_q"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_score_equals_numpy_per_pixel(rng, score, reduction, dtype):
    N, K, H, W = 3, 5, 6, 7
    P = nchw_probs(rng, N, K, H, W, dtype)
    mask = rng.random((N, H, W)) > 0.3
    mask[1] = False  # nothing counts: -1
    pixels = FLAT[score](P.transpose(0, 2, 3, 1).reshape(-1, K).astype(np.float64)).reshape(N, H, W)
    for m in (None, mask):
        want = reduce(pixels, reduction, 0.2, m)
        got = acq.dense_score(P, score, reduction=reduction, q=0.2, mask=m)
        assert got.dtype == dtype and got.shape == (N,)
        assert_close(got, want, dtype)
        # NHWC and a Fortran-order copy read the same numbers.
        assert_close(acq.dense_score(P.transpose(0, 2, 3, 1).copy(), score, layout="nhwc", reduction=reduction,
                                     q=0.2, mask=m), want, dtype)
        assert_close(acq.dense_score(np.asfortranarray(P), score, reduction=reduction, q=0.2, mask=m), want, dtype)


def test_layouts_strides_tensors_and_logits(rng):
    N, K, H, W = 2, 4, 8, 9
    P = nchw_probs(rng, N, K, H, W, np.float64)
    want = acq.dense_score(P, "margin")
    # Any permutation of the letters, "k" or "c" for the classes.
    assert_close(acq.dense_score(P.transpose(2, 0, 3, 1), "margin", layout="hnwk"), want, np.float64)
    # A crop: rows and columns of a larger buffer, read in place.
    big = np.zeros((N, K, H + 3, W + 5))
    big[:, :, 1:H + 1, 2:W + 2] = P
    assert_close(acq.dense_score(big[:, :, 1:H + 1, 2:W + 2], "margin"), want, np.float64)
    if HAVE_TORCH:
        assert_close(acq.dense_score(torch.from_numpy(P), "margin"), want, np.float64)
        tmask = torch.ones((N, H, W), dtype=torch.bool)
        assert_close(acq.dense_score(torch.from_numpy(P), "margin", mask=tmask), want, np.float64)
    L = rng.normal(size=(N, K, H, W)) * 3
    soft = np.exp(L - L.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    for score in FLAT:
        assert_close(acq.dense_score(acq.logits(L), score), acq.dense_score(soft, score), np.float64)
    # uint8 masks count their nonzero entries.
    m8 = (rng.random((N, H, W)) > 0.5).astype(np.uint8) * 7
    assert_close(acq.dense_score(P, "entropy", mask=m8), acq.dense_score(P, "entropy", mask=m8 != 0), np.float64)


@pytest.mark.parametrize("score", list(STACK))
@pytest.mark.parametrize("reduction", ["mean", "max", "sum", "top_q"])
def test_dense_stack_score_equals_numpy_per_pixel(rng, score, reduction):
    T, N, K, H, W = 4, 2, 3, 5, 6
    S = random_stack(rng, T, N * H * W, K, np.float32)  # [T][N H W][K]
    tnkhw = S.reshape(T, N, H, W, K).transpose(0, 1, 4, 2, 3).copy()
    pixels = STACK[score](S.astype(np.float64)).reshape(N, H, W)
    want = reduce(pixels, reduction, 0.25)
    assert_close(acq.dense_stack_score(tnkhw, score, reduction=reduction, q=0.25), want, np.float32)
    nkhwt = tnkhw.transpose(1, 2, 3, 4, 0).copy()  # baal's [N][K][H][W][T]
    assert_close(acq.dense_stack_score(nkhwt, score, layout="nkhwt", reduction=reduction, q=0.25), want, np.float32)


def test_baal_segmentation_forms(rng):
    """baal's heuristics on [N][K][H][W][T] with reduction=: BALD per pixel and Entropy of the
    MC mean per pixel (scipy.special.xlogy forms), reduced over the pixels."""
    N, K, H, W, T = 3, 4, 5, 6, 8
    S = random_stack(rng, T, N * H * W, K, np.float64).reshape(T, N, H, W, K).transpose(1, 4, 2, 3, 0).copy()

    def xlogy(p):
        return np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)

    expected_entropy = -np.mean(np.sum(xlogy(S), axis=1), axis=-1)  # [N][H][W]
    mean = S.mean(axis=-1)
    entropy_of_mean = -np.sum(xlogy(mean), axis=1)
    bald = entropy_of_mean - expected_entropy
    for reduction, f in (("mean", np.mean), ("max", np.max), ("sum", np.sum)):
        assert_close(acq.dense_stack_score(S, "bald", layout="nkhwt", reduction=reduction),
                     f(np.maximum(bald, 0).reshape(N, -1), axis=1), np.float64)
        assert_close(acq.dense_stack_score(S, "consensus_entropy", layout="nkhwt", reduction=reduction),
                     f(entropy_of_mean.reshape(N, -1), axis=1), np.float64)


@pytest.mark.parametrize("reduction", ["mean", "max", "sum", "top_q"])
def test_class_weights(rng, reduction):
    """Each pixel's score times the weight of its predicted class (the argmax of p, of the
    members' mean for a stack), then reduced; regions weigh the same pixels."""
    N, K, H, W = 3, 4, 5, 6
    P = nchw_probs(rng, N, K, H, W, np.float64)
    w = np.array([0.5, 2.0, 0.0, 1.25])
    rows = P.transpose(0, 2, 3, 1).reshape(-1, K)
    pixels = (ref_entropy(rows) * w[rows.argmax(1)]).reshape(N, H, W)
    want = reduce(pixels, reduction, 0.25)
    assert_close(acq.dense_score(P, "entropy", reduction=reduction, q=0.25, class_weights=w), want, np.float64)
    assert_close(acq.dense_score(P, "entropy", reduction=reduction, q=0.25, class_weights=list(w)), want, np.float64)
    nhwc = P.transpose(0, 2, 3, 1).copy()
    assert_close(acq.dense_score(nhwc, "entropy", layout="nhwc", reduction=reduction, q=0.25, class_weights=w),
                 want, np.float64)
    np.testing.assert_array_equal(acq.dense_score(P, "margin", reduction=reduction, class_weights=np.ones(K)),
                                  acq.dense_score(P, "margin", reduction=reduction))

    T = 3
    S = random_stack(rng, T, N * H * W, K, np.float64)  # [T][N H W][K]
    tnkhw = S.reshape(T, N, H, W, K).transpose(0, 1, 4, 2, 3).copy()
    predicted = S.mean(0).argmax(1)
    pixels = (ref_bald(S) * w[predicted]).reshape(N, H, W)
    assert_close(acq.dense_stack_score(tnkhw, "bald", reduction=reduction, q=0.25, class_weights=w),
                 reduce(pixels, reduction, 0.25), np.float64)
    if reduction == "sum":
        regions = acq.region_scores(P, 2, "entropy", reduction="sum", class_weights=w)
        assert_close(np.bincount(regions.image, weights=regions.score), want, np.float64)
        regions = acq.region_stack_scores(tnkhw, 3, "bald", reduction="sum", class_weights=w)
        assert_close(np.bincount(regions.image, weights=regions.score), pixels.reshape(N, -1).sum(1), np.float64)
    if HAVE_TORCH:
        assert_close(acq.dense_score(torch.from_numpy(P), reduction=reduction, q=0.25,
                                     class_weights=torch.tensor(w)), want, np.float64)


def test_dense_errors(rng):
    P = nchw_probs(rng, 3, 4, 5, 6, np.float32)
    P[2, 1, 3, 4] = np.nan
    with pytest.raises(ValueError, match=r"dense_entropy: probabilities image 2 pixel \(3, 4\) class 1 is nan"):
        acq.dense_score(P, "entropy")
    assert acq.dense_score(P, "entropy", checks=False).shape == (3,)
    Q = nchw_probs(rng, 3, 4, 5, 6, np.float32)
    with pytest.raises(ValueError, match=r"q must be in \(0, 1\]"):
        acq.dense_score(Q, reduction="top_q", q=0)
    with pytest.raises(ValueError, match="reduction must be"):
        acq.dense_score(Q, reduction="median")
    with pytest.raises(ValueError, match="score must be"):
        acq.dense_score(Q, "bald")
    with pytest.raises(ValueError, match="layout must be"):
        acq.dense_score(Q, layout="nchx")
    with pytest.raises(ValueError, match="4 dimensions"):
        acq.dense_score(Q[0])
    with pytest.raises(ValueError, match="mask is 3 x 5 x 5"):
        acq.dense_score(Q, mask=np.ones((3, 5, 5), bool))
    with pytest.raises(TypeError, match="pass bool or uint8"):
        acq.dense_score(Q, mask=np.ones((3, 5, 6), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        acq.dense_score(Q.astype(np.float16))
    with pytest.raises(ValueError, match="class_weights has 3 entries but the predictions have 4 classes"):
        acq.dense_score(Q, class_weights=[1, 1, 1])
    with pytest.raises(ValueError, match="class_weights entry 1 is -1"):
        acq.dense_score(Q, class_weights=[1, -1, 1, 1])
    with pytest.raises(TypeError, match="must be 1-D"):
        acq.dense_score(Q, class_weights=np.ones((2, 2)))
    S = np.stack([Q, P])
    with pytest.raises(ValueError, match=r"dense_bald: stack member 1 image 2 pixel \(3, 4\)"):
        acq.dense_stack_score(S, "bald")


def test_region_scores_and_selection(rng):
    N, K, H, W = 3, 4, 8, 10
    P = nchw_probs(rng, N, K, H, W, np.float64)
    pixels = ref_entropy(P.transpose(0, 2, 3, 1).reshape(-1, K)).reshape(N, H, W)
    mask = rng.random((N, H, W)) > 0.2
    r = acq.region_scores(P, 4, "entropy", reduction="mean", mask=mask)
    # By hand: patch (i, j) of side 4 is region i * ceil(W / 4) + j; masked pixels count nowhere.
    want = []
    for n in range(N):
        for i in range(2):
            for j in range(3):
                block, keep = pixels[n, 4 * i:4 * i + 4, 4 * j:4 * j + 4], mask[n, 4 * i:4 * i + 4, 4 * j:4 * j + 4]
                if keep.any():
                    want.append((n, i * 3 + j, int(keep.sum()), block[keep].mean()))
    assert len(r) == len(want)
    assert list(r.image) == [w[0] for w in want] and list(r.region) == [w[1] for w in want]
    assert list(r.pixels) == [w[2] for w in want]
    assert_close(r.score, np.array([w[3] for w in want]), np.float64)
    # The same patches as an int32 label map; a stack's regions.
    ids = np.zeros((N, H, W), np.int32)
    for y in range(H):
        for x in range(W):
            ids[:, y, x] = (y // 4) * 3 + x // 4
    assert_close(acq.region_scores(P, ids, "entropy", mask=mask).score, r.score, np.float64)
    S = np.stack([P, nchw_probs(rng, N, K, H, W, np.float64)])
    assert len(acq.region_stack_scores(S, 4, "bald")) == N * 6
    # Selection: the best b, at most per_image per image; rescored columns.
    top = acq.select_regions(r, 5, per_image=2)
    assert len(top) == 5 and max(np.bincount(top.image)) <= 2
    assert np.all(np.diff(top.score) <= 0)
    cost = acq.RegionScores(r.image, r.region, r.pixels, r.score / r.pixels)
    assert len(acq.select_regions(cost, 3)) == 3
    with pytest.raises(ValueError, match="only"):
        acq.select_regions(r, len(r) + 1)
    with pytest.raises(TypeError, match="int32"):
        acq.region_scores(P, ids.astype(np.int64))
    with pytest.raises(ValueError, match="patch side >= 1"):
        acq.region_scores(P, 0)
