// RUN: nnc-opt %s --nnc-static-workspace | FileCheck %s

// Known bug (this test fails until it is fixed): a buffer of `index`
// elements crashes the pass (it sizes buffers with
// getElementTypeBitWidth(), which asserts on index). The size of an index
// element comes from the data layout (8 bytes by default, 4 on 32-bit
// targets); either way the 4 elements round up to one 64-byte slot.

// CHECK-LABEL: func.func @index_buffer
// CHECK-SAME: (%[[WS:.*]]: memref<64xi8> {nn.workspace})
// CHECK-SAME: nn.workspace_size = 64 : i64
// CHECK-NOT: memref.alloc
// CHECK: %[[V:.*]] = memref.view %[[WS]][%{{.*}}][] : memref<64xi8> to memref<4xindex>
// CHECK-NEXT: call @use(%[[V]])
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func private @use(memref<4xindex>)
func.func @index_buffer() attributes {nn.step = "train"} {
  %a = memref.alloc() : memref<4xindex>
  func.call @use(%a) : (memref<4xindex>) -> ()
  memref.dealloc %a : memref<4xindex>
  return
}
