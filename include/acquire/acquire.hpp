/// \file
/// The umbrella header: every public acquire header except the optional mpi.hpp, synthetic.hpp and
/// interop/torch.hpp.
// The umbrella header: every public acquire header. Users include this (or the single headers
// they need); nothing inside acquire includes it.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/knn.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/stack.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/score/bayesian.hpp"
#include "acquire/score/committee.hpp"
#include "acquire/score/contrastive.hpp"
#include "acquire/score/dense.hpp"
#include "acquire/score/density.hpp"
#include "acquire/score/dynamics.hpp"
#include "acquire/score/gradient.hpp"
#include "acquire/score/loss_prediction.hpp"
#include "acquire/score/ragged.hpp"
#include "acquire/score/regions.hpp"
#include "acquire/score/uncertainty.hpp"
#include "acquire/select/badge.hpp"
#include "acquire/select/batch_bald.hpp"
#include "acquire/select/ceal.hpp"
#include "acquire/select/cluster.hpp"
#include "acquire/select/cluster_margin.hpp"
#include "acquire/select/discriminator.hpp"
#include "acquire/select/facility_location.hpp"
#include "acquire/select/hierarchical.hpp"
#include "acquire/select/hybrid.hpp"
#include "acquire/select/k_center.hpp"
#include "acquire/select/kmeans_pp.hpp"
#include "acquire/select/probcover.hpp"
#include "acquire/select/stochastic.hpp"
#include "acquire/select/typiclust.hpp"
