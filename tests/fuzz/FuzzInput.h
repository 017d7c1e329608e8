/*===- FuzzInput.h - Fuzz inputs as files --------------------------------===*
 *
 * The runtime's readers take paths. A fuzz input becomes an anonymous
 * in-memory file (memfd) whose /proc/self/fd path they open, so that no
 * input touches the disk and runs stay fast.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_TESTS_FUZZ_FUZZINPUT_H
#define NNC_TESTS_FUZZ_FUZZINPUT_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/** An in-memory file holding `size` bytes of `data`; `path` names it. */
typedef struct fuzz_file {
  int fd;
  char path[64];
} fuzz_file;

/** Makes `file` hold `data`; aborts if the system cannot (not a finding). */
static inline void fuzz_file_open(fuzz_file *file, const uint8_t *data,
                                  size_t size) {
  file->fd = memfd_create("nnc-fuzz", 0);
  if (file->fd < 0) {
    perror("memfd_create");
    abort();
  }
  for (size_t done = 0; done < size;) {
    ssize_t n = write(file->fd, data + done, size - done);
    if (n <= 0) {
      perror("write");
      abort();
    }
    done += (size_t)n;
  }
  snprintf(file->path, sizeof(file->path), "/proc/self/fd/%d", file->fd);
}

static inline void fuzz_file_close(fuzz_file *file) { close(file->fd); }

#endif /* NNC_TESTS_FUZZ_FUZZINPUT_H */
