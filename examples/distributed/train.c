// train.c - data-parallel training with MPI through nnc's gradient API.
//
//   mpirun -np N dist-train [STEPS]
//
// Every process holds the whole model. At each step it computes the
// gradients on its own 64 examples (mlp_compute_gradients), the processes
// sum them with one MPI_Allreduce, each divides by N, and each applies the
// same update (mlp_apply_update): N processes take the step one process
// would take on the N x 64 examples together. The parameters start equal
// because every process creates its state from the same seed, and rank 0's
// are broadcast anyway, as a program that loads a checkpoint on rank 0
// would.
//
// The data are synthetic, so that the example needs no files: inputs in
// [-1, 1], labels from a fixed random linear map, so the loss falls. Each
// process draws the examples of its own slice of every global batch.

#include "mlp.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum {
  BATCH = MLP_Y_SIZE,
  FEATURES = MLP_X_SIZE / MLP_Y_SIZE,
  CLASSES = MLP_LOGITS_SIZE / MLP_Y_SIZE,
};

/// A small generator (splitmix64), seeded per example so that the data do
/// not depend on how many processes share them.
static uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static float uniform(uint64_t key) { // in [-1, 1)
  return (float)(mix(key) >> 40) / (float)(1u << 23) - 1.0f;
}

/// Example `index`: its features and its label, the arg max of W x for a
/// fixed random W.
static int32_t example(uint64_t index, float *x) {
  float best = 0;
  int32_t label = 0;
  for (int f = 0; f < FEATURES; ++f)
    x[f] = uniform(index * FEATURES + f);
  for (int c = 0; c < CLASSES; ++c) {
    float score = 0;
    for (int f = 0; f < FEATURES; ++f)
      score += uniform(~(uint64_t)(c * FEATURES + f)) * x[f];
    if (c == 0 || score > best) {
      best = score;
      label = c;
    }
  }
  return label;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int steps = argc > 1 ? atoi(argv[1]) : 200;

  char error[256];
  mlp_state *s = mlp_try_create(42, error, sizeof(error));
  if (!s) {
    fprintf(stderr, "rank %d: %s\n", rank, error);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  // Every process starts from rank 0's parameters.
  size_t count = 0;
  const nnc_param *params = mlp_params(s, &count);
  for (size_t i = 0; i < count; ++i)
    MPI_Bcast(params[i].data, (int)params[i].numel, MPI_FLOAT, 0,
              MPI_COMM_WORLD);

  float *x = malloc(sizeof(float) * MLP_X_SIZE);
  int32_t *y = malloc(sizeof(int32_t) * MLP_Y_SIZE);
  size_t numGradients = 0;
  float *gradients = mlp_gradients(s, &numGradients);
  for (int step = 0; step < steps; ++step) {
    // This process's slice of global batch `step`.
    for (int i = 0; i < BATCH; ++i) {
      uint64_t index = ((uint64_t)step * ranks + rank) * BATCH + i;
      y[i] = example(index, x + (size_t)i * FEATURES);
    }
    float loss = mlp_compute_gradients(s, x, y);
    // Sum, then average: the gradient of the mean loss over all examples.
    MPI_Allreduce(MPI_IN_PLACE, gradients, (int)numGradients, MPI_FLOAT,
                  MPI_SUM, MPI_COMM_WORLD);
    for (size_t i = 0; i < numGradients; ++i)
      gradients[i] /= (float)ranks;
    mlp_apply_update(s);
    MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0 && (step + 1) % 50 == 0)
      printf("step %d: mean loss %.4f over %d processes\n", step + 1,
             loss / ranks, ranks);
  }

  // The processes must still agree: compare a checksum of the parameters.
  double sum = 0, lo, hi;
  for (size_t i = 0; i < count; ++i)
    for (size_t j = 0; j < params[i].numel; ++j)
      sum += ((const float *)params[i].data)[j] * (double)(j % 7 + 1);
  MPI_Allreduce(&sum, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&sum, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0)
    printf("parameters identical on all %d processes: %s\n", ranks,
           lo == hi ? "yes" : "no");
  free(x);
  free(y);
  mlp_destroy(s);
  MPI_Finalize();
  return lo == hi ? 0 : 1;
}
