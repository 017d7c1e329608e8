/* Times the training step of one generated library: MODEL is the model's
 * name (e.g. -DMODEL=mlp). Prints one median ms/step per repetition batch. */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define API(name) CAT(MODEL, name)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int warmup = argc > 2 ? atoi(argv[2]) : 20;
  float *x = malloc(sizeof(float) * X_SIZE);
  int32_t *y = malloc(sizeof(int32_t) * Y_SIZE);
  for (long i = 0; i < X_SIZE; ++i)
    x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
  for (long i = 0; i < Y_SIZE; ++i)
    y[i] = (int32_t)(i % 10);
  /* _create, not _try_create: libraries of older compilers (bench/run.py
   * --baseline) have only that. tests/gpu/run.sh's other checks say why a
   * GPU state cannot be created. */
  API(_state) *s = API(_create)(0);
  if (!s) {
    fprintf(stderr, "step: cannot create the state\n");
    return 1;
  }
  for (int i = 0; i < warmup; ++i)
    API(_train_step)(s, x, y);
  double start = now();
  for (int i = 0; i < steps; ++i)
    API(_train_step)(s, x, y);
  printf("%.4f\n", (now() - start) / steps * 1000);
  API(_destroy)(s);
  return 0;
}
