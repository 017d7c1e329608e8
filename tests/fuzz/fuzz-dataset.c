/*===- fuzz-dataset.c - Fuzzes the IDX and NPY readers --------------------===*
 *
 * An input is two files, inputs and labels: its first byte says how many of
 * the following bytes (times 4, capped by the size) are the inputs file, the
 * rest is the labels file. Either may be IDX or NPY, gzipped or not. The
 * loader must return a data set or refuse with a message.
 *
 *===----------------------------------------------------------------------===*/

#include "FuzzInput.h"
#include "nnc_runtime.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t split = (size_t)data[0] * 4;
  if (split > size - 1)
    split = size - 1;
  fuzz_file inputs, labels;
  fuzz_file_open(&inputs, data + 1, split);
  fuzz_file_open(&labels, data + 1 + split, size - 1 - split);
  nnc_dataset ds;
  char err[256];
  err[0] = 0;
  int status =
      nnc_dataset_load(&ds, inputs.path, labels.path, err, sizeof(err));
  fuzz_file_close(&inputs);
  fuzz_file_close(&labels);
  if (status != 0) {
    if (!err[0])
      abort();
    return 0;
  }
  /* A loaded set's arrays are as large as it says: touch every element. */
  volatile float sum = 0;
  for (size_t i = 0; i < ds.count * ds.features; ++i)
    sum += ds.inputs[i];
  for (size_t i = 0; i < ds.count; ++i)
    sum += (float)ds.labels[i];
  nnc_dataset_free(&ds);
  return 0;
}
