/* Trains the model named MODEL (capi.nn under another name) for a few
 * steps through its own API, or says why it cannot create a state. */
#include MODEL_HEADER

#include <stdio.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define API(name) CAT(MODEL, name)
#define STR2(x) #x
#define STR(x) STR2(x)

static float x[CAT(MODEL_UPPER, _X_SIZE)];
static int32_t y[CAT(MODEL_UPPER, _Y_SIZE)];

int main(void) {
  char error[256] = "";
  size_t i;
  float first = 0, last = 0;
  API(_state) *s = API(_try_create)(7, error, sizeof(error));
  if (!s) {
    printf("%s: no state: %s\n", STR(MODEL), error);
    return 0;
  }
  for (i = 0; i < sizeof(x) / sizeof(x[0]); ++i)
    x[i] = (float)((i * 7) % 11) / 11.0f;
  for (i = 0; i < sizeof(y) / sizeof(y[0]); ++i)
    y[i] = (int32_t)(i % 4);
  for (i = 0; i < 30; ++i) {
    float loss = API(_train_step)(s, x, y);
    if (i == 0)
      first = loss;
    last = loss;
  }
  printf("%s: loss falls: %s\n", STR(MODEL), last < first ? "yes" : "no");
  API(_destroy)(s);
  return 0;
}
