// Active learning with a libtorch CNN on Fashion-MNIST, acquisitions by acquire through
// acquire/interop/torch.hpp (the pool's probabilities, MC-dropout stacks and features are
// handed over as zero-copy views of the tensors).
//
// Each round trains a small CNN from scratch on the labeled set (Adam), measures test accuracy,
// computes the pool's convolutional features once, runs the dense head over them (eval mode for
// probabilities and the 128-d penultimate features; T = 20 dropout passes for the MC stack) and
// lets a strategy pick the next b images to "label". The network follows the DBAL experiments
// (Gal, Islam and Ghahramani, "Deep Bayesian Active Learning with Image Data", ICML 2017):
// two 32-filter convolutions, dropout 0.25, dense 128, dropout 0.5, dense 10, with a 2 x 2
// max-pool after each convolution (DBAL pools once) to cut the work on two cores.
//
//   libtorch_al [--data DIR] [--out DIR] [--seeds 3] [--rounds 15] [--b 10] [--pool 4000]
//               [--test 5000] [--batchbald-subset 500] [--epochs 30] [--jobs 2]
//               [--strategies random,margin,...] [--quick] [--resume] [--report CSV]
//
// Writes DIR/results.csv, DIR/summary.dat, DIR/results.md, DIR/reach.dat, DIR/plot.gp
// (examples/plot.hpp) and (with gnuplot) DIR/learning_curves.png; DIR/results.partial.csv
// grows by one run at a time.
#include "../epochs.hpp"
#include "../plot.hpp"
#include "fashion_mnist/idx.hpp"

#include <acquire/acquire.hpp>
#include <acquire/interop/torch.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using acquire::Index;

struct Config {
    std::string data = "/usr/share/datasets/fashion-mnist", out = "libtorch_results";
    int seeds = 3, rounds = 15, b = 10, per_class = 2, epochs = 30, min_steps = 100, batch = 32, mc = 20, jobs = 2;
    Index pool = 4000, test = 5000, batchbald_subset = 500;
    std::vector<std::string> strategies{"random", "margin", "entropy", "bald", "batchbald", "badge", "k_center"};
};

struct Data {
    torch::Tensor x;  // [N, 1, 28, 28] float in [0, 1]
    torch::Tensor y;  // [N] int64
};

Data load(const std::string& dir, const std::string& prefix, Index limit) {
    const auto images = fmnist::read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
    const auto labels = fmnist::read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
    const Index n = std::min<Index>(limit, Index(images.dims[0]));
    auto bytes = torch::from_blob(const_cast<unsigned char*>(images.bytes.data()), {n, 1, 28, 28}, torch::kByte);
    auto y = torch::from_blob(const_cast<unsigned char*>(labels.bytes.data()), {n}, torch::kByte);
    return {bytes.to(torch::kFloat).div_(255.0f), y.to(torch::kLong)};
}

/// Dropout with the job's own generator (torch::dropout draws from the global one, which two
/// worker threads would share).
torch::Tensor dropout(const torch::Tensor& x, double p, torch::Generator& gen) {
    const auto keep = torch::rand(x.sizes(), gen, x.options()) < (1.0 - p);
    return x * keep / (1.0 - p);
}

/// conv(32, 5x5) - relu - maxpool 2 - conv(32, 5x5) - relu - maxpool 2 : the trunk, 512 features;
/// dropout 0.25 - dense 128 - relu - dropout 0.5 - dense 10 : the head.
struct CnnImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    // The dense layers, written as convolutions covering the whole 4 x 4 map (the same affine
    // maps): Debian's libtorch runs nn::Linear on the reference BLAS, 7x slower here than its
    // oneDNN convolutions (0.25 s against 0.034 s for 2000 x 512 -> 128).
    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};

    explicit CnnImpl(torch::Generator& gen) {
        conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 5)));
        conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 32, 5)));
        fc1 = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 128, 4)));
        fc2 = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(128, 10, 1)));
        // PyTorch's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from the
        // job's generator so that a run does not depend on other threads.
        torch::NoGradGuard no_grad;
        auto init = [&](torch::Tensor& w, torch::Tensor& bias) {
            const double bound = 1.0 / std::sqrt(double(w[0].numel()));
            w.copy_(torch::rand(w.sizes(), gen) * 2 * bound - bound);
            bias.copy_(torch::rand(bias.sizes(), gen) * 2 * bound - bound);
        };
        init(conv1->weight, conv1->bias);
        init(conv2->weight, conv2->bias);
        init(fc1->weight, fc1->bias);
        init(fc2->weight, fc2->bias);
    }

    /// The trunk's 512 features ([N, 32, 4, 4]), in chunks of 256 images (the convolutions' im2col buffers of a
    /// whole pool would take gigabytes).
    torch::Tensor features(const torch::Tensor& x) {
        if (x.size(0) <= 256) return trunk(x);
        std::vector<torch::Tensor> parts;
        for (Index i = 0; i < x.size(0); i += 256) parts.push_back(trunk(x.narrow(0, i, std::min<Index>(256, x.size(0) - i))));
        return torch::cat(parts);
    }
    torch::Tensor trunk(const torch::Tensor& x) {
        auto h = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
        return torch::max_pool2d(torch::relu(conv2->forward(h)), 2);
    }
    /// The penultimate layer (dense 128 after relu, [N, 128, 1, 1]), with dropout on its input
    /// when `gen`.
    torch::Tensor hidden(const torch::Tensor& f, torch::Generator* gen) {
        return torch::relu(fc1->forward(gen ? dropout(f, 0.25, *gen) : f));
    }
    /// [N, 10] logits.
    torch::Tensor logits(const torch::Tensor& h, torch::Generator* gen) {
        return fc2->forward(gen ? dropout(h, 0.5, *gen) : h).flatten(1);
    }
};
TORCH_MODULE(Cnn);

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Cnn train(const Data& pool, const std::vector<Index>& labeled, const Config& cfg, std::uint64_t seed) {
    auto gen = torch::make_generator<at::CPUGeneratorImpl>(seed);
    Cnn net(gen);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
    const auto idx = acquire::to_tensor(labeled);
    const auto x = pool.x.index_select(0, idx), y = pool.y.index_select(0, idx);
    const Index n = Index(labeled.size()), batch = std::min<Index>(cfg.batch, n);
    const Index steps = std::max<Index>(cfg.min_steps, cfg.epochs * ((n + batch - 1) / batch));
    examples::Epochs epochs(n, seed);
    std::vector<Index> pick(static_cast<std::size_t>(batch));
    net->train();
    for (Index s = 0; s < steps; ++s) {
        epochs.next(pick);
        const auto b = acquire::to_tensor(pick);
        const auto f = net->features(x.index_select(0, b));
        const auto loss = torch::cross_entropy_loss(net->logits(net->hidden(f, &gen), &gen), y.index_select(0, b));
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    net->eval();
    return net;
}

/// Eval-mode probabilities of a data set, in chunks.
double accuracy(Cnn& net, const Data& test) {
    torch::NoGradGuard no_grad;
    Index right = 0;
    for (Index i = 0; i < test.x.size(0); i += 256) {
        const Index n = std::min<Index>(256, test.x.size(0) - i);
        const auto logits = net->logits(net->hidden(net->features(test.x.narrow(0, i, n)), nullptr), nullptr);
        right += logits.argmax(1).eq(test.y.narrow(0, i, n)).sum().item<std::int64_t>();
    }
    return double(right) / double(test.x.size(0));
}

struct Row {
    std::string strategy;
    int seed;
    Index labels;
    double accuracy, training, inference, acquisition;
};

bool needs_mc(const std::string& s) { return s == "bald" || s == "batchbald"; }

/// The next b indices into the pool subset, by `strategy`. Model outputs arrive as tensors and
/// are viewed (not copied) through acquire/interop/torch.hpp.
std::vector<Index> acquire_batch(const std::string& strategy, const torch::Tensor& P, const torch::Tensor& H,
                                 const torch::Tensor& mc, const std::vector<Index>& labeled, const Config& cfg,
                                 std::uint64_t seed) {
    const Index b = cfg.b, n = P.size(0);
    if (strategy == "random") return acquire::random_select(n, b, seed, labeled);
    const auto p = acquire::as_matrix<float>(P, "probabilities");
    if (strategy == "margin") return acquire::top_k(acquire::margin(p), b, labeled);
    if (strategy == "entropy") return acquire::top_k(acquire::entropy(p), b, labeled);
    if (strategy == "bald") return acquire::top_k(acquire::bald(acquire::as_stack<float>(mc)), b, labeled);
    if (strategy == "batchbald") {
        // BatchBALD on a random subset of the unlabeled pool (as in Kirsch et al. 2019's
        // experiments), mapped back to pool indices.
        const auto subset = acquire::random_select(n, std::min<Index>(cfg.batchbald_subset, n - Index(labeled.size())),
                                                   seed, labeled);
        const auto sub = mc.index_select(1, acquire::to_tensor(subset));
        acquire::BatchBaldOptions o;
        o.seed = seed;
        const auto picks = acquire::batch_bald(acquire::as_stack<float>(sub), b, o).indices;
        std::vector<Index> out;
        for (Index i : picks) out.push_back(subset[std::size_t(i)]);
        return out;
    }
    const auto h = acquire::as_matrix<float>(H.flatten(1), "features");  // a view, no copy
    if (strategy == "badge") {
        acquire::BadgeOptions o;
        o.seed = seed;
        return acquire::badge(p, h, labeled, b, o).indices;
    }
    if (strategy == "k_center") return acquire::k_center_greedy(h, labeled, b).indices;
    throw std::invalid_argument("unknown strategy " + strategy);
}

std::vector<Row> run(const std::string& strategy, int seed, const Data& train_set, const Data& test, const Config& cfg) {
    // The pool: a random subset of the 60,000 training images, the same for every strategy
    // at this seed; the start: per_class labels of each class drawn from it (as DBAL: balanced).
    const auto pool_idx = acquire::random_select(train_set.x.size(0), cfg.pool, std::uint64_t(5000 + seed));
    const auto pidx = acquire::to_tensor(pool_idx);
    const Data pool{train_set.x.index_select(0, pidx), train_set.y.index_select(0, pidx)};
    std::vector<Index> labeled;
    {
        const auto order = acquire::random_select(cfg.pool, cfg.pool, std::uint64_t(1000 + seed));
        std::vector<int> count(10, 0);
        const auto y = pool.y.accessor<std::int64_t, 1>();
        for (Index i : order)
            if (count[std::size_t(y[i])] < cfg.per_class) ++count[std::size_t(y[i])], labeled.push_back(i);
    }
    std::vector<Row> rows;
    for (int round = 0; round <= cfg.rounds; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        auto net = train(pool, labeled, cfg, std::uint64_t(seed) * 100003 + std::uint64_t(round));
        Row row{strategy, seed, Index(labeled.size()), 0, seconds_since(t0), 0, 0};
        row.accuracy = accuracy(net, test);
        if (round < cfg.rounds) {
            torch::NoGradGuard no_grad;
            t0 = std::chrono::steady_clock::now();
            // Features once per round; the head runs over them (eval, then T dropout passes).
            const auto F = net->features(pool.x);
            const auto H = net->hidden(F, nullptr);  // [N, 128, 1, 1]: features are H.flatten(1)
            const auto P = torch::softmax(net->logits(H, nullptr), 1);
            torch::Tensor mc;
            if (needs_mc(strategy)) {
                auto gen = torch::make_generator<at::CPUGeneratorImpl>(std::uint64_t(seed) * 7919 + std::uint64_t(round));
                std::vector<torch::Tensor> passes;
                for (int t = 0; t < cfg.mc; ++t)
                    passes.push_back(torch::softmax(net->logits(net->hidden(F, &gen), &gen), 1));
                mc = torch::stack(passes);  // [T, N, K]
            }
            row.inference = seconds_since(t0);
            t0 = std::chrono::steady_clock::now();
            const auto batch = acquire_batch(strategy, P, H, mc, labeled, cfg, std::uint64_t(seed) * 7919 + std::uint64_t(round));
            row.acquisition = seconds_since(t0);
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

void report(const std::vector<Row>& rows, const Config& cfg, double wall) {
    std::map<std::string, std::map<Index, std::vector<double>>> acc;
    std::map<std::string, std::vector<double>> acq, trn, inf;
    for (const auto& r : rows) {
        acc[r.strategy][r.labels].push_back(r.accuracy);
        trn[r.strategy].push_back(r.training);
        if (r.inference > 0) inf[r.strategy].push_back(r.inference), acq[r.strategy].push_back(r.acquisition);
    }
    std::ofstream dat(cfg.out + "/summary.dat");
    for (const auto& s : cfg.strategies) {
        dat << "# " << s << "\n";
        for (const auto& [labels, v] : acc[s]) dat << labels << " " << stat(v).mean << " " << stat(v).sd << "\n";
        dat << "\n\n";
    }
    dat.close();
    const Index start = 10 * cfg.per_class, last = start + Index(cfg.rounds) * cfg.b;
    const Index mid = start + Index(cfg.rounds / 2) * cfg.b;
    const double random_final = acc["random"].count(last) ? stat(acc["random"][last]).mean : 0;
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
    std::ofstream md(cfg.out + "/results.md");
    md << std::fixed << std::setprecision(3);
    md << "| strategy | accuracy @ " << mid << " labels | accuracy @ " << last << " labels | labels to reach random's "
       << last << "-label accuracy (" << random_final
       << ") | training s / round | pool inference s / round | acquisition s / round |\n|---|---|---|---|---|---|---|\n";
    for (const auto& s : cfg.strategies) {
        std::string reach = "not reached";
        for (const auto& [labels, v] : acc[s])
            if (stat(v).mean >= random_final) {
                reach = std::to_string(labels);
                break;
            }
        md << "| " << s << " | " << cell(s, mid) << " | " << cell(s, last) << " | " << reach << " | "
           << stat(trn[s]).mean << " | " << (inf[s].empty() ? 0.0 : stat(inf[s]).mean) << " | "
           << (acq[s].empty() ? 0.0 : stat(acq[s]).mean) << " |\n";
    }
    md << "\nMean ± sample standard deviation over " << cfg.seeds << " seed(s), per-seed values in parentheses. Pool: "
       << cfg.pool << " random training images per seed; start " << start << " labels (" << cfg.per_class
       << " per class), b = " << cfg.b << ", " << cfg.rounds << " rounds; test: " << cfg.test
       << " images; training from scratch each round, " << cfg.epochs << " epochs (at least " << cfg.min_steps
       << " steps) of Adam, batch " << cfg.batch << "; MC dropout T = " << cfg.mc << "; BatchBALD on " << cfg.batchbald_subset
       << " random unlabeled pool images per round. ";
    if (wall > 0)
        md << "Wall time " << std::setprecision(0) << wall << " s with " << cfg.jobs << " worker thread(s), 1 torch thread each.\n";
    else
        md << "Tabulated with --report from the runs in the CSV.\n";
    md.close();
    std::ostringstream title;
    title << "Fashion-MNIST, libtorch CNN (start " << start << ", b = " << cfg.b << ", pool " << cfg.pool << "), "
          << cfg.seeds << " seed(s)";
    // No bars when random has no run at the final budget (nothing to reach).
    plot::learning_curves(cfg.out, title.str(), cfg.strategies, acc, acc["random"].count(last) ? last : Index(0), random_final);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) out.push_back(item);
    return out;
}

constexpr const char* csv_header = "strategy,seed,labels,accuracy,training_seconds,inference_seconds,acquisition_seconds";

void write_rows(std::ostream& out, const std::vector<Row>& rows) {
    for (const auto& row : rows)
        out << row.strategy << "," << row.seed << "," << row.labels << "," << row.accuracy << "," << row.training << ","
            << row.inference << "," << row.acquisition << "\n";
}

/// Rows of a results CSV (results.csv, or results.partial.csv of an unfinished run); none if absent.
std::vector<Row> read_rows(const std::string& path) {
    std::vector<Row> rows;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        const auto f = split(line);
        if (f.size() != 7) continue;
        rows.push_back({f[0], std::stoi(f[1]), std::stoll(f[2]), std::stod(f[3]), std::stod(f[4]), std::stod(f[5]),
                        std::stod(f[6])});
    }
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    bool resume = false;      // --resume: skip the (strategy, seed) runs already in results.partial.csv
    std::string report_from;  // --report CSV: only write the summary, table and plot of a CSV
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--quick") {
            cfg.seeds = 1, cfg.rounds = 2, cfg.pool = 1000, cfg.test = 1000, cfg.epochs = 10, cfg.min_steps = 30;
            cfg.batchbald_subset = 200;
        } else if (a == "--data") cfg.data = next();
        else if (a == "--out") cfg.out = next();
        else if (a == "--seeds") cfg.seeds = std::stoi(next());
        else if (a == "--rounds") cfg.rounds = std::stoi(next());
        else if (a == "--b") cfg.b = std::stoi(next());
        else if (a == "--pool") cfg.pool = std::stoll(next());
        else if (a == "--test") cfg.test = std::stoll(next());
        else if (a == "--epochs") cfg.epochs = std::stoi(next());
        else if (a == "--batchbald-subset") cfg.batchbald_subset = std::stoll(next());
        else if (a == "--jobs") cfg.jobs = std::max(1, std::stoi(next()));
        else if (a == "--strategies") cfg.strategies = split(next());
        else if (a == "--resume") resume = true;
        else if (a == "--report") report_from = next();
        else {
            std::cerr << "unknown flag " << a << "\n";
            return 2;
        }
    }
    if (!report_from.empty()) {  // e.g. the partial results of an unfinished run
        const auto rows = read_rows(report_from);
        std::vector<std::string> present;
        std::vector<int> seeds;
        for (const auto& r : rows) {
            if (std::find(present.begin(), present.end(), r.strategy) == present.end()) present.push_back(r.strategy);
            if (std::find(seeds.begin(), seeds.end(), r.seed) == seeds.end()) seeds.push_back(r.seed);
        }
        std::vector<std::string> order;
        for (const auto& st : cfg.strategies)
            if (std::find(present.begin(), present.end(), st) != present.end()) order.push_back(st);
        cfg.strategies = order;
        cfg.seeds = int(seeds.size());
        std::filesystem::create_directories(cfg.out);
        report(rows, cfg, 0);
        std::cout << "wrote " << cfg.out << "/summary.dat, results.md from " << rows.size() << " rows of " << report_from << "\n";
        return 0;
    }
    // Two runs at a time, one torch thread each: small batches parallelise poorly inside torch.
    torch::set_num_threads(1);
    Data train_set, test;
    try {
        train_set = load(cfg.data, "train", 60000);
        test = load(cfg.data, "t10k", cfg.test);
    } catch (const std::exception& e) {
        std::cerr << "libtorch_al: " << e.what() << " (install dataset-fashion-mnist or pass --data DIR)\n";
        return 1;
    }
    std::filesystem::create_directories(cfg.out);
    std::cout << "pool " << cfg.pool << " of " << train_set.x.size(0) << ", test " << test.x.size(0) << ", "
              << cfg.strategies.size() << " strategies x " << cfg.seeds << " seeds x " << cfg.rounds << " rounds of "
              << cfg.b << "\n" << std::flush;
    std::vector<std::pair<std::string, int>> jobs;
    for (int seed = 0; seed < cfg.seeds; ++seed)
        for (const auto& s : cfg.strategies) jobs.emplace_back(s, seed);
    std::vector<std::vector<Row>> results(jobs.size());
    // Each finished run is appended to results.partial.csv at once, so an interrupted run keeps
    // what it has done (--resume continues it, --report tabulates it).
    const std::string partial = cfg.out + "/results.partial.csv";
    std::vector<char> done(jobs.size(), 0);
    if (resume)
        for (const auto& r : read_rows(partial))
            for (std::size_t j = 0; j < jobs.size(); ++j)
                if (jobs[j].first == r.strategy && jobs[j].second == r.seed) results[j].push_back(r), done[j] = 1;
    if (!resume || !std::filesystem::exists(partial)) std::ofstream(partial) << csv_header << "\n";
    std::atomic<std::size_t> next_job{0};
    std::mutex print;
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < cfg.jobs; ++w)
        workers.emplace_back([&] {
            torch::set_num_threads(1);
            for (std::size_t j; (j = next_job++) < jobs.size();) {
                if (done[j]) continue;
                try {
                    results[j] = run(jobs[j].first, jobs[j].second, train_set, test, cfg);
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lock(print);
                    error = jobs[j].first + ": " + e.what();
                    continue;
                }
                std::lock_guard<std::mutex> lock(print);
                std::ofstream out(partial, std::ios::app);
                write_rows(out, results[j]);
                std::cout << std::fixed << std::setprecision(4) << jobs[j].first << " seed " << jobs[j].second
                          << ": accuracy " << results[j].front().accuracy << " -> " << results[j].back().accuracy
                          << " at " << results[j].back().labels << " labels (" << std::setprecision(1)
                          << seconds_since(t0) << " s)\n" << std::flush;
            }
        });
    for (auto& w : workers) w.join();
    if (!error.empty()) {
        std::cerr << "libtorch_al: " << error << "\n";
        return 1;
    }
    std::vector<Row> rows;
    std::ofstream csv(cfg.out + "/results.csv");
    csv << csv_header << "\n";
    for (const auto& r : results) {
        rows.insert(rows.end(), r.begin(), r.end());
        write_rows(csv, r);
    }
    csv.close();
    const double wall = seconds_since(t0);
    report(rows, cfg, wall);
    std::cout << "wrote " << cfg.out << "/results.csv, summary.dat, results.md in " << std::setprecision(1) << wall
              << " s\n";
}
