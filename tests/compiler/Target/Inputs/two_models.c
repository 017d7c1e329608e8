/* Two generated libraries in one program: both headers in one translation
 * unit (they share nnc_types.h), both archives in one link, and the two
 * models train side by side. */
#include "capi.h"
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>

static float x_mlp[MLP_X_SIZE], x_capi[CAPI_X_SIZE];
static int32_t y_mlp[MLP_Y_SIZE], y_capi[CAPI_Y_SIZE];

int main(void) {
  size_t i, count_mlp, count_capi;
  const nnc_param *p_mlp, *p_capi;
  mlp_state *a = mlp_create(1);
  capi_state *b = capi_create(2);
  if (!a || !b)
    return 1;
  for (i = 0; i < MLP_X_SIZE; ++i)
    x_mlp[i] = (float)(i % 7) / 7.0f;
  for (i = 0; i < CAPI_X_SIZE; ++i)
    x_capi[i] = (float)(i % 5) / 5.0f;
  for (i = 0; i < MLP_Y_SIZE; ++i)
    y_mlp[i] = (int32_t)(i % 10);
  for (i = 0; i < CAPI_Y_SIZE; ++i)
    y_capi[i] = (int32_t)(i % 4);
  printf("losses: %s %s\n", mlp_train_step(a, x_mlp, y_mlp) > 0 ? "ok" : "bad",
         capi_train_step(b, x_capi, y_capi) > 0 ? "ok" : "bad");
  /* One nnc_param type serves both. */
  p_mlp = mlp_params(a, &count_mlp);
  p_capi = capi_params(b, &count_capi);
  printf("params: %zu %s, %zu %s\n", count_mlp, p_mlp[0].name, count_capi,
         p_capi[0].name);
  mlp_destroy(a);
  capi_destroy(b);
  return 0;
}
