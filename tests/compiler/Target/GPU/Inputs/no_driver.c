/* A GPU build's library on a machine without the NVIDIA driver: it loads,
 * and creating a state fails cleanly with the reason. */
#include "gpucapi.h"

#include <stdio.h>

int main(void) {
  char error[256] = "unset";
  gpucapi_state *s = gpucapi_try_create(1, error, sizeof(error));
  printf("try_create: %s\n", s ? "a state" : "NULL");
  printf("error: %s\n", error);
  printf("create: %s\n", gpucapi_create(1) ? "a state" : "NULL");
  /* A NULL error buffer is allowed. */
  printf("without a buffer: %s\n",
         gpucapi_try_create(1, NULL, 0) ? "a state" : "NULL");
  gpucapi_destroy(NULL);
  gpucapi_destroy(s);
  return 0;
}
