/*===- fuzz-safetensors.c - Fuzzes the safetensors reader -----------------===*
 *
 * Any bytes, read as a checkpoint of a fixed model (an f32 matrix, an f64
 * vector and an i64 scalar): the reader must accept a valid file or refuse
 * it with a message, and never read or write out of bounds. A refused file
 * leaves the parameters as they were.
 *
 *===----------------------------------------------------------------------===*/

#include "FuzzInput.h"
#include "nnc_runtime.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int64_t wShape[] = {3, 4}, bShape[] = {4};
  float w[12];
  double b[4];
  int64_t step = 7;
  for (int i = 0; i < 12; ++i)
    w[i] = (float)i;
  for (int i = 0; i < 4; ++i)
    b[i] = -i;
  nnc_param params[] = {{"layer.weight", NNC_F32, 2, wShape, w, 12},
                        {"layer.bias", NNC_F64, 1, bShape, b, 4},
                        {"step", NNC_I64, 0, NULL, &step, 1}};
  fuzz_file file;
  fuzz_file_open(&file, data, size);
  char err[256];
  err[0] = 0;
  int status = nnc_load_safetensors(file.path, params, 3, err, sizeof(err));
  fuzz_file_close(&file);
  if (status != 0) {
    /* A refusal says why, and changes nothing. */
    if (!err[0] || memchr(err, 0, sizeof(err)) == NULL)
      abort();
    for (int i = 0; i < 12; ++i)
      if (w[i] != (float)i)
        abort();
    if (step != 7)
      abort();
  }
  return 0;
}
