//===- batch.c - Shuffling and batching of data sets ----------------------===//
//
// Kept apart from dataset.c so that a training loop which brings its own data
// can shuffle and batch without linking zlib.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

/// Separates the shuffle's random streams from nnc_init_tensor's, which use
/// the same seed with small stream numbers ("SHUFFLE" in ASCII).
#define NNC_SHUFFLE_DOMAIN UINT64_C(0x0053485546464c45)

/// A uniform integer in [0, bound) for position `index`, 0 < bound <= 2^32.
/// Rejecting the lowest (2^64 mod bound) values removes the modulo bias; a
/// rejection has probability below 2^-32, so the cap only bounds the loop.
static uint64_t uniform_below(uint64_t key, uint64_t index, uint64_t bound) {
  uint64_t threshold = (0 - bound) % bound;
  uint64_t bits = 0;
  for (uint64_t draw = 0; draw < 16; ++draw) {
    bits = nnc_rng_bits(key, index, draw);
    if (bits >= threshold)
      break;
  }
  return bits % bound;
}

void nnc_shuffle(uint32_t *perm, size_t n, uint64_t seed, uint64_t epoch) {
  if (!perm || n == 0 || (uint64_t)n - 1 > UINT32_MAX)
    return;
  for (size_t i = 0; i < n; ++i)
    perm[i] = (uint32_t)i;
  uint64_t key = nnc_rng_key(seed ^ NNC_SHUFFLE_DOMAIN, epoch);
  // Fisher-Yates from the back: position k swaps with a uniform j <= k, drawn
  // with k as the counter so the result does not depend on anything else.
  for (size_t k = n - 1; k > 0; --k) {
    size_t j = (size_t)uniform_below(key, (uint64_t)k, (uint64_t)k + 1);
    uint32_t t = perm[k];
    perm[k] = perm[j];
    perm[j] = t;
  }
}

void nnc_gather_batch(const nnc_dataset *ds, const uint32_t *perm, size_t first,
                      size_t batch, float *inputs, int32_t *labels) {
  if (!ds)
    return;
  size_t features = ds->features;
  for (size_t b = 0; b < batch; ++b) {
    // Index arithmetic in uint64_t: first + b cannot wrap for any real batch,
    // and a wrapped value would only select "out of range" below.
    uint64_t index = perm ? perm[first + b] : (uint64_t)first + b;
    int valid =
        index < ds->count && (!inputs || ds->inputs) && (!labels || ds->labels);
    if (inputs) {
      float *dst = inputs + b * features;
      if (valid)
        memcpy(dst, ds->inputs + (size_t)index * features,
               features * sizeof(float));
      else
        memset(dst, 0, features * sizeof(float));
    }
    if (labels)
      labels[b] = valid ? ds->labels[index] : -1;
  }
}
