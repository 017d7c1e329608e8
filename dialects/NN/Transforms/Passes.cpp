//===- Passes.cpp - nn dialect passes -------------------------------------===//

#include "dialects/NN/Transforms/Passes.h"
