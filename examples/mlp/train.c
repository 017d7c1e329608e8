// train.c - trains the Fashion-MNIST MLP through the C API that nnc generates.
//
//   mlp-train DATA_DIR EPOCHS [CHECKPOINT [MAX_STEPS]]
//
// DATA_DIR holds the four gzipped IDX files of Fashion-MNIST. The program
// brings its own data loading (zlib) and shuffling, so it needs nothing from
// nnc but mlp.h and libmlp.a. MAX_STEPS (0 = all) caps the steps per epoch
// for quick runs.

#include "mlp.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

// The compiled step has a fixed batch; every size comes from the header so
// that this file keeps working if mlp.nn changes its batch or layer sizes.
enum {
  BATCH = MLP_Y_SIZE,
  FEATURES = MLP_X_SIZE / MLP_Y_SIZE,
  CLASSES = MLP_LOGITS_SIZE / MLP_Y_SIZE,
};

static const uint64_t SEED = 42; // initialization and shuffling

typedef struct {
  uint8_t *pixels; // count * FEATURES bytes, 0..255
  uint8_t *labels; // count bytes, 0..CLASSES-1
  size_t count;
} dataset;

static int read_exact(gzFile f, const char *path, void *buf, size_t n) {
  // gzread takes an unsigned length, so read big arrays in chunks.
  for (unsigned char *p = buf; n > 0;) {
    unsigned chunk = n < (1u << 30) ? (unsigned)n : (1u << 30);
    int got = gzread(f, p, chunk);
    if (got < 0) {
      int code;
      fprintf(stderr, "error: %s: %s\n", path, gzerror(f, &code));
      return -1;
    }
    if (got == 0) {
      fprintf(stderr, "error: %s: file is truncated\n", path);
      return -1;
    }
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

// Reads an IDX file of unsigned bytes with `rank` dimensions; `dims` gets its
// sizes and the return value its data (NULL on error, after a message).
static uint8_t *read_idx(const char *path, unsigned rank, uint32_t *dims) {
  errno = 0;                     // gzopen sets it only when open() fails
  gzFile f = gzopen(path, "rb"); // also reads uncompressed files as they are
  if (!f) {
    fprintf(stderr, "error: cannot open %s: %s\n", path,
            errno ? strerror(errno) : "out of memory");
    return NULL;
  }
  uint8_t *data = NULL;
  unsigned char header[4 + 4 * 3];
  if (read_exact(f, path, header, 4 + 4 * rank) != 0)
    goto fail;
  // Magic: two zero bytes, the element type (0x08 = unsigned byte), the rank.
  if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 ||
      header[3] != rank) {
    fprintf(stderr,
            "error: %s: not an IDX file of unsigned bytes of rank %u "
            "(magic %02x %02x %02x %02x)\n",
            path, rank, header[0], header[1], header[2], header[3]);
    goto fail;
  }
  size_t total = 1;
  for (unsigned i = 0; i < rank; ++i) {
    const unsigned char *b = header + 4 + 4 * i; // sizes are big-endian
    dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
              (uint32_t)b[2] << 8 | b[3];
    // Bounds the allocation: a corrupt size must not ask for terabytes.
    if (dims[i] == 0 || total > ((size_t)1 << 32) / dims[i]) {
      fprintf(stderr, "error: %s: bad dimension size %lu\n", path,
              (unsigned long)dims[i]);
      goto fail;
    }
    total *= dims[i];
  }
  if (!(data = malloc(total))) {
    fprintf(stderr, "error: %s: out of memory\n", path);
    goto fail;
  }
  if (read_exact(f, path, data, total) != 0)
    goto fail;
  unsigned char extra;
  if (gzread(f, &extra, 1) != 0) {
    fprintf(stderr, "error: %s: data after the %zu bytes its header gives\n",
            path, total);
    goto fail;
  }
  gzclose(f);
  return data;
fail:
  free(data);
  gzclose(f);
  return NULL;
}

// Loads "<dir>/<prefix>-{images-idx3,labels-idx1}-ubyte.gz" and checks that
// they fit the model: FEATURES pixels per image, one label in range per image.
static int load_split(const char *dir, const char *prefix, dataset *ds) {
  char images[4096], labels[4096];
  if (snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir,
               prefix) >= (int)sizeof images ||
      snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir,
               prefix) >= (int)sizeof labels) {
    fprintf(stderr, "error: the data directory name is too long\n");
    return -1;
  }
  uint32_t idims[3], ldims[1];
  *ds = (dataset){0};
  if (!(ds->pixels = read_idx(images, 3, idims)) ||
      !(ds->labels = read_idx(labels, 1, ldims)))
    return -1;
  if ((size_t)idims[1] * idims[2] != FEATURES) {
    fprintf(stderr,
            "error: %s: images are %lux%lu, the model takes %d pixels\n",
            images, (unsigned long)idims[1], (unsigned long)idims[2], FEATURES);
    return -1;
  }
  if (idims[0] != ldims[0]) {
    fprintf(stderr, "error: %s has %lu images but %s has %lu labels\n", images,
            (unsigned long)idims[0], labels, (unsigned long)ldims[0]);
    return -1;
  }
  ds->count = idims[0];
  for (size_t i = 0; i < ds->count; ++i)
    if (ds->labels[i] >= CLASSES) {
      fprintf(stderr, "error: %s: label %u of example %zu is not below %d\n",
              labels, ds->labels[i], i, CLASSES);
      return -1;
    }
  return 0;
}

// splitmix64: a tiny seeded PRNG, plenty for shuffling.
static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

// Fisher-Yates; the modulo bias is below 2^-40 for 60000 examples.
static void shuffle(uint32_t *order, size_t n, uint64_t *rng) {
  for (size_t i = n - 1; i > 0; --i) {
    size_t j = (size_t)(next_random(rng) % (i + 1));
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

// Copies example `index` into row `row` of the batch, pixels scaled to [0, 1].
static void put_example(const dataset *ds, size_t index, size_t row, float *x,
                        int32_t *y) {
  const uint8_t *src = ds->pixels + index * FEATURES;
  for (size_t i = 0; i < FEATURES; ++i)
    x[row * FEATURES + i] = src[i] / 255.0f;
  y[row] = ds->labels[index];
}

// Test accuracy from the logits of mlp_eval_step. The step takes exactly
// BATCH rows, so the last batch is padded with copies of its first example;
// only the valid rows are counted.
static double evaluate(mlp_state *st, const dataset *test, float *x, int32_t *y,
                       float *logits) {
  size_t correct = 0;
  for (size_t first = 0; first < test->count; first += BATCH) {
    size_t valid = test->count - first < BATCH ? test->count - first : BATCH;
    for (size_t r = 0; r < BATCH; ++r)
      put_example(test, first + (r < valid ? r : 0), r, x, y);
    mlp_eval_step(st, x, y, logits); // the loss is not needed here
    for (size_t r = 0; r < valid; ++r) {
      const float *row = logits + r * CLASSES;
      int best = 0;
      for (int c = 1; c < CLASSES; ++c)
        if (row[c] > row[best])
          best = c;
      correct += best == y[r];
    }
  }
  return (double)correct / (double)test->count;
}

// A whole non-negative decimal number, or -1.
static long parse_count(const char *s) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  return errno || end == s || *end || v < 0 ? -1 : v;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: %s DATA_DIR EPOCHS [CHECKPOINT [MAX_STEPS]]\n",
            argv[0]);
    return 2;
  }
  long epochs = parse_count(argv[2]);
  long max_steps = argc > 4 ? parse_count(argv[4]) : 0;
  if (epochs < 1 || max_steps < 0) {
    fprintf(stderr, "error: EPOCHS must be a positive integer and MAX_STEPS "
                    "a non-negative one\n");
    return 2;
  }
  const char *checkpoint = argc > 3 ? argv[3] : NULL;
  setvbuf(stdout, NULL, _IOLBF, 0); // show progress even through a pipe

  int status = 1;
  dataset train = {0}, test = {0};
  mlp_state *st = NULL;
  uint32_t *order = NULL;
  float *x = malloc(sizeof(float) * MLP_X_SIZE);
  float *logits = malloc(sizeof(float) * MLP_LOGITS_SIZE);
  int32_t y[MLP_Y_SIZE];
  if (load_split(argv[1], "train", &train) != 0 ||
      load_split(argv[1], "t10k", &test) != 0)
    goto done;
  if (train.count < BATCH) {
    fprintf(stderr, "error: the training set is smaller than one batch\n");
    goto done;
  }
  order = malloc(sizeof *order * train.count);
  if (!x || !logits || !order || !(st = mlp_create(SEED))) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }

  // Full batches only: the step's batch size is fixed, and the leftover
  // examples land in other batches in other epochs.
  size_t steps = train.count / BATCH;
  if (max_steps > 0 && (size_t)max_steps < steps)
    steps = (size_t)max_steps;
  for (size_t i = 0; i < train.count; ++i)
    order[i] = (uint32_t)i;
  uint64_t rng = SEED;
  for (long epoch = 1; epoch <= epochs; ++epoch) {
    shuffle(order, train.count, &rng);
    double loss_sum = 0;
    for (size_t step = 0; step < steps; ++step) {
      for (size_t r = 0; r < BATCH; ++r)
        put_example(&train, order[step * BATCH + r], r, x, y);
      float loss = mlp_train_step(st, x, y);
      // The step cannot fail, but it can diverge: stop rather than train on.
      if (!isfinite(loss)) {
        fprintf(stderr, "error: the loss became %g at epoch %ld, step %zu\n",
                loss, epoch, step + 1);
        goto done;
      }
      loss_sum += loss;
      if ((step + 1) % 100 == 0) {
        printf("epoch %ld step %zu: loss %.4f\n", epoch, step + 1,
               loss_sum / 100);
        loss_sum = 0;
      }
    }
    printf("epoch %ld/%ld: test accuracy %.4f\n", epoch, epochs,
           evaluate(st, &test, x, y, logits));
  }

  if (checkpoint) {
    if (mlp_save(st, checkpoint) != 0) {
      fprintf(stderr, "error: %s\n", mlp_last_error(st));
      goto done;
    }
    printf("saved %s\n", checkpoint);
  }
  status = 0;
done:
  mlp_destroy(st);
  free(order);
  free(logits);
  free(x);
  free(train.pixels);
  free(train.labels);
  free(test.pixels);
  free(test.labels);
  return status;
}
