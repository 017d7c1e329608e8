// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy | FileCheck %s
// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy=threads=2 | FileCheck %s --check-prefix=T2
// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy=annotate-only | FileCheck %s --check-prefix=NOTE
// RUN: nnc-opt %s --split-input-file "--nnc-cpu-strategy=vector-bits=512 vector-registers=32" | FileCheck %s --check-prefix=AVX512
// RUN: not nnc-opt %s --split-input-file --nnc-cpu-strategy=threads=0 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not nnc-opt %s --split-input-file --nnc-cpu-strategy=vector-bits=100 2>&1 | FileCheck %s --check-prefix=BADBITS

// BAD: error: expects a positive thread count, got 0
// BADBITS: error: expects vector-bits a multiple of 32 of at least 128 and vector-registers at least 8, got 100 and 16

// The strategy plans each product's tiles (`nnc.cpu.tiles`), which
// nnc-cpu-tile-and-vectorize then builds: the 6 x 16 register tile where
// the sizes allow, K blocked for L1 when longer than 256, and with threads
// the larger of M and N split in equal slices.

// CHECK-LABEL: func.func @product
// CHECK: linalg.generic {{.*}}nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}
// With 32 registers of 512 bits: two vectors of columns, as many rows as
// 16 accumulators allow (8), and a 4-row tail tile.
// AVX512-LABEL: func.func @product
// AVX512: nnc.cpu.tiles = {register = array<i64: 8, 32>, tail = 4 : i64, threads = 1 : i64}
// With two threads, a product of 3072 multiply-adds is not worth a fork
// and a join: it stays on one thread.
// T2-LABEL: func.func @product
// T2: nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 2 : i64}
// A matmul is already a product: annotate-only records its plan too.
// NOTE-LABEL: func.func @product
// NOTE: linalg.matmul {{.*}}nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}
func.func @product(%a: tensor<12x8xf32>, %b: tensor<8x32xf32>, %c: tensor<12x32xf32>) -> tensor<12x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<12x8xf32>, tensor<8x32xf32>) outs(%c : tensor<12x32xf32>) -> tensor<12x32xf32>
  return %0 : tensor<12x32xf32>
}

// -----

// From 2^18 multiply-adds on, the larger of M and N (here N) is split.
// T2-LABEL: func.func @threaded_product
// T2: nnc.cpu.tiles = {register = array<i64: 6, 16>, split = "n", threads = 2 : i64}
func.func @threaded_product(%a: tensor<48x256xf32>, %b: tensor<256x64xf32>, %c: tensor<48x64xf32>) -> tensor<48x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<48x256xf32>, tensor<256x64xf32>) outs(%c : tensor<48x64xf32>) -> tensor<48x64xf32>
  return %0 : tensor<48x64xf32>
}

// -----

// Splitting N here would leave each thread 24 columns, which take 8-wide
// tiles instead of 16-wide ones: M is split instead.
// T2-LABEL: func.func @split_m_keeps_column_tile
// T2: nnc.cpu.tiles = {register = array<i64: 6, 16>, split = "m", tail = 4 : i64, threads = 2 : i64}
func.func @split_m_keeps_column_tile(%a: tensor<32x256xf32>, %b: tensor<256x48xf32>, %c: tensor<32x48xf32>) -> tensor<32x48xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<32x256xf32>, tensor<256x48xf32>) outs(%c : tensor<32x48xf32>) -> tensor<32x48xf32>
  return %0 : tensor<32x48xf32>
}

// -----

// CHECK-LABEL: func.func @long_k
// CHECK: nnc.cpu.tiles = {k_block = 256 : i64, register = array<i64: 4, 8>, threads = 1 : i64}
func.func @long_k(%a: tensor<4x1024xf32>, %b: tensor<1024x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x1024xf32>, tensor<1024x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Tiles of 32 columns (AVX-512) block K only past 1024, in blocks of up to
// 1024; narrower tiles in blocks of up to 256.
// CHECK-LABEL: func.func @long_k_wide_tile
// CHECK: nnc.cpu.tiles = {k_block = 256 : i64, register = array<i64: 4, 16>, threads = 1 : i64}
// AVX512-LABEL: func.func @long_k_wide_tile
// AVX512: nnc.cpu.tiles = {k_block = 1024 : i64, register = array<i64: 4, 32>, threads = 1 : i64}
func.func @long_k_wide_tile(%a: tensor<4x2048xf32>, %b: tensor<2048x32xf32>, %c: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x2048xf32>, tensor<2048x32xf32>) outs(%c : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

// A plan written by hand is the one kept, through the rewrite into the
// contraction generic.

// CHECK-LABEL: func.func @recorded
// CHECK: linalg.generic {{.*}}nnc.cpu.tiles = {register = array<i64: 2, 8>, threads = 1 : i64}
// CHECK-NOT: nnc.cpu.tiles
func.func @recorded(%a: tensor<12x8xf32>, %b: tensor<8x32xf32>, %c: tensor<12x32xf32>) -> tensor<12x32xf32> {
  %0 = linalg.matmul {nnc.cpu.tiles = {register = array<i64: 2, 8>, threads = 1 : i64}} ins(%a, %b : tensor<12x8xf32>, tensor<8x32xf32>) outs(%c : tensor<12x32xf32>) -> tensor<12x32xf32>
  return %0 : tensor<12x32xf32>
}

// -----

// A direct convolution's window contraction is planned after the algorithm
// is applied: 6 positions (of the flat, gap-padded input) times 16 output
// channels.

// CHECK-LABEL: func.func @direct
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}}nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}
// NOTE-LABEL: func.func @direct
// NOTE-NOT: nnc.cpu.tiles
func.func @direct(%x: tensor<2x8x6x6xf32>, %w: tensor<16x8x3x3xf32>, %init: tensor<2x16x4x4xf32>) -> tensor<2x16x4x4xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x8x6x6xf32>, tensor<16x8x3x3xf32>) outs(%init : tensor<2x16x4x4xf32>) -> tensor<2x16x4x4xf32>
  return %0 : tensor<2x16x4x4xf32>
}

// -----

// @negative_dynamic: a product of dynamic shape has no plan; the tiling
// pass leaves it as it is.

// CHECK-LABEL: func.func @negative_dynamic
// CHECK-NOT: nnc.cpu.tiles
func.func @negative_dynamic(%a: tensor<?x8xf32>, %b: tensor<8x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x32xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// M = 14 is no multiple of the 6-row tile: 12 rows in 6-row tiles and a
// 2-row tail tile.

// NOTE-LABEL: func.func @tail
// CHECK-LABEL: func.func @tail
// CHECK: nnc.cpu.tiles = {register = array<i64: 6, 16>, tail = 2 : i64, threads = 1 : i64}
func.func @tail(%a: tensor<14x8xf32>, %b: tensor<8x32xf32>, %c: tensor<14x32xf32>) -> tensor<14x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<14x8xf32>, tensor<8x32xf32>) outs(%c : tensor<14x32xf32>) -> tensor<14x32xf32>
  return %0 : tensor<14x32xf32>
}

// -----

// A right operand whose rows are 4 KiB apart (1024 floats) is packed panel
// by panel when the M sweep reuses each panel at least 4 times (48 rows:
// 8 tiles of 6); with 2 KiB rows it is read where it is.
// CHECK-LABEL: func.func @pack_panels
// CHECK: nnc.cpu.tiles = {pack_panels, register = array<i64: 6, 16>, threads = 1 : i64}
// CHECK: nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}
func.func @pack_panels(%a: tensor<48x8xf32>, %b: tensor<8x1024xf32>, %c: tensor<48x1024xf32>,
                       %b2: tensor<8x512xf32>, %c2: tensor<48x512xf32>) -> (tensor<48x1024xf32>, tensor<48x512xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<48x8xf32>, tensor<8x1024xf32>) outs(%c : tensor<48x1024xf32>) -> tensor<48x1024xf32>
  %1 = linalg.matmul ins(%a, %b2 : tensor<48x8xf32>, tensor<8x512xf32>) outs(%c2 : tensor<48x512xf32>) -> tensor<48x512xf32>
  return %0, %1 : tensor<48x1024xf32>, tensor<48x512xf32>
}

// -----

// @negative_pack_panels_few_rows: 12 rows (two tiles) would not pay for
// the copy.
// CHECK-LABEL: func.func @negative_pack_panels_few_rows
// CHECK: nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}
func.func @negative_pack_panels_few_rows(%a: tensor<12x8xf32>, %b: tensor<8x1024xf32>, %c: tensor<12x1024xf32>) -> tensor<12x1024xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<12x8xf32>, tensor<8x1024xf32>) outs(%c : tensor<12x1024xf32>) -> tensor<12x1024xf32>
  return %0 : tensor<12x1024xf32>
}

// -----

// @negative_pack_panels_padded: a transposed right operand is packed whole
// into rows one cache line longer than N, which no longer alias.
// CHECK-LABEL: func.func @negative_pack_panels_padded
// CHECK: linalg.transpose
// CHECK-NOT: pack_panels
func.func @negative_pack_panels_padded(%a: tensor<48x8xf32>, %b: tensor<1024x8xf32>, %c: tensor<48x1024xf32>) -> tensor<48x1024xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<48x8xf32>, tensor<1024x8xf32>) outs(%c : tensor<48x1024xf32>) -> tensor<48x1024xf32>
  return %0 : tensor<48x1024xf32>
}
