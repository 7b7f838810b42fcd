package matrix
