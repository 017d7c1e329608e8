/* Times a data-parallel training step over MPI through the gradient API
 * (nnc compile --gradient-api): compute_gradients, the allreduce of the
 * gradient buffer with the averaging, and apply_update, as `nnc train
 * --distributed` does them. MODEL is the model's name (-DMODEL=mlp). Rank 0
 * prints "STEP_MS ALLREDUCE_MS": the mean over STEPS steps, after WARMUP. */
#include MODEL_HEADER

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define API(name) CAT(MODEL, name)

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int warmup = argc > 2 ? atoi(argv[2]) : 20;
  float *x = malloc(sizeof(float) * X_SIZE);
  int32_t *y = malloc(sizeof(int32_t) * Y_SIZE);
  for (long i = 0; i < X_SIZE; ++i)
    x[i] = (float)(((i + rank * 7919) * 2654435761u) % 1000) / 1000.0f;
  for (long i = 0; i < Y_SIZE; ++i)
    y[i] = (int32_t)((i + rank) % 10);
  API(_state) *s = API(_create)(0);
  if (!s) {
    fprintf(stderr, "dist_step: cannot create the state\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  size_t count = 0;
  float *g = API(_gradients)(s, &count);
  double allreduce = 0, start = 0;
  for (int i = 0; i < warmup + steps; ++i) {
    if (i == warmup) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
      allreduce = 0;
    }
    float loss = API(_compute_gradients)(s, x, y);
    double t = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, g, (int)count, MPI_FLOAT, MPI_SUM,
                  MPI_COMM_WORLD);
    for (size_t j = 0; j < count; ++j)
      g[j] *= 1.0f / (float)ranks;
    MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    allreduce += MPI_Wtime() - t;
    API(_apply_update)(s);
  }
  double total = MPI_Wtime() - start;
  if (rank == 0)
    printf("%.4f %.4f\n", total / steps * 1000, allreduce / steps * 1000);
  API(_destroy)(s);
  free(x);
  free(y);
  MPI_Finalize();
  return 0;
}
