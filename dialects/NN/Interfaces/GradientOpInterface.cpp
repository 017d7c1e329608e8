//===- GradientOpInterface.cpp - Reverse-mode rules -----------------------===//

#include "dialects/NN/Interfaces/GradientOpInterface.h"

#include "dialects/NN/Interfaces/GradientOpInterface.cpp.inc"
