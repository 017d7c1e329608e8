//===- gpu.c - CUDA contexts over a lazily opened driver ------------------===//
//
// The CUDA driver is opened with dlopen when a context is created, and the
// entry points the runtime uses are looked up by their ABI names (the _v2
// names where the driver has them) and kept in the context. So neither
// building nor linking the runtime needs the CUDA toolkit or libcuda, there
// is no global state, and a process that never creates a context never
// touches the driver. dlopen is reference-counted, so every context opening
// the driver costs only a lookup.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

#include "nnc_gpu.h"

#include <dlfcn.h>
#include <stdlib.h>

//===----------------------------------------------------------------------===//
// The driver API
//===----------------------------------------------------------------------===//

// The few driver types used, declared here instead of including cuda.h. They
// have the ABI of the driver's own on every (64-bit) platform it supports.
typedef int nnc_cu_result;                ///< CUresult; 0 is CUDA_SUCCESS.
typedef int nnc_cu_device;                ///< CUdevice.
typedef unsigned long long nnc_cu_devptr; ///< CUdeviceptr (of the _v2 API).
typedef void *nnc_cu_context;             ///< CUcontext.
typedef void *nnc_cu_module;              ///< CUmodule.
typedef void *nnc_cu_function;            ///< CUfunction.
typedef void *nnc_cu_stream;              ///< CUstream.

/// CU_STREAM_NON_BLOCKING: the stream does not synchronize with the legacy
/// default stream, so other users of the device do not stall it.
enum { NNC_CU_STREAM_NON_BLOCKING = 1 };

/// The driver's entry points, each named after the API function (without the
/// _v2 suffix of its symbol).
typedef struct nnc_cu_api {
  nnc_cu_result (*cuInit)(unsigned flags);
  nnc_cu_result (*cuDeviceGet)(nnc_cu_device *device, int ordinal);
  nnc_cu_result (*cuDevicePrimaryCtxRetain)(nnc_cu_context *context,
                                            nnc_cu_device device);
  nnc_cu_result (*cuDevicePrimaryCtxRelease)(nnc_cu_device device);
  nnc_cu_result (*cuCtxSetCurrent)(nnc_cu_context context);
  nnc_cu_result (*cuModuleLoadData)(nnc_cu_module *module, const void *image);
  nnc_cu_result (*cuModuleUnload)(nnc_cu_module module);
  nnc_cu_result (*cuModuleGetFunction)(nnc_cu_function *function,
                                       nnc_cu_module module, const char *name);
  nnc_cu_result (*cuLaunchKernel)(nnc_cu_function function, unsigned grid_x,
                                  unsigned grid_y, unsigned grid_z,
                                  unsigned block_x, unsigned block_y,
                                  unsigned block_z, unsigned shared_bytes,
                                  nnc_cu_stream stream, void **params,
                                  void **extra);
  nnc_cu_result (*cuStreamCreate)(nnc_cu_stream *stream, unsigned flags);
  nnc_cu_result (*cuStreamDestroy)(nnc_cu_stream stream);
  nnc_cu_result (*cuStreamSynchronize)(nnc_cu_stream stream);
  nnc_cu_result (*cuMemAlloc)(nnc_cu_devptr *ptr, size_t bytes);
  nnc_cu_result (*cuMemFree)(nnc_cu_devptr ptr);
  nnc_cu_result (*cuMemcpyHtoDAsync)(nnc_cu_devptr dst, const void *src,
                                     size_t bytes, nnc_cu_stream stream);
  nnc_cu_result (*cuMemcpyDtoHAsync)(void *dst, nnc_cu_devptr src, size_t bytes,
                                     nnc_cu_stream stream);
  nnc_cu_result (*cuMemcpyDtoDAsync)(nnc_cu_devptr dst, nnc_cu_devptr src,
                                     size_t bytes, nnc_cu_stream stream);
  nnc_cu_result (*cuMemsetD8Async)(nnc_cu_devptr dst, unsigned char value,
                                   size_t count, nnc_cu_stream stream);
  nnc_cu_result (*cuGetErrorString)(nnc_cu_result result, const char **text);
  nnc_cu_result (*cuGetErrorName)(nnc_cu_result result, const char **name);
} nnc_cu_api;

/// Where each driver symbol goes in nnc_cu_api.
typedef struct nnc_cu_symbol {
  const char *name;
  size_t offset;
} nnc_cu_symbol;

#define NNC_CU_SYMBOL(member, symbol)                                          \
  { symbol, offsetof(nnc_cu_api, member) }

static const nnc_cu_symbol nnc_cu_symbols[] = {
    NNC_CU_SYMBOL(cuInit, "cuInit"),
    NNC_CU_SYMBOL(cuDeviceGet, "cuDeviceGet"),
    NNC_CU_SYMBOL(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
    NNC_CU_SYMBOL(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
    NNC_CU_SYMBOL(cuCtxSetCurrent, "cuCtxSetCurrent"),
    NNC_CU_SYMBOL(cuModuleLoadData, "cuModuleLoadData"),
    NNC_CU_SYMBOL(cuModuleUnload, "cuModuleUnload"),
    NNC_CU_SYMBOL(cuModuleGetFunction, "cuModuleGetFunction"),
    NNC_CU_SYMBOL(cuLaunchKernel, "cuLaunchKernel"),
    NNC_CU_SYMBOL(cuStreamCreate, "cuStreamCreate"),
    NNC_CU_SYMBOL(cuStreamDestroy, "cuStreamDestroy_v2"),
    NNC_CU_SYMBOL(cuStreamSynchronize, "cuStreamSynchronize"),
    NNC_CU_SYMBOL(cuMemAlloc, "cuMemAlloc_v2"),
    NNC_CU_SYMBOL(cuMemFree, "cuMemFree_v2"),
    NNC_CU_SYMBOL(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
    NNC_CU_SYMBOL(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"),
    NNC_CU_SYMBOL(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"),
    NNC_CU_SYMBOL(cuMemsetD8Async, "cuMemsetD8Async"),
    NNC_CU_SYMBOL(cuGetErrorString, "cuGetErrorString"),
    NNC_CU_SYMBOL(cuGetErrorName, "cuGetErrorName"),
};

// dlsym returns a void *, which is stored into the function pointers by
// memcpy (the POSIX-sanctioned way; a cast is not ISO C). That needs function
// and object pointers of one size, and one table entry per member.
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function pointers must be the size of void *");
_Static_assert(sizeof(nnc_cu_symbols) / sizeof(nnc_cu_symbols[0]) *
                       sizeof(void *) ==
                   sizeof(nnc_cu_api),
               "every driver entry point needs a symbol");

//===----------------------------------------------------------------------===//
// Contexts
//===----------------------------------------------------------------------===//

/// One kernel of the module.
typedef struct nnc_gpu_kernel {
  nnc_cu_function function;
  char *name; ///< Owned copy, for messages.
} nnc_gpu_kernel;

struct nnc_gpu {
  void *driver; ///< The dlopen handle of libcuda.so.1.
  nnc_cu_api cu;
  nnc_cu_device device;
  nnc_cu_context context;
  nnc_cu_stream stream;
  nnc_cu_module module;
  int retained;    ///< Whether `context` is retained.
  int have_stream; ///< Whether `stream` was created.
  int have_module; ///< Whether `module` is loaded.
  nnc_gpu_kernel *kernels;
  size_t num_kernels;
  int pending; ///< Whether an asynchronous call failed since the last sync.
  char error[512];
};

/// Keeps a message in `gpu`, unless an asynchronous failure is pending: then
/// its message is kept instead, so that nnc_gpu_sync reports the cause. An
/// `async` failure becomes pending itself. Always returns -1.
static NNC_PRINTF(3, 4) int record(nnc_gpu *gpu, int async, const char *fmt,
                                   ...) {
  if (!gpu->pending) {
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(gpu->error, sizeof(gpu->error), fmt, ap) < 0)
      gpu->error[0] = '\0';
    va_end(ap);
  }
  if (async)
    gpu->pending = 1;
  return -1;
}

/// Records the failure `result` of the driver call `call`, as
///   "nnc: <call> failed: <error name>: <error string>"
/// followed by " (kernel <kernel>)" when `kernel` is not NULL. Returns -1.
static int driver_fail(nnc_gpu *gpu, int async, const char *call,
                       nnc_cu_result result, const char *kernel) {
  const char *name = NULL, *text = NULL;
  char code[32];
  if (gpu->cu.cuGetErrorName(result, &name) != 0 || !name) {
    snprintf(code, sizeof(code), "CUresult %d", result);
    name = code;
  }
  if (gpu->cu.cuGetErrorString(result, &text) != 0 || !text)
    text = "unknown error";
  return record(gpu, async, "nnc: %s failed: %s: %s%s%s%s", call, name, text,
                kernel ? " (kernel " : "", kernel ? kernel : "",
                kernel ? ")" : "");
}

/// The CUdeviceptr value of a device pointer, and back.
static nnc_cu_devptr to_devptr(const void *ptr) {
  return (nnc_cu_devptr)(uintptr_t)ptr;
}
static void *from_devptr(nnc_cu_devptr ptr) { return (void *)(uintptr_t)ptr; }

/// Whether `image` may be handed to cuModuleLoadData: a cubin (ELF), a
/// fatbin (or its wrapper), or else PTX, which the driver reads up to a NUL
/// that must lie within the image.
static int is_loadable_image(const unsigned char *image, size_t size) {
  if (size >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' &&
      image[3] == 'F')
    return 1;
  if (size >= 4) {
    uint32_t magic = (uint32_t)image[0] | (uint32_t)image[1] << 8 |
                     (uint32_t)image[2] << 16 | (uint32_t)image[3] << 24;
    if (magic == UINT32_C(0xba55ed50) || magic == UINT32_C(0x466243b1))
      return 1;
  }
  return memchr(image, 0, size) != NULL;
}

/// Opens the driver and looks up every entry point. Returns 0 or -1.
static int open_driver(nnc_gpu *gpu) {
  gpu->driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!gpu->driver) {
    // dlerror's text usually starts with the file name; do not repeat it.
    const char prefix[] = "libcuda.so.1: ";
    const char *why = dlerror();
    if (!why)
      why = "unknown error";
    if (strncmp(why, prefix, sizeof(prefix) - 1) == 0)
      why += sizeof(prefix) - 1;
    return record(gpu, 0, "nnc: no CUDA driver found (libcuda.so.1: %s)", why);
  }
  for (size_t i = 0; i < sizeof(nnc_cu_symbols) / sizeof(nnc_cu_symbols[0]);
       ++i) {
    void *symbol = dlsym(gpu->driver, nnc_cu_symbols[i].name);
    if (!symbol)
      return record(gpu, 0, "nnc: the CUDA driver lacks %s",
                    nnc_cu_symbols[i].name);
    memcpy((char *)&gpu->cu + nnc_cu_symbols[i].offset, &symbol,
           sizeof(symbol));
  }
  return 0;
}

/// Acquires the context, stream, module and kernels. Returns 0 or -1; what
/// was acquired is marked in `gpu` for nnc_gpu_destroy.
static int start(nnc_gpu *gpu, int device, const void *image,
                 const char *const *names, size_t num_kernels) {
  nnc_cu_result rc;
  if ((rc = gpu->cu.cuInit(0)) != 0)
    return driver_fail(gpu, 0, "cuInit", rc, NULL);
  if ((rc = gpu->cu.cuDeviceGet(&gpu->device, device)) != 0)
    return driver_fail(gpu, 0, "cuDeviceGet", rc, NULL);
  if ((rc = gpu->cu.cuDevicePrimaryCtxRetain(&gpu->context, gpu->device)) != 0)
    return driver_fail(gpu, 0, "cuDevicePrimaryCtxRetain", rc, NULL);
  gpu->retained = 1;
  if ((rc = gpu->cu.cuCtxSetCurrent(gpu->context)) != 0)
    return driver_fail(gpu, 0, "cuCtxSetCurrent", rc, NULL);
  if ((rc = gpu->cu.cuStreamCreate(&gpu->stream, NNC_CU_STREAM_NON_BLOCKING)) !=
      0)
    return driver_fail(gpu, 0, "cuStreamCreate", rc, NULL);
  gpu->have_stream = 1;
  if ((rc = gpu->cu.cuModuleLoadData(&gpu->module, image)) != 0)
    return driver_fail(gpu, 0, "cuModuleLoadData", rc, NULL);
  gpu->have_module = 1;

  if (num_kernels > 0) {
    gpu->kernels = (nnc_gpu_kernel *)calloc(num_kernels, sizeof(*gpu->kernels));
    if (!gpu->kernels)
      return record(gpu, 0, "nnc: out of memory for %zu kernels", num_kernels);
    gpu->num_kernels = num_kernels;
  }
  for (size_t i = 0; i < num_kernels; ++i) {
    nnc_gpu_kernel *k = &gpu->kernels[i];
    size_t len = strlen(names[i]);
    k->name = (char *)malloc(len + 1);
    if (!k->name)
      return record(gpu, 0, "nnc: out of memory for kernel names");
    memcpy(k->name, names[i], len + 1);
    if ((rc = gpu->cu.cuModuleGetFunction(&k->function, gpu->module,
                                          k->name)) != 0)
      return driver_fail(gpu, 0, "cuModuleGetFunction", rc, k->name);
  }
  return 0;
}

nnc_gpu *nnc_gpu_create(int device, const void *image, size_t image_size,
                        const char *const *names, size_t num_kernels, char *err,
                        size_t err_len) {
  if (err && err_len > 0)
    err[0] = '\0';
  if (!image || image_size == 0) {
    nnc_fail(err, err_len, "nnc: no GPU code image was given");
    return NULL;
  }
  if (!is_loadable_image((const unsigned char *)image, image_size)) {
    nnc_fail(err, err_len,
             "nnc: the GPU code image is no cubin, no fatbin and no "
             "NUL-terminated PTX");
    return NULL;
  }
  if (num_kernels > (size_t)INT32_MAX) {
    nnc_fail(err, err_len, "nnc: too many kernels (%zu)", num_kernels);
    return NULL;
  }
  if (num_kernels > 0 && !names) {
    nnc_fail(err, err_len, "nnc: no kernel names were given (%zu kernels)",
             num_kernels);
    return NULL;
  }
  for (size_t i = 0; i < num_kernels; ++i)
    if (!names[i]) {
      nnc_fail(err, err_len, "nnc: the name of kernel %zu is NULL", i);
      return NULL;
    }

  nnc_gpu *gpu = (nnc_gpu *)calloc(1, sizeof(*gpu));
  if (!gpu) {
    nnc_fail(err, err_len, "nnc: out of memory for a GPU context");
    return NULL;
  }
  if (open_driver(gpu) != 0 ||
      start(gpu, device, image, names, num_kernels) != 0) {
    nnc_fail(err, err_len, "%s", gpu->error);
    nnc_gpu_destroy(gpu);
    return NULL;
  }
  return gpu;
}

void nnc_gpu_destroy(nnc_gpu *gpu) {
  if (!gpu)
    return;
  if (gpu->retained) {
    // Failures are ignored: there is nobody left to report them to, and the
    // driver frees a context's stream and module along with the context.
    gpu->cu.cuCtxSetCurrent(gpu->context);
    if (gpu->have_stream)
      gpu->cu.cuStreamSynchronize(gpu->stream);
    if (gpu->have_module)
      gpu->cu.cuModuleUnload(gpu->module);
    if (gpu->have_stream)
      gpu->cu.cuStreamDestroy(gpu->stream);
    // Releasing a primary context does not make it not current; do it here so
    // that the thread is not left with a context that may be gone.
    gpu->cu.cuCtxSetCurrent(NULL);
    gpu->cu.cuDevicePrimaryCtxRelease(gpu->device);
  }
  for (size_t i = 0; i < gpu->num_kernels; ++i)
    free(gpu->kernels[i].name);
  free(gpu->kernels);
  if (gpu->driver)
    dlclose(gpu->driver);
  free(gpu);
}

int nnc_gpu_make_current(nnc_gpu *gpu) {
  if (!gpu)
    return -1;
  nnc_cu_result rc = gpu->cu.cuCtxSetCurrent(gpu->context);
  return rc != 0 ? driver_fail(gpu, 0, "cuCtxSetCurrent", rc, NULL) : 0;
}

int nnc_gpu_alloc(nnc_gpu *gpu, size_t bytes, void **device_ptr) {
  if (!gpu)
    return -1;
  if (!device_ptr)
    return record(gpu, 0,
                  "nnc: nnc_gpu_alloc was given no place for the "
                  "pointer");
  *device_ptr = NULL;
  if (bytes == 0)
    return 0;
  nnc_cu_devptr ptr = 0;
  nnc_cu_result rc = gpu->cu.cuMemAlloc(&ptr, bytes);
  if (rc != 0)
    return driver_fail(gpu, 0, "cuMemAlloc", rc, NULL);
  *device_ptr = from_devptr(ptr);
  return 0;
}

void nnc_gpu_free(nnc_gpu *gpu, void *device_ptr) {
  if (!gpu || !device_ptr)
    return;
  nnc_cu_result rc = gpu->cu.cuMemFree(to_devptr(device_ptr));
  if (rc != 0)
    driver_fail(gpu, 0, "cuMemFree", rc, NULL);
}

/* The checks every copy and memset starts with. Returns 1 when the call
 * should go on to the driver, otherwise what the call returns: -1 for a
 * NULL context or a NULL pointer (recorded as a failure), 0 for no bytes. */
static int transfer_checks(nnc_gpu *gpu, size_t bytes, const void *dst,
                           const void *src, const char *function) {
  if (!gpu)
    return -1;
  if (bytes == 0)
    return 0;
  if (!dst || !src)
    return record(gpu, 1, "nnc: %s was given a NULL pointer", function);
  return 1;
}

int nnc_gpu_upload(nnc_gpu *gpu, void *device_dst, const void *host_src,
                   size_t bytes) {
  int go = transfer_checks(gpu, bytes, device_dst, host_src, "nnc_gpu_upload");
  if (go != 1)
    return go;
  nnc_cu_result rc = gpu->cu.cuMemcpyHtoDAsync(to_devptr(device_dst), host_src,
                                               bytes, gpu->stream);
  return rc != 0 ? driver_fail(gpu, 1, "cuMemcpyHtoDAsync", rc, NULL) : 0;
}

int nnc_gpu_download(nnc_gpu *gpu, void *host_dst, const void *device_src,
                     size_t bytes) {
  int go =
      transfer_checks(gpu, bytes, host_dst, device_src, "nnc_gpu_download");
  if (go != 1)
    return go;
  nnc_cu_result rc = gpu->cu.cuMemcpyDtoHAsync(host_dst, to_devptr(device_src),
                                               bytes, gpu->stream);
  return rc != 0 ? driver_fail(gpu, 1, "cuMemcpyDtoHAsync", rc, NULL) : 0;
}

int nnc_gpu_copy(nnc_gpu *gpu, void *device_dst, const void *device_src,
                 size_t bytes) {
  int go = transfer_checks(gpu, bytes, device_dst, device_src, "nnc_gpu_copy");
  if (go != 1)
    return go;
  nnc_cu_result rc = gpu->cu.cuMemcpyDtoDAsync(
      to_devptr(device_dst), to_devptr(device_src), bytes, gpu->stream);
  return rc != 0 ? driver_fail(gpu, 1, "cuMemcpyDtoDAsync", rc, NULL) : 0;
}

int nnc_gpu_memset(nnc_gpu *gpu, void *device_dst, int value, size_t bytes) {
  int go =
      transfer_checks(gpu, bytes, device_dst, device_dst, "nnc_gpu_memset");
  if (go != 1)
    return go;
  nnc_cu_result rc = gpu->cu.cuMemsetD8Async(
      to_devptr(device_dst), (unsigned char)value, bytes, gpu->stream);
  return rc != 0 ? driver_fail(gpu, 1, "cuMemsetD8Async", rc, NULL) : 0;
}

void nnc_gpu_launch(nnc_gpu *gpu, int32_t kernel, int64_t grid_x,
                    int64_t grid_y, int64_t grid_z, int64_t block_x,
                    int64_t block_y, int64_t block_z, int32_t shared_bytes,
                    void **params) {
  if (!gpu || gpu->pending)
    return;
  if (kernel < 0 || (size_t)kernel >= gpu->num_kernels) {
    record(gpu, 1,
           "nnc: kernel index %d is out of range (the module has %zu "
           "kernels)",
           (int)kernel, gpu->num_kernels);
    return;
  }
  const nnc_gpu_kernel *k = &gpu->kernels[kernel];
  const int64_t dims[6] = {grid_x, grid_y, grid_z, block_x, block_y, block_z};
  for (int i = 0; i < 6; ++i)
    if (dims[i] < 1 || dims[i] > (int64_t)UINT32_MAX) {
      record(gpu, 1,
             "nnc: %s dimension %c of kernel %s is %lld, outside [1, "
             "4294967295]",
             i < 3 ? "grid" : "block", "xyz"[i % 3], k -> name,
             (long long)dims[i]);
      return;
    }
  if (shared_bytes < 0) {
    record(gpu, 1, "nnc: kernel %s was given %d bytes of shared memory",
           k->name, (int)shared_bytes);
    return;
  }
  nnc_cu_result rc = gpu->cu.cuLaunchKernel(
      k->function, (unsigned)grid_x, (unsigned)grid_y, (unsigned)grid_z,
      (unsigned)block_x, (unsigned)block_y, (unsigned)block_z,
      (unsigned)shared_bytes, gpu->stream, params, NULL);
  if (rc != 0)
    driver_fail(gpu, 1, "cuLaunchKernel", rc, k->name);
}

int nnc_gpu_sync(nnc_gpu *gpu) {
  if (!gpu)
    return -1;
  nnc_cu_result rc = gpu->cu.cuStreamSynchronize(gpu->stream);
  if (rc != 0)
    driver_fail(gpu, 1, "cuStreamSynchronize", rc, NULL);
  int failed = gpu->pending;
  gpu->pending = 0;
  return failed ? -1 : 0;
}

const char *nnc_gpu_error(const nnc_gpu *gpu) { return gpu ? gpu->error : ""; }
