// Active learning for semantic segmentation with libtorch, cost counted in labelled pixels:
// which images, or which parts of images, to send to annotators, chosen by acquire's dense scores
// (acquire/score/dense.hpp) and region selection (acquire/score/regions.hpp).
//
// Scenes: 2 x 2 Fashion-MNIST garments on a 56 x 56 canvas, one 28 x 28 image per quadrant. A
// pixel's class is its garment's class + 1 (1..10) where the garment's ink is, intensity > 0.2,
// and background (0) elsewhere: 11 classes. The pool is 2,000 scenes of distinct training images
// (drawn per seed), the test set 500 scenes of distinct test images (the same for every seed).
//
// Network: a small fully-convolutional network with two dropout layers (see Fcn), trained from
// scratch every round on the labelled pixels only: pixel-wise cross-entropy with the unlabelled
// pixels ignored, 400 Adam steps of 16 images that have a labelled pixel (lr 3e-3, cosine decay),
// the same number of steps for every strategy and round. The pool's outputs are computed in
// chunks of images: the trunk once, then the head in eval mode for probabilities ([N][K][H][W],
// DenseView::nchw) or T = 8 times with dropout on for the MC stack ([T][N][K][H][W],
// DenseStackView::tnkhw).
//
// Protocol, the same for every strategy: 4 random images fully labelled (the same at a seed), then
// rounds of 4 images' worth of pixels (4 x 3,136 = 12,544): an image strategy labels 4 whole
// images, the region strategy 64 patches of 14 x 14 (196 pixels each), anywhere in the pool.
// Strategies:
//   random          4 random unlabelled images
//   entropy         the 4 images of highest mean pixel entropy (dense_score, Reduction::mean)
//   bald            the 4 images of highest mean pixel BALD over the T passes (dense_stack_score)
//   top_q_entropy   the 4 images whose 5% most uncertain pixels have the highest mean entropy
//                   (dense_score, Reduction::top_q, q = 0.05)
//   region_entropy  the 64 unlabelled patches of highest mean pixel entropy (region_scores over
//                   Regions::grid(14) with the labelled pixels masked out, select_regions)
//   random_regions  64 unlabelled patches drawn uniformly: region_entropy's control, which
//                   separates labelling patches from choosing them by entropy
// Metric: mIoU on the test scenes after every round's training: per class, IoU = TP / (TP + FP
// + FN) summed over all the test pixels, averaged over the 11 classes; a class absent from both
// the predictions and the truth (TP + FP + FN = 0) is left out of the mean.
//
//   segmentation_al [--data DIR] [--out DIR] [--seeds 3] [--rounds 10] [--pool 2000] [--test 500]
//                   [--steps 400] [--lr 3e-3] [--jobs 2] [--strategies random,entropy,...] [--quick]
//
// Runs (strategy, seed) in --jobs worker threads, one torch thread each. Writes DIR/results.csv,
// DIR/summary.dat, DIR/results.md, DIR/reach.dat, DIR/plot.gp (examples/plot.hpp) and (with
// gnuplot) DIR/learning_curves.png.
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
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using acquire::Index;

constexpr Index item = 28;                     // a garment's side
constexpr Index side = 2 * item;               // a scene's side: 2 x 2 garments
constexpr Index scene_pixels = side * side;    // what labelling a whole scene costs
constexpr Index patch = 14;                    // the region strategy's patch side
constexpr Index patch_pixels = patch * patch;  // what labelling a patch costs
constexpr Index classes = 11;                  // background + the 10 garment classes
constexpr float ink = 0.2f;                    // a garment's pixel is its class above this intensity
constexpr std::int64_t unlabelled = -1;        // the target of a pixel not labelled (ignore_index)

const std::vector<std::string> known_strategies{"random", "entropy", "bald", "top_q_entropy", "region_entropy",
                                                "random_regions"};

struct Config {
    std::string data = "/usr/share/datasets/fashion-mnist", out = "segmentation_results";
    int seeds = 3, rounds = 10, steps = 400, batch = 16, mc = 8, jobs = 2;
    Index pool = 2000, test = 500, start_images = 4, images_per_round = 4, chunk = 250;
    double q = 0.05, lr = 3e-3;
    std::vector<std::string> strategies = known_strategies;
};

/// Fashion-MNIST images and labels, as read.
struct Garments {
    torch::Tensor images;  // [n, 28, 28] uint8
    torch::Tensor labels;  // [n] int64, 0..9
};

Garments load(const std::string& dir, const std::string& prefix) {
    auto images = fmnist::read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
    auto labels = fmnist::read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
    const Index n = Index(images.dims[0]);
    return {torch::from_blob(images.bytes.data(), {n, item, item}, torch::kByte).clone(),
            torch::from_blob(labels.bytes.data(), {n}, torch::kByte).to(torch::kLong)};
}

struct Scenes {
    torch::Tensor x;  // [N, 1, 56, 56] float in [0, 1]
    torch::Tensor y;  // [N, 56, 56] int64: 1 + the garment's class on its ink, 0 elsewhere
};

/// `count` scenes of 4 distinct garments of `g`, drawn by random_select(seed): garment 4 i + j
/// of the draw fills quadrant j (row by row) of scene i.
Scenes compose(const Garments& g, Index count, std::uint64_t seed) {
    const auto drawn = acquire::to_tensor(acquire::random_select(g.images.size(0), 4 * count, seed));
    // [scene, quadrant row, quadrant column, y, x] -> [scene, quadrant row, y, quadrant column, x]
    const auto x = g.images.index_select(0, drawn).to(torch::kFloat).div_(255.0f).view({count, 2, 2, item, item});
    const auto scene = x.permute({0, 1, 3, 2, 4}).reshape({count, side, side});
    const auto garment_class = (g.labels.index_select(0, drawn) + 1)
                                   .view({count, 2, 1, 2, 1})
                                   .expand({count, 2, item, 2, item})
                                   .reshape({count, side, side});
    return {scene.unsqueeze(1), garment_class * (scene > ink).to(torch::kLong)};
}

/// Dropout2d (whole channels) with the job's own generator: torch::dropout2d draws from the
/// global one, which two worker threads would share.
torch::Tensor dropout2d(const torch::Tensor& x, double p, torch::Generator& gen) {
    const auto keep = torch::rand({x.size(0), x.size(1), 1, 1}, gen, x.options()) < (1.0 - p);
    return x * keep / (1.0 - p);
}

/// What the network computes once per image, before its dropout layers.
struct Trunk {
    torch::Tensor fine;  // [N, 11, 56, 56]: the full-resolution logits
    torch::Tensor deep;  // [N, 32, 14, 14]: the features the dropout head reads
};

/// A small FCN, 24k weights, two paths added as logits (FCN-style), batch norm after every
/// 3 x 3 convolution:
///   fine:   conv 3x3 16 - bn - relu (56 x 56) - conv 1x1 11: where the ink is;
///   coarse: the 16 maps - max-pool 2 - conv 3x3 32 - bn - relu (28 x 28) - max-pool 2 - conv 3x3
///           32 - bn - relu (14 x 14) | dropout2d 0.25 - conv 3x3 32 dilation 2 - bn - relu -
///           dropout2d 0.5 - conv 1x1 11 - bilinear x 4: which garment, from a 34 x 34 receptive
///           field. The 14 x 14 grid's cells never straddle two quadrants.
/// The trunk runs once per image; MC dropout repeats only what follows "|".
struct FcnImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr}, fine{nullptr}, coarse{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, bn4{nullptr};

    explicit FcnImpl(torch::Generator& gen) {
        using torch::nn::Conv2dOptions;
        conv1 = register_module("conv1", torch::nn::Conv2d(Conv2dOptions(1, 16, 3).padding(1)));
        conv2 = register_module("conv2", torch::nn::Conv2d(Conv2dOptions(16, 32, 3).padding(1)));
        conv3 = register_module("conv3", torch::nn::Conv2d(Conv2dOptions(32, 32, 3).padding(1)));
        conv4 = register_module("conv4", torch::nn::Conv2d(Conv2dOptions(32, 32, 3).padding(2).dilation(2)));
        fine = register_module("fine", torch::nn::Conv2d(Conv2dOptions(16, classes, 1)));
        coarse = register_module("coarse", torch::nn::Conv2d(Conv2dOptions(32, classes, 1)));
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(16));
        bn2 = register_module("bn2", torch::nn::BatchNorm2d(32));
        bn3 = register_module("bn3", torch::nn::BatchNorm2d(32));
        bn4 = register_module("bn4", torch::nn::BatchNorm2d(32));
        // PyTorch's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from the
        // job's generator so that a run does not depend on other threads.
        torch::NoGradGuard no_grad;
        for (auto* conv : {&conv1, &conv2, &conv3, &conv4, &fine, &coarse}) {
            auto& w = (*conv)->weight;
            auto& bias = (*conv)->bias;
            const double bound = 1.0 / std::sqrt(double(w[0].numel()));
            w.copy_(torch::rand(w.sizes(), gen) * 2 * bound - bound);
            bias.copy_(torch::rand(bias.sizes(), gen) * 2 * bound - bound);
        }
    }

    Trunk trunk(const torch::Tensor& x) {
        const auto f1 = torch::relu(bn1->forward(conv1->forward(x)));
        const auto f2 = torch::relu(bn2->forward(conv2->forward(torch::max_pool2d(f1, 2))));
        return {fine->forward(f1), torch::relu(bn3->forward(conv3->forward(torch::max_pool2d(f2, 2))))};
    }
    /// [N, 11, 56, 56] logits, with dropout when `gen`.
    torch::Tensor logits(const Trunk& t, torch::Generator* gen) {
        const auto h = torch::relu(bn4->forward(conv4->forward(gen ? dropout2d(t.deep, 0.25, *gen) : t.deep)));
        const auto c = coarse->forward(gen ? dropout2d(h, 0.5, *gen) : h);
        namespace F = torch::nn::functional;
        return t.fine + F::interpolate(c, F::InterpolateFuncOptions()
                                              .size(std::vector<std::int64_t>{side, side})
                                              .mode(torch::kBilinear)
                                              .align_corners(false));
    }
};
TORCH_MODULE(Fcn);

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The labelled set of a pool: the targets, and the images with a labelled pixel.
struct Labelled {
    torch::Tensor target;       // [N, 56, 56] int64: the truth where labelled, `unlabelled` elsewhere
    std::vector<Index> images;  // images with a labelled pixel, in the order they were first touched
    Index pixels = 0;

    explicit Labelled(const Scenes& pool) : target(torch::full_like(pool.y, unlabelled)) {}

    /// Labels the pixels of image n in rows [y, y + h) and columns [x, x + w) not labelled yet.
    void label(const Scenes& pool, Index n, Index y, Index x, Index h, Index w) {
        auto to = target[n].narrow(0, y, h).narrow(1, x, w);
        const auto fresh = to == unlabelled;
        pixels += fresh.sum().item<std::int64_t>();
        to.copy_(torch::where(fresh, pool.y[n].narrow(0, y, h).narrow(1, x, w), to));
        if (std::find(images.begin(), images.end(), n) == images.end()) images.push_back(n);
    }
};

Fcn train(const Scenes& pool, const Labelled& labelled, const Config& cfg, std::uint64_t seed) {
    auto gen = torch::make_generator<at::CPUGeneratorImpl>(seed);
    Fcn net(gen);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(cfg.lr));
    const auto idx = acquire::to_tensor(labelled.images);
    const auto x = pool.x.index_select(0, idx), y = labelled.target.index_select(0, idx);
    const Index n = Index(labelled.images.size()), batch = std::min<Index>(cfg.batch, n);
    examples::Epochs epochs(n, seed);
    std::vector<Index> pick(static_cast<std::size_t>(batch));
    namespace F = torch::nn::functional;
    const auto loss_options = F::CrossEntropyFuncOptions().ignore_index(unlabelled);
    const double pi = std::acos(-1.0);
    for (int s = 0; s < cfg.steps; ++s) {
        epochs.next(pick);
        const auto b = acquire::to_tensor(pick);
        // Mean over the batch's labelled pixels; every image in it has some.
        const auto loss = F::cross_entropy(net->logits(net->trunk(x.index_select(0, b)), &gen), y.index_select(0, b),
                                           loss_options);
        // Cosine decay of the learning rate to 0: the last steps settle instead of ending on a
        // noisy one.
        static_cast<torch::optim::AdamOptions&>(opt.param_groups()[0].options())
            .lr(cfg.lr * 0.5 * (1 + std::cos(pi * s / cfg.steps)));
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    net->eval();
    return net;
}

/// Mean IoU on `test` (see the top of the file), from a confusion matrix summed over chunks.
double mean_iou(Fcn& net, const Scenes& test, Index chunk) {
    torch::NoGradGuard no_grad;
    auto confusion = torch::zeros({classes * classes}, torch::kLong);
    const Index N = test.x.size(0);
    for (Index first = 0; first < N; first += chunk) {
        const Index n = std::min(chunk, N - first);
        const auto predicted = net->logits(net->trunk(test.x.narrow(0, first, n)), nullptr).argmax(1);
        const auto pairs = (test.y.narrow(0, first, n) * classes + predicted).flatten();  // truth K + prediction
        confusion += torch::bincount(pairs, {}, classes * classes);
    }
    const auto c = confusion.view({classes, classes}).to(torch::kDouble);  // [truth, prediction]
    const auto hit = c.diagonal(), either = c.sum(0) + c.sum(1) - hit;
    const auto present = either > 0;
    return (hit.masked_select(present) / either.masked_select(present)).mean().item<double>();
}

/// One round's acquisition: labels the pixels `strategy` picks, images_per_round images' worth.
/// The pool's outputs are computed chunk by chunk (an MC stack of the whole pool would take
/// 2 GB) and viewed in place by acquire's dense views.
void acquire_round(const std::string& strategy, Fcn& net, const Scenes& pool, Labelled& labelled,
                   const Config& cfg, std::uint64_t seed) {
    const Index N = pool.x.size(0);
    if (strategy == "random") {
        for (Index n : acquire::random_select(N, cfg.images_per_round, seed, labelled.images))
            labelled.label(pool, n, 0, 0, side, side);
        return;
    }
    const Index per_row = side / patch, patches_per_round = cfg.images_per_round * scene_pixels / patch_pixels;
    if (strategy == "random_regions") {  // the control for region_entropy: patches drawn uniformly
        // Patches lie on the grid and are labelled whole, so a patch is free when its first pixel is.
        const auto first_pixels = labelled.target.index({torch::indexing::Slice(), torch::indexing::Slice(0, side, patch),
                                                          torch::indexing::Slice(0, side, patch)})
                                      .contiguous();  // [N, per_row, per_row]
        const auto* t = first_pixels.data_ptr<std::int64_t>();
        std::vector<Index> free;  // image * per_row^2 + patch number
        for (Index i = 0; i < first_pixels.numel(); ++i)
            if (t[i] == unlabelled) free.push_back(i);
        for (Index k : acquire::random_select(Index(free.size()), patches_per_round, seed)) {
            const Index image = free[std::size_t(k)] / (per_row * per_row), region = free[std::size_t(k)] % (per_row * per_row);
            labelled.label(pool, image, region / per_row * patch, region % per_row * patch, patch, patch);
        }
        return;
    }
    torch::NoGradGuard no_grad;
    auto gen = torch::make_generator<at::CPUGeneratorImpl>(seed);
    Eigen::VectorXf image_scores(N);
    acquire::RegionScores patches;
    for (Index first = 0; first < N; first += cfg.chunk) {
        const Index n = std::min(cfg.chunk, N - first);
        const auto trunk = net->trunk(pool.x.narrow(0, first, n));
        if (strategy == "bald") {
            std::vector<torch::Tensor> passes;
            for (int t = 0; t < cfg.mc; ++t) passes.push_back(torch::softmax(net->logits(trunk, &gen), 1));
            const auto stack = torch::stack(passes);  // [T, n, K, H, W]
            const auto S =
                acquire::DenseStackView<float>::tnkhw(stack.data_ptr<float>(), cfg.mc, n, classes, side, side);
            image_scores.segment(first, n) = acquire::dense_stack_score(S, acquire::StackScore::bald);
            continue;
        }
        const auto probabilities = torch::softmax(net->logits(trunk, nullptr), 1);  // [n, K, H, W]
        const auto P = acquire::DenseView<float>::nchw(probabilities.data_ptr<float>(), n, classes, side, side);
        acquire::DenseOptions options;
        if (strategy == "entropy") {
            image_scores.segment(first, n) = acquire::dense_score(P, acquire::ElementScore::entropy);
        } else if (strategy == "top_q_entropy") {
            options.reduction = acquire::Reduction::top_q;
            options.q = cfg.q;
            image_scores.segment(first, n) = acquire::dense_score(P, acquire::ElementScore::entropy, options);
        } else {  // region_entropy
            // Only the pixels not labelled yet count: a patch labelled earlier has none left, so
            // it is not scored (and cannot be picked again).
            const auto mask = (labelled.target.narrow(0, first, n) == unlabelled).to(torch::kByte);
            options.mask = acquire::ElementMask::dense(mask.data_ptr<std::uint8_t>(), n, side, side);
            const auto scored = acquire::region_scores(P, acquire::ElementScore::entropy, acquire::Regions::grid(patch),
                                                       options);
            for (Index i = 0; i < scored.size(); ++i)
                patches.image.push_back(first + scored.image[std::size_t(i)]);
            patches.region.insert(patches.region.end(), scored.region.begin(), scored.region.end());
            patches.pixels.insert(patches.pixels.end(), scored.pixels.begin(), scored.pixels.end());
            patches.score.insert(patches.score.end(), scored.score.begin(), scored.score.end());
        }
    }
    if (strategy != "region_entropy") {
        for (Index n : acquire::top_k(image_scores, cfg.images_per_round, labelled.images))
            labelled.label(pool, n, 0, 0, side, side);
        return;
    }
    const auto picked = acquire::select_regions(patches, patches_per_round);
    for (Index i = 0; i < picked.size(); ++i) {
        const Index region = picked.region[std::size_t(i)];
        labelled.label(pool, picked.image[std::size_t(i)], region / per_row * patch, region % per_row * patch, patch,
                       patch);
    }
}

struct Row {
    std::string strategy;
    int seed, round;
    Index pixels;
    double miou, seconds;
};

std::vector<Row> run(const std::string& strategy, int seed, const Garments& train_garments, const Scenes& test,
                     const Config& cfg) {
    // The pool and the first labelled images: the same for every strategy at this seed.
    const Scenes pool = compose(train_garments, cfg.pool, std::uint64_t(5000 + seed));
    Labelled labelled(pool);
    for (Index n : acquire::random_select(cfg.pool, cfg.start_images, std::uint64_t(1000 + seed)))
        labelled.label(pool, n, 0, 0, side, side);
    std::vector<Row> rows;
    for (int round = 0; round <= cfg.rounds; ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        auto net = train(pool, labelled, cfg, std::uint64_t(seed) * 100003 + std::uint64_t(round));
        Row row{strategy, seed, round, labelled.pixels, mean_iou(net, test, cfg.chunk), 0};
        if (round < cfg.rounds)
            acquire_round(strategy, net, pool, labelled, cfg, std::uint64_t(seed) * 7919 + std::uint64_t(round));
        row.seconds = seconds_since(t0);
        rows.push_back(row);
    }
    return rows;
}

struct Stat {
    double mean = 0, sd = 0;
};

Stat stat(const std::vector<double>& v) {
    Stat s;
    for (double x : v) s.mean += x / double(v.size());
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean) / double(v.size() > 1 ? v.size() - 1 : 1);
    s.sd = std::sqrt(s.sd);
    return s;
}

void report(const std::vector<Row>& rows, const Config& cfg, double wall) {
    std::map<std::string, std::map<Index, std::vector<double>>> miou;
    std::map<std::string, std::vector<double>> seconds;
    for (const auto& r : rows) {
        miou[r.strategy][r.pixels].push_back(r.miou);
        seconds[r.strategy].push_back(r.seconds);
    }
    std::ofstream dat(cfg.out + "/summary.dat");
    dat << "# labelled_pixels mean_miou sd_miou\n";
    for (const auto& s : cfg.strategies) {
        dat << "# " << s << "\n";
        for (const auto& [pixels, v] : miou[s]) dat << pixels << " " << stat(v).mean << " " << stat(v).sd << "\n";
        dat << "\n\n";
    }
    dat.close();
    // Columns: a quarter, half and three quarters of the rounds, and the final budget.
    const Index per_round = cfg.images_per_round * scene_pixels, start = cfg.start_images * scene_pixels;
    std::set<Index> budgets;
    for (int r : {cfg.rounds / 4, cfg.rounds / 2, 3 * cfg.rounds / 4, cfg.rounds})
        if (r > 0) budgets.insert(start + Index(r) * per_round);
    const Index last = start + Index(cfg.rounds) * per_round;
    const bool random_ran = miou["random"].count(last) > 0;
    const double random_final = random_ran ? stat(miou["random"][last]).mean : 0;
    auto cell = [&](const std::string& s, Index pixels) {
        const auto it = miou[s].find(pixels);
        if (it == miou[s].end()) return std::string("n/a");
        const auto st = stat(it->second);
        std::ostringstream o;
        o << std::fixed << std::setprecision(3) << st.mean << " ± " << st.sd;
        if (pixels == last) {
            o << " (";
            for (std::size_t i = 0; i < it->second.size(); ++i) o << (i ? ", " : "") << it->second[i];
            o << ")";
        }
        return o.str();
    };
    std::ofstream md(cfg.out + "/results.md");
    md << std::fixed << std::setprecision(3) << "| strategy |";
    for (Index b : budgets) md << " mIoU @ " << b << " px (" << b / scene_pixels << " images' worth) |";
    md << " labelled pixels to reach random's final mIoU (" << random_final << ") | seconds / round |\n|---|";
    for (std::size_t i = 0; i < budgets.size(); ++i) md << "---|";
    md << "---|---|\n";
    for (const auto& s : cfg.strategies) {
        std::string reach = random_ran ? "not reached" : "n/a (no random run)";
        for (const auto& [pixels, v] : miou[s])
            if (random_ran && stat(v).mean >= random_final) {
                reach = std::to_string(pixels);
                break;
            }
        md << "| " << s << " |";
        for (Index b : budgets) md << " " << cell(s, b) << " |";
        md << " " << reach << " | " << std::setprecision(1) << stat(seconds[s]).mean << std::setprecision(3) << " |\n";
    }
    md << "\nTest mIoU (mean over the 11 classes, a class absent from both prediction and truth left out), mean ± "
       << "sample standard deviation over " << cfg.seeds << " seed(s), per-seed values in parentheses at the final "
       << "budget. Scenes: 2 x 2 Fashion-MNIST garments on 56 x 56, ink above " << ink << "; pool " << cfg.pool
       << " scenes per seed, test " << cfg.test << " scenes. Start: " << cfg.start_images
       << " random images fully labelled (" << start << " pixels); " << cfg.rounds << " rounds of " << per_round
       << " pixels: " << cfg.images_per_round << " images, or " << per_round / patch_pixels << " patches of " << patch
       << " x " << patch << " for the region strategies. Training from scratch each round: " << cfg.steps
       << " Adam steps (lr " << cfg.lr << ", cosine decay to 0) of " << cfg.batch
       << " images, cross-entropy over the labelled pixels; MC dropout T = " << cfg.mc << "; top_q_entropy q = "
       << cfg.q << ". Seconds per round: training, test mIoU and acquisition. "
       << "Wall time " << std::setprecision(0) << wall << " s with " << cfg.jobs
       << " worker thread(s), 1 torch thread each.\n";
    md.close();
    std::ostringstream title;
    title << "Fashion-MNIST scenes, segmentation FCN (start " << start << " px, " << per_round << " px per round, pool "
          << cfg.pool << "), " << cfg.seeds << " seed(s)";
    // No bars when random has no run at the final budget (nothing to reach).
    plot::learning_curves(cfg.out, title.str(), cfg.strategies, miou, random_ran ? last : Index(0), random_final,
                          {"labelled pixels", "test mIoU"});
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item_name; std::getline(in, item_name, ',');) out.push_back(item_name);
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
        if (a == "--quick") cfg.seeds = 1, cfg.rounds = 2, cfg.pool = 200, cfg.test = 200, cfg.steps = 150;
        else if (a == "--data") cfg.data = next();
        else if (a == "--out") cfg.out = next();
        else if (a == "--seeds") cfg.seeds = std::stoi(next());
        else if (a == "--rounds") cfg.rounds = std::stoi(next());
        else if (a == "--pool") cfg.pool = std::stoll(next());
        else if (a == "--test") cfg.test = std::stoll(next());
        else if (a == "--steps") cfg.steps = std::stoi(next());
        else if (a == "--lr") cfg.lr = std::stod(next());
        else if (a == "--jobs") cfg.jobs = std::max(1, std::stoi(next()));
        else if (a == "--strategies") cfg.strategies = split(next());
        else {
            std::cerr << "unknown flag " << a << "\n";
            return 2;
        }
    }
    for (const auto& s : cfg.strategies)
        if (std::find(known_strategies.begin(), known_strategies.end(), s) == known_strategies.end()) {
            std::cerr << "segmentation_al: unknown strategy " << s << "\n";
            return 2;
        }
    torch::set_num_threads(1);
    Garments train_garments;
    Scenes test;
    try {
        train_garments = load(cfg.data, "train");
        test = compose(load(cfg.data, "t10k"), cfg.test, 7);
    } catch (const std::exception& e) {
        std::cerr << "segmentation_al: " << e.what() << " (install dataset-fashion-mnist or pass --data DIR)\n";
        return 1;
    }
    std::filesystem::create_directories(cfg.out);
    std::cout << "pool " << cfg.pool << " scenes, test " << cfg.test << " scenes, " << cfg.strategies.size()
              << " strategies x " << cfg.seeds << " seeds x " << cfg.rounds << " rounds of "
              << cfg.images_per_round * scene_pixels << " pixels\n"
              << std::flush;
    std::vector<std::pair<std::string, int>> jobs;
    for (int seed = 0; seed < cfg.seeds; ++seed)
        for (const auto& s : cfg.strategies) jobs.emplace_back(s, seed);
    std::vector<std::vector<Row>> results(jobs.size());
    std::atomic<std::size_t> next_job{0};
    std::mutex print;
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < cfg.jobs; ++w)
        workers.emplace_back([&] {
            torch::set_num_threads(1);
            for (std::size_t j; (j = next_job++) < jobs.size();) {
                try {
                    results[j] = run(jobs[j].first, jobs[j].second, train_garments, test, cfg);
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lock(print);
                    error = jobs[j].first + ": " + e.what();
                    continue;
                }
                std::lock_guard<std::mutex> lock(print);
                std::cout << std::fixed << std::setprecision(4) << jobs[j].first << " seed " << jobs[j].second
                          << ": mIoU " << results[j].front().miou << " -> " << results[j].back().miou << " at "
                          << results[j].back().pixels << " labelled pixels (" << std::setprecision(1)
                          << seconds_since(t0) << " s)\n"
                          << std::flush;
            }
        });
    for (auto& w : workers) w.join();
    if (!error.empty()) {
        std::cerr << "segmentation_al: " << error << "\n";
        return 1;
    }
    std::vector<Row> rows;
    std::ofstream csv(cfg.out + "/results.csv");
    csv << "strategy,seed,round,labelled_pixels,miou,seconds\n";
    for (const auto& r : results)
        for (const auto& row : r) {
            rows.push_back(row);
            csv << row.strategy << "," << row.seed << "," << row.round << "," << row.pixels << "," << row.miou << ","
                << row.seconds << "\n";
        }
    csv.close();
    const double wall = seconds_since(t0);
    report(rows, cfg, wall);
    std::cout << "wrote " << cfg.out << "/results.csv, summary.dat, results.md in " << std::setprecision(1) << wall
              << " s\n";
}
