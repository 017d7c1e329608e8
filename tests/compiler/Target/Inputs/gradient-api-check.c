/* Checks a library built with --gradient-api: N steps of train_step on one
 * state and of compute_gradients + apply_update on another, from the same
 * seed and batches, must leave bit-identical parameters (buffers included)
 * and losses. Compile with -DM=<model> -include <model>.h; the model must
 * have one f32 input and one i32 label in [0, CLASSES). Prints the number
 * of differing elements and exits nonzero if there are any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define API(name) CAT(M, name)

/* A small deterministic generator: the batches need not look like data. */
static unsigned next(unsigned *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 5;
  int classes = argc > 2 ? atoi(argv[2]) : 10;
  size_t nx, ny;
  API(state) *whole = API(create)(7), *halves = API(create)(7);
  if (!whole || !halves)
    return 2;
  /* -DX_SIZE=<M>_X_SIZE -DY_SIZE=<M>_Y_SIZE: the input's and label's. */
  nx = X_SIZE;
  ny = Y_SIZE;
  float *x = malloc(sizeof(float) * nx);
  int32_t *y = malloc(sizeof(int32_t) * ny);
  unsigned seed = 1;
  long differ = 0;
  size_t count = 0, total = 0;
  API(gradients)(halves, &count);
  for (int step = 0; step < steps; ++step) {
    for (size_t i = 0; i < nx; ++i)
      x[i] = (float)(next(&seed) % 2001) / 1000.0f - 1.0f;
    for (size_t i = 0; i < ny; ++i)
      y[i] = (int32_t)(next(&seed) % (unsigned)classes);
    float a = API(train_step)(whole, x, y);
    float b = API(compute_gradients)(halves, x, y);
    API(apply_update)(halves);
    if (memcmp(&a, &b, sizeof(a)) != 0) {
      printf("step %d: loss %.9g against %.9g\n", step + 1, a, b);
      ++differ;
    }
  }
  size_t np = 0;
  const nnc_param *pa = API(params)(whole, &np);
  const nnc_param *pb = API(params)(halves, &np);
  for (size_t i = 0; i < np; ++i) {
    size_t bytes = pa[i].numel * (pa[i].dtype == NNC_F64 ? 8 : 4);
    total += pa[i].numel;
    if (memcmp(pa[i].data, pb[i].data, bytes) != 0) {
      printf("parameter %s differs\n", pa[i].name);
      ++differ;
    }
  }
  printf("%d steps, %zu parameters (%zu elements), %zu gradients, step "
         "counts %lld %lld, %ld differ\n",
         steps, np, total, count, (long long)API(step_count)(whole),
         (long long)API(step_count)(halves), differ);
  API(destroy)(whole);
  API(destroy)(halves);
  free(x);
  free(y);
  return differ != 0;
}
