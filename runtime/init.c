//===- init.c - Deterministic parameter initialization --------------------===//
//
// nnc_init_tensor draws every element independently from a counter-based
// generator (see nnc_internal.h), so a model initialized with the same seed is
// bit-identical however its library was built or called.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

#include <math.h>

size_t nnc_dtype_size(nnc_dtype dtype) {
  switch (dtype) {
  case NNC_F32:
  case NNC_I32:
    return 4;
  case NNC_F64:
  case NNC_I64:
    return 8;
  }
  return 0;
}

/// A standard normal value for element `index`, from the draws 2 * attempt
/// and 2 * attempt + 1 (Box-Muller; only the cosine half is used so that each
/// element owns its draws and needs no partner element).
static double standard_normal(uint64_t key, uint64_t index, uint64_t attempt) {
  const double two_pi = 6.283185307179586476925286766559;
  double u1 = nnc_rng_open0(nnc_rng_bits(key, index, 2 * attempt));
  double u2 = nnc_rng_open1(nnc_rng_bits(key, index, 2 * attempt + 1));
  return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

/// The value of element `index`, in double precision.
static double draw(int kind, double a, double b, uint64_t key, uint64_t index) {
  switch (kind) {
  case NNC_INIT_NORMAL:
    return a + b * standard_normal(key, index, 0);
  case NNC_INIT_UNIFORM: {
    double v = a + (b - a) * nnc_rng_open1(nnc_rng_bits(key, index, 0));
    // Rounding can reach b when b - a is large relative to the spacing.
    return v < b ? v : nextafter(b, a);
  }
  case NNC_INIT_TRUNCATED_NORMAL: {
    // Rejection keeps the exact truncated distribution; each attempt succeeds
    // with probability 0.954, so the bound is never reached in practice and
    // only guarantees termination.
    for (uint64_t attempt = 0; attempt < 64; ++attempt) {
      double z = standard_normal(key, index, attempt);
      if (z >= -2.0 && z <= 2.0)
        return a + b * z;
    }
    return a;
  }
  default:
    return a;
  }
}

/// Rounds `v` to the nearest int32, saturating (NaN becomes 0).
static int32_t to_i32(double v) {
  if (v != v)
    return 0;
  if (v >= 2147483647.0)
    return INT32_MAX;
  if (v <= -2147483648.0)
    return INT32_MIN;
  return (int32_t)lround(v);
}

/// Rounds `v` to the nearest int64, saturating (NaN becomes 0).
static int64_t to_i64(double v) {
  if (v != v)
    return 0;
  if (v >= 9223372036854775808.0)
    return INT64_MAX;
  if (v < -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t)llround(v);
}

void nnc_init_tensor(void *data, nnc_dtype dtype, size_t numel, int kind,
                     double a, double b, uint64_t seed, uint64_t stream) {
  if (!data || nnc_dtype_size(dtype) == 0)
    return;
  if (kind != NNC_INIT_NORMAL && kind != NNC_INIT_UNIFORM &&
      kind != NNC_INIT_TRUNCATED_NORMAL && kind != NNC_INIT_CONSTANT)
    return;
  // An empty or reversed interval has no values in [a, b); use a.
  if (kind == NNC_INIT_UNIFORM && !(b > a))
    kind = NNC_INIT_CONSTANT;

  uint64_t key = nnc_rng_key(seed, stream);
  for (size_t i = 0; i < numel; ++i) {
    double v = draw(kind, a, b, key, (uint64_t)i);
    switch (dtype) {
    case NNC_F32: {
      float f = (float)v;
      // Rounding to float can land on b itself; [a, b) excludes it.
      if (kind == NNC_INIT_UNIFORM && (double)f >= b)
        f = nextafterf(f, -INFINITY);
      ((float *)data)[i] = f;
      break;
    }
    case NNC_F64:
      ((double *)data)[i] = v;
      break;
    case NNC_I32:
      ((int32_t *)data)[i] = to_i32(v);
      break;
    case NNC_I64:
      ((int64_t *)data)[i] = to_i64(v);
      break;
    }
  }
}
