# Written by the study program (examples/plot.hpp): learning curves from summary.dat, bars from reach.dat.
set terminal pngcairo noenhanced size 1400,700 font ',11'
set output 'examples/segmentation/results/learning_curves.png'
data = 'examples/segmentation/results/summary.dat'
# one linetype per strategy, in summary.dat's order: colour, point type, dash type
set linetype 1 lc rgb '#000000' lw 3 pt -1 ps 1.2 dt 1  # random
set linetype 2 lc rgb '#d62728' lw 2 pt 7 ps 1.2 dt 1  # entropy
set linetype 3 lc rgb '#ff7f0e' lw 2 pt 9 ps 1.2 dt 1  # bald
set linetype 4 lc rgb '#000080' lw 2 pt 14 ps 1.2 dt 2  # top_q_entropy
set linetype 5 lc rgb '#009e73' lw 2 pt 1 ps 1.2 dt 1  # region_entropy
set linetype 6 lc rgb '#a6761d' lw 2 pt 2 ps 1.2 dt 2  # random_regions
set multiplot title 'Fashion-MNIST scenes, segmentation FCN (start 12544 px, 12544 px per round, pool 2000), 3 seed(s)' font ',13'
set origin 0,0
set size 0.64,0.95
set grid
set autoscale xfix
set key outside right top vertical Left reverse spacing 1.3
set xlabel 'labelled pixels'
set ylabel 'test mIoU'
set title 'mean test mIoU; band: mean ± sd over the seeds'
plot data index 0 using 1:($2-$3):($2+$3) with filledcurves lt 1 fs transparent solid 0.15 noborder notitle, \
     data index 1 using 1:($2-$3):($2+$3) with filledcurves lt 2 fs transparent solid 0.15 noborder notitle, \
     data index 2 using 1:($2-$3):($2+$3) with filledcurves lt 3 fs transparent solid 0.15 noborder notitle, \
     data index 3 using 1:($2-$3):($2+$3) with filledcurves lt 4 fs transparent solid 0.15 noborder notitle, \
     data index 4 using 1:($2-$3):($2+$3) with filledcurves lt 5 fs transparent solid 0.15 noborder notitle, \
     data index 5 using 1:($2-$3):($2+$3) with filledcurves lt 6 fs transparent solid 0.15 noborder notitle, \
     keyentry with lines lt 1 title 'random', \
     data index 1 using 1:2 with linespoints lt 2 title 'entropy', \
     data index 2 using 1:2 with linespoints lt 3 title 'bald', \
     data index 3 using 1:2 with linespoints lt 4 title 'top_q_entropy', \
     data index 4 using 1:2 with linespoints lt 5 title 'region_entropy', \
     data index 5 using 1:2 with linespoints lt 6 title 'random_regions', \
     data index 0 using 1:2 with lines lt 1 notitle
# labels to reach random's final mean score, best first
reach = 'examples/segmentation/results/reach.dat'
final = 137984
unset key
set origin 0.62,0
set size 0.38,0.95
set lmargin 16
set rmargin 2
set title "labelled pixels to reach random's final test mIoU\n(0.495 at 137984), best first"
set xlabel "labelled pixels\nhatched: not reached (final test mIoU)"
unset ylabel
set xrange [0:final*1.7]
set yrange [5.600:-0.6]
set ytics scale 0
set grid noytics
set arrow 1 from final, graph 0 to final, graph 1 nohead dt 2 lc rgb 'black'  # random's final budget
plot reach using ($4 > 0 ? $3/2 : 1/0):1:($3/2):(0.35):6 with boxxyerror lc variable fs solid 0.85 noborder, \
     reach using ($4 > 0 ? 1/0 : $3/2):1:($3/2):(0.35):6 with boxxyerror lc variable fs pattern 4 border, \
     reach using 3:1:($4 > 0 ? sprintf('%d (%d%%)', int($3), int(100.0*$3/final + 0.5)) : sprintf('not reached (%.3f)', $5)):ytic(2) with labels left offset 0.5,0
unset multiplot
