// The studies' figure, shared by examples/fashion_mnist and examples/libtorch: writes
// DIR/reach.dat (labels each strategy needs to reach random's final mean accuracy, best first)
// and DIR/plot.gp, then runs gnuplot (when installed) to draw DIR/learning_curves.png:
//   left: the mean learning curve of every strategy, each with its own colour, point and dash
//         type (the same for a strategy in every study), random as a plain thick black line,
//         mean +- sd as a light band behind the lines;
//   right: a bar per strategy of the labels it needs to reach random's final mean accuracy,
//         best first; strategies that never reach it are drawn hatched at random's final budget,
//         with their final mean accuracy.
// DIR/summary.dat must already hold one index block per name, in the order of `names`, with
// the columns labels, mean, sd.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace plot {

struct Style {
    const char* colour;  // "#rrggbb"
    int point;           // gnuplot point type (pngcairo), -1: none
    int dash;            // gnuplot dash type
};

/// Fixed style of a strategy, the same in every plot; names not listed take the fallback styles
/// in turn (`other` counts them).
inline Style style(const std::string& name, std::size_t& other) {
    static const std::map<std::string, Style> known = {
        {"random", {"#000000", -1, 1}},      {"margin", {"#1f77b4", 5, 1}},         {"entropy", {"#d62728", 7, 1}},
        {"bald", {"#ff7f0e", 9, 1}},         {"power_entropy", {"#e377c2", 11, 2}}, {"power_bald", {"#8c564b", 13, 1}},
        {"badge", {"#2ca02c", 15, 1}},       {"k_center", {"#7f7f7f", 4, 3}},       {"typiclust", {"#17becf", 6, 1}},
        {"probcover", {"#bcbd22", 8, 2}},    {"cluster_margin", {"#882255", 10, 2}}, {"batch_bald", {"#9467bd", 12, 2}},
        {"batchbald", {"#9467bd", 12, 2}},
    };
    static const Style fallback[] = {{"#000080", 14, 2}, {"#009e73", 1, 1}, {"#a6761d", 2, 2},
                                     {"#e7298a", 3, 1},  {"#66a61e", 14, 3}, {"#6a3d9a", 1, 2}};
    const auto it = known.find(name);
    if (it != known.end()) return it->second;
    return fallback[other++ % (sizeof fallback / sizeof fallback[0])];
}

/// `s` inside a gnuplot single-quoted string.
inline std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

/// What the curves' axes measure: the labelling cost and the score.
struct Axes {
    std::string cost = "labeled images", score = "test accuracy";
};

/// Writes DIR/reach.dat and DIR/plot.gp and runs gnuplot. `acc[name][labels]` holds the
/// accuracies (or another score, named by `axes`) of the seeds; `final_labels` and
/// `random_final` are random's final budget and mean score there (no bar panel when random has
/// no data).
template <class Labels>
void learning_curves(const std::string& dir, const std::string& title, const std::vector<std::string>& names,
                     const std::map<std::string, std::map<Labels, std::vector<double>>>& acc, Labels final_labels,
                     double random_final, const Axes& axes = {}) {
    auto mean = [](const std::vector<double>& v) {  // as the tables compute it, so "reached" agrees with them
        double m = 0;
        for (double x : v) m += x / double(v.size());
        return m;
    };
    auto data = [&](const std::string& s) {
        const auto it = acc.find(s);
        return it == acc.end() ? nullptr : it->second.empty() ? nullptr : &it->second;
    };
    const bool bars = data("random") != nullptr && final_labels > 0;

    // reach.dat: rank, strategy, labels (random's final budget if not reached), reached (0/1),
    // final mean accuracy, linetype; sorted by reached, labels, final accuracy.
    std::vector<std::tuple<int, long long, double, std::size_t>> reach;  // not reached, labels, -final accuracy, index
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto* a = data(names[i]);
        if (!a) continue;
        long long labels = static_cast<long long>(final_labels);
        int missed = 1;
        for (const auto& [l, v] : *a)
            if (mean(v) >= random_final) {
                labels = static_cast<long long>(l), missed = 0;
                break;
            }
        reach.emplace_back(missed, labels, -mean(a->rbegin()->second), i);
    }
    std::sort(reach.begin(), reach.end());
    if (bars) {
        std::ofstream rd(dir + "/reach.dat");
        rd << "# labels to reach random's " << final_labels << "-label mean accuracy " << random_final
           << ", best first\n# rank strategy labels reached final_accuracy linetype\n";
        for (std::size_t r = 0; r < reach.size(); ++r) {
            const auto& [missed, labels, neg_final, i] = reach[r];
            rd << r << " " << names[i] << " " << labels << " " << 1 - missed << " " << std::setprecision(6) << -neg_final
               << " " << i + 1 << "\n";
        }
    }

    std::ofstream gp(dir + "/plot.gp");
    const std::string summary = "data";  // gnuplot variable: summary.dat's path
    // noenhanced: names are shown as written (enhanced text would turn "_" into a subscript).
    gp << "# Written by the study program (examples/plot.hpp): learning curves from summary.dat, bars from reach.dat.\n"
       << "set terminal pngcairo noenhanced size 1400,700 font ',11'\nset output " << quoted(dir + "/learning_curves.png")
       << "\ndata = " << quoted(dir + "/summary.dat")
       << "\n# one linetype per strategy, in summary.dat's order: colour, point type, dash type\n";
    std::size_t other = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const Style st = style(names[i], other);
        gp << "set linetype " << i + 1 << " lc rgb '" << st.colour << "' "
           << (names[i] == "random" ? "lw 3 pt -1" : "lw 2 pt " + std::to_string(st.point)) << " ps 1.2 dt " << st.dash
           << "  # " << names[i] << "\n";
    }
    gp << "set multiplot title " << quoted(title) << " font ',13'\n"
       << "set origin 0,0\nset size " << (bars ? "0.64" : "1") << ",0.95\nset grid\nset autoscale xfix\n"
       << "set key outside right top vertical Left reverse spacing 1.3\n"
       << "set xlabel '" << axes.cost << "'\nset ylabel '" << axes.score << "'\nset title 'mean " << axes.score
       << "; band: mean ± sd over the seeds'\n";
    // Bands first, then the lines; random's line last (on top), its key entry first.
    std::vector<std::string> clauses;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (data(names[i]))
            clauses.push_back(summary + " index " + std::to_string(i) + " using 1:($2-$3):($2+$3) with filledcurves lt " +
                              std::to_string(i + 1) + " fs transparent solid 0.15 noborder notitle");
    const auto random_at = std::size_t(std::find(names.begin(), names.end(), "random") - names.begin());
    const bool random_drawn = random_at < names.size() && data("random");
    if (random_drawn) clauses.push_back("keyentry with lines lt " + std::to_string(random_at + 1) + " title 'random'");
    for (std::size_t i = 0; i < names.size(); ++i)
        if (data(names[i]) && names[i] != "random")
            clauses.push_back(summary + " index " + std::to_string(i) + " using 1:2 with linespoints lt " +
                              std::to_string(i + 1) + " title " + quoted(names[i]));
    if (random_drawn)
        clauses.push_back(summary + " index " + std::to_string(random_at) + " using 1:2 with lines lt " +
                          std::to_string(random_at + 1) + " notitle");
    gp << "plot ";
    for (std::size_t c = 0; c < clauses.size(); ++c) gp << (c ? ", \\\n     " : "") << clauses[c];
    gp << "\n";
    if (bars) {
        gp << std::fixed << std::setprecision(3) << "# labels to reach random's final mean score, best first\n"
           << "reach = " << quoted(dir + "/reach.dat") << "\nfinal = " << final_labels << "\nunset key\n"
           << "set origin 0.62,0\nset size 0.38,0.95\nset lmargin 16\nset rmargin 2\n"
           << "set title \"" << axes.cost << " to reach random's final " << axes.score << "\\n(" << random_final
           << " at " << final_labels << "), best first\"\nset xlabel \"" << axes.cost
           << "\\nhatched: not reached (final " << axes.score << ")\"\n"
           << "unset ylabel\nset xrange [0:final*1.7]\nset yrange [" << double(reach.size()) - 0.4 << ":-0.6]\n"
           << "set ytics scale 0\nset grid noytics\n"
           << "set arrow 1 from final, graph 0 to final, graph 1 nohead dt 2 lc rgb 'black'  # random's final budget\n"
           << "plot reach using ($4 > 0 ? $3/2 : 1/0):1:($3/2):(0.35):6 with boxxyerror lc variable fs solid 0.85 noborder, \\\n"
           << "     reach using ($4 > 0 ? 1/0 : $3/2):1:($3/2):(0.35):6 with boxxyerror lc variable fs pattern 4 border, \\\n"
           << "     reach using 3:1:($4 > 0 ? sprintf('%d (%d%%)', int($3), int(100.0*$3/final + 0.5)) : "
           << "sprintf('not reached (%.3f)', $5)):ytic(2) with labels left offset 0.5,0\n";
    }
    gp << "unset multiplot\n";
    gp.close();
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        std::cout << "gnuplot not found: skipping the plot (apt-get install gnuplot-nox); " << dir << "/plot.gp draws it\n";
        return;
    }
    if (std::system(("gnuplot " + dir + "/plot.gp").c_str()) != 0) std::cout << "gnuplot failed; the data is in summary.dat\n";
}

}  // namespace plot
