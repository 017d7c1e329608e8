//===- DataSet.cpp - Finding a data set's files ---------------------------===//

#include "compiler/Driver/DataSet.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;
using namespace nnc;

std::optional<DataFiles> nnc::findDataSet(StringRef data, std::string &error) {
  std::string dir = data == "fashion-mnist"
                        ? std::string("/usr/share/datasets/fashion-mnist")
                        : data.str();
  auto pick = [&](ArrayRef<std::string> names) -> std::string {
    for (const std::string &name : names) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, name);
      if (llvm::sys::fs::exists(path))
        return std::string(path);
    }
    return "";
  };
  DataFiles files;
  files.trainInputs = pick(
      {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train_x.npy"});
  files.trainLabels = pick(
      {"train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte", "train_y.npy"});
  files.testInputs = pick(
      {"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", "test_x.npy"});
  files.testLabels = pick(
      {"t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", "test_y.npy"});
  if (files.trainInputs.empty() || files.trainLabels.empty() ||
      files.testInputs.empty() || files.testLabels.empty()) {
    error =
        "data set '" + data.str() + "' not found: expects a directory (" + dir +
        ") with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
        "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or "
        "train_x.npy, train_y.npy, test_x.npy and test_y.npy" +
        (data == "fashion-mnist"
             ? " (install Debian's dataset-fashion-mnist: tools/setup.sh)"
             : "");
    return std::nullopt;
  }
  return files;
}
