//===- DataSet.h - Finding a data set's files -------------------*- C++ -*-===//
//
// Where `nnc train` and `nnc analyze --calibrate` find a data set.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_DATASET_H
#define NNC_COMPILER_DRIVER_DATASET_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace nnc {

/// The files of a data set with a train and a test split.
struct DataFiles {
  std::string trainInputs, trainLabels, testInputs, testLabels;
};

/// Finds the train and test files of a data set: a known name
/// (`fashion-mnist`) or a directory with IDX files (gzipped or not) or .npy
/// pairs. Sets `error` and returns nothing if they are missing.
std::optional<DataFiles> findDataSet(llvm::StringRef data, std::string &error);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_DATASET_H
