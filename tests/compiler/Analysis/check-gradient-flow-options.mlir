// The pass's options behave like the compiler's -W flags and thresholds.
// RUN: nnc-opt %s --nn-check-gradient-flow -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: nnc-opt %s --nn-check-gradient-flow="warnings=no-vanishing-gradient" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: nnc-opt %s --nn-check-gradient-flow="warnings=no-gradient-flow" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: nnc-opt %s --nn-check-gradient-flow="warnings=no-gradient-flow,vanishing-gradient" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: nnc-opt %s --nn-check-gradient-flow="vanishing-threshold=1e-6" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: not nnc-opt %s --nn-check-gradient-flow="warnings=error=vanishing-gradient" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERROR
// RUN: not nnc-opt %s --nn-check-gradient-flow="warnings=error" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERROR
// RUN: nnc-opt %s --nn-check-gradient-flow="warnings=error,no-error=vanishing-gradient" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: not nnc-opt %s --nn-check-gradient-flow="warnings=vanishing-gradients" -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not nnc-opt %s --nn-check-gradient-flow="warnings=error=exploding" -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNKNOWN-ERROR

// DEFAULT: warning: gradient vanishes over 2 layers: {{.*}} [-Wvanishing-gradient]
// NONE-NOT: warning
// ERROR: error: gradient vanishes over 2 layers: {{.*}} [-Werror,-Wvanishing-gradient]
// UNKNOWN: error: unknown warning option '-Wvanishing-gradients'; did you mean '-Wvanishing-gradient'?
// UNKNOWN-ERROR: error: unknown warning option '-Werror=exploding'; did you mean '-Werror=exploding-gradient'?

func.func @vanishing(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  %w0 = nn.param "w0" init = normal(0.0, 0.001) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %1 = nn.sigmoid %0 : tensor<16x64xf32>
  %head = nn.param "head" init = normal(0.0, 0.001) : tensor<10x64xf32>
  %2 = nn.dense %1, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %3 = nn.cross_entropy %2, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %3 : tensor<f32>
}
