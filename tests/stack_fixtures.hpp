// Shared by the stack tests: one random [T][N][K] stack copied into every layout, and a
// brute-force double reference for the committee and Bayesian scorers.
#pragma once

#include <acquire/core/stack.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace stack_fixtures {

using acquire::Index;

/// The same stack in the three layouts (buffers owned here).
template <class T>
struct Layouts {
    Index members, rows, cols;
    std::vector<T> tnk, ntk, nkt;

    Layouts(Index t_, Index n_, Index k_, acquire::synthetic::StackOptions o = {})
        : members(t_), rows(n_), cols(k_), tnk(acquire::synthetic::stack_buffer<T>(t_, n_, k_, o)),
          ntk(tnk.size()), nkt(tnk.size()) {
        for (Index t = 0; t < members; ++t)
            for (Index i = 0; i < rows; ++i)
                for (Index k = 0; k < cols; ++k) {
                    const T v = tnk[static_cast<std::size_t>((t * rows + i) * cols + k)];
                    ntk[static_cast<std::size_t>((i * members + t) * cols + k)] = v;
                    nkt[static_cast<std::size_t>((i * cols + k) * members + t)] = v;
                }
    }
    acquire::PredictionStack<T> view_tnk() const {
        return acquire::PredictionStack<T>::tnk(tnk.data(), members, rows, cols);
    }
    acquire::PredictionStack<T> view_ntk() const {
        return acquire::PredictionStack<T>::ntk(ntk.data(), rows, members, cols);
    }
    acquire::PredictionStack<T> view_nkt() const {
        return acquire::PredictionStack<T>::nkt(nkt.data(), rows, cols, members);
    }
};

/// p[t][i][k] in double.
using Stack = std::vector<std::vector<std::vector<double>>>;

template <class View>
Stack to_double(const View& s) {
    Stack p(static_cast<std::size_t>(s.members()),
            std::vector<std::vector<double>>(static_cast<std::size_t>(s.rows()),
                                             std::vector<double>(static_cast<std::size_t>(s.cols()))));
    for (Index t = 0; t < s.members(); ++t)
        for (Index i = 0; i < s.rows(); ++i)
            for (Index k = 0; k < s.cols(); ++k)
                p[t][i][k] = static_cast<double>(s(t, i, k));
    return p;
}

inline double entropy(const std::vector<double>& p) {
    double h = 0;
    for (double v : p)
        if (v > 0) h -= v * std::log(v);
    return h;
}

struct Reference {
    std::vector<double> vote, consensus, kl, max_kl, bald, mean_std, variation;
};

/// Straight from the definitions, one sample at a time, in double.
inline Reference reference(const Stack& p) {
    const std::size_t T = p.size(), N = p[0].size(), K = p[0][0].size();
    Reference r;
    for (std::size_t i = 0; i < N; ++i) {
        std::vector<double> pc(K, 0), votes(K, 0);
        double mean_h = 0;
        for (std::size_t t = 0; t < T; ++t) {
            std::size_t best = 0;
            for (std::size_t k = 0; k < K; ++k) {
                pc[k] += p[t][i][k] / double(T);
                if (p[t][i][k] > p[t][i][best]) best = k;
            }
            votes[best] += 1;
            mean_h += entropy(p[t][i]) / double(T);
        }
        double kl_sum = 0, kl_max = 0;
        for (std::size_t t = 0; t < T; ++t) {
            double kl = 0;
            for (std::size_t k = 0; k < K; ++k)
                if (p[t][i][k] > 0) kl += p[t][i][k] * std::log(p[t][i][k] / pc[k]);
            kl_sum += kl;
            kl_max = std::max(kl_max, kl);
        }
        double ms = 0;
        for (std::size_t k = 0; k < K; ++k) {
            double var = 0;
            for (std::size_t t = 0; t < T; ++t) var += (p[t][i][k] - pc[k]) * (p[t][i][k] - pc[k]);
            ms += std::sqrt(var / double(T)) / double(K);
        }
        std::vector<double> share(K);
        for (std::size_t k = 0; k < K; ++k) share[k] = votes[k] / double(T);
        r.vote.push_back(entropy(share));
        r.consensus.push_back(entropy(pc));
        r.kl.push_back(kl_sum / double(T));
        r.max_kl.push_back(kl_max);
        r.bald.push_back(std::max(0.0, entropy(pc) - mean_h));
        r.mean_std.push_back(ms);
        r.variation.push_back(1 - *std::max_element(votes.begin(), votes.end()) / double(T));
    }
    return r;
}

}  // namespace stack_fixtures
