/* OpenBLAS sgemm throughput on one GEMM shape: the roofline nnc's matrix
 * products are measured against. Usage: sgemm M N K reps. Prints the
 * kernel OpenBLAS chose (its core name) on stderr, GFLOP/s on stdout. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

char *openblas_get_corename(void);

int main(int argc, char **argv) {
  fprintf(stderr, "openblas core: %s\n", openblas_get_corename());
  int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  int reps = atoi(argv[4]);
  float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n),
        *c = malloc(sizeof(float) * m * n);
  for (long i = 0; i < (long)m * k; ++i)
    a[i] = (float)(i % 7) / 7;
  for (long i = 0; i < (long)k * n; ++i)
    b[i] = (float)(i % 5) / 5;
  for (int i = 0; i < 5; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b,
                n, 0, c, n);
  double start = now();
  for (int i = 0; i < reps; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b,
                n, 0, c, n);
  double seconds = (now() - start) / reps;
  printf("%.2f\n", 2.0 * m * n * k / seconds / 1e9);
  return 0;
}
