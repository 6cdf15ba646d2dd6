#!/usr/bin/env python3
"""Runs the large-pool neighbour runs (bench/scale_neighbors.cpp), one process each, and writes
docs/scale.md.

    /usr/bin/python3 bench/scale_neighbors.py                  # the 10^4-3 x 10^6 runs (about 80 min on 2 cores)
    /usr/bin/python3 bench/scale_neighbors.py --huge           # and the 10^7 ones (hours)
    /usr/bin/python3 bench/scale_neighbors.py --quick --out /tmp/s.md   # tiny pools: checks the script
    /usr/bin/python3 bench/scale_neighbors.py --huge --cached   # the page from finished runs only

Each run is its own process, so its peak resident memory (getrusage) is its own; threads are the
machine's (OMP_NUM_THREADS unless set). Each finished run's record is kept in
bench/results/scale_neighbors.jsonl, in the repository, so the page can be written again (and a run
added to it) on a fresh clone without the hours of runs behind it; --quick keeps its records in the
build directory. docs/scale.md is generated, never hand-edited. Standard library only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_NAME = "scale_neighbors.jsonl"

# Graph settings of the recall study (below): the defaults, then graphs of lower recall.
RECALL_STUDY = [[], ["--ef_search=21"], ["--M=8", "--ef_construction=32", "--ef_search=21"],
                ["--M=6", "--ef_construction=40", "--ef_search=21"], ["--M=6", "--ef_construction=24", "--ef_search=21"]]

# (task, flags): the protocol, fixed before the runs. Synthetic pools are d = 64 float, 100
# clusters; k = 20 everywhere except CAL (10 labeled neighbours) and TypiClust (a graph of 40 for
# its 20 in-cluster neighbours); b = 1000 for facility location, 100 for the low-budget
# selectors (ProbCover, TypiClust).
RUNS = [
    ("recall", ["--n=10000"]),
    ("recall", ["--n=100000"]),
    ("recall", ["--n=1000000"]),
    # Past 10^6 the default is one index per 500,000 rows; 2 is the faster graph.
    ("recall", ["--n=3000000"]),
    ("recall", ["--n=3000000", "--shards=2"]),  # the growth towards 10^7
    # How the build is done, at ef 42 (queries cheaper than the default's, the same for all three).
    ("recall", ["--n=1000000", "--ef_search=42"]),
    ("recall", ["--n=1000000", "--ef_search=42", "--shards=1"]),
    ("recall", ["--n=1000000", "--ef_search=42", "--shards=1", "--parallel_build=1"]),
    ("recall", ["--data=fashion", "--n=70000"]),
    # One build each, the sampled rows queried at several ef_search: what ef a pool size needs.
    ("sweep", ["--n=1000000", "--sample=1000"]),
    ("sweep", ["--n=3000000", "--sample=1000", "--shards=2"]),
    # Indexes of 500,000 rows, as at 10^6, and more of them: each row queried in all six.
    ("sweep", ["--n=3000000", "--sample=1000", "--shards=6", "--efs=42,64,100,160,256"]),
    # The graph without refinement, then rounds of neighbour-of-neighbour refinement on it.
    ("refine", ["--n=1000000", "--sample=1000", "--ef_search=42", "--rounds=2"]),
    ("refine", ["--n=3000000", "--sample=1000", "--rounds=2", "--shards=2"]),
    # faiss's graphs of the same pool (its HNSW at the same settings, and IVF), beside ours made in
    # the same session: the other library a user could hand a graph in from.
    ("faiss", ["--n=100000", "--index=acquire"]),
    ("faiss", ["--n=100000", "--index=hnsw"]),
    ("faiss", ["--n=100000", "--index=ivf", "--nprobe=16"]),
    ("faiss", ["--n=1000000", "--index=acquire"]),
    ("faiss", ["--n=1000000", "--index=hnsw"]),
    ("faiss", ["--n=1000000", "--index=ivf", "--nprobe=16"]),
] + [
    # Does recall change the picks? At 10^5, where the exact graph is affordable, the default
    # graph and graphs made worse on purpose (fewer links, smaller ef) to span the recall the
    # defaults give from 10^6 to 10^7; each selector's picks on them against its picks on the
    # exact graph.
    (task, flags + graph) for graph in RECALL_STUDY
    for task, flags in [("facility", ["--n=100000", "--b=1000", "--compare=1"]),
                        ("typiclust", ["--n=100000", "--b=100", "--k=40", "--compare=1"])]
] + [
    ("facility", ["--n=1000000", "--b=1000"]),
    ("probcover", ["--n=100000", "--b=100"]),
    ("probcover", ["--n=1000000", "--b=100"]),
    ("typiclust", ["--n=1000000", "--b=100", "--k=40"]),
    ("cal", ["--n=1000000"]),
]
# N = 10^7 (2.6 GB of floats): hours of single-threaded insertion on this machine; --huge adds them.
HUGE = [
    ("sweep", ["--n=10000000", "--sample=1000", "--efs=100,160,256,400,640", "--shards=2"]),
    ("sweep", ["--n=10000000", "--sample=1000", "--shards=20", "--efs=42,64,100,160,256"]),
    ("facility", ["--n=10000000", "--b=1000", "--sample=500", "--shards=2"]),
    ("typiclust", ["--n=10000000", "--b=100", "--k=40", "--sample=500", "--shards=2"]),
    ("refine", ["--n=10000000", "--sample=1000", "--rounds=2", "--shards=2"]),
]
QUICK = [
    ("recall", ["--n=3000"]),
    ("recall", ["--n=3000", "--shards=1", "--parallel_build=1"]),
    ("recall", ["--data=fashion", "--n=2000"]),
    ("sweep", ["--n=3000", "--sample=200", "--efs=10,100"]),
    ("refine", ["--n=3000", "--sample=200", "--ef_search=21", "--rounds=2"]),
    ("faiss", ["--n=3000", "--index=acquire"]),
    ("faiss", ["--n=3000", "--index=hnsw"]),
    ("faiss", ["--n=3000", "--index=ivf", "--nprobe=8"]),
    ("facility", ["--n=3000", "--b=50", "--compare=1"]),
    ("probcover", ["--n=3000", "--b=20"]),
    ("typiclust", ["--n=3000", "--b=20", "--k=40", "--compare=1"]),
    ("facility", ["--n=3000", "--b=50", "--compare=1", "--M=4", "--ef_construction=12", "--ef_search=21"]),
    ("typiclust", ["--n=3000", "--b=20", "--k=40", "--compare=1", "--M=4", "--ef_construction=12", "--ef_search=21"]),
    ("cal", ["--n=3000"]),
]


def key_of(task, flags):
    """A run's name in the cache and on the page."""
    return " ".join([task] + flags)


def machine():
    """The processor's name and the threads a run gets."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return cpu, int(os.environ.get("OMP_NUM_THREADS", 0) or os.cpu_count() or 0)


def run(binary, task, flags, cache):
    key = key_of(task, flags)
    if key in cache:
        print("scale_neighbors.py: %s (from %s)" % (key, CACHE_NAME), file=sys.stderr, flush=True)
        return cache[key]
    cmd = [binary, "--task=" + task] + flags
    print("scale_neighbors.py: " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode == 77:  # the binary was built without what the task needs
        print(out.stderr, file=sys.stderr)
        return {"task": task, "flags": " ".join(flags), "skipped": out.stderr.strip().splitlines()[-1], "wall_s": took}
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return {"task": task, "flags": " ".join(flags), "error": "exit %d" % out.returncode, "wall_s": took}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = took
    result["cpu"], result["threads"] = machine()
    result["key"] = key
    result["commit"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                      text=True).stdout.strip()
    print("scale_neighbors.py:   %.0f s" % took, file=sys.stderr, flush=True)
    return result


def fmt_s(x):
    return "—" if x is None else ("%.1f s" % x if x < 100 else "%.0f s (%.1f min)" % (x, x / 60))


def fmt_n(n):
    return "{:,}".format(n)


def graph_flags(r):
    """The flags of a run that change its HNSW graph's settings (the recall study's)."""
    return [f for f in r.get("key", "").split()[1:] if f.split("=")[0] in ("--M", "--ef_construction", "--ef_search")]


def table(results):
    lines = []
    rec = [r for r in results if r.get("task") == "recall" and "error" not in r]
    lines += ["## Recall of the HNSW graph", "",
              "recall\\@k of `hnsw::knn_graph(X, k)` (default options unless stated: M = 16, ef_construction = 100, "
              "ef = max(2 (k + 1), 100), shards = 0: two indexes up to 10^6 rows, one per 500,000 beyond) against the "
              "exact k nearest of sampled rows (`nearest_neighbors` of the sample over every row), with the graph's "
              "time (the indexes built side by side, each inserting in index order, then every row queried in "
              "each, in parallel) and the run's peak memory.", "",
              "| pool | N | d | k | build | recall\\@k | peak memory |", "|---|---|---|---|---|---|---|"]
    for r in rec:
        pool = "Fashion-MNIST pixels" if r["data"] == "fashion" else "clustered synthetic"
        how = ["one index" if r.get("shards", 2) == 1 else "%d shards" % r.get("shards", 2)]
        if "--ef_search=" in r.get("key", ""):
            how.append("ef " + r["key"].split("--ef_search=")[1].split()[0])
        if r["parallel_build"]:
            how.append("parallel insertion, not reproducible")
        build = fmt_s(r["graph_s"]) + " (" + ", ".join(how) + ")"
        lines.append("| %s | %s | %d | %d | %s | %.4f | %.0f MB |" % (
            pool, fmt_n(r["n"]), r["d"], r["k"], build, r["recall"], r["peak_mb"]))
    lines.append("")
    sweeps = [r for r in results if r.get("task") == "sweep" and "error" not in r]
    if sweeps:
        efs = sorted(set(e["ef"] for r in sweeps for e in r["sweep"]))
        lines += ["## Recall against ef_search", "",
                  "The indexes (2 shards, M = 16 and ef_construction = 100 unless stated) built once, then %d sampled rows "
                  "queried at each `ef_search`, as `hnsw::knn_graph` queries them: recall\\@%d, and in brackets "
                  "microseconds per row on one thread in sample order (colder than the graph's breadth-first "
                  "order, so read the ratios between columns). Build: the indexes' insertions alone (two at a time); the "
                  "full graph adds N such queries in each index." % (sweeps[0]["sample"], sweeps[0]["k"]), "",
                  "| N | index | build | " + " | ".join("ef %d" % e for e in efs) + " |",
                  "|---|---|---|" + "---|" * len(efs)]
        for r in sweeps:
            at = {e["ef"]: e for e in r["sweep"]}
            index = "%d shards, M %d, ef_construction %d" % (r["shards"], r.get("M", 16), r.get("ef_construction", 100))
            lines.append("| %s | %s | %s | %s |" % (fmt_n(r["n"]), index, fmt_s(r["graph_s"]), " | ".join(
                "%.4f (%.0f us)" % (at[e]["recall"], at[e]["query_us"]) if e in at else "—" for e in efs)))
        lines.append("")
    refined = [r for r in results if r.get("task") == "refine" and "error" not in r]
    if refined:
        rounds = max(len(r["rounds"]) - 1 for r in refined)
        lines += ["## Refining the graph", "",
                  "`hnsw::knn_graph(X, k)` without refinement (2 shards; ef as stated), then rounds of "
                  "`Options::refine` on it (each row's list merged with its neighbours' and reverse "
                  "neighbours' lists): recall\\@k on %d sampled rows after each, and in brackets the round's "
                  "time (two threads)." % refined[0].get("sample", 1000), "",
                  "| N | ef | graph | no refinement | " + " | ".join("round %d" % t for t in range(1, rounds + 1)) + " |",
                  "|---|---|---|---|" + "---|" * rounds]
        for r in refined:
            ef = r["key"].split("--ef_search=")[1].split()[0] if "--ef_search=" in r["key"] else "100 (default)"
            cells = ["%.4f (%.0f s)" % (e["recall"], e["refine_s"]) for e in r["rounds"][1:]]
            lines.append("| %s | %s | %s | %.4f | %s |" % (fmt_n(r["n"]), ef, fmt_s(r["graph_s"]), r["rounds"][0]["recall"],
                                                          " | ".join(cells + ["—"] * (rounds - len(cells)))))
        lines.append("")
    others = [r for r in results if r.get("task") == "faiss" and "error" not in r and "skipped" not in r]
    if others:
        lines += ["## The same graphs from faiss", "",
                  "Graphs of k = %d over the same pools from faiss %s (Debian's libfaiss-dev, on Debian's reference "
                  "BLAS), each row queried for its k + 1 nearest and itself dropped, as a user hands a graph in, "
                  "then checked as the selectors check one; beside `hnsw::knn_graph` at its defaults, each run its "
                  "own process on the same machine. Build: the index alone; graph: build, queries and the check; "
                  "recall\\@k on %d sampled rows. faiss's HNSW inserts in parallel, so its graph differs from run "
                  "to run; acquire's is the same on any thread count." % (
                      others[0]["k"], others[0].get("faiss", "?"), others[0].get("sample", 2000)), "",
                  "| N | graph | settings | build | graph | recall\\@k | peak memory |", "|---|---|---|---|---|---|---|"]
        for r in others:
            name, settings = {
                "acquire": ("acquire `hnsw::knn_graph`", "M %d, ef_construction %d, ef %d, %d shards" % (
                    r.get("M", 16), r.get("ef_construction", 100), r.get("ef_search", 100), r.get("shards", 2))),
                "hnsw": ("faiss `IndexHNSWFlat`", "M %d, efConstruction %d, efSearch %d" % (
                    r.get("M", 16), r.get("ef_construction", 100), r.get("ef_search", 100))),
                "ivf": ("faiss `IndexIVFFlat`", "nlist %d, nprobe %d" % (r.get("nlist", 0), r.get("nprobe", 0))),
            }[r["index"]]
            lines.append("| %s | %s | %s | %s | %s | %.4f | %.0f MB |" % (
                fmt_n(r["n"]), name, settings, fmt_s(r["build_s"]) if r["index"] != "acquire" else "—",
                fmt_s(r["graph_s"]), r["recall"], r["peak_mb"]))
        lines.append("")
    study = [r for r in results if "--compare=1" in r.get("key", "") and "error" not in r]
    if any(r["task"] == "typiclust" for r in study):
        lines += ["## Does the graph's recall change the picks?", "",
                  "At N = %s, where the exact graph is affordable, graphs made worse on purpose (fewer links M, "
                  "smaller ef_construction and ef) to span the recall the defaults give from 10^6 to 10^7; the "
                  "selectors' picks on each against their picks on the exact graph. Facility location (b = %d, "
                  "a cosine graph of k = 20): the exact sparse objective of its picks over the exact graph's picks', "
                  "and the picks both share. TypiClust (b = %d, a graph of k = 40 for its 20 in-cluster "
                  "neighbours, the same k-means clusters): the picks both share. ef is at least k + 1, so TypiClust's "
                  "ef 21 is 41." % (fmt_n(study[0]["n"]), next(r["b"] for r in study if r["task"] == "facility"),
                                       next(r["b"] for r in study if r["task"] == "typiclust")), "",
                  "| graph | facility: recall\\@20 | objective ratio | shared picks | TypiClust: recall\\@40 | "
                  "shared picks |", "|---|---|---|---|---|---|"]
        graphs = {}
        for r in study:
            graphs.setdefault(" ".join(graph_flags(r)), {})[r["task"]] = r
        for flags, pair in graphs.items():
            o = dict(f[2:].split("=") for f in flags.split())
            name = "M %s, ef_construction %s, ef %s" % (o.get("M", 16), o.get("ef_construction", 100),
                                                         o.get("ef_search", "100 (default)"))
            fl, tc = pair.get("facility"), pair.get("typiclust")
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                name, "%.4f" % fl["recall"] if fl else "—", "%.4f" % fl["objective_ratio"] if fl else "—",
                "%d of %d" % (fl["same_picks"], fl["b"]) if fl else "—", "%.4f" % tc["recall"] if tc else "—",
                "%d of %d" % (tc["same_picks"], tc["b"]) if tc else "—"))
        lines.append("")
    sel = [r for r in results if r.get("task") not in ("recall", "sweep", "refine", "faiss") and "error" not in r
           and "skipped" not in r and not (r in study and (r["task"] == "typiclust" or graph_flags(r)))]
    lines += ["## Selectors on the HNSW graph", "",
              "End to end: the graph (`hnsw::knn_graph`, deterministic) and the selector; clustered synthetic "
              "float pools, d = 64.", "",
              "| selector | N | k | b | graph | selection | total | peak memory | notes |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in sel:
        notes = []
        if "recall" in r:
            notes.append("recall@%d %.4f" % (r["k"], r["recall"]))
        if "objective_ratio" in r:
            notes.append("exact sparse objective of its picks / of the exact graph's picks = %.4f "
                         "(exact graph run %s; %d of %d picks shared)" % (
                             r["objective_ratio"], fmt_s(r["exact_s"]), r["same_picks"], r["b"]))
        if "delta" in r:
            notes.append("purity-rule delta %.3f (its search %s), %d covered; balls hold %.1f%% of the exact "
                         "balls' members (mean exact ball %.1f)" % (
                             r["delta"], fmt_s(r["delta_s"]), r["covered"], 100 * r["ball_recall"],
                             r["mean_exact_ball"]))
        if "labeled" in r:
            notes.append("%s labeled rows, 10 neighbours" % fmt_n(r["labeled"]))
        lines.append("| %s | %s | %d | %s | %s | %s | %s | %.0f MB | %s |" % (
            r["task"], fmt_n(r["n"]), 10 if r["task"] == "cal" else r["k"], r["b"] if r["task"] != "cal" else "—",
            fmt_s(r["graph_s"]),
            fmt_s(r["select_s"]), fmt_s(r["total_s"]), r["peak_mb"], "; ".join(notes)))
    skipped = [r for r in results if "skipped" in r]
    if skipped:
        lines += ["", "Skipped: " + "; ".join("%s %s (%s)" % (r["task"], r["flags"], r["skipped"]) for r in skipped)]
    failed = [r for r in results if "error" in r]
    if failed:
        lines += ["", "Failed runs: " + "; ".join("%s %s (%s)" % (r["task"], r["flags"], r["error"]) for r in failed)]
    return lines


def projection(results):
    """The two-shard graph's growth between the two largest synthetic recall runs, carried to 10^7."""
    plain = sorted((r["n"], r["graph_s"]) for r in results
                   if r.get("task") == "recall" and r.get("data") == "synthetic" and "error" not in r
                   and r.get("key", "").split() in (["recall", "--n=%d" % r["n"]], ["recall", "--n=%d" % r["n"], "--shards=2"])
                   and r.get("shards", 2) == 2)
    if len(plain) < 2:
        return ""
    (n0, t0), (n1, t1) = plain[-2], plain[-1]
    exponent = math.log(t1 / t0) / math.log(n1 / n0)
    at7 = t1 * (1e7 / n1) ** exponent
    return ("The two-shard graph took %.1fx longer for %.0fx the rows from %s to %s (time ~ N^%.2f); carried to "
            "10^7 that is about %.0f min for the graph alone on this machine." % (
                t1 / t0, n1 / n0, fmt_n(n0), fmt_n(n1), exponent, at7 / 60))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "scale.md"))
    parser.add_argument("--quick", action="store_true", help="tiny pools: checks the script")
    parser.add_argument("--only", default=None, help="comma-separated tasks to run")
    parser.add_argument("--huge", action="store_true", help="add the N = 10^7 runs")
    parser.add_argument("--fresh", action="store_true", help="ignore the cache of finished runs")
    parser.add_argument("--cached", action="store_true",
                        help="run nothing: write the page from the cached runs, naming the runs not made yet")
    args = parser.parse_args(argv)
    binary = os.path.join(args.build, "scale_neighbors")
    if not args.cached and not os.access(binary, os.X_OK):
        print("scale_neighbors.py: %s not found (needs hnswlib and zlib)" % binary, file=sys.stderr)
        return 1
    runs = QUICK if args.quick else RUNS + (HUGE if args.huge else [])
    if args.only:
        runs = [r for r in runs if r[0] in args.only.split(",")]
    # Each finished run is appended to the cache, so an interrupted session resumes where it
    # stopped; --fresh ignores it.
    cache_path = os.path.join(args.build if args.quick else os.path.join(ROOT, "bench", "results"), CACHE_NAME)
    cache = {}
    if not args.fresh and os.path.exists(cache_path):
        with open(cache_path) as f:
            for line in f:
                r = json.loads(line)
                cache[r["key"]] = r
    results, missing = [], []
    for task, flags in runs:
        if args.cached and key_of(task, flags) not in cache:
            missing.append(key_of(task, flags))
            continue
        r = run(binary, task, flags, cache)
        results.append(r)
        if "error" not in r and "skipped" not in r and r.get("key") not in cache:
            with open(cache_path, "a") as f:
                f.write(json.dumps(r) + "\n")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    measured = sorted(set(r["commit"] for r in results if "commit" in r))
    # The runs' own wall times, cached ones included (records transcribed from an earlier page have none).
    took = (" in %.0f min" % (sum(r["wall_s"] for r in results) / 60)
            if all("wall_s" in r for r in results) else "")
    # Where the runs were made: a row's times compare with rows of the same machine only.
    here = machine()
    hosts = {}
    for r in results:
        hosts.setdefault((r.get("cpu", here[0]), r.get("threads", here[1])), []).append(r)
    by_size = sorted(hosts.items(), key=lambda h: -len(h[1]))
    where = []
    for i, ((cpu, threads), rs) in enumerate(by_size):
        # The most common machine is counted; the others name their runs.
        runs_made = ("%d run%s" % (len(rs), "s" if len(rs) > 1 else "") if i == 0
                     else ", ".join("`%s`" % r.get("key", r["task"]) for r in rs))
        where.append("%s, %d thread%s (%s)" % (cpu, threads, "s" if threads != 1 else "", runs_made))
    lines = ["# Pools of 10^6 and 10^7: neighbour graphs at scale", "",
             "Generated by `bench/scale_neighbors.py`%s at commit %s, %s, from %d runs%s measured at commit%s %s "
             "(finished runs are kept in %s and reused). %s: %s%s. Never hand-edited." % (
                 " --quick" if args.quick else "", commit, datetime.date.today().isoformat(), len(results), took,
                 "s" if len(measured) > 1 else "", ", ".join(measured),
                 "the build directory" if args.quick else "`bench/results/`", "Machine" if len(where) == 1 else "Machines", "; ".join(where),
                 "" if len(where) == 1 else "; times compare between rows of one machine only"), ""]
    lines += table(results)
    if missing:
        lines += ["", "Not run yet: " + "; ".join("`%s`" % m for m in missing) + "."]
    if not args.huge and not args.quick:
        lines += ["", "The N = 10^7 runs (`--huge`: sparse facility location and TypiClust on 2.6 GB of floats) are "
                  "not on this page. " + projection(results)]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("scale_neighbors.py: wrote %s" % args.out, file=sys.stderr)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
