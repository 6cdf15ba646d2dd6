// Active learning on Fashion-MNIST: what each acquisition strategy buys over random sampling.
//
// Each round trains a small MLP from scratch on the labeled set, measures test accuracy, runs
// the model over the unlabeled pool and lets a strategy choose the next b images to "label"
// (their true labels are revealed). Strategies: random, least confidence, margin, entropy,
// BALD with MC dropout (T = 20), greedy k-center and BADGE on the hidden layer, and entropy
// then facility location (the Suggestive Annotation hybrid). Several seeds each.
//
//   fashion_mnist [--data DIR] [--out DIR] [--seeds 3] [--rounds 15] [--start 100] [--b 100]
//                 [--strategies random,entropy,...] [--quick]
//
// Writes DIR/results.csv (strategy, seed, labels, accuracy, acquisition, training and inference
// seconds), DIR/summary.dat, DIR/results.md and, when gnuplot is installed, DIR/learning_curves.png.
#include "idx.hpp"
#include "mlp.hpp"

#include <acquire/acquire.hpp>

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
#ifdef _OPENMP
#include <omp.h>
#endif

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

struct Config {
    std::string data = "/usr/share/datasets/fashion-mnist", out = "fashion_mnist_results";
    int seeds = 3, rounds = 15, start = 100, b = 100, hidden = 128, epochs = 40, mc = 20;
    Index pool_limit = 60000, test_limit = 10000;
    std::vector<std::string> strategies{"random", "least_confidence", "margin", "entropy",
                                        "bald", "k_center", "badge", "entropy+facility_location"};
};

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

/// The next b pool indices according to `strategy`.
/// Time in the model itself (BALD's MC-dropout passes) is added to `model_seconds`, so the
/// acquisition time is acquire's alone.
std::vector<Index> acquire_batch(const std::string& strategy, const fmnist::Mlp& net, const Mat& H, const Mat& P,
                                 const std::vector<Index>& labeled, const Config& cfg, std::uint64_t seed,
                                 double& model_seconds) {
    const Index b = cfg.b, n = P.rows();
    if (strategy == "random") return acquire::random_select(n, b, seed, labeled);
    if (strategy == "least_confidence") return acquire::top_k(acquire::least_confidence(P), b, labeled);
    if (strategy == "margin") return acquire::top_k(acquire::margin(P), b, labeled);
    if (strategy == "entropy") return acquire::top_k(acquire::entropy(P), b, labeled);
    if (strategy == "bald") {
        // MC dropout: T dropout masks on the hidden layer, one pass of the output layer each.
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<float> stack(std::size_t(cfg.mc) * std::size_t(n) * 10);
        acquire::Rng rng(seed);
        const float keep = 1 - net.dropout;
        Mat masked(H.rows(), H.cols());
        for (int t = 0; t < cfg.mc; ++t) {
            for (Index i = 0; i < H.size(); ++i) masked.data()[i] = rng.uniform() < keep ? H.data()[i] / keep : 0.0f;
            const Mat pt = net.probabilities(masked);
            std::copy(pt.data(), pt.data() + pt.size(), stack.begin() + std::ptrdiff_t(t) * n * 10);
        }
        model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto S = acquire::PredictionStack<float>::tnk(stack.data(), cfg.mc, n, 10);
        return acquire::top_k(acquire::bald(S), b, labeled);
    }
    if (strategy == "k_center") return acquire::k_center_greedy(H, labeled, b).indices;
    if (strategy == "badge") {
        acquire::BadgeOptions o;
        o.seed = seed;
        return acquire::badge(P, H, labeled, b, o).indices;
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

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<Row> run(const std::string& strategy, int seed, const Data& pool, const Data& test, const Config& cfg) {
    std::vector<Row> rows;
    // The same random start for every strategy with this seed (class balance not assumed).
    std::vector<Index> labeled = acquire::random_select(pool.x.rows(), cfg.start, std::uint64_t(1000 + seed));
    for (int round = 0; round <= cfg.rounds; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        const auto net = train(pool, labeled, cfg, std::uint64_t(seed) * 100003 + std::uint64_t(round));
        const double training = seconds_since(t0);
        Row row{strategy, seed, Index(labeled.size()), accuracy(net, test), 0, training, 0};
        if (round < cfg.rounds) {
            t0 = std::chrono::steady_clock::now();
            const Mat H = net.hidden(pool.x);
            const Mat P = net.probabilities(H);
            row.inference = seconds_since(t0);
            t0 = std::chrono::steady_clock::now();
            double model = 0;
            const auto batch = acquire_batch(strategy, net, H, P, labeled, cfg, std::uint64_t(seed) * 7919 + std::uint64_t(round), model);
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

void report(const std::vector<Row>& rows, const Config& cfg) {
    // Accuracy per (strategy, labels) over seeds.
    std::map<std::string, std::map<Index, std::vector<double>>> acc;
    std::map<std::string, std::vector<double>> acq, trn, inf;
    for (const auto& r : rows) {
        acc[r.strategy][r.labels].push_back(r.accuracy);
        if (r.acquisition > 0) acq[r.strategy].push_back(r.acquisition), inf[r.strategy].push_back(r.inference);
        trn[r.strategy].push_back(r.training);
    }
    std::ofstream dat(cfg.out + "/summary.dat");
    for (const auto& s : cfg.strategies) {
        dat << "# " << s << "\n";
        for (const auto& [labels, v] : acc[s]) {
            const auto st = stat(v);
            dat << labels << " " << st.mean << " " << st.sd << "\n";
        }
        dat << "\n\n";
    }
    const Index final_labels = acc["random"].empty() ? 0 : acc["random"].rbegin()->first;
    const double random_final = acc["random"].empty() ? 0 : stat(acc["random"].rbegin()->second).mean;
    std::ofstream md(cfg.out + "/results.md");
    md << std::fixed << std::setprecision(3);
    md << "| strategy | accuracy @ 500 labels | accuracy @ 1,000 labels | labels to reach random's " << final_labels
       << "-label accuracy (" << random_final << ") | acquisition s / round | training s / round | pool inference s / round |\n";
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
    for (const auto& s : cfg.strategies) {
        std::string reach = "not reached";
        for (const auto& [labels, v] : acc[s])
            if (stat(v).mean >= random_final) {
                reach = std::to_string(labels);
                break;
            }
        md << "| " << s << " | " << cell(s, 500) << " | " << cell(s, 1000) << " | " << reach << " | "
           << (acq[s].empty() ? 0.0 : stat(acq[s]).mean) << " | " << stat(trn[s]).mean << " | "
           << (inf[s].empty() ? 0.0 : stat(inf[s]).mean) << " |\n";
    }
    md << "\nMean ± sample standard deviation over " << cfg.seeds << " seed(s), per-seed values in parentheses; "
       << "start " << cfg.start << " random labels, b = " << cfg.b << " per round; every row is in results.csv.\n";
    dat.close();
    md.close();
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        std::cout << "gnuplot not found: skipping the plot (apt-get install gnuplot-nox)\n";
        return;
    }
    std::ofstream gp(cfg.out + "/plot.gp");
    gp << "set terminal pngcairo size 1000,650\nset output '" << cfg.out << "/learning_curves.png'\n"
       << "set key bottom right\nset grid\nset xlabel 'labeled images'\nset ylabel 'test accuracy'\n"
       << "set title 'Fashion-MNIST active learning: mean and std over " << cfg.seeds << " seed(s)'\nnames = \"";
    for (const auto& s : cfg.strategies) gp << s << " ";
    gp << "\"\nplot for [i=0:" << cfg.strategies.size() - 1 << "] '" << cfg.out
       << "/summary.dat' index i using 1:2:3 with yerrorlines title word(names, i + 1)\n";
    gp.close();
    if (std::system(("gnuplot " + cfg.out + "/plot.gp").c_str()) != 0) std::cout << "gnuplot failed; the data is in summary.dat\n";
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
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--quick") {
            cfg.seeds = 1, cfg.rounds = 3, cfg.pool_limit = 10000, cfg.test_limit = 2000, cfg.epochs = 20;
            cfg.strategies = {"random", "entropy", "bald", "k_center", "badge", "entropy+facility_location"};
        } else if (a == "--data") cfg.data = next();
        else if (a == "--out") cfg.out = next();
        else if (a == "--seeds") cfg.seeds = std::stoi(next());
        else if (a == "--rounds") cfg.rounds = std::stoi(next());
        else if (a == "--start") cfg.start = std::stoi(next());
        else if (a == "--b") cfg.b = std::stoi(next());
        else if (a == "--strategies") cfg.strategies = split(next());
        else {
            std::cerr << "unknown flag " << a << "\n";
            return 2;
        }
    }
    Data pool, test;
    try {
        pool = load(cfg.data, "train", cfg.pool_limit);
        test = load(cfg.data, "t10k", cfg.test_limit);
    } catch (const std::exception& e) {
        std::cerr << "fashion_mnist: " << e.what() << " (install dataset-fashion-mnist or pass --data DIR)\n";
        return 1;
    }
    std::filesystem::create_directories(cfg.out);
    std::cout << "pool " << pool.x.rows() << ", test " << test.x.rows() << ", " << cfg.strategies.size() << " strategies x "
              << cfg.seeds << " seeds x " << cfg.rounds << " rounds of " << cfg.b << "\n";
    // Independent (strategy, seed) runs, two at a time on two cores; each is serial inside.
    std::vector<std::pair<std::string, int>> jobs;
    for (int seed = 0; seed < cfg.seeds; ++seed)
        for (const auto& s : cfg.strategies) jobs.emplace_back(s, seed);
    std::vector<std::vector<Row>> results(jobs.size());
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        results[j] = run(jobs[j].first, jobs[j].second, pool, test, cfg);
#pragma omp critical
        std::cout << std::fixed << std::setprecision(4) << jobs[j].first << " seed " << jobs[j].second << ": accuracy "
                  << results[j].front().accuracy << " -> " << results[j].back().accuracy << " at "
                  << results[j].back().labels << " labels (" << std::setprecision(1) << seconds_since(t0) << " s)\n"
                  << std::flush;
    }
    std::vector<Row> rows;
    std::ofstream csv(cfg.out + "/results.csv");
    csv << "strategy,seed,labels,accuracy,acquisition_seconds,training_seconds,inference_seconds\n";
    for (const auto& r : results)
        for (const auto& row : r) {
            rows.push_back(row);
            csv << row.strategy << "," << row.seed << "," << row.labels << "," << row.accuracy << "," << row.acquisition
                << "," << row.training << "," << row.inference << "\n";
        }
    csv.close();
    report(rows, cfg);
    std::cout << "wrote " << cfg.out << "/results.csv, summary.dat, results.md in " << std::setprecision(1)
              << seconds_since(t0) << " s\n";
}
