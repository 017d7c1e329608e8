/*===- nnc_types.h - Types shared by nnc's runtime and libraries -*- C -*-===*
 *
 * The types that the runtime (nnc_runtime.h) and every header nnc generates
 * (<model>.h) share, defined once: element types, parameter descriptors and
 * the initialization distributions. `nnc compile` writes a copy next to each
 * generated header, so a library's output directory is self-contained, and
 * any number of generated headers can be included in one translation unit.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_TYPES_H
#define NNC_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Element types of parameters and tensors. */
typedef enum nnc_dtype {
  NNC_F32 = 0,
  NNC_F64 = 1,
  NNC_I32 = 2,
  NNC_I64 = 3
} nnc_dtype;

/** One parameter (or any named tensor) of a model: name, type, shape, data.
 * `data` is owned by whoever made the array (for a model's parameters, the
 * state), and may be read and written between steps. `shape` has `rank`
 * entries (it is not read when `rank` is 0), and `numel` is their product
 * (1 for rank 0). */
typedef struct nnc_param {
  const char *name; /**< e.g. "dense0.weight" */
  nnc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  void *data;
  size_t numel;
} nnc_param;

/** Initialization distributions of parameters (nnc_init_tensor). The
 * numbering is the nn dialect's InitKind: the glue emitter asserts that the
 * two agree, and tests/compiler/Target/InitKindsTest.cpp that neither has a
 * kind the other lacks. */
enum {
  NNC_INIT_NORMAL = 0,           /**< normal(mean = a, std = b) */
  NNC_INIT_UNIFORM = 1,          /**< uniform in [a, b) */
  NNC_INIT_TRUNCATED_NORMAL = 2, /**< normal(a, b) restricted to a +- 2|b| */
  NNC_INIT_CONSTANT = 3          /**< every element is a */
};

#ifdef __cplusplus
}
#endif

#endif /* NNC_TYPES_H */
