# Written by the study program (examples/plot.hpp): learning curves from summary.dat, bars from reach.dat.
set terminal pngcairo noenhanced size 1400,700 font ',11'
set output 'examples/libtorch/results/quick/learning_curves.png'
data = 'examples/libtorch/results/quick/summary.dat'
# one linetype per strategy, in summary.dat's order: colour, point type, dash type
set linetype 1 lc rgb '#000000' lw 3 pt -1 ps 1.2 dt 1  # random
set linetype 2 lc rgb '#1f77b4' lw 2 pt 5 ps 1.2 dt 1  # margin
set linetype 3 lc rgb '#d62728' lw 2 pt 7 ps 1.2 dt 1  # entropy
set linetype 4 lc rgb '#ff7f0e' lw 2 pt 9 ps 1.2 dt 1  # bald
set linetype 5 lc rgb '#9467bd' lw 2 pt 12 ps 1.2 dt 2  # batchbald
set linetype 6 lc rgb '#2ca02c' lw 2 pt 15 ps 1.2 dt 1  # badge
set linetype 7 lc rgb '#7f7f7f' lw 2 pt 4 ps 1.2 dt 3  # k_center
set multiplot title 'Fashion-MNIST, libtorch CNN (start 20, b = 10, pool 1000), 1 seed(s)' font ',13'
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
     keyentry with lines lt 1 title 'random', \
     data index 1 using 1:2 with linespoints lt 2 title 'margin', \
     data index 2 using 1:2 with linespoints lt 3 title 'entropy', \
     data index 3 using 1:2 with linespoints lt 4 title 'bald', \
     data index 4 using 1:2 with linespoints lt 5 title 'batchbald', \
     data index 5 using 1:2 with linespoints lt 6 title 'badge', \
     data index 6 using 1:2 with linespoints lt 7 title 'k_center', \
     data index 0 using 1:2 with lines lt 1 notitle
# labels to reach random's final mean accuracy, best first
reach = 'examples/libtorch/results/quick/reach.dat'
final = 40
unset key
set origin 0.62,0
set size 0.38,0.95
set lmargin 16
set rmargin 2
set title "labels to reach random's final accuracy\n(0.465 at 40 labels), best first"
set xlabel "labeled images\nhatched: not reached (final accuracy)"
unset ylabel
set xrange [0:final*1.7]
set yrange [6.600:-0.6]
set ytics scale 0
set grid noytics
set arrow 1 from final, graph 0 to final, graph 1 nohead dt 2 lc rgb 'black'  # random's final budget
plot reach using ($4 > 0 ? $3/2 : 1/0):1:($3/2):(0.35):6 with boxxyerror lc variable fs solid 0.85 noborder, \
     reach using ($4 > 0 ? 1/0 : $3/2):1:($3/2):(0.35):6 with boxxyerror lc variable fs pattern 4 border, \
     reach using 3:1:($4 > 0 ? sprintf('%d (%d%%)', int($3), int(100.0*$3/final + 0.5)) : sprintf('not reached (%.3f)', $5)):ytic(2) with labels left offset 0.5,0
unset multiplot
