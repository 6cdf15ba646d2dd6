// Active learning on Fashion-MNIST: which acquisition strategy to pick, in two regimes.
//
// Each round trains a small MLP from scratch on the labeled set, measures test accuracy, runs
// the model over the unlabeled pool and lets a strategy choose the next b images to "label"
// (their true labels are revealed). Two regimes, one protocol for every strategy:
//   low: 20 random labels, then rounds of b = 10 up to 200, 5 seeds;
//   mid: 100 random labels, then 15 rounds of b = 100 (up to 1,600), 3 seeds.
// Strategies (see the README section "Choosing a strategy" for the protocol):
//   random, margin, entropy, bald (MC dropout, T = 20), power_entropy and power_bald (Kirsch
//   et al. 2023, beta = 1), badge and k_center (on the MLP's hidden layer), typiclust and
//   probcover (on a fixed 50-dimensional PCA of the pool's pixels), cluster_margin, and
//   batch_bald on a random subset of the unlabeled pool (low regime only).
//
//   fashion_mnist [--data DIR] [--out DIR] [--regimes low,mid] [--strategies a,b,...]
//                 [--seeds S] [--first-seed F] [--merge] [--report-only] [--quick]
//
// Writes DIR/<regime>/results.csv (strategy, seed, labels, accuracy, acquisition, training and
// inference seconds), summary.csv and summary.dat (mean and std per budget), results.md,
// reach.dat and plot.gp (examples/plot.hpp) and, when gnuplot is installed, learning_curves.png.
// Each finished run is appended to partial.csv at once. --merge keeps the rows of the (strategy, seed) runs not run now from an existing
// results.csv and partial.csv: each run is deterministic and independent, so running strategies
// in several invocations gives the same accuracies as one run. --report-only just rewrites the
// tables and plots from those files. --first-seed F runs seeds F..S-1 only (with --merge, to
// finish a study whose first seeds are done).
#include "../plot.hpp"
#include "idx.hpp"
#include "mlp.hpp"

#include <acquire/acquire.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using acquire::Index;
using fmnist::Mat;

struct Data {
    Mat x;               // N x 196: 28 x 28 images averaged over 2 x 2 blocks, in [0, 1]
    std::vector<int> y;  // class 0..9
};

Data load(const std::string& dir, const std::string& prefix, Index limit) {
    const auto images = fmnist::read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
    const auto labels = fmnist::read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
    const Index n = std::min<Index>(limit, Index(images.dims[0]));
    Data d{Mat(n, 196), std::vector<int>(std::size_t(n))};
    for (Index i = 0; i < n; ++i) {
        const unsigned char* img = images.bytes.data() + i * 784;
        for (int r = 0; r < 14; ++r)
            for (int c = 0; c < 14; ++c)
                d.x(i, r * 14 + c) = float(img[(2 * r) * 28 + 2 * c] + img[(2 * r) * 28 + 2 * c + 1] +
                                           img[(2 * r + 1) * 28 + 2 * c] + img[(2 * r + 1) * 28 + 2 * c + 1]) / (4 * 255.0f);
        d.y[std::size_t(i)] = labels.bytes[std::size_t(i)];
    }
    return d;
}

/// One budget regime: where it starts, how it grows, how many seeds, which strategies, and the two
/// budgets its table reports.
struct Regime {
    std::string name;
    int seeds, rounds, start, b;
    Index budget_a, budget_b;
    std::vector<std::string> strategies;
};

struct Config {
    std::string data = "/usr/share/datasets/fashion-mnist", out = "fashion_mnist_results";
    int hidden = 128, epochs = 40, mc = 20, pca_dims = 50, probcover_clusters = 10, cluster_margin_clusters = 100;
    Index pool_limit = 20000, test_limit = 10000, batch_bald_subset = 1000;
    double power_beta = 1.0;
    bool merge = false;
    std::vector<Regime> regimes;
};

// The study's strategies in table order; batch_bald runs in the low regime only (its cost grows
// with b: see the README).
const std::vector<std::string> kStrategies{"random",   "margin",   "entropy",   "bald",      "power_entropy", "power_bald",
                                           "badge",    "k_center", "typiclust", "probcover", "cluster_margin"};

std::vector<Regime> default_regimes() {
    auto low = kStrategies;
    low.push_back("batch_bald");
    return {Regime{"low", 5, 18, 20, 10, 100, 200, low}, Regime{"mid", 3, 15, 100, 100, 800, 1600, kStrategies}};
}

fmnist::Mlp train(const Data& pool, const std::vector<Index>& labeled, const Config& cfg, std::uint64_t seed) {
    acquire::Rng rng(seed);
    fmnist::Mlp net(196, cfg.hidden, 10, rng);
    fmnist::Trainer opt(net);
    const Index n = Index(labeled.size()), batch = 64;
    const Index steps = std::max<Index>(200, cfg.epochs * ((n + batch - 1) / batch));
    std::vector<Index> order = labeled;
    Index at = n;
    Mat x(std::min(batch, n), 196);
    std::vector<int> y(std::size_t(x.rows()));
    for (Index s = 0; s < steps; ++s) {
        for (Index r = 0; r < x.rows(); ++r) {
            if (at == n) {  // a new epoch: reshuffle (Fisher-Yates on our own Rng)
                for (Index i = n - 1; i > 0; --i) std::swap(order[std::size_t(i)], order[std::size_t(rng.below(std::uint64_t(i + 1)))]);
                at = 0;
            }
            const Index i = order[std::size_t(at++)];
            x.row(r) = pool.x.row(i);
            y[std::size_t(r)] = pool.y[std::size_t(i)];
        }
        opt.step(net, x, y, rng);
    }
    return net;
}

double accuracy(const fmnist::Mlp& net, const Data& test) {
    const Mat p = net.probabilities(net.hidden(test.x));
    Index right = 0;
    for (Index i = 0; i < p.rows(); ++i) {
        Index k;
        p.row(i).maxCoeff(&k);
        right += k == test.y[std::size_t(i)];
    }
    return double(right) / double(p.rows());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The fixed representation for the strategies whose papers use a label-free embedding computed
/// once (TypiClust, ProbCover): the pool's pixels, centered, projected on their top `dims`
/// principal components (eigenvectors of the 196 x 196 covariance, summed in double).
Mat pca(const Mat& x, int dims) {
    const Eigen::RowVectorXd mean = x.cast<double>().colwise().mean();
    const Eigen::MatrixXd centered = x.cast<double>().rowwise() - mean;
    const Eigen::MatrixXd cov = centered.transpose() * centered / double(x.rows());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);  // eigenvalues ascending
    const Eigen::MatrixXd top = eig.eigenvectors().rightCols(dims).rowwise().reverse();
    return (centered * top).cast<float>();
}

/// What every run shares and computes once: the data, the fixed representation, ProbCover's delta.
struct Shared {
    Data pool, test;
    Mat pca;
    double probcover_delta = 0;
};

/// T MC-dropout predictions on rows `rows` of H (all rows when empty), as a [T][n][10] buffer:
/// a dropout mask on the hidden layer, one pass of the output layer each. The masks take 16
/// random bits per unit (keep when below keep * 2^16: exact for the MLP's dropout of 0.5).
std::vector<float> mc_dropout(const fmnist::Mlp& net, const Mat& H, int T, std::uint64_t seed) {
    const Index n = H.rows();
    std::vector<float> stack(std::size_t(T) * std::size_t(n) * 10);
    acquire::Rng rng(seed);
    const float keep = 1 - net.dropout;
    const auto threshold = std::uint64_t(std::llround(double(keep) * 65536.0));
    Mat masked(H.rows(), H.cols());
    for (int t = 0; t < T; ++t) {
        std::uint64_t bits = 0;
        for (Index i = 0; i < H.size(); ++i) {
            if (i % 4 == 0) bits = rng.next();
            masked.data()[i] = (bits & 0xffff) < threshold ? H.data()[i] / keep : 0.0f;
            bits >>= 16;
        }
        const Mat pt = net.probabilities(masked);
        std::copy(pt.data(), pt.data() + pt.size(), stack.begin() + std::ptrdiff_t(t) * n * 10);
    }
    return stack;
}

/// Per-run state a strategy may keep between rounds (Cluster-Margin's clustering, computed once).
struct RunState {
    std::vector<Index> clusters;
};

/// The next b pool indices according to `strategy`. H: the MLP's hidden layer over the pool,
/// P: its class probabilities. Time in the model itself (MC-dropout passes) is added to
/// `model_seconds`, so the acquisition time is acquire's alone.
std::vector<Index> acquire_batch(const std::string& strategy, const fmnist::Mlp& net, const Mat& H, const Mat& P,
                                 const std::vector<Index>& labeled, Index b, const Shared& shared, const Config& cfg,
                                 RunState& state, std::uint64_t seed, double& model_seconds) {
    const Index n = P.rows();
    auto timed_stack = [&](const Mat& h) {
        const auto t0 = std::chrono::steady_clock::now();
        auto stack = mc_dropout(net, h, cfg.mc, seed);
        model_seconds += seconds_since(t0);
        return stack;
    };
    acquire::StochasticOptions power;
    power.beta = cfg.power_beta;
    power.labeled = labeled;
    power.seed = seed;
    if (strategy == "random") return acquire::random_select(n, b, seed, labeled);
    if (strategy == "least_confidence") return acquire::top_k(acquire::least_confidence(P), b, labeled);
    if (strategy == "margin") return acquire::top_k(acquire::margin(P), b, labeled);
    if (strategy == "entropy") return acquire::top_k(acquire::entropy(P), b, labeled);
    if (strategy == "power_entropy") return acquire::stochastic_batch(acquire::entropy(P), b, power);
    if (strategy == "bald" || strategy == "power_bald") {
        const auto stack = timed_stack(H);
        const auto S = acquire::PredictionStack<float>::tnk(stack.data(), cfg.mc, n, 10);
        if (strategy == "bald") return acquire::top_k(acquire::bald(S), b, labeled);
        return acquire::stochastic_batch(acquire::bald(S), b, power);
    }
    if (strategy == "batch_bald") {
        // A random subset of the unlabeled pool, scored jointly; picks mapped back to pool rows.
        const auto subset = acquire::random_select(n, std::min<Index>(cfg.batch_bald_subset, n - Index(labeled.size())),
                                                   seed ^ 0x5bd1e995u, labeled);
        Mat hs(Index(subset.size()), H.cols());
        for (std::size_t i = 0; i < subset.size(); ++i) hs.row(Index(i)) = H.row(subset[i]);
        const auto stack = timed_stack(hs);
        const auto S = acquire::PredictionStack<float>::tnk(stack.data(), cfg.mc, hs.rows(), 10);
        acquire::BatchBaldOptions o;
        o.seed = seed;
        std::vector<Index> picks = acquire::batch_bald(S, b, o).indices;
        for (auto& i : picks) i = subset[std::size_t(i)];
        return picks;
    }
    if (strategy == "k_center") return acquire::k_center_greedy(H, labeled, b).indices;
    if (strategy == "badge") {
        acquire::BadgeOptions o;
        o.seed = seed;
        return acquire::badge(P, H, labeled, b, o).indices;
    }
    if (strategy == "typiclust") {
        acquire::TypiClustOptions o;
        o.labeled = labeled;
        o.kmeans.seed = seed;
        return acquire::typiclust(shared.pca, b, o).indices;
    }
    if (strategy == "probcover") {
        acquire::ProbCoverOptions o;
        o.labeled = labeled;
        return acquire::probcover(shared.pca, shared.probcover_delta, b, o).indices;
    }
    if (strategy == "cluster_margin") {
        if (state.clusters.empty()) {  // once per run, on the first model's hidden layer (timed as acquisition)
            acquire::KMeansOptions o;
            o.seed = seed;
            state.clusters = acquire::kmeans(H, std::min<Index>(cfg.cluster_margin_clusters, n), o).assignment;
        }
        acquire::ClusterMarginOptions o;
        o.labeled = labeled;
        o.seed = seed;
        return acquire::cluster_margin(acquire::margin(P), state.clusters, b, o).indices;
    }
    if (strategy == "entropy+facility_location")
        return acquire::hybrid(acquire::entropy(P), 10 * b, labeled, b, [&](const std::vector<Index>& c, Index k) {
                   return acquire::facility_location(H, c, k);
               }).indices;
    throw std::invalid_argument("unknown strategy " + strategy);
}

struct Row {
    std::string strategy;
    int seed;
    Index labels;
    double accuracy, acquisition, training, inference;
};

std::vector<Row> run(const std::string& strategy, int seed, const Regime& regime, const Shared& shared, const Config& cfg) {
    std::vector<Row> rows;
    // The same random start for every strategy with this seed (class balance not assumed).
    std::vector<Index> labeled = acquire::random_select(shared.pool.x.rows(), regime.start, std::uint64_t(1000 + seed));
    RunState state;
    for (int round = 0; round <= regime.rounds; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        const auto net = train(shared.pool, labeled, cfg, std::uint64_t(seed) * 100003 + std::uint64_t(round));
        const double training = seconds_since(t0);
        Row row{strategy, seed, Index(labeled.size()), accuracy(net, shared.test), 0, training, 0};
        if (round < regime.rounds) {
            t0 = std::chrono::steady_clock::now();
            const Mat H = net.hidden(shared.pool.x);
            const Mat P = net.probabilities(H);
            row.inference = seconds_since(t0);
            t0 = std::chrono::steady_clock::now();
            double model = 0;
            const auto batch = acquire_batch(strategy, net, H, P, labeled, regime.b, shared, cfg, state,
                                             std::uint64_t(seed) * 7919 + std::uint64_t(round), model);
            row.acquisition = seconds_since(t0) - model;
            row.inference += model;
            labeled.insert(labeled.end(), batch.begin(), batch.end());
        }
        rows.push_back(row);
    }
    return rows;
}

struct Stat {
    double mean = 0, sd = 0;
    std::vector<double> values;
};

Stat stat(const std::vector<double>& v) {
    Stat s;
    s.values = v;
    for (double x : v) s.mean += x / double(v.size());
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean) / double(v.size() > 1 ? v.size() - 1 : 1);
    s.sd = std::sqrt(s.sd);
    return s;
}

std::vector<Row> read_csv(const std::string& path) {
    std::vector<Row> rows;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::stringstream s(line);
        std::string f[7];
        for (auto& x : f) std::getline(s, x, ',');
        rows.push_back(Row{f[0], std::stoi(f[1]), std::stoll(f[2]), std::stod(f[3]), std::stod(f[4]), std::stod(f[5]), std::stod(f[6])});
    }
    return rows;
}

void write_csv(const std::string& path, const std::vector<Row>& rows) {
    std::ofstream csv(path);
    csv << "strategy,seed,labels,accuracy,acquisition_seconds,training_seconds,inference_seconds\n";
    csv << std::setprecision(6);
    for (const auto& row : rows)
        csv << row.strategy << "," << row.seed << "," << row.labels << "," << row.accuracy << "," << row.acquisition << ","
            << row.training << "," << row.inference << "\n";
}

/// Tables, summaries and the plot of one regime from its rows.
void report(const std::vector<Row>& rows, const Regime& regime, const std::string& dir) {
    std::vector<std::string> names;  // table order: the regime's list, then anything else present
    for (const auto& s : regime.strategies)
        if (std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.strategy == s; })) names.push_back(s);
    for (const auto& r : rows)
        if (std::find(names.begin(), names.end(), r.strategy) == names.end()) names.push_back(r.strategy);
    std::map<std::string, std::map<Index, std::vector<double>>> acc;
    std::map<std::string, std::vector<double>> acq, trn, inf;
    std::map<std::string, std::vector<int>> seeds;
    for (const auto& r : rows) {
        acc[r.strategy][r.labels].push_back(r.accuracy);
        if (r.labels == regime.start) seeds[r.strategy].push_back(r.seed);
        if (r.acquisition > 0) acq[r.strategy].push_back(r.acquisition), inf[r.strategy].push_back(r.inference);
        trn[r.strategy].push_back(r.training);
    }
    std::ofstream dat(dir + "/summary.dat"), sum(dir + "/summary.csv");
    sum << "strategy,labels,mean_accuracy,sd_accuracy,seeds\n";
    for (const auto& s : names) {
        dat << "# " << s << "\n";
        for (const auto& [labels, v] : acc[s]) {
            const auto st = stat(v);
            dat << labels << " " << st.mean << " " << st.sd << "\n";
            sum << s << "," << labels << "," << st.mean << "," << st.sd << "," << v.size() << "\n";
        }
        dat << "\n\n";
    }
    dat.close();
    sum.close();
    const Index final_labels = acc["random"].empty() ? 0 : acc["random"].rbegin()->first;
    const double random_final = acc["random"].empty() ? 0 : stat(acc["random"].rbegin()->second).mean;
    std::ofstream md(dir + "/results.md");
    md << std::fixed << std::setprecision(3);
    md << "| strategy | accuracy @ " << regime.budget_a << " labels | accuracy @ " << regime.budget_b
       << " labels | labels to reach random's " << final_labels << "-label accuracy (" << random_final
       << ") | acquisition s / round | training s / round | pool inference s / round |\n";
    md << "|---|---|---|---|---|---|---|\n";
    auto cell = [&](const std::string& s, Index labels) {
        const auto it = acc[s].find(labels);
        if (it == acc[s].end()) return std::string("n/a");
        const auto st = stat(it->second);
        std::ostringstream o;
        o << std::fixed << std::setprecision(3) << st.mean << " ± " << st.sd << " (";
        for (std::size_t i = 0; i < st.values.size(); ++i) o << (i ? ", " : "") << st.values[i];
        o << ")";
        return o.str();
    };
    for (const auto& s : names) {
        std::string reach = "not reached";
        for (const auto& [labels, v] : acc[s])
            if (stat(v).mean >= random_final) {
                reach = std::to_string(labels) + " (" + std::to_string(int(std::lround(100.0 * double(labels) / double(final_labels)))) + "%)";
                break;
            }
        md << "| " << s << (seeds[s].size() != std::size_t(regime.seeds) ? " (" + std::to_string(seeds[s].size()) + " seeds)" : "")
           << " | " << cell(s, regime.budget_a) << " | " << cell(s, regime.budget_b) << " | " << reach << " | "
           << (acq[s].empty() ? 0.0 : stat(acq[s]).mean) << " | " << stat(trn[s]).mean << " | "
           << (inf[s].empty() ? 0.0 : stat(inf[s]).mean) << " |\n";
    }
    md << "\nMean ± sample standard deviation over " << regime.seeds << " seeds, per-seed values in parentheses; start "
       << regime.start << " random labels, b = " << regime.b << " per round; \"labels to reach\" is the first budget whose "
       << "mean accuracy is at least random's final mean (percentage of random's " << final_labels
       << " labels); every row is in results.csv.\n";
    md.close();
    std::ostringstream title;
    title << "Fashion-MNIST active learning, " << regime.name << " budget (start " << regime.start << ", b = " << regime.b
          << "), " << regime.seeds << " seeds";
    plot::learning_curves(dir, title.str(), names, acc, final_labels, random_final);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) out.push_back(item);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    cfg.regimes = default_regimes();
    std::vector<std::string> only_regimes, only_strategies;
    int seeds = 0, first_seed = 0;
    bool report_only = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--quick") {
            // The CI demo: both regimes shortened on a 10,000-image pool, a few strategies, 1 seed.
            cfg.pool_limit = 10000, cfg.test_limit = 2000, cfg.epochs = 20, cfg.batch_bald_subset = 500;
            for (auto& r : cfg.regimes) r.seeds = 1, r.rounds = 3;
            cfg.regimes[0].budget_a = 40, cfg.regimes[0].budget_b = 50;
            cfg.regimes[1].budget_a = 300, cfg.regimes[1].budget_b = 400;
            cfg.regimes[0].strategies = {"random", "power_bald", "batch_bald", "typiclust", "probcover"};
            cfg.regimes[1].strategies = {"random", "margin", "badge", "k_center", "cluster_margin"};
        } else if (a == "--data") cfg.data = next();
        else if (a == "--out") cfg.out = next();
        else if (a == "--regimes") only_regimes = split(next());
        else if (a == "--strategies") only_strategies = split(next());
        else if (a == "--seeds") seeds = std::stoi(next());
        else if (a == "--first-seed") first_seed = std::stoi(next());
        else if (a == "--merge") cfg.merge = true;
        else if (a == "--report-only") cfg.merge = true, report_only = true;
        else {
            std::cerr << "unknown flag " << a << "\n";
            return 2;
        }
    }
    std::vector<Regime> regimes;
    for (auto r : cfg.regimes) {
        if (!only_regimes.empty() && std::find(only_regimes.begin(), only_regimes.end(), r.name) == only_regimes.end()) continue;
        if (seeds > 0) r.seeds = seeds;
        regimes.push_back(r);
    }
    Shared shared;
    try {
        shared.pool = load(cfg.data, "train", cfg.pool_limit);
        shared.test = load(cfg.data, "t10k", cfg.test_limit);
    } catch (const std::exception& e) {
        std::cerr << "fashion_mnist: " << e.what() << " (install dataset-fashion-mnist or pass --data DIR)\n";
        return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    shared.pca = pca(shared.pool.x, cfg.pca_dims);
    std::cout << "pool " << shared.pool.x.rows() << ", test " << shared.test.x.rows() << "; PCA to " << cfg.pca_dims
              << " dimensions in " << std::setprecision(3) << seconds_since(t0) << " s" << std::endl;
    const auto runs = [&](const std::string& s) {
        return std::any_of(regimes.begin(), regimes.end(), [&](const Regime& g) {
            return std::find(g.strategies.begin(), g.strategies.end(), s) != g.strategies.end() &&
                   (only_strategies.empty() || std::find(only_strategies.begin(), only_strategies.end(), s) != only_strategies.end());
        });
    };
    if (runs("probcover") && !report_only) {  // the paper's purity rule, once: alpha = 0.95, k-means pseudo-labels
        const auto t1 = std::chrono::steady_clock::now();
        shared.probcover_delta = acquire::probcover_delta(shared.pca, Index(cfg.probcover_clusters));
        std::cout << "ProbCover delta " << shared.probcover_delta << " (purity 0.95, " << cfg.probcover_clusters
                  << " k-means clusters) in " << seconds_since(t1) << " s" << std::endl;
    }
    // Independent (regime, strategy, seed) runs, two at a time on two cores; each is serial
    // inside. Every run is deterministic, so the schedule never changes a result.
    struct Job {
        std::size_t regime;
        std::string strategy;
        int seed;
    };
    std::vector<Job> jobs;
    std::vector<std::string> extra;  // asked for but in no regime's list (e.g. least_confidence): joins each
    for (const auto& s : only_strategies)
        if (std::none_of(regimes.begin(), regimes.end(), [&](const Regime& g) {
                return std::find(g.strategies.begin(), g.strategies.end(), s) != g.strategies.end();
            }))
            extra.push_back(s);
    for (std::size_t r = 0; r < regimes.size(); ++r) {
        auto& list = regimes[r].strategies;
        list.insert(list.end(), extra.begin(), extra.end());
        std::vector<std::string> run_now;
        for (const auto& s : list)
            if (only_strategies.empty() || std::find(only_strategies.begin(), only_strategies.end(), s) != only_strategies.end())
                run_now.push_back(s);
        for (int seed = first_seed; seed < regimes[r].seeds && !report_only; ++seed)
            for (const auto& s : run_now) jobs.push_back({r, s, seed});
    }
    std::cout << jobs.size() << " runs" << std::endl;
    std::vector<std::vector<Row>> results(jobs.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        const auto& job = jobs[j];
        results[j] = run(job.strategy, job.seed, regimes[job.regime], shared, cfg);
#pragma omp critical
        {
            // Each finished run is appended at once, so an interrupted study keeps what it measured.
            const std::string dir = cfg.out + "/" + regimes[job.regime].name;
            std::filesystem::create_directories(dir);
            const bool fresh = !std::filesystem::exists(dir + "/partial.csv");
            std::ofstream part(dir + "/partial.csv", std::ios::app);
            if (fresh) part << "strategy,seed,labels,accuracy,acquisition_seconds,training_seconds,inference_seconds\n";
            part << std::setprecision(6);
            for (const auto& row : results[j])
                part << row.strategy << "," << row.seed << "," << row.labels << "," << row.accuracy << "," << row.acquisition
                     << "," << row.training << "," << row.inference << "\n";
        }
#pragma omp critical
        std::cout << std::fixed << std::setprecision(4) << regimes[job.regime].name << " " << job.strategy << " seed " << job.seed
                  << ": accuracy " << results[j].front().accuracy << " -> " << results[j].back().accuracy << " at "
                  << results[j].back().labels << " labels (" << std::setprecision(1) << seconds_since(t0) << " s)\n"
                  << std::flush;
    }
    for (std::size_t r = 0; r < regimes.size(); ++r) {
        const std::string dir = cfg.out + "/" + regimes[r].name;
        std::filesystem::create_directories(dir);
        std::vector<Row> rows;
        if (cfg.merge)  // earlier rows (a finished run's results.csv, an interrupted run's partial.csv)
            for (const char* file : {"/results.csv", "/partial.csv"}) {
                if (!std::filesystem::exists(dir + file)) continue;
                for (const auto& row : read_csv(dir + file)) {
                    const bool rerun = std::any_of(jobs.begin(), jobs.end(), [&](const Job& j) {
                        return j.regime == r && j.strategy == row.strategy && j.seed == row.seed;
                    });
                    const bool seen = std::any_of(rows.begin(), rows.end(), [&](const Row& o) {
                        return o.strategy == row.strategy && o.seed == row.seed && o.labels == row.labels;
                    });
                    if (!rerun && !seen) rows.push_back(row);
                }
            }
        for (std::size_t j = 0; j < jobs.size(); ++j)
            if (jobs[j].regime == r) rows.insert(rows.end(), results[j].begin(), results[j].end());
        std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
            const auto& l = regimes[r].strategies;
            const auto ia = std::find(l.begin(), l.end(), a.strategy) - l.begin(), ib = std::find(l.begin(), l.end(), b.strategy) - l.begin();
            return std::tie(ia, a.seed, a.labels) < std::tie(ib, b.seed, b.labels);
        });
        write_csv(dir + "/results.csv", rows);
        std::filesystem::remove(dir + "/partial.csv");  // its rows are in results.csv now
        report(rows, regimes[r], dir);
    }
    std::cout << "wrote " << cfg.out << "/{" << (regimes.size() > 1 ? "low,mid" : regimes.empty() ? "" : regimes[0].name)
              << "}/results.csv, summary.csv, summary.dat, results.md in " << std::setprecision(1) << seconds_since(t0) << " s\n";
}
