/*===- nnc_gpu.h - CUDA support for nnc training libraries --------*- C -*-===*
 *
 * The CUDA side of the runtime: a GPU context that owns one device's primary
 * context, one stream and one loaded module of compiled kernels, and the few
 * operations that generated step code and its glue need (device memory,
 * copies, kernel launches and synchronization).
 *
 * Conventions (besides those of nnc_runtime.h):
 *  - Nothing here needs the CUDA toolkit to build or libcuda to link: the
 *    driver (libcuda.so.1) is opened with dlopen by nnc_gpu_create, and its
 *    entry points are kept in the context. A library built with this runtime
 *    therefore loads on machines without a GPU and fails only when it asks
 *    for one, with a message that says why.
 *  - No global mutable state and no work at load time. One context may be
 *    used by one thread at a time; distinct contexts may be used by distinct
 *    threads. Each API entry of the generated library calls
 *    nnc_gpu_make_current first, since the current CUDA context is a property
 *    of the calling thread.
 *  - Functions that can fail return 0 on success and -1 on failure and keep a
 *    one-line message in the context (see nnc_gpu_error); nnc_gpu_create,
 *    which has no context to keep it in yet, writes it into the caller's `err`
 *    buffer instead. Nothing here exits or aborts.
 *  - Copies, memsets and launches are asynchronous, in the order they were
 *    issued on the context's single stream. A failure of one of them stays
 *    pending until the next nnc_gpu_sync, which reports it; while one is
 *    pending the first failure's message is kept, so that nnc_gpu_sync
 *    reports the cause rather than a consequence.
 *  - Device pointers are passed as `void *` (the CUdeviceptr value); they
 *    must not be dereferenced on the host.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_GPU_H
#define NNC_GPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A GPU context: the driver's entry points, a retained primary context, one
/// non-blocking stream, one module and its kernels, and the last error
/// message. Opaque; made by nnc_gpu_create, freed by nnc_gpu_destroy.
typedef struct nnc_gpu nnc_gpu;

/// Opens the CUDA driver, retains device `device`'s primary context, creates
/// one non-blocking stream, and loads `image` (a cubin, fatbin or PTX,
/// NUL-terminated if PTX) with cuModuleLoadData, then looks up each of
/// `num_kernels` kernel names (kernel index i = names[i]). `image` must hold
/// `image_size` bytes; an image that starts with neither the ELF nor the
/// fatbin magic is taken for PTX and must contain a NUL within those bytes.
/// The image and the names may be freed once this returns.
///
/// Returns the context, current on the calling thread, or NULL on failure
/// with the reason in `err` (which may be NULL or have `err_len` 0):
///   "nnc: no CUDA driver found (libcuda.so.1: <dlerror text>)" when the
///     driver cannot be opened,
///   "nnc: the CUDA driver lacks <symbol>" when it lacks an entry point, and
///   "nnc: <call> failed: <error name>: <error string>" when a driver call
///     fails, e.g. "nnc: cuInit failed: CUDA_ERROR_NO_DEVICE: no CUDA-capable
///     device is detected".
/// Everything acquired is released again on failure.
nnc_gpu *nnc_gpu_create(int device, const void *image, size_t image_size,
                        const char *const *names, size_t num_kernels, char *err,
                        size_t err_len);

/// Waits for the stream, then unloads the module, destroys the stream,
/// releases the primary context and closes the driver. Device memory from
/// nnc_gpu_alloc should be freed first (the primary context, and with it the
/// memory, lives on while other contexts of the same device retain it). NULL
/// is allowed.
void nnc_gpu_destroy(nnc_gpu *gpu);

/// Makes the context current on the calling thread (call at the start of each
/// API entry). Returns 0, or -1 with a message.
int nnc_gpu_make_current(nnc_gpu *gpu);

/// Allocates `bytes` of device memory into `*device_ptr`. Zero bytes give a
/// NULL pointer and success. Returns 0, or -1 with a message (and `*device_ptr`
/// set to NULL).
int nnc_gpu_alloc(nnc_gpu *gpu, size_t bytes, void **device_ptr);

/// Frees device memory from nnc_gpu_alloc; NULL is allowed. The memory must no
/// longer be in use by the stream (call nnc_gpu_sync first). A failure is
/// kept as the context's message.
void nnc_gpu_free(nnc_gpu *gpu, void *device_ptr);

/// Enqueues a copy of `bytes` from host memory to device memory on the stream.
/// `host_src` must stay valid and unchanged until the copy has run (until the
/// next nnc_gpu_sync). Returns 0, or -1 with a message if it could not be
/// enqueued (that failure is also reported by the next nnc_gpu_sync).
int nnc_gpu_upload(nnc_gpu *gpu, void *device_dst, const void *host_src,
                   size_t bytes);

/// Enqueues a copy of `bytes` from device memory to host memory on the stream;
/// `host_dst` holds the data after the next successful nnc_gpu_sync. Returns 0
/// or -1 as nnc_gpu_upload does.
int nnc_gpu_download(nnc_gpu *gpu, void *host_dst, const void *device_src,
                     size_t bytes);

/// Enqueues a copy of `bytes` between two device buffers on the stream.
/// Returns 0 or -1 as nnc_gpu_upload does.
int nnc_gpu_copy(nnc_gpu *gpu, void *device_dst, const void *device_src,
                 size_t bytes);

/// Enqueues setting `bytes` of device memory to the byte `value` (converted to
/// unsigned char, as memset does). Returns 0 or -1 as nnc_gpu_upload does.
int nnc_gpu_memset(nnc_gpu *gpu, void *device_dst, int value, size_t bytes);

/// Called by generated step code: launches kernel `kernel` (an index into the
/// names given at creation) on the stream with the given grid and block
/// dimensions and dynamic shared memory. `params` is the cuLaunchKernel
/// kernelParams array (one pointer to each argument's value; NULL for a kernel
/// without parameters). Returns nothing: the first failure (including a kernel
/// index out of range, a grid or block dimension below 1 or above UINT32_MAX,
/// or negative shared memory) is recorded in the context and reported by the
/// next nnc_gpu_sync; launches after a failure are skipped until then.
void nnc_gpu_launch(nnc_gpu *gpu, int32_t kernel, int64_t grid_x,
                    int64_t grid_y, int64_t grid_z, int64_t block_x,
                    int64_t block_y, int64_t block_z, int32_t shared_bytes,
                    void **params);

/// Waits for the stream. Returns 0, or -1 if the wait failed or if any
/// asynchronous call (launch, copy, memset) failed since the last sync; it
/// then clears that state so that the next step may run. The message stays
/// available from nnc_gpu_error. (A fault inside a kernel usually leaves the
/// CUDA context unusable; later calls then fail with the driver's error.)
int nnc_gpu_sync(nnc_gpu *gpu);

/// The last error message of this context ("" if none, or if `gpu` is NULL).
/// The text lives in the context: it is replaced when a later call fails and
/// freed by nnc_gpu_destroy.
const char *nnc_gpu_error(const nnc_gpu *gpu);

#ifdef __cplusplus
}
#endif

#endif /* NNC_GPU_H */
