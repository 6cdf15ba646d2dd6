// LabelDispersion and ForgettingEvents fed sequences of epochs and mini-batches with wrong
// sizes, out-of-range labels and indices, repeats and non-0/1 flags; checked against a recount.
#include "fuzz.hpp"

#include <acquire/score/dynamics.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(20), K = in.upto(5);
    const bool hostile = in.flag();
    const Index epochs = in.upto(8);
    fuzz::accept_invalid([&] {
        acquire::LabelDispersion tracker(n, K);
        std::vector<std::vector<int>> history;
        for (Index e = 0; e < epochs; ++e) {
            std::vector<int> labels(static_cast<std::size_t>(hostile && in.rarely(6) ? in.upto(n + 1) : n));
            for (auto& l : labels) l = hostile && in.rarely(8) ? int(in.byte()) - 128 : int(in.upto(K - 1));
            bool accepted = false;
            fuzz::accept_invalid([&] {
                tracker.observe(labels);
                accepted = true;
            });
            if (accepted) history.push_back(labels);
        }
        if (tracker.epochs() != static_cast<Index>(history.size())) fuzz::contract_broken("a rejected epoch was counted");
        if (history.empty()) return;
        const Eigen::VectorXd s = tracker.scores();
        fuzz::expect_scores(s, n, true);
        for (Index i = 0; i < n; ++i) {
            std::vector<int> count(static_cast<std::size_t>(K), 0);
            for (const auto& h : history) ++count[static_cast<std::size_t>(h[static_cast<std::size_t>(i)])];
            const int f = *std::max_element(count.begin(), count.end());
            if (s[i] != 1.0 - double(f) / double(history.size())) fuzz::contract_broken("dispersion differs from a recount");
        }
    });
    fuzz::accept_invalid([&] {
        acquire::ForgettingEvents tracker(n);
        std::vector<std::vector<int>> seen(static_cast<std::size_t>(std::max<Index>(n, 0)));
        for (Index step = 0; step < epochs * 2; ++step) {
            std::vector<Index> batch = in.indices(n, n + 1, hostile);
            std::vector<int> correct(batch.size() + (hostile && in.rarely(8) ? 1 : 0));
            for (auto& c : correct) c = hostile && in.rarely(10) ? 2 : int(in.flag());
            bool accepted = false;
            fuzz::accept_invalid([&] {
                tracker.observe(batch, correct);
                accepted = true;
            });
            if (accepted)
                for (std::size_t j = 0; j < batch.size(); ++j) seen[static_cast<std::size_t>(batch[j])].push_back(correct[j]);
        }
        fuzz::expect_scores(tracker.scores(), n, true, true);
        for (Index i = 0; i < n; ++i) {
            const auto& h = seen[static_cast<std::size_t>(i)];
            Index events = 0;
            bool ever = false;
            for (std::size_t t = 0; t < h.size(); ++t) {
                ever = ever || h[t];
                if (t > 0 && h[t - 1] && !h[t]) ++events;
            }
            if (tracker.count(i) != events || tracker.learned(i) != ever) fuzz::contract_broken("forgetting differs from a recount");
        }
    });
    return 0;
}
