// OpenBLAS's CBLAS interface (Debian libopenblas-dev: /usr/include/x86_64-linux-gnu/cblas.h).
#include <cblas.h>
