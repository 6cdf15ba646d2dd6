set terminal pngcairo noenhanced size 1100,700
set output 'examples/fashion_mnist/results/low/learning_curves.png'
set key outside right
set grid
set xlabel 'labeled images'
set ylabel 'test accuracy'
set title 'Fashion-MNIST active learning, low budget (start 20, b = 10): mean and std over 5 seeds'
names = "random margin entropy bald power_entropy power_bald badge k_center typiclust probcover cluster_margin batch_bald "
plot for [i=0:11] 'examples/fashion_mnist/results/low/summary.dat' index i using 1:2:3 with yerrorlines title word(names, i + 1)
