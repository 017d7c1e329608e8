/*===- nnc_internal.h - Helpers shared by the runtime's sources ---*- C -*-===*
 *
 * Everything here is static inline: the runtime is linked into generated
 * shared libraries, and internal helpers must not become exported symbols
 * that could clash with the user's own.
 *
 * Every runtime source includes this header first, so that the POSIX feature
 * macro below is seen before any system header.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

// POSIX.1-2008 for fsync, pread, isatty, clock_gettime and strerror_r. A build
// that defines _GNU_SOURCE (LLVM's flags do) gets glibc's variant of
// strerror_r instead, which nnc_errno_text handles too.
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "nnc_runtime.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define NNC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define NNC_PRINTF(fmt, args)
#endif

/// Writes a printf-style message into the caller's error buffer, truncating
/// it to fit; a NULL buffer or a zero length means the caller does not want
/// it. Always returns -1 so that failures can be reported in one statement:
/// `return nnc_fail(err, err_len, "...");`.
static inline NNC_PRINTF(3, 4) int nnc_fail(char *err, size_t err_len,
                                            const char *fmt, ...) {
  if (err && err_len > 0) {
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(err, err_len, fmt, ap) < 0)
      err[0] = '\0';
    va_end(ap);
  }
  return -1;
}

/// strerror_r comes in two flavours: POSIX returns an int and fills the
/// buffer, GNU returns the message (which may or may not be in the buffer).
static inline const char *nnc_strerror_posix(int rc, char *buf) {
  return rc == 0 ? buf : NULL;
}
static inline const char *nnc_strerror_gnu(const char *msg, char *buf) {
  (void)buf;
  return msg;
}

/// The text of errno value `e`, thread-safely (strerror may use a static
/// buffer). Returns `buf` or a string with static lifetime.
static inline const char *nnc_errno_text(int e, char *buf, size_t len) {
  const char *msg = _Generic(strerror_r(e, buf, len),
                             int: nnc_strerror_posix,
                             char *: nnc_strerror_gnu)(strerror_r(e, buf, len),
                                                       buf);
  if (!msg || !msg[0]) {
    snprintf(buf, len, "error %d", e);
    msg = buf;
  }
  return msg;
}

/// Sets `*out` to a * b and returns 1, or returns 0 if that overflows.
static inline int nnc_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a)
    return 0;
  *out = a * b;
  return 1;
}

/// Sets `*out` to a + b and returns 1, or returns 0 if that overflows.
static inline int nnc_add_size(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a)
    return 0;
  *out = a + b;
  return 1;
}

/// Whether the host stores integers least significant byte first. The file
/// formats are little-endian; on other hosts the data is byte-swapped.
static inline int nnc_host_is_little_endian(void) {
  const uint16_t probe = 1;
  unsigned char first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

/// Reverses the bytes of each of the `count` elements of `elem_size` bytes at
/// `data` (to convert between little-endian files and a big-endian host).
static inline void nnc_byteswap(void *data, size_t count, size_t elem_size) {
  unsigned char *p = (unsigned char *)data;
  for (size_t i = 0; i < count; ++i, p += elem_size)
    for (size_t lo = 0, hi = elem_size - 1; lo < hi; ++lo, --hi) {
      unsigned char t = p[lo];
      p[lo] = p[hi];
      p[hi] = t;
    }
}

//===----------------------------------------------------------------------===//
// Counter-based random numbers
//===----------------------------------------------------------------------===//
//
// Every random draw is a pure function of (key, index, draw), where the key
// comes from (seed, stream). Nothing is carried from one draw to the next, so
// element i of a tensor is the same whether the tensor is filled by one call,
// in pieces, or by several threads. The mixing function is SplitMix64's
// finalizer, whose output passes BigCrush on consecutive inputs; chaining it
// over the three inputs decorrelates neighbouring seeds, streams and indices.

/// SplitMix64's output function: a bijective 64-bit mixer.
static inline uint64_t nnc_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/// The golden-ratio increment of SplitMix64, used to spread counters.
#define NNC_GOLDEN UINT64_C(0x9e3779b97f4a7c15)

/// Derives the key of one random stream from the seed and the stream number.
static inline uint64_t nnc_rng_key(uint64_t seed, uint64_t stream) {
  return nnc_mix64(nnc_mix64(seed + NNC_GOLDEN) ^
                   (stream * NNC_GOLDEN + UINT64_C(0x632be59bd9b4e019)));
}

/// The `draw`-th 64 random bits for element `index` of the stream `key`.
static inline uint64_t nnc_rng_bits(uint64_t key, uint64_t index,
                                    uint64_t draw) {
  uint64_t h = nnc_mix64(key ^ ((index + 1) * NNC_GOLDEN));
  return nnc_mix64(h + (draw + 1) * UINT64_C(0xd1b54a32d192ed03));
}

/// A uniform double in (0, 1] with 53 random bits (never 0, so log is safe).
static inline double nnc_rng_open0(uint64_t bits) {
  return (double)((bits >> 11) + 1) * 0x1.0p-53;
}

/// A uniform double in [0, 1) with 53 random bits.
static inline double nnc_rng_open1(uint64_t bits) {
  return (double)(bits >> 11) * 0x1.0p-53;
}

#endif /* NNC_INTERNAL_H */
