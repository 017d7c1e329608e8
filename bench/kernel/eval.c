/* Times the eval step (forward only) of the library of bench/kernel/
 * gemm2048.nn. Prints the median ms of `reps` calls after one warm-up. */
#include "gemm2048.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  float *x = malloc(sizeof(float) * GEMM2048_X_SIZE);
  float *t = malloc(sizeof(float) * GEMM2048_T_SIZE);
  float *y = malloc(sizeof(float) * GEMM2048_Y_SIZE);
  double *ms = malloc(sizeof(double) * reps);
  for (long i = 0; i < GEMM2048_X_SIZE; ++i)
    x[i] = (float)(i % 7) / 7;
  for (long i = 0; i < GEMM2048_T_SIZE; ++i)
    t[i] = (float)(i % 5) / 5;
  gemm2048_state *s = gemm2048_create(0);
  gemm2048_eval_step(s, x, t, y);
  for (int i = 0; i < reps; ++i) {
    double start = now();
    gemm2048_eval_step(s, x, t, y);
    ms[i] = (now() - start) * 1000;
  }
  qsort(ms, reps, sizeof(double), compare);
  printf("%.3f\n", ms[reps / 2]);
  gemm2048_destroy(s);
  return 0;
}
