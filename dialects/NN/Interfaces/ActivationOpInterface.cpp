//===- ActivationOpInterface.cpp - Elementwise activations ----------------===//

#include "dialects/NN/Interfaces/ActivationOpInterface.h"

#include "dialects/NN/Interfaces/ActivationOpInterface.cpp.inc"
