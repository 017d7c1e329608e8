//===- InitKindsTest.cpp - The dialect's and the runtime's init kinds -----===//
//
// Generated libraries pass the nn dialect's InitKind to the runtime's
// nnc_init_tensor, which reads it as NNC_INIT_*. The two are numbered in two
// languages (TableGen and C); this checks that they agree kind by kind, that
// neither has a kind the other lacks, and that the runtime draws from each.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNDialect.h"
#include "runtime/nnc_runtime.h"

#include <gtest/gtest.h>

#include <vector>

using mlir::nn::InitKind;

namespace {

TEST(InitKinds, RuntimeNumberingIsTheDialects) {
  EXPECT_EQ(static_cast<int>(InitKind::Normal), NNC_INIT_NORMAL);
  EXPECT_EQ(static_cast<int>(InitKind::Uniform), NNC_INIT_UNIFORM);
  EXPECT_EQ(static_cast<int>(InitKind::TruncatedNormal),
            NNC_INIT_TRUNCATED_NORMAL);
  EXPECT_EQ(static_cast<int>(InitKind::Constant), NNC_INIT_CONSTANT);
}

TEST(InitKinds, NoKindIsMissingOnEitherSide) {
  // The dialect's kinds are 0..max with no gaps, and the runtime's last is
  // the dialect's last.
  unsigned max = mlir::nn::getMaxEnumValForInitKind();
  for (unsigned kind = 0; kind <= max; ++kind)
    EXPECT_TRUE(mlir::nn::symbolizeInitKind(kind).has_value()) << kind;
  EXPECT_EQ(max, static_cast<unsigned>(NNC_INIT_CONSTANT));
}

TEST(InitKinds, RuntimeDrawsFromEveryDialectKind) {
  // nnc_init_tensor leaves the data unchanged for a kind it does not know:
  // every kind the dialect has must change a buffer of sentinels.
  for (unsigned kind = 0; kind <= mlir::nn::getMaxEnumValForInitKind();
       ++kind) {
    std::vector<float> data(64, -12345.0f);
    nnc_init_tensor(data.data(), NNC_F32, data.size(), static_cast<int>(kind),
                    0.5, 1.0, /*seed=*/1, /*stream=*/0);
    size_t changed = 0;
    for (float v : data)
      changed += v != -12345.0f;
    EXPECT_EQ(changed, data.size()) << "kind " << kind;
  }
}

} // namespace
