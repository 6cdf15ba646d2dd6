// A one-hidden-layer MLP with dropout, trained from scratch with Adam: just enough model for an
// honest active-learning experiment on 2 cores. Rows are samples (row-major, like the library).
#pragma once

#include <acquire/core/random.hpp>

#include <Eigen/Core>

#include <cmath>
#include <vector>

namespace fmnist {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::RowVectorXf;

struct Mlp {
    Mat w1, w2;  // in x hidden, hidden x classes
    Vec b1, b2;
    float dropout = 0.5f;

    Mlp(int in, int hidden, int classes, acquire::Rng& rng) : w1(in, hidden), w2(hidden, classes), b1(Vec::Zero(hidden)), b2(Vec::Zero(classes)) {
        for (Eigen::Index i = 0; i < w1.size(); ++i) w1.data()[i] = float(rng.normal() * std::sqrt(2.0 / in));
        for (Eigen::Index i = 0; i < w2.size(); ++i) w2.data()[i] = float(rng.normal() * std::sqrt(1.0 / hidden));
    }

    /// Hidden activations (the embeddings used by the diversity selectors), no dropout.
    Mat hidden(const Mat& x) const { return ((x * w1).rowwise() + b1).cwiseMax(0.0f); }

    static void softmax_rows(Mat& z) {
        for (Eigen::Index i = 0; i < z.rows(); ++i) {
            z.row(i).array() -= z.row(i).maxCoeff();
            z.row(i) = z.row(i).array().exp();
            z.row(i) /= z.row(i).sum();
        }
    }

    /// Class probabilities from hidden activations, optionally with a dropout mask on them
    /// (inverted dropout: kept units scaled by 1 / (1 - p)).
    Mat probabilities(const Mat& h) const {
        Mat z = (h * w2).rowwise() + b2;
        softmax_rows(z);
        return z;
    }
};

/// Adam on the cross-entropy with dropout on the hidden layer.
struct Trainer {
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    Mat m1, v1, m2, v2;
    Vec mb1, vb1, mb2, vb2;
    int t = 0;

    explicit Trainer(const Mlp& net)
        : m1(Mat::Zero(net.w1.rows(), net.w1.cols())), v1(m1), m2(Mat::Zero(net.w2.rows(), net.w2.cols())), v2(m2),
          mb1(Vec::Zero(net.b1.size())), vb1(mb1), mb2(Vec::Zero(net.b2.size())), vb2(mb2) {}

    template <class P, class M, class V>
    void adam(P& param, M& m, V& v, const P& grad) {
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad.cwiseProduct(grad);
        const float c1 = 1 - std::pow(beta1, float(t)), c2 = 1 - std::pow(beta2, float(t));
        param.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
    }

    void step(Mlp& net, const Mat& x, const std::vector<int>& y, acquire::Rng& rng) {
        ++t;
        const Eigen::Index n = x.rows();
        Mat pre = (x * net.w1).rowwise() + net.b1;
        Mat h = pre.cwiseMax(0.0f);
        Mat mask(h.rows(), h.cols());
        const float keep = 1 - net.dropout;
        for (Eigen::Index i = 0; i < mask.size(); ++i) mask.data()[i] = rng.uniform() < keep ? 1 / keep : 0.0f;
        h = h.cwiseProduct(mask);
        Mat p = net.probabilities(h);
        for (Eigen::Index i = 0; i < n; ++i) p(i, y[std::size_t(i)]) -= 1;
        p /= float(n);  // dL/dz
        const Mat gw2 = h.transpose() * p;
        const Vec gb2 = p.colwise().sum();
        Mat dh = (p * net.w2.transpose()).cwiseProduct(mask);
        dh = dh.array() * (pre.array() > 0).cast<float>();
        const Mat gw1 = x.transpose() * dh;
        const Vec gb1 = dh.colwise().sum();
        adam(net.w2, m2, v2, gw2);
        adam(net.b2, mb2, vb2, gb2);
        adam(net.w1, m1, v1, gw1);
        adam(net.b1, mb1, vb1, gb1);
    }
};

}  // namespace fmnist
