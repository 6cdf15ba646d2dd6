#!/usr/bin/env python3
"""Runs every benchmark binary at the sizes in SIZES and writes docs/benchmarks.md.

    /usr/bin/python3 bench/tables.py                      # full sizes, writes docs/benchmarks.md
    /usr/bin/python3 bench/tables.py --smoke --out /tmp/b.md   # tiny pools: checks the script

docs/benchmarks.md is generated, never hand-edited. Each binary runs once per flag set in SIZES
(single-threaded unless OMP_NUM_THREADS says otherwise) with --benchmark_format=json
--benchmark_out=<file>; the tables are built from that JSON only, with a header naming the CPU,
compiler, flags, threads, date and commit. Every table compares a row with a reference measured in the same
process, ratios first, checked (the default call) and unchecked (checks.values = false) side by
side where the benchmark has both. Standard library only.
"""

import argparse
import collections
import datetime
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The documented sizes: the defaults each bench_*.cpp states in its header comment, one list of
# flags per invocation. A binary may run more than once (each run is its own process; every row's
# reference is registered in the same process as the row). --smoke replaces all of this with
# --smoke=1 (the binaries' own tiny sizes).
SIZES = {
    # Float at every documented K; double at K = 10 and 100 only: the double K = 1000 pools (8 GB
    # each, two layouts, entropy interleaved 7 x 2 calls of several seconds) would add an estimated
    # 5 minutes and push the whole run past 20 minutes on 2 cores.
    "bench_uncertainty": [
        ["--n=1000000", "--k=10,100,1000", "--scalars=0", "--top_n=10000000", "--top_k=1000"],
        ["--n=1000000", "--k=10,100", "--scalars=1", "--top_n=10000000", "--top_k=1000"],
    ],
    "bench_stack_scorers": [["--n=100000", "--t=20", "--k=10,100"]],
    "bench_dense": [["--n=256", "--k=10", "--side=128", "--stack_n=16", "--stack_side=64", "--t=20",
                     "--tokens=1000000", "--length=100"]],
    "bench_neighbors": [["--n=20000", "--d=64", "--k=20", "--b=100"]],
    # --reference=1: the implementation before the rewrite (double pool only); --full and --differ
    # stay off (they add untabulated variants and counters).
    "bench_batch_bald": [["--n=1000", "--fn=10000,100000", "--t=20", "--k=10", "--b=10", "--configs=10000",
                          "--samples=10000", "--copies=1", "--reference=1", "--differ=0", "--full=0"]],
    "bench_k_center": [["--n=100000", "--d=256", "--b=1000", "--labeled=0", "--layouts=0,1"]],
    "bench_badge": [["--n=20000", "--k=10", "--d=128", "--b=100", "--big=1"]],
    "bench_cluster": [["--n=100000", "--d=128", "--b=100", "--beta=10", "--k=100"]],
    "bench_facility_location": [["--gain_n=4096", "--default_n=10000", "--n=50000", "--d=128", "--candidates=2000",
                                 "--b=100", "--neighbors=20"]],
    "bench_strategies": [["--n=1000000", "--m=10000", "--g=5000", "--h=2000", "--d=64", "--b=50"]],
    "bench_toolbox": [["--n=1000000", "--k=10", "--d=128", "--pool=100000", "--labeled=10000", "--neighbors=10"]],
}

# Sizes deliberately below the documented defaults, stated on the page.
REDUCED = {
    "bench_uncertainty": "double runs at K = 10 and 100 only (K = 1000 double: 8 GB pools, an estimated 5 more "
                         "minutes); float at K = 10, 100, 1000 as documented",
    "bench_batch_bald": "`batch_bald/full` (--full=1) and the lazy/full pick comparison (--differ=1) are not run",
}

SMOKE_MIN_TIME = "0.01"

# Size parameters in benchmark names (key:value tokens); bare tokens naming a scalar or layout.
PARAM_KEYS = {"n", "k", "d", "b", "t", "m", "g", "h", "C", "M", "copies", "candidates", "rows", "beta",
              "clusters", "pool", "labeled", "neighbors", "k_m", "side", "tokens", "length", "per_image"}
BARE_PARAMS = {"float": "scalar", "double": "scalar", "row": "storage", "col": "storage",
               "tnk": "layout", "ntk": "layout", "nkt": "layout", "nchw": "layout", "nhwc": "layout",
               "tnkhw": "layout", "nkhwt": "layout"}
# Google Benchmark's own suffixes (Iterations(1), UseRealTime(), ...), dropped from names.
RUN_KEYS = {"iterations", "repeats", "threads", "min_time", "min_warmup_time"}
RUN_TOKENS = {"real_time", "manual_time", "process_time"}
LAYOUT_TEXT = {"tnk": "[T][N][K]", "ntk": "[N][T][K]", "nkt": "[N][K][T]", "nchw": "[N][K][H][W]",
               "nhwc": "[N][H][W][K]", "tnkhw": "[T][N][K][H][W]", "nkhwt": "[N][K][H][W][T]"}


class Row:
    """One function in a table. checked / unchecked: benchmark names (without the size suffix) of
    the default call with value checks and of the call with checks.values = false; interleaved:
    the acquire_bench::alternate_checked benchmark of the two. checks: "optional" (CheckOptions
    can turn them off, so both rows are expected), "fixed" (checks cannot be turned off) or "none"
    (a kernel or function without value checks) or "variant" (an algorithm variant timed one way
    only, beside a row of the default call that has both); rows without value checks sit in the
    checked (default call) column."""

    def __init__(self, label, checked=None, unchecked=None, interleaved=None, checks="optional", note=""):
        self.label, self.checked, self.unchecked = label, checked, unchecked
        self.interleaved, self.checks, self.note = interleaved, checks, note


class Table:
    def __init__(self, ref, ref_text, rows, extra_refs=(), counters=(), ignore=(), title=""):
        self.ref, self.ref_text, self.rows = ref, ref_text, rows
        self.extra_refs = list(extra_refs)  # [(name, text)]: more ratio and time columns
        self.counters = list(counters)  # counter names shown in the notes column
        self.ignore = set(ignore)  # parameter keys ignored when a row is matched with its reference
        self.title = title


class Family:
    def __init__(self, binary, title, text, tables):
        self.binary, self.title, self.text, self.tables = binary, title, text, tables


def scorers(names, interleaved=True, checks="optional"):
    return [Row(s, s + "/checked", s + "/unchecked", "interleaved/" + s if interleaved else None, checks) for s in names]


FAMILIES = [
    Family("bench_uncertainty", "Uncertainty scorers and top-k",
           "Scorers on synthetic probability matrices P (N x K), row- and column-major.",
           [Table("reference/row_sum", "one streaming read of P (Eigen's rowwise sum), the issue's reference",
                  scorers(["least_confidence", "margin", "ratio"]) +
                  [Row("margin_logits", None, "margin_logits/unchecked", note="logits input")],
                  extra_refs=[("reference/read", "P.sum(): a pure streaming read, no output")]),
            Table("reference/plogp", "Eigen's plain vectorised (P * log P).rowwise().sum(): the entropy bar",
                  scorers(["entropy"]) + [Row("entropy_logits", None, "entropy_logits/unchecked", note="logits input")]),
            Table("reference/max", "one max pass over the same scores",
                  [Row("top_k", "top_k", checks="fixed")])]),
    Family("bench_stack_scorers", "Committee and Bayesian scorers",
           "Scorers on synthetic T x N x K prediction stacks in three layouts; the references read the "
           "`[T][N][K]` buffer (one layout is enough for a flat read) and serve every layout's rows.",
           [Table("reference/plogp", "a plain vectorised sum(p ln p) over the whole `[T][N][K]` buffer: the BALD bar",
                  scorers(["bald", "kl_disagreement", "max_kl_disagreement", "consensus_entropy", "vote_entropy",
                           "variation_ratio", "mean_std"]),
                  extra_refs=[("reference/read", "one streaming read of the stack (its sum)")],
                  ignore={"layout"})]),
    Family("bench_dense", "Dense and structured outputs",
           "Per-pixel scores reduced per image (N images of K x side x side float pixels, softmaxes of "
           "3 x standard normal logits), regions of 14 x 14 patches, MC stacks of T passes, and ragged "
           "token sequences (CSR offsets).",
           [Table("reference/read", "one streaming read of the pixels (their sum)",
                  [Row("dense_score entropy, mean", "dense_entropy/mean/checked", "dense_entropy/mean/unchecked"),
                   Row("dense_score entropy, top_q", "dense_entropy/top_q/checked", "dense_entropy/top_q/unchecked"),
                   Row("dense_score margin, mean", "dense_margin/mean/checked", "dense_margin/mean/unchecked"),
                   Row("dense_score margin, top_q", "dense_margin/top_q/checked", "dense_margin/top_q/unchecked"),
                   Row("dense_score entropy, mean, class weights", "dense_entropy/mean/class_weights/checked",
                       checks="variant", note="class_weights = 1 / (c + 1)")]),
            Table("dense_entropy/mean/checked", "dense_score entropy, mean, on the same images",
                  [Row("region_scores entropy, 14 x 14 patches", "region_entropy/grid14/checked",
                       "region_entropy/grid14/unchecked")], ignore={"layout"}),
            Table("reference/sort_scores", "one std::sort of the region scores",
                  [Row("select_regions", "select_regions", checks="fixed")], counters=["b", "regions"],
                  ignore={"per_image"}),
            Table("reference/flat_bald/checked", "acquire::bald on a flat [T][N H W][K] stack of the same numbers",
                  [Row("dense_stack_score bald, mean", "dense_bald/mean/checked", "dense_bald/mean/unchecked"),
                   Row("region_stack_scores bald, 16 x 16 patches", "region_bald/grid16/checked",
                       "region_bald/grid16/unchecked"),
                   Row("ragged_stack_score bald, mean", "ragged_bald/mean/checked", "ragged_bald/mean/unchecked",
                       note="each image's pixels as one ragged sample")],
                  ignore={"layout"}),
            Table("reference/flat_entropy", "acquire::entropy on the same token rows",
                  [Row("ragged_score entropy, max", "ragged_entropy/max/checked", "ragged_entropy/max/unchecked"),
                   Row("sequence_score mnlp", "sequence_score/mnlp/checked", "sequence_score/mnlp/unchecked")])]),
    Family("bench_neighbors", "Neighbour graphs",
           "Exact and HNSW neighbour graphs and the selectors that read them, end to end (graph included), on "
           "a clustered float pool (100 clusters, d = 64); one run each. Pools of 10^6 are in docs/scale.md.",
           [Table("reference/exact_graph", "the exact k-nearest-neighbour graph (`knn_graph`, tiled products)",
                  [Row("hnsw::knn_graph", "hnsw_graph", checks="fixed")], counters=["recall"]),
            Table("facility_location/exact", "sparse facility location with the exact search",
                  [Row("facility_location on an HNSW cosine graph", "facility_location/hnsw", checks="fixed")],
                  counters=["recall"]),
            Table("probcover/exact", "ProbCover with the exact ball graph",
                  [Row("probcover on an HNSW graph", "probcover/hnsw", checks="fixed")]),
            Table("typiclust/exact", "TypiClust with the exact typicality per cluster",
                  [Row("typiclust on an HNSW graph of 2 k", "typiclust/hnsw", checks="fixed")]),
            Table("contrastive/exact", "CAL with the exact search over the labeled rows",
                  [Row("contrastive_score on an HNSW graph", "contrastive/hnsw", checks="fixed")])]),
    Family("bench_batch_bald", "BatchBALD",
           "Default options (lazy greedy, checks on), disagreement-2 synthetic stacks; exact joint up to C "
           "configurations, then M sampled. `reference/before` (the implementation before the GEMM + lazy "
           "rewrite) runs on the double pool only.",
           [Table("reference/bald_top_k", "bald() + top_k: the batch that ignores the joint",
                  [Row("batch_bald (lazy)", "batch_bald/lazy", checks="optional"),
                   Row("batch_bald (full)", "batch_bald/full", checks="variant", note="lazy = false")],
                  extra_refs=[("reference/before", "the implementation before the GEMM + lazy rewrite")],
                  counters=["s_per_pick", "evaluated", "bounded", "decided"])]),
    Family("bench_k_center", "Greedy k-center",
           "Clustered synthetic embeddings, float. Checked = the default call (one finite-check pass over X first); "
           "unchecked = the pruned algorithm with checks off.",
           [Table("k_center/naive", "the naive algorithm (every point's distance to every new center), checks off",
                  [Row("k_center_greedy", "k_center/checked", "k_center/pruned")],
                  extra_refs=[("reference/read", "one read of X (its sum): the price of one naive pick")],
                  counters=["s_per_pick", "distances"])]),
    Family("bench_badge", "BADGE and k-means++",
           "The implicit gradient-embedding distances; checked = `badge/default` (default options), unchecked = "
           "`badge/implicit` (checks off). The large pool (K = 1000, d = 2048) has no explicit reference: its "
           "embeddings would need `explicit_GB` of memory.",
           [Table("reference/unpruned", "the same call with pruning off (every distance at every pick), checks off",
                  [Row("badge", "badge/default", "badge/implicit")],
                  extra_refs=[("reference/explicit", "materialised gradient embeddings + k-means++")],
                  counters=["skipped", "extra_MB", "explicit_GB"]),
            Table("reference/kmeans_pp_unpruned", "k-means++ with pruning off, checks off",
                  [Row("kmeans_pp", None, "kmeans_pp")], counters=["skipped"])]),
    Family("bench_cluster", "Clustering and density",
           "Clustered synthetic embeddings X (N x d), float.",
           [Table("reference/read", "one read of X (its sum)",
                  [Row("information_density", "information_density", "information_density/unchecked"),
                   Row("kmeans (10 iterations)", "kmeans")],
                  extra_refs=[("reference/read_twice", "X read forward then backward: the floor of two passes"),
                              ("reference/eigen_product", "Eigen's X v, the product of the second pass")],
                  counters=["iterations"]),
            Table("reference/prefilter_top_k", "top_k of the beta b prefilter alone",
                  [Row("cluster_select", "cluster_select")])]),
    Family("bench_facility_location", "Facility location",
           "Clustered synthetic embeddings. The pool variants (lazy, tiled, sparse, stochastic) run with checks off; "
           "sparse and stochastic make different picks.",
           [Table("reference/scalar_gain_loop", "the scalar sequential double loop the gain loop replaced",
                  [Row("gain loop", "gain_loop", checks="none")], counters=["items_per_second"]),
            Table("reference/eigen_product", "Eigen's product of the same rows with the pool",
                  [Row("similarity rows", "similarity_rows", checks="none")], counters=["items_per_second"]),
            Table("reference/x_xt_product", "the bare X X^T product the default call must at least pay for",
                  [Row("facility_location (default call)", "facility_location/default",
                       "facility_location/default_unchecked")], counters=["gains"]),
            Table("reference/plain_greedy", "plain greedy (lazy = false), checks off",
                  [Row("lazy", None, "facility_location/lazy", checks="variant"),
                   Row("lazy, 64 MB bound", None, "facility_location/lazy_tiled_64MB", checks="variant"),
                   Row("sparse k-NN", None, "facility_location/sparse_k:*", checks="variant"),
                   Row("stochastic", None, "facility_location/stochastic", checks="variant")], counters=["gains"])]),
    Family("bench_strategies", "Strategies",
           "Scores are uniform floats; embeddings clustered synthetic, float. Checked = the default call.",
           [Table("reference/top_k", "top_k on the same scores (one streaming pass)",
                  [Row("stochastic_batch power", "stochastic_batch/power", "stochastic_batch/power/unchecked"),
                   Row("stochastic_batch softmax", "stochastic_batch/softmax", "stochastic_batch/softmax/unchecked"),
                   Row("stochastic_batch soft_rank", "stochastic_batch/soft_rank",
                       "stochastic_batch/soft_rank/unchecked"),
                   Row("cluster_margin", "cluster_margin", checks="fixed")]),
            Table("reference/kmeans", "kmeans alone with the same cluster count (2 b)",
                  [Row("typiclust", "typiclust", "typiclust/unchecked")]),
            Table("reference/gram", "the bare Gram product X X^T (the dense graph's floor)",
                  [Row("probcover", "probcover", "probcover/unchecked"),
                   Row("probcover_delta", "probcover_delta")], counters=["coverage", "delta"]),
            Table("reference/agglomerative_naive", "the naive O(N^3) greedy (options.naive)",
                  [Row("agglomerative_clustering", "agglomerative_clustering")], counters=["clusters"])]),
    Family("bench_toolbox", "The rest of the toolbox",
           "Float, row-major. `egl` (bare name) runs with checks off, `egl/checked` is the default call.",
           [Table("reference/read_P_H", "one read of P and H", [Row("egl", "egl/checked", "egl")]),
            Table("reference/read_P_G", "one read of P and G", [Row("egl_from_norms", None, "egl_from_norms")]),
            Table("reference/read_labels", "one read of the labels",
                  [Row("LabelDispersion::observe", "label_dispersion/observe", checks="fixed"),
                   Row("LabelDispersion::scores", "label_dispersion/scores", checks="none")]),
            Table("reference/read_flags", "one read of the flags",
                  [Row("ForgettingEvents::observe", "forgetting_events/observe", checks="fixed")]),
            Table("reference/entropy", "entropy alone, checks off",
                  [Row("ceal_pseudo_labels", None, "ceal_pseudo_labels")]),
            Table("reference/read_two_vectors", "one read of both score vectors",
                  [Row("ranking_loss", "ranking_loss", checks="fixed")]),
            Table("reference/top_k", "top_k on the same scores",
                  [Row("discriminator_select", "discriminator_select", checks="fixed")]),
            Table("reference/sort_one_score", "one std::sort of the scores",
                  [Row("rank_combine (two scores)", "rank_combine/two_scores", checks="fixed")]),
            Table("reference/tiled_products", "the tiled matrix products alone (the floor of an exact kNN)",
                  [Row("nearest_neighbors", "nearest_neighbors"),
                   Row("contrastive_score (CAL)", None, "contrastive_score")])]),
]


# ---------------------------------------------------------------------------------------------
# Benchmark names and JSON


def parse_name(name):
    """'margin/checked/float/row/n:1000/k:10' -> ('margin/checked', {'scalar': 'float', ...})."""
    fn, params = [], {}
    for token in name.split("/"):
        key, sep, value = token.partition(":")
        if token in RUN_TOKENS or (sep and key in RUN_KEYS):
            continue
        if sep and key in PARAM_KEYS:
            params[key] = value
        elif token in BARE_PARAMS:
            params[BARE_PARAMS[token]] = token
        else:
            fn.append(token)
    return "/".join(fn), params


class Result:
    def __init__(self, entry, binary, order):
        self.name = entry.get("run_name") or entry["name"]
        self.fn, self.params = parse_name(self.name)
        self.binary, self.order = binary, order
        self.error = entry.get("error_message") if entry.get("error_occurred") else None
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry.get("time_unit", "ns")]
        self.seconds = float(entry["real_time"]) * scale if "real_time" in entry else None
        skip = {"name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
                "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
                "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label"}
        self.counters = {k: v for k, v in entry.items() if k not in skip and isinstance(v, (int, float))}
        self.iterations = entry.get("iterations")
        self.used = False


def read_json(path):
    """Google Benchmark's JSON; a file cut short (the binary crashed or was killed) keeps the
    benchmarks it finished."""
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text)
    except ValueError:
        cut = text.rfind("\n    }")
        if cut < 0:
            raise
        return json.loads(text[:cut + 6] + "\n  ]\n}")


def load_results(paths_by_binary):
    """{binary: [json paths]} -> {binary: [Result]} (medians when the runs were repeated; the first of
    two results with the same name wins, so repeated invocations may share a benchmark)."""
    out = {}
    for binary, paths in paths_by_binary.items():
        seen, results = set(), []
        for path in paths:
            data = read_json(path)
            entries = data.get("benchmarks", [])
            medians = [e for e in entries if e.get("run_type") == "aggregate" and e.get("aggregate_name") == "median"]
            for e in medians or [e for e in entries if e.get("run_type", "iteration") == "iteration"]:
                r = Result(e, binary, len(results))
                if r.name not in seen:
                    seen.add(r.name)
                    results.append(r)
        out[binary] = results
    return out


# ---------------------------------------------------------------------------------------------
# Formatting


def sig3(v):
    """About three significant digits, never an exponent: 0.0123, 1.23, 12.3, 123, 1234."""
    a = abs(v)
    if a >= 100 or a == 0:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def fmt_time(s):
    if s is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            return "%s %s" % (sig3(s / scale), unit)
    return "—"


def fmt_ratio(x):
    if x is None:
        return "—"
    return ("%.2f" % x if x < 10 else "%.1f" % x if x < 100 else "%.0f" % x) + "x"


def fmt_number(v):
    v = float(v)
    for suffix, scale in ((" G", 1e9), (" M", 1e6)):
        if abs(v) >= scale:
            return sig3(v / scale) + suffix
    if v == int(v):
        return "{:,}".format(int(v))
    return sig3(v)


def fmt_counter(name, v):
    if name == "items_per_second":
        return "%s G items/s" % sig3(v / 1e9)
    if name == "bytes_per_second":
        return "%s GB/s" % sig3(v / 1e9)
    if name == "skipped":
        return "skipped %.0f%%" % (100 * v)
    if name == "s_per_pick":
        return "%s per pick" % fmt_time(v)
    return "%s %s" % (name, fmt_number(v))


def fmt_params(params):
    words = []
    for key in ("scalar", "storage", "layout"):
        if key in params:
            words.append(LAYOUT_TEXT.get(params[key], params[key]))
    for key, value in params.items():
        if key in ("scalar", "storage", "layout"):
            continue
        try:
            value = "{:,}".format(int(value))
        except ValueError:
            pass
        words.append("%s=%s" % (key, value))
    return " ".join(words)


def cell(text):
    return str(text).replace("|", "\\|")


def markdown_table(header, rows, align):
    """align: 'l' or 'r' per column. Drops columns other than the first that are empty ('—' or '')
    in every row."""
    keep = [i for i in range(len(header)) if i == 0 or any(r[i] not in ("", "—") for r in rows)]
    lines = ["| " + " | ".join(cell(header[i]) for i in keep) + " |",
             "|" + "|".join("---:" if align[i] == "r" else "---" for i in keep) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(cell(r[i]) for i in keep) + " |")
    return lines


# ---------------------------------------------------------------------------------------------
# Tables


def matches(pattern, fn):
    return pattern is not None and fnmatch.fnmatchcase(fn, pattern)


def find_reference(results, name, params, ignore):
    """The result named `name` whose parameters agree with `params` on every shared key (keys in
    `ignore` aside) and share the most keys with it; None when there is none."""
    best, best_shared = None, -1
    for r in results:
        if r.fn != name:
            continue
        shared = [k for k in r.params if k in params and k not in ignore]
        if any(r.params[k] != params[k] for k in shared):
            continue
        if len(shared) > best_shared:
            best, best_shared = r, len(shared)
    return best


def time_cell(r):
    if r is None:
        return "—"
    return "error: " + r.error if r.error else fmt_time(r.seconds)


def seconds(r):
    return None if r is None or r.error or not r.seconds else r.seconds


def ratio(a, b):
    a, b = seconds(a), seconds(b)
    return None if a is None or b is None else a / b


class Instance:
    """One row of a rendered table: a Row at one size."""

    def __init__(self, row, params, fn_tail):
        self.row, self.params, self.fn_tail = row, params, fn_tail
        self.checked = self.unchecked = self.interleaved = self.ref = None
        self.extra = []
        self.order = 0


def instances_of(table, results):
    out = []
    for row in table.rows:
        by_key = {}
        for r in results:
            for slot in ("checked", "unchecked", "interleaved"):
                pattern = getattr(row, slot)
                if not matches(pattern, r.fn):
                    continue
                tail = r.fn if "*" in pattern else ""
                key = (tuple(sorted(r.params.items())), tail)
                inst = by_key.get(key)
                if inst is None:
                    inst = by_key[key] = Instance(row, r.params, tail)
                    inst.order = r.order
                setattr(inst, slot, r)
                r.used = True
        for inst in by_key.values():
            inst.ref = find_reference(results, table.ref, inst.params, table.ignore)
            inst.extra = [find_reference(results, name, inst.params, table.ignore) for name, _ in table.extra_refs]
            for r in [inst.ref] + inst.extra:
                if r is not None:
                    r.used = True
            out.append(inst)
    out.sort(key=lambda i: i.order)
    return out


def render_table(table, insts):
    ref = "`%s`" % table.ref
    header = ["function", "size", "checked ÷ ref", "unchecked ÷ ref", "checked ÷ unchecked",
              "checked ÷ unchecked, interleaved"]
    header += ["÷ `%s`" % name for name, _ in table.extra_refs]
    header += ["checked (default call)", "unchecked", "ref: " + ref]
    header += ["`%s`" % name for name, _ in table.extra_refs]
    header += ["notes"]
    align = ["l", "l"] + ["r"] * (4 + 2 * len(table.extra_refs) + 3) + ["l"]
    rows = []
    for i in insts:
        main = i.checked or i.unchecked
        inter = "—"
        if i.interleaved is not None:
            c = i.interleaved.counters
            if i.interleaved.error:
                inter = "error: " + i.interleaved.error
            elif "paired_median" in c:
                inter = "%.2f (%.2f)" % (c["paired_median"], c.get("checked_over_unchecked", float("nan")))
        notes = []
        if i.row.note:
            notes.append(i.row.note)
        for name in table.counters:
            source = next((r for r in (i.checked, i.unchecked) if r is not None and name in r.counters), None)
            if source is not None:
                value = source.counters[name]
                text = fmt_counter(name, value)
                if i.ref is not None and name in i.ref.counters and i.ref.counters[name] != value:
                    text += " (ref: %s)" % fmt_counter(name, i.ref.counters[name])
                notes.append(text)
        label = i.row.label + (" (`%s`)" % i.fn_tail.split("/")[-1] if i.fn_tail else "")
        row = [label, fmt_params(i.params), fmt_ratio(ratio(i.checked, i.ref)), fmt_ratio(ratio(i.unchecked, i.ref)),
               fmt_ratio(ratio(i.checked, i.unchecked)), inter]
        row += [fmt_ratio(ratio(main, e)) for e in i.extra]
        row += [time_cell(i.checked), time_cell(i.unchecked), time_cell(i.ref)]
        row += [time_cell(e) for e in i.extra]
        row += ["; ".join(notes)]
        rows.append(row)
    lines = ["Reference: %s, %s." % (ref, table.ref_text)]
    for name, text in table.extra_refs:
        lines[-1] += " Also `%s`: %s." % (name, text)
    lines.append("")
    return lines + markdown_table(header, rows, align)


def coverage(family, table, insts, gaps):
    """Records rows without a reference, a checked or an unchecked variant, and rows not run:
    gaps[what][binary] = [row labels]."""
    def add(what, label):
        labels = gaps[what].setdefault(family.binary, [])
        if label not in labels:
            labels.append(label)

    for row in table.rows:
        mine = [i for i in insts if i.row is row]
        if not mine:
            add("not run with these flags", row.label)
            continue
        missing = [i for i in mine if i.ref is None]
        if missing:
            add("no reference in the same run", "%s (`%s` at %s)" % (
                row.label, table.ref, ", ".join(fmt_params(i.params) for i in missing)))
        if row.checks == "optional":
            if any(i.unchecked is None for i in mine):
                add("no unchecked row, though the function takes CheckOptions", row.label)
            if any(i.checked is None for i in mine):
                add("no checked row (only checks.values = false is timed)", row.label)
        elif row.checks == "fixed":
            add("no unchecked row: its value checks cannot be turned off", row.label)


# ---------------------------------------------------------------------------------------------
# The machine, the build and the runs


def run_text(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def cpu_info():
    model, count, flags = "unknown", 0, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "processor":
                    count += 1
                elif key == "model name" and model == "unknown":
                    model = value
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    simd = [name for flag, name in (("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F")) if flag in flags]
    return model, count or os.cpu_count() or 0, simd


def cmake_cache(build):
    """CMake variables of the build tree that holds `build` (<build>/../CMakeCache.txt, or <build>'s own)."""
    values = {}
    for path in (os.path.normpath(os.path.join(build, os.pardir, "CMakeCache.txt")),
                 os.path.join(build, "CMakeCache.txt")):
        if os.path.isfile(path):
            with open(path) as f:
                for line in f:
                    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):[A-Z]+=(.*)$", line.rstrip("\n"))
                    if m:
                        values[m.group(1)] = m.group(2)
            values["_path"] = os.path.normpath(path)
            break
    return values


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def run_binary(path, flags, out_json, env):
    """One invocation; returns (seconds, error text or None)."""
    cmd = [path] + flags + ["--benchmark_format=json", "--benchmark_out=" + out_json, "--benchmark_out_format=json"]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - start
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        return took, "exit status %d%s" % (proc.returncode, ": " + tail if tail else "")
    if not os.path.isfile(out_json):
        return took, "no JSON written"
    return took, None


def invocations(binary, smoke, repetitions):
    extra = []
    if repetitions > 1:
        extra = ["--benchmark_repetitions=%d" % repetitions, "--benchmark_report_aggregates_only=true"]
    if smoke:
        return [["--smoke=1", "--benchmark_min_time=" + SMOKE_MIN_TIME] + extra]
    return [flags + extra for flags in SIZES[binary]]


# ---------------------------------------------------------------------------------------------
# The page


def fmt_bytes(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return "%g %s" % (round(n / scale, 1), unit)
    return "%d B" % n


def caches_text(context):
    out = []
    for c in context.get("caches", []):
        if c.get("type") == "Instruction":
            continue
        text = "L%s%s %s" % (c.get("level", "?"), "d" if c.get("type") == "Data" else "", fmt_bytes(c.get("size", 0)))
        if c.get("num_sharing", 1) > 1:
            text += " (shared by %d)" % c["num_sharing"]
        out.append(text)
    return ", ".join(out)


def header_lines(args, build, runs, started, finished, load_start, load_end, context):
    model, cores, simd = cpu_info()
    cache = cmake_cache(build)
    compiler = cache.get("CMAKE_CXX_COMPILER", "unknown (no CMakeCache.txt next to the build)")
    version = run_text([compiler, "--version"]).splitlines()[:1] if "CMAKE_CXX_COMPILER" in cache else []
    build_type = cache.get("CMAKE_BUILD_TYPE", "")
    flags = ["CMAKE_BUILD_TYPE=%s" % (build_type or "(none)"), "CMAKE_CXX_FLAGS=\"%s\"" % cache.get("CMAKE_CXX_FLAGS", "")]
    if build_type:
        key = "CMAKE_CXX_FLAGS_" + build_type.upper()
        flags.append("%s=\"%s\"" % (key, cache.get(key, "")))
    if cache.get("ACQUIRE_USE_OPENMP", "").upper() in ("ON", "TRUE", "1") and cache.get("OpenMP_CXX_FLAGS"):
        flags.append("OpenMP (%s)" % cache["OpenMP_CXX_FLAGS"])
    commit = run_text(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT) or "unknown"
    if run_text(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md"], cwd=ROOT):
        commit += " (with uncommitted changes)"
    source = cache.get("CMAKE_HOME_DIRECTORY")
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    took = int(round(finished - started))
    lines = ["# Benchmarks", "",
             "<!-- Generated by bench/tables.py; do not edit by hand. -->", ""]
    if args.smoke:
        lines += ["**Smoke run** (`--smoke`): every binary at its `--smoke=1` sizes with `--benchmark_min_time=%s`. "
                  "It checks that the script and the binaries work; the times below are not measurements." %
                  SMOKE_MIN_TIME, ""]
    if args.only:
        lines += ["**Partial run** (`--only %s`): the other families were not run." % ",".join(args.only), ""]
    lines += ["Every figure on this page comes from one run of `%s` on the machine below, from Google "
              "Benchmark's JSON output." % " ".join(["bench/tables.py"] + args.argv), "",
              "- CPU: %s, %d logical cores%s%s%s" % (
                  model, cores, " (%s)" % ", ".join(simd) if simd else "",
                  ", %s MHz" % context["mhz_per_cpu"] if context.get("mhz_per_cpu") else "",
                  "; caches " + caches_text(context) if caches_text(context) else ""),
              "- compiler: %s%s" % (compiler, " (%s)" % version[0] if version else ""),
              "- flags: %s" % ", ".join(flags),
              "- threads: OMP_NUM_THREADS=%s%s" % (threads, " (single-threaded)" if threads == "1" else ""),
              "- repetitions: %s" % ("%d per benchmark; the tables show medians" % args.repetitions
                                     if args.repetitions > 1 else "1 (Google Benchmark's own iteration count)"),
              "- Google Benchmark library: %s build (as it reports itself)" % context.get("library_build_type", "unknown"),
              "- date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "- commit: %s of %s" % (commit, ROOT)
              + (" (build configured from %s)" % source
                 if source and os.path.realpath(source) != os.path.realpath(ROOT) else ""),
              "- binaries: %s" % os.path.normpath(build),
              "- load average (1, 5, 15 min): %s at the start, %s at the end; whole run %d min %02d s" %
              (load_start, load_end, took // 60, took % 60), ""]
    lines += ["How to read the tables: every row is timed beside a reference measured by the same binary in the "
              "same process, named in the table's header. `checked ÷ ref` and `unchecked ÷ ref` divide the row's "
              "time by the reference's (below 1: faster than the reference). *Checked* is the default call "
              "(value checks on; for functions without value checks, simply the call); *unchecked* sets "
              "`checks.values = false`. `checked ÷ unchecked` divides two separate benchmarks; where the binary "
              "also alternates the two calls in every iteration (`interleaved/<scorer>`), the next column gives "
              "that run's median of per-round ratios and, in brackets, best time over best time, which a busy "
              "machine disturbs less. A `÷ <reference>` column divides the checked time (the unchecked one when "
              "there is no checked row) by a second reference. Times are wall-clock per call (`real_time`); "
              "a dash is a variant the binary does not time.", ""]
    lines += ["## Sizes", "",
              "The sizes each `bench/bench_*.cpp` states as its defaults (the `SIZES` table in bench/tables.py)%s." %
              (", replaced by each binary's `--smoke=1` sizes in this run" if args.smoke else ""), ""]
    table = []
    for binary, info in runs.items():
        for flags, took, error, load in info:
            status = ("not run: " + error if error and took is None else
                      "failed after %.1f s: %s" % (took, error) if error else
                      "%.1f s" % took if took < 10 else "%d min %02d s" % (took // 60, took % 60))
            table.append(["`%s`" % binary, "`%s`" % " ".join(flags) if flags else "—", status, load or "—"])
    lines += markdown_table(["binary", "flags", "wall time", "load average at start"], table, ["l", "l", "r", "r"])
    notes = [(b, t) for b, t in REDUCED.items() if b in runs and not args.smoke]
    if notes:
        lines += [""] + ["- `%s`: %s." % (b, t) for b, t in notes]
    return lines + [""]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"),
                        help="directory holding the bench_* binaries (default: build/release/bench)")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"),
                        help="page to write (default: docs/benchmarks.md)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes (--smoke=1) and --benchmark_min_time=%s: checks the script, times nothing"
                             % SMOKE_MIN_TIME)
    parser.add_argument("--only", type=lambda s: [x.strip() for x in s.split(",") if x.strip()], default=None,
                        help="comma-separated binaries to run (default: all); the page says it is partial")
    parser.add_argument("--repetitions", type=int, default=1,
                        help="--benchmark_repetitions; the tables then show medians (default 1)")
    parser.add_argument("--list", action="store_true", help="print the commands it would run and exit")
    parser.add_argument("--json-dir", default=None, help="keep each run's JSON here (default: a temporary directory)")
    args = parser.parse_args(argv)
    args.argv = argv
    binaries = list(SIZES)
    if args.only:
        unknown = [b for b in args.only if b not in SIZES]
        if unknown:
            parser.error("unknown binaries: %s (known: %s)" % (", ".join(unknown), ", ".join(SIZES)))
        binaries = [b for b in binaries if b in args.only]

    if args.list:
        for binary in binaries:
            for flags in invocations(binary, args.smoke, args.repetitions):
                print(" ".join([os.path.join(args.build, binary)] + flags +
                               ["--benchmark_format=json", "--benchmark_out=<json>"]))
        return 0

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    os.environ["OMP_NUM_THREADS"] = env["OMP_NUM_THREADS"]
    json_dir = args.json_dir or tempfile.mkdtemp(prefix="acquire_bench_")
    os.makedirs(json_dir, exist_ok=True)
    started, load_start = time.monotonic(), load_average()
    runs, paths, failed, context = {}, {}, {}, {}
    try:
        for binary in binaries:
            path = os.path.join(args.build, binary)
            runs[binary], paths[binary] = [], []
            if not os.access(path, os.X_OK):
                runs[binary].append(([], None, "%s not found" % path, None))
                failed[binary] = "not built (%s missing)" % path
                print("tables.py: %s: not found" % path, file=sys.stderr)
                continue
            for n, flags in enumerate(invocations(binary, args.smoke, args.repetitions)):
                out_json = os.path.join(json_dir, "%s.%d.json" % (binary, n))
                if os.path.exists(out_json):
                    os.remove(out_json)
                print("tables.py: %s %s" % (binary, " ".join(flags)), file=sys.stderr, flush=True)
                took, error = run_binary(path, flags, out_json, env)
                load = None
                if os.path.isfile(out_json):
                    try:
                        this = read_json(out_json).get("context", {})
                        context = context or this
                        load = " ".join("%.2f" % x for x in this.get("load_avg", [])) or None
                        paths[binary].append(out_json)
                    except (OSError, ValueError) as e:
                        error = (error + "; " if error else "") + "unreadable JSON (%s)" % e
                runs[binary].append((flags, took, error, load))
                print("tables.py:   %.1f s%s" % (took, ", " + error if error else ""), file=sys.stderr, flush=True)
                if error:
                    failed[binary] = error
        finished, load_end = time.monotonic(), load_average()
        results = load_results(paths)
    finally:
        if not args.json_dir:
            shutil.rmtree(json_dir, ignore_errors=True)

    lines = header_lines(args, args.build, runs, started, finished, load_start, load_end, context)
    gaps = collections.defaultdict(dict)
    for family in FAMILIES:
        if family.binary not in binaries:
            continue
        lines += ["## %s (`%s`)" % (family.title, family.binary), "", family.text, ""]
        if family.binary in failed:
            why = failed[family.binary]
            lines += ["**%s.**" % (why[:1].upper() + why[1:]), ""]
        mine = results.get(family.binary, [])
        for table in family.tables:
            insts = instances_of(table, mine)
            if mine:
                coverage(family, table, insts, gaps)
            if insts:
                lines += render_table(table, insts) + [""]
        other = [r for r in mine if not r.used]
        if other:
            lines += ["Other benchmarks of this binary (no table row):", ""]
            lines += markdown_table(["benchmark", "time"], [["`%s`" % r.name, time_cell(r)] for r in other], ["l", "r"])
            lines += [""]
    if gaps:
        lines += ["## Rows without a reference or a variant", "",
                  "Computed from the runs above: what a table could not show.", ""]
        for what, by_binary in gaps.items():
            lines += ["- %s:" % (what[:1].upper() + what[1:])]
            lines += ["  - `%s`: %s" % (b, ", ".join(labels)) for b, labels in by_binary.items()]
        lines += [""]
    lines += ["Generated by bench/tables.py; do not edit by hand.", ""]

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, out)
    print("tables.py: wrote %s" % out, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
