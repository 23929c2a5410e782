// zlib from Debian's zlib1g-dev: used to read the gzipped idx files of Fashion-MNIST.
#include <zlib.h>
