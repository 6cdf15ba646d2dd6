set terminal pngcairo noenhanced size 1100,700
set output 'examples/fashion_mnist/results/mid/learning_curves.png'
set key outside right
set grid
set xlabel 'labeled images'
set ylabel 'test accuracy'
set title 'Fashion-MNIST active learning, mid budget (start 100, b = 100): mean and std over 3 seeds'
names = "random margin entropy bald power_entropy power_bald badge k_center typiclust probcover cluster_margin "
plot for [i=0:10] 'examples/fashion_mnist/results/mid/summary.dat' index i using 1:2:3 with yerrorlines title word(names, i + 1)
