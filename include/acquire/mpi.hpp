/// \file
/// Acquisition over a pool sharded across MPI ranks, in namespace acquire::mpi (optional: needs
/// mpi.h).
// acquire over a pool sharded across MPI ranks.
//
// Each rank holds a contiguous shard of the pool's rows (the scores, or the embeddings its own
// inference produced); the pool is never gathered. Rank r's rows are global rows
// [offset_r, offset_r + n_r), with the shards in rank order, and every function here returns on
// every rank what the single-process function returns on the concatenated pool:
//
//     // every rank, after its own inference over its shard
//     auto sel = acquire::mpi::k_center_greedy(MPI_COMM_WORLD, my_embeddings, labeled, 100);
//     // sel.indices: the same global rows on every rank, the same as k_center_greedy on all rows
//
// Index sets passed in (labeled, exclude, candidates, initial centers) and returned are global
// row indices and must be the same on every rank (checked). Shards may be uneven, and a rank
// may hold no row at all. Here: top_k, random_select, k_center_greedy, kmeans_pp, badge
// (exact, the same picks for any number of ranks), facility_location and max_coverage (the
// single-process greedy over gains summed across ranks; see their comments for exactness),
// batch_bald (each rank screens its own candidates against the replicated joint table; the
// shortlist is decided on every rank as in one process: the same picks and objective).
//
// Bad input on any rank makes every rank throw acquire::invalid_input naming that rank: each
// rank validates locally, then one all-reduce finds the lowest failing rank, which broadcasts
// its message, so no rank is ever left waiting in a collective. A bad row is named by its global
// index and its index on the rank ("X row 1000 (local 500) column 3 is nan"); an argument that
// must be the same everywhere but is not is named with the lowest rank whose value differs from
// rank 0's ("labeled differs between rank 0 and rank 2").
//
// One header per family under acquire/mpi/ (core.hpp: the layer they share; top_k.hpp,
// k_center.hpp, kmeans_pp.hpp, badge.hpp, facility_location.hpp, batch_bald.hpp); this one
// includes them all.
//
// This header is an optional edge: acquire.hpp does not include it, and it needs <mpi.h> and
// the acquire::mpi CMake target (acquire + MPI::MPI_CXX). Not thread-safe across calls on one
// communicator: call it from one thread per rank, like any MPI collective.
#pragma once

#include "acquire/mpi/core.hpp"
#include "acquire/mpi/top_k.hpp"
#include "acquire/mpi/k_center.hpp"
#include "acquire/mpi/kmeans_pp.hpp"
#include "acquire/mpi/badge.hpp"
#include "acquire/mpi/facility_location.hpp"
#include "acquire/mpi/batch_bald.hpp"
