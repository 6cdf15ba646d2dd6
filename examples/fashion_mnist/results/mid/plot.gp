# Written by the study program (examples/plot.hpp): learning curves from summary.dat, bars from reach.dat.
set terminal pngcairo noenhanced size 1400,700 font ',11'
set output 'examples/fashion_mnist/results/mid/learning_curves.png'
data = 'examples/fashion_mnist/results/mid/summary.dat'
# one linetype per strategy, in summary.dat's order: colour, point type, dash type
set linetype 1 lc rgb '#000000' lw 3 pt -1 ps 1.2 dt 1  # random
set linetype 2 lc rgb '#1f77b4' lw 2 pt 5 ps 1.2 dt 1  # margin
set linetype 3 lc rgb '#d62728' lw 2 pt 7 ps 1.2 dt 1  # entropy
set linetype 4 lc rgb '#ff7f0e' lw 2 pt 9 ps 1.2 dt 1  # bald
set linetype 5 lc rgb '#e377c2' lw 2 pt 11 ps 1.2 dt 2  # power_entropy
set linetype 6 lc rgb '#8c564b' lw 2 pt 13 ps 1.2 dt 1  # power_bald
set linetype 7 lc rgb '#2ca02c' lw 2 pt 15 ps 1.2 dt 1  # badge
set linetype 8 lc rgb '#7f7f7f' lw 2 pt 4 ps 1.2 dt 3  # k_center
set linetype 9 lc rgb '#17becf' lw 2 pt 6 ps 1.2 dt 1  # typiclust
set linetype 10 lc rgb '#bcbd22' lw 2 pt 8 ps 1.2 dt 2  # probcover
set linetype 11 lc rgb '#882255' lw 2 pt 10 ps 1.2 dt 2  # cluster_margin
set multiplot title 'Fashion-MNIST active learning, mid budget (start 100, b = 100), 3 seeds' font ',13'
set origin 0,0
set size 0.64,0.95
set grid
set autoscale xfix
set key outside right top vertical Left reverse spacing 1.3
set xlabel 'labeled images'
set ylabel 'test accuracy'
set title 'mean test accuracy; band: mean ± sd over the seeds'
plot data index 0 using 1:($2-$3):($2+$3) with filledcurves lt 1 fs transparent solid 0.15 noborder notitle, \
     data index 1 using 1:($2-$3):($2+$3) with filledcurves lt 2 fs transparent solid 0.15 noborder notitle, \
     data index 2 using 1:($2-$3):($2+$3) with filledcurves lt 3 fs transparent solid 0.15 noborder notitle, \
     data index 3 using 1:($2-$3):($2+$3) with filledcurves lt 4 fs transparent solid 0.15 noborder notitle, \
     data index 4 using 1:($2-$3):($2+$3) with filledcurves lt 5 fs transparent solid 0.15 noborder notitle, \
     data index 5 using 1:($2-$3):($2+$3) with filledcurves lt 6 fs transparent solid 0.15 noborder notitle, \
     data index 6 using 1:($2-$3):($2+$3) with filledcurves lt 7 fs transparent solid 0.15 noborder notitle, \
     data index 7 using 1:($2-$3):($2+$3) with filledcurves lt 8 fs transparent solid 0.15 noborder notitle, \
     data index 8 using 1:($2-$3):($2+$3) with filledcurves lt 9 fs transparent solid 0.15 noborder notitle, \
     data index 9 using 1:($2-$3):($2+$3) with filledcurves lt 10 fs transparent solid 0.15 noborder notitle, \
     data index 10 using 1:($2-$3):($2+$3) with filledcurves lt 11 fs transparent solid 0.15 noborder notitle, \
     keyentry with lines lt 1 title 'random', \
     data index 1 using 1:2 with linespoints lt 2 title 'margin', \
     data index 2 using 1:2 with linespoints lt 3 title 'entropy', \
     data index 3 using 1:2 with linespoints lt 4 title 'bald', \
     data index 4 using 1:2 with linespoints lt 5 title 'power_entropy', \
     data index 5 using 1:2 with linespoints lt 6 title 'power_bald', \
     data index 6 using 1:2 with linespoints lt 7 title 'badge', \
     data index 7 using 1:2 with linespoints lt 8 title 'k_center', \
     data index 8 using 1:2 with linespoints lt 9 title 'typiclust', \
     data index 9 using 1:2 with linespoints lt 10 title 'probcover', \
     data index 10 using 1:2 with linespoints lt 11 title 'cluster_margin', \
     data index 0 using 1:2 with lines lt 1 notitle
# labels to reach random's final mean accuracy, best first
reach = 'examples/fashion_mnist/results/mid/reach.dat'
final = 1600
unset key
set origin 0.62,0
set size 0.38,0.95
set lmargin 16
set rmargin 2
set title "labels to reach random's final accuracy\n(0.803 at 1600 labels), best first"
set xlabel "labeled images\nhatched: not reached (final accuracy)"
unset ylabel
set xrange [0:final*1.7]
set yrange [10.600:-0.6]
set ytics scale 0
set grid noytics
set arrow 1 from final, graph 0 to final, graph 1 nohead dt 2 lc rgb 'black'  # random's final budget
plot reach using ($4 > 0 ? $3/2 : 1/0):1:($3/2):(0.35):6 with boxxyerror lc variable fs solid 0.85 noborder, \
     reach using ($4 > 0 ? 1/0 : $3/2):1:($3/2):(0.35):6 with boxxyerror lc variable fs pattern 4 border, \
     reach using 3:1:($4 > 0 ? sprintf('%d (%d%%)', int($3), int(100.0*$3/final + 0.5)) : sprintf('not reached (%.3f)', $5)):ytic(2) with labels left offset 0.5,0
unset multiplot
