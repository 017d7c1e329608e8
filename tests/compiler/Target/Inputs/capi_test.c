/* Links a generated library and checks the C API end to end: the loss
 * falls, steps allocate nothing, save/load round-trips exactly, and a
 * corrupt checkpoint is refused with a message. Allocation is counted by
 * linking with -Wl,--wrap for every allocator entry point. */
#include "capi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long allocations;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t n) {
  ++allocations;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b) {
  ++allocations;
  return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n) {
  ++allocations;
  return __real_realloc(p, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
  ++allocations;
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
  ++allocations;
  return __real_posix_memalign(p, a, n);
}

/* A deterministic, learnable batch: the label is the argmax of a fixed
 * linear map of the input. */
static void batch(float *x, int32_t *y, unsigned seed) {
  for (int i = 0; i < 32; ++i) {
    float score[4] = {0, 0, 0, 0};
    for (int j = 0; j < 20; ++j) {
      seed = seed * 1103515245u + 12345u;
      float v = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
      x[i * 20 + j] = v;
      score[j % 4] += v * (1 + j / 4);
    }
    int best = 0;
    for (int c = 1; c < 4; ++c)
      if (score[c] > score[best])
        best = c;
    y[i] = best;
  }
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  char path[4096], corrupt[4096];
  snprintf(path, sizeof path, "%s/params.safetensors", argv[1]);
  snprintf(corrupt, sizeof corrupt, "%s/corrupt.safetensors", argv[1]);

  capi_state *s = capi_create(7);
  float x[32 * 20], logits[32 * 4];
  int32_t y[32];

  /* The loss falls on a fixed batch. */
  batch(x, y, 1);
  float first = capi_train_step(s, x, y), last = first;
  long before = allocations;
  for (int i = 0; i < 100; ++i)
    last = capi_train_step(s, x, y);
  float eval = capi_eval_step(s, x, y, logits);
  long during = allocations - before;
  printf("loss falls: %s (%.4f -> %.4f)\n", last < 0.5f * first ? "yes" : "no",
         first, last);
  printf("eval loss matches: %s\n",
         eval <= last * 1.01f + 1e-3f ? "yes" : "no");
  printf("allocations during 101 steps: %ld\n", during);
  printf("steps: %lld\n", (long long)capi_step_count(s));

  /* Save, change the parameters, load: identical bytes again. */
  size_t count = 0;
  const nnc_param *params = capi_params(s, &count);
  printf("params: %zu, first '%s' rank %d shape [%lld, %lld]\n", count,
         params[0].name, params[0].rank, (long long)params[0].shape[0],
         (long long)params[0].shape[1]);
  if (capi_save(s, path) != 0) {
    printf("save failed: %s\n", capi_last_error(s));
    return 1;
  }
  size_t bytes[8];
  void *saved[8];
  for (size_t i = 0; i < count; ++i) {
    bytes[i] = params[i].numel * sizeof(float);
    saved[i] = malloc(bytes[i]);
    memcpy(saved[i], params[i].data, bytes[i]);
  }
  for (int i = 0; i < 5; ++i)
    capi_train_step(s, x, y);
  int changed = memcmp(saved[0], params[0].data, bytes[0]) != 0;
  int status = capi_load(s, path);
  int same = 1;
  for (size_t i = 0; i < count; ++i)
    same &= memcmp(saved[i], params[i].data, bytes[i]) == 0;
  printf("training changed params: %s; load: %d; identical after load: %s\n",
         changed ? "yes" : "no", status, same ? "yes" : "no");

  /* A truncated checkpoint is refused and leaves the parameters alone. */
  FILE *in = fopen(path, "rb"), *out = fopen(corrupt, "wb");
  char buffer[256];
  size_t n = fread(buffer, 1, sizeof buffer, in);
  fwrite(buffer, 1, n, out);
  fclose(in);
  fclose(out);
  status = capi_load(s, corrupt);
  same = 1;
  for (size_t i = 0; i < count; ++i)
    same &= memcmp(saved[i], params[i].data, bytes[i]) == 0;
  printf("corrupt load: %d; unchanged: %s\n", status, same ? "yes" : "no");
  printf("error: %s\n", capi_last_error(s));

  /* A missing file too. */
  status = capi_load(s, "/nonexistent/params.safetensors");
  printf("missing load: %d\n", status);
  capi_destroy(s);
  return 0;
}
