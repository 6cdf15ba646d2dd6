set terminal pngcairo size 1000,650
set output 'examples/fashion_mnist/results/learning_curves.png'
set key bottom right
set grid
set xlabel 'labeled images'
set ylabel 'test accuracy'
set title 'Fashion-MNIST active learning: mean and std over 3 seed(s)'
names = "random least_confidence margin entropy bald k_center badge entropy+facility_location "
plot for [i=0:7] 'examples/fashion_mnist/results/summary.dat' index i using 1:2:3 with yerrorlines title word(names, i + 1)
