set terminal pngcairo size 1000,650
set output 'examples/libtorch/results/quick/learning_curves.png'
set key bottom right
set grid
set xlabel 'labeled images'
set ylabel 'test accuracy'
set title 'Fashion-MNIST, libtorch CNN: mean and std over 1 seed(s)'
names = "random margin entropy bald batchbald badge k_center "
plot for [i=0:6] 'examples/libtorch/results/quick/summary.dat' index i using 1:2:3 with yerrorlines title word(names, i + 1)
