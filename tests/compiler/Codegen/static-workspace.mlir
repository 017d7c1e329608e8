// RUN: nnc-opt %s --split-input-file --nnc-static-workspace -verify-diagnostics | FileCheck %s

// Every static allocation of a step becomes a view into one trailing
// workspace argument; the deallocations go away. %a (128 bytes) is dead
// before %b is allocated, so %b reuses offset 0; %b is still used (through a
// subview) after %c is allocated, so %c goes above it, at the next 64-byte
// boundary (%b's 40 bytes round up to 64).

// CHECK-LABEL: func.func @plan
// CHECK-SAME: (%[[ARG:.*]]: memref<4xf32>, %[[WS:.*]]: memref<128xi8> {nn.workspace})
// CHECK-SAME: attributes {nn.step = "train", nn.workspace_size = 128 : i64}
// CHECK-NOT: memref.alloc
// CHECK: %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[WS]][%[[OA]]][] : memref<128xi8> to memref<32xf32>
// CHECK-NEXT: call @use32(%[[A]])
// CHECK-NEXT: %[[OB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[WS]][%[[OB]]][] : memref<128xi8> to memref<10xf32>
// CHECK-NEXT: %[[SB:.*]] = memref.subview %[[B]][0] [4] [1]
// CHECK-NEXT: %[[OC:.*]] = arith.constant 64 : index
// CHECK-NEXT: %[[C:.*]] = memref.view %[[WS]][%[[OC]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NEXT: call @use4x4(%[[C]])
// CHECK-NEXT: memref.copy %[[SB]], %[[ARG]]
// CHECK-NEXT: return
func.func private @use32(memref<32xf32>)
func.func private @use4x4(memref<4x4xf32>)
func.func @plan(%out: memref<4xf32>) attributes {nn.step = "train"} {
  %a = memref.alloc() : memref<32xf32>
  func.call @use32(%a) : (memref<32xf32>) -> ()
  memref.dealloc %a : memref<32xf32>
  %b = memref.alloc() : memref<10xf32>
  %sb = memref.subview %b[0] [4] [1] : memref<10xf32> to memref<4xf32, strided<[1]>>
  %c = memref.alloc() : memref<4x4xf32>
  func.call @use4x4(%c) : (memref<4x4xf32>) -> ()
  memref.copy %sb, %out : memref<4xf32, strided<[1]>> to memref<4xf32>
  memref.dealloc %c : memref<4x4xf32>
  memref.dealloc %b : memref<10xf32>
  return
}

// -----

// A use inside a loop keeps the buffer live until the end of that loop, so
// %y, allocated before the loop, may not share %x's memory.

// CHECK-LABEL: func.func @nested_use
// CHECK-SAME: (%[[LB:.*]]: index, %[[UB:.*]]: index, %[[STEP:.*]]: index, %[[WS:.*]]: memref<128xi8> {nn.workspace})
// CHECK-SAME: nn.workspace_size = 128 : i64
// CHECK: %[[OX:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[X:.*]] = memref.view %[[WS]][%[[OX]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT: %[[OY:.*]] = arith.constant 64 : index
// CHECK-NEXT: %[[Y:.*]] = memref.view %[[WS]][%[[OY]]][] : memref<128xi8> to memref<16xf32>
// CHECK: scf.for
// CHECK-NEXT: call @use(%[[X]])
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func private @use(memref<16xf32>)
func.func @nested_use(%lb: index, %ub: index, %step: index) attributes {nn.step = "eval"} {
  %x = memref.alloc() : memref<16xf32>
  %y = memref.alloc() : memref<16xf32>
  func.call @use(%y) : (memref<16xf32>) -> ()
  memref.dealloc %y : memref<16xf32>
  scf.for %i = %lb to %ub step %step {
    func.call @use(%x) : (memref<16xf32>) -> ()
  }
  memref.dealloc %x : memref<16xf32>
  return
}

// -----

// Functions that are not steps are left alone.

// CHECK-LABEL: func.func @negative_not_a_step()
// CHECK-NOT: nn.workspace
// CHECK: %[[A:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT: call @use(%[[A]])
// CHECK-NEXT: memref.dealloc %[[A]] : memref<16xf32>
// CHECK-NEXT: return
func.func private @use(memref<16xf32>)
func.func @negative_not_a_step() {
  %a = memref.alloc() : memref<16xf32>
  func.call @use(%a) : (memref<16xf32>) -> ()
  memref.dealloc %a : memref<16xf32>
  return
}

// -----

func.func private @use(memref<16xf32>)
func.func @alloc_in_loop(%n: index) attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{expects static allocations in the step's entry block, got 'memref<16xf32>'; it would allocate on every step}}
    %a = memref.alloc() : memref<16xf32>
    func.call @use(%a) : (memref<16xf32>) -> ()
    memref.dealloc %a : memref<16xf32>
  }
  return
}

// -----

func.func @dynamic_alloc(%n: index) attributes {nn.step = "train"} {
  // expected-error @+1 {{expects static allocations in the step's entry block, got 'memref<?xf32>'; it would allocate on every step}}
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}
