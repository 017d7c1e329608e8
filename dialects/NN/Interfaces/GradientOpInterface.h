//===- GradientOpInterface.h - Reverse-mode rules ---------------*- C++ -*-===//
//
// Declares the interface through which `nn` ops state their gradient rules.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_INTERFACES_GRADIENTOPINTERFACE_H
#define NNC_DIALECTS_NN_INTERFACES_GRADIENTOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TypeUtilities.h"

#include "dialects/NN/Interfaces/GradientOpInterface.h.inc"

#endif // NNC_DIALECTS_NN_INTERFACES_GRADIENTOPINTERFACE_H
