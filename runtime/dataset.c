//===- dataset.c - IDX and NPY data set loading ---------------------------===//
//
// Files are read through zlib's gz* functions, which read gzipped and plain
// files alike, so "train-images-idx3-ubyte.gz" and its unpacked form both
// work. A gzipped file's size is unknown until it has been read, so sizes in
// a header are never trusted for allocation: buffers grow as data actually
// arrives, and a corrupt header claiming terabytes fails as "truncated" after
// reading what little there is.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <zlib.h>

/// The most dimensions an array may have; real data sets have at most 4.
#define NNC_MAX_RANK 32

/// The largest NPY header accepted (numpy itself writes a few hundred bytes).
#define NNC_MAX_NPY_HEADER ((size_t)1 << 20)

/// Element types of the arrays in data files.
typedef enum elem_type {
  ELEM_U8,
  ELEM_I32,
  ELEM_I64,
  ELEM_F32,
  ELEM_F64
} elem_type;

static size_t elem_size(elem_type t) {
  switch (t) {
  case ELEM_U8:
    return 1;
  case ELEM_I32:
  case ELEM_F32:
    return 4;
  case ELEM_I64:
  case ELEM_F64:
    return 8;
  }
  return 1;
}

/// An open data file. `role` ("inputs" or "labels") and `path` name it in
/// error messages.
typedef struct data_file {
  gzFile gz;
  const char *role;
  const char *path;
  char *err;
  size_t err_len;
} data_file;

/// An array read from a data file: little-endian raw elements.
typedef struct raw_array {
  elem_type type;
  size_t rank;
  uint64_t dims[NNC_MAX_RANK];
  unsigned char *data;
  size_t count;    ///< dims[0]: the number of examples.
  size_t features; ///< Product of the other dimensions.
} raw_array;

/// Reports a read error or an early end of the file.
static int read_failure(data_file *f, const char *what) {
  int errnum = Z_OK;
  const char *msg = gzerror(f->gz, &errnum);
  if (errnum != Z_OK && errnum != Z_BUF_ERROR && msg) {
    // zlib prefixes its messages with the path, which ours already names.
    size_t n = strlen(f->path);
    if (strncmp(msg, f->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
      msg += n + 2;
    return nnc_fail(f->err, f->err_len, "%s file '%s': cannot read %s: %s",
                    f->role, f->path, what, msg);
  }
  return nnc_fail(f->err, f->err_len, "%s file '%s' is truncated (in the %s)",
                  f->role, f->path, what);
}

/// Reads up to `len` bytes; returns how many were read, or -1 on an error.
static long long read_some(data_file *f, void *buf, size_t len) {
  unsigned char *p = (unsigned char *)buf;
  size_t done = 0;
  while (done < len) {
    size_t left = len - done;
    unsigned chunk = left > (1u << 30) ? (1u << 30) : (unsigned)left;
    int got = gzread(f->gz, p + done, chunk);
    if (got < 0)
      return -1;
    if (got == 0)
      break;
    done += (size_t)got;
  }
  return (long long)done;
}

/// Reads exactly `len` bytes of the `what` part of the file.
static int read_exact(data_file *f, void *buf, size_t len, const char *what) {
  long long got = read_some(f, buf, len);
  if (got != (long long)len)
    return read_failure(f, what);
  return 0;
}

/// Reads the `len`-byte data section into a new buffer that grows as data
/// arrives, so a lying header cannot make us allocate more than about twice
/// the data the file really has.
static int read_data(data_file *f, size_t len, unsigned char **out) {
  size_t cap = len < ((size_t)1 << 20) ? len : ((size_t)1 << 20);
  unsigned char *buf = malloc(cap ? cap : 1);
  if (!buf)
    return nnc_fail(f->err, f->err_len, "%s file '%s': out of memory", f->role,
                    f->path);
  size_t done = 0;
  while (done < len) {
    if (done == cap) {
      size_t grown_cap = cap <= (len - cap) ? 2 * cap : len;
      unsigned char *grown = realloc(buf, grown_cap);
      if (!grown) {
        free(buf);
        return nnc_fail(f->err, f->err_len, "%s file '%s': out of memory",
                        f->role, f->path);
      }
      buf = grown;
      cap = grown_cap;
    }
    long long got = read_some(f, buf + done, cap - done);
    if (got < 0 || (size_t)got < cap - done) {
      free(buf);
      if (got < 0)
        return read_failure(f, "data");
      return nnc_fail(f->err, f->err_len,
                      "%s file '%s' is truncated (expected %zu bytes of data, "
                      "found %zu)",
                      f->role, f->path, len, done + (size_t)got);
    }
    done += (size_t)got;
  }
  // Trailing bytes mean the header does not describe the file (and reading
  // to the end also makes zlib verify a gzip file's checksum).
  unsigned char extra;
  long long more = read_some(f, &extra, 1);
  if (more != 0) {
    free(buf);
    if (more < 0)
      return read_failure(f, "data");
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s' has more data than its header describes",
                    f->role, f->path);
  }
  *out = buf;
  return 0;
}

/// Sets count and features from the dimensions and checks that the data
/// size fits in memory; returns the data size in `*bytes`.
static int array_sizes(data_file *f, raw_array *a, size_t *bytes) {
  if (a->rank == 0)
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s' holds a scalar, expected one entry per "
                    "example",
                    f->role, f->path);
  size_t total = 1;
  for (size_t d = 0; d < a->rank; ++d)
    if (a->dims[d] > SIZE_MAX ||
        !nnc_mul_size(total, (size_t)a->dims[d], &total))
      return nnc_fail(f->err, f->err_len, "%s file '%s' is too large", f->role,
                      f->path);
  if (!nnc_mul_size(total, elem_size(a->type), bytes))
    return nnc_fail(f->err, f->err_len, "%s file '%s' is too large", f->role,
                    f->path);
  a->count = (size_t)a->dims[0];
  a->features = 1;
  for (size_t d = 1; d < a->rank; ++d)
    a->features *= (size_t)a->dims[d];
  return 0;
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// Reads an IDX file after its 4-byte magic. IDX integers are big-endian.
static int read_idx(data_file *f, const unsigned char magic[4], raw_array *a) {
  unsigned type = magic[2], rank = magic[3];
  unsigned long magic_value = ((unsigned long)type << 8) | rank;
  if (type != 0x08)
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s': IDX element type 0x%02x is not supported "
                    "(magic 0x%08lx; only unsigned bytes, 0x08)",
                    f->role, f->path, type, magic_value);
  int labels = strcmp(f->role, "labels") == 0;
  if (labels ? rank != 1 : (rank < 2 || rank > 4))
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s' has IDX magic 0x%08lx, expected %s", f->role,
                    f->path, magic_value,
                    labels ? "0x00000801 (labels)" : "0x00000803 (images)");
  a->type = ELEM_U8;
  a->rank = rank;
  for (unsigned d = 0; d < rank; ++d) {
    unsigned char be[4];
    if (read_exact(f, be, 4, "header") != 0)
      return -1;
    a->dims[d] = ((uint64_t)be[0] << 24) | ((uint64_t)be[1] << 16) |
                 ((uint64_t)be[2] << 8) | be[3];
  }
  size_t bytes;
  if (array_sizes(f, a, &bytes) != 0)
    return -1;
  return read_data(f, bytes, &a->data);
}

//===----------------------------------------------------------------------===//
// NPY
//===----------------------------------------------------------------------===//

/// A cursor over the NPY header, a Python dict literal such as
/// "{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }".
typedef struct py_cursor {
  const char *s;
  size_t len, pos;
} py_cursor;

static void py_ws(py_cursor *c) {
  while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
                             c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
    ++c->pos;
}

static int py_accept(py_cursor *c, char ch) {
  py_ws(c);
  if (c->pos < c->len && c->s[c->pos] == ch) {
    ++c->pos;
    return 1;
  }
  return 0;
}

/// Reads a quoted string without escapes (numpy never writes any in the
/// keys or dtype strings it supports).
static int py_string(py_cursor *c, const char **out, size_t *out_len) {
  py_ws(c);
  if (c->pos >= c->len || (c->s[c->pos] != '\'' && c->s[c->pos] != '"'))
    return 0;
  char quote = c->s[c->pos++];
  size_t start = c->pos;
  while (c->pos < c->len && c->s[c->pos] != quote) {
    if (c->s[c->pos] == '\\')
      return 0;
    ++c->pos;
  }
  if (c->pos >= c->len)
    return 0;
  *out = c->s + start;
  *out_len = c->pos - start;
  ++c->pos;
  return 1;
}

/// Reads a non-negative integer (with Python 2's optional 'L' suffix).
static int py_uint(py_cursor *c, uint64_t *out) {
  py_ws(c);
  if (c->pos >= c->len || c->s[c->pos] < '0' || c->s[c->pos] > '9')
    return 0;
  uint64_t v = 0;
  while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
    unsigned d = (unsigned)(c->s[c->pos++] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  if (c->pos < c->len && c->s[c->pos] == 'L')
    ++c->pos;
  *out = v;
  return 1;
}

static int py_word(py_cursor *c, const char *word) {
  py_ws(c);
  size_t n = strlen(word);
  if (c->len - c->pos >= n && memcmp(c->s + c->pos, word, n) == 0) {
    c->pos += n;
    return 1;
  }
  return 0;
}

/// Maps an NPY dtype string to an element type.
static int npy_descr(const char *s, size_t n, elem_type *out) {
  static const struct {
    const char *descr;
    elem_type type;
  } known[] = {{"<f4", ELEM_F32}, {"<f8", ELEM_F64}, {"|u1", ELEM_U8},
               {"<u1", ELEM_U8},  {"<i4", ELEM_I32}, {"<i8", ELEM_I64}};
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); ++i)
    if (strlen(known[i].descr) == n && memcmp(known[i].descr, s, n) == 0) {
      *out = known[i].type;
      return 1;
    }
  return 0;
}

/// Parses the header dict into `a`.
static int parse_npy_header(data_file *f, const char *text, size_t len,
                            raw_array *a) {
  py_cursor c = {text, len, 0};
  int has_descr = 0, has_order = 0, has_shape = 0, fortran = 0;
  const char *descr = NULL;
  size_t descr_len = 0;
  if (!py_accept(&c, '{'))
    goto bad;
  while (!py_accept(&c, '}')) {
    const char *key;
    size_t key_len;
    if (!py_string(&c, &key, &key_len) || !py_accept(&c, ':'))
      goto bad;
    if (key_len == 5 && memcmp(key, "descr", 5) == 0 && !has_descr) {
      has_descr = 1;
      if (!py_string(&c, &descr, &descr_len))
        goto bad;
    } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0 &&
               !has_order) {
      has_order = 1;
      if (py_word(&c, "True"))
        fortran = 1;
      else if (!py_word(&c, "False"))
        goto bad;
    } else if (key_len == 5 && memcmp(key, "shape", 5) == 0 && !has_shape) {
      has_shape = 1;
      if (!py_accept(&c, '('))
        goto bad;
      a->rank = 0;
      while (!py_accept(&c, ')')) {
        if (a->rank == NNC_MAX_RANK || !py_uint(&c, &a->dims[a->rank]))
          goto bad;
        ++a->rank;
        if (!py_accept(&c, ',')) {
          if (!py_accept(&c, ')'))
            goto bad;
          break;
        }
      }
    } else {
      goto bad;
    }
    if (!py_accept(&c, ',')) {
      if (!py_accept(&c, '}'))
        goto bad;
      break;
    }
  }
  py_ws(&c);
  if (c.pos != c.len || !has_descr || !has_order || !has_shape)
    goto bad;
  if (!npy_descr(descr, descr_len, &a->type)) {
    char shown[16];
    size_t n = descr_len < sizeof(shown) - 1 ? descr_len : sizeof(shown) - 1;
    for (size_t i = 0; i < n; ++i)
      shown[i] = (descr[i] >= 0x20 && descr[i] < 0x7f) ? descr[i] : '?';
    shown[n] = '\0';
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s': NPY dtype '%s' is not supported (use "
                    "'<f4', '<f8', '|u1', '<i4' or '<i8')",
                    f->role, f->path, shown);
  }
  // In Fortran order a multi-dimensional array's examples are not
  // contiguous; rank-1 arrays are the same in both orders.
  if (fortran && a->rank > 1)
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s': NPY arrays in Fortran order are not "
                    "supported (save a C-order array)",
                    f->role, f->path);
  return 0;
bad:
  return nnc_fail(f->err, f->err_len, "%s file '%s' has an invalid NPY header",
                  f->role, f->path);
}

/// Reads an NPY file after the first 4 bytes of its magic "\x93NUMPY".
static int read_npy(data_file *f, raw_array *a) {
  unsigned char rest[4];
  if (read_exact(f, rest, 4, "header") != 0)
    return -1;
  if (memcmp(rest, "PY", 2) != 0)
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s' is neither an IDX nor an NPY file", f->role,
                    f->path);
  unsigned major = rest[2];
  size_t header_len;
  if (major == 1) {
    unsigned char le[2];
    if (read_exact(f, le, 2, "header") != 0)
      return -1;
    header_len = (size_t)le[0] | ((size_t)le[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char le[4];
    if (read_exact(f, le, 4, "header") != 0)
      return -1;
    uint64_t n = (uint64_t)le[0] | ((uint64_t)le[1] << 8) |
                 ((uint64_t)le[2] << 16) | ((uint64_t)le[3] << 24);
    if (n > NNC_MAX_NPY_HEADER)
      return nnc_fail(f->err, f->err_len,
                      "%s file '%s' has an NPY header of %llu bytes (more "
                      "than the limit of %zu)",
                      f->role, f->path, (unsigned long long)n,
                      NNC_MAX_NPY_HEADER);
    header_len = (size_t)n;
  } else {
    return nnc_fail(f->err, f->err_len,
                    "%s file '%s' has unsupported NPY version %u", f->role,
                    f->path, major);
  }
  char *text = malloc(header_len ? header_len : 1);
  if (!text)
    return nnc_fail(f->err, f->err_len, "%s file '%s': out of memory", f->role,
                    f->path);
  int rc = read_exact(f, text, header_len, "header");
  if (rc == 0)
    rc = parse_npy_header(f, text, header_len, a);
  free(text);
  if (rc != 0)
    return -1;
  size_t bytes;
  if (array_sizes(f, a, &bytes) != 0)
    return -1;
  return read_data(f, bytes, &a->data);
}

//===----------------------------------------------------------------------===//
// Loading and conversion
//===----------------------------------------------------------------------===//

/// Opens and reads one file of either format into `a`.
static int read_array(const char *role, const char *path, raw_array *a,
                      char *err, size_t err_len) {
  memset(a, 0, sizeof(*a));
  if (!path)
    return nnc_fail(err, err_len, "%s file path is NULL", role);
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    // zlib leaves errno at 0 when it failed for want of memory.
    char why[128];
    int e = errno;
    return nnc_fail(err, err_len, "cannot open %s file '%s': %s", role, path,
                    e ? nnc_errno_text(e, why, sizeof(why)) : "out of memory");
  }
  gzbuffer(gz, 1u << 17);
  data_file f = {gz, role, path, err, err_len};
  unsigned char magic[4];
  int rc = read_exact(&f, magic, 4, "header");
  if (rc == 0) {
    if (memcmp(magic, "\x93NUM", 4) == 0)
      rc = read_npy(&f, a);
    else if (magic[0] == 0 && magic[1] == 0)
      rc = read_idx(&f, magic, a);
    else
      rc = nnc_fail(err, err_len,
                    "%s file '%s' is neither an IDX nor an NPY file", role,
                    path);
  }
  gzclose(gz);
  if (rc == 0 && a->count == 0)
    rc = nnc_fail(err, err_len, "%s file '%s' has no examples", role, path);
  if (rc != 0) {
    free(a->data);
    a->data = NULL;
  }
  return rc;
}

/// Loads element i of a little-endian array as a double.
static double load_elem(const raw_array *a, size_t i) {
  const unsigned char *p = a->data + i * elem_size(a->type);
  unsigned char b[8];
  size_t n = elem_size(a->type);
  memcpy(b, p, n);
  if (!nnc_host_is_little_endian())
    nnc_byteswap(b, 1, n);
  switch (a->type) {
  case ELEM_U8:
    return b[0];
  case ELEM_I32: {
    int32_t v;
    memcpy(&v, b, 4);
    return v;
  }
  case ELEM_I64: {
    int64_t v;
    memcpy(&v, b, 8);
    return (double)v;
  }
  case ELEM_F32: {
    float v;
    memcpy(&v, b, 4);
    return v;
  }
  case ELEM_F64: {
    double v;
    memcpy(&v, b, 8);
    return v;
  }
  }
  return 0;
}

/// Converts inputs to float32 (unsigned bytes scaled to [0, 1]).
static int convert_inputs(const raw_array *a, float **out, char *err,
                          size_t err_len, const char *path) {
  size_t n, bytes;
  if (!nnc_mul_size(a->count, a->features, &n) ||
      !nnc_mul_size(n, sizeof(float), &bytes))
    return nnc_fail(err, err_len, "inputs file '%s' is too large", path);
  float *v = malloc(bytes ? bytes : 1);
  if (!v)
    return nnc_fail(err, err_len, "inputs file '%s': out of memory", path);
  if (a->type == ELEM_U8) {
    for (size_t i = 0; i < n; ++i)
      v[i] = (float)a->data[i] / 255.0f;
  } else if (a->type == ELEM_F32 && nnc_host_is_little_endian()) {
    memcpy(v, a->data, bytes);
  } else {
    for (size_t i = 0; i < n; ++i)
      v[i] = (float)load_elem(a, i);
  }
  *out = v;
  return 0;
}

/// Converts labels to int32; they must be integers within int32's range.
static int convert_labels(const raw_array *a, int32_t **out, char *err,
                          size_t err_len, const char *path) {
  if (a->features != 1)
    return nnc_fail(err, err_len,
                    "labels file '%s' has %zu values per example, expected "
                    "one",
                    path, a->features);
  size_t bytes;
  if (!nnc_mul_size(a->count, sizeof(int32_t), &bytes))
    return nnc_fail(err, err_len, "labels file '%s' is too large", path);
  int32_t *v = malloc(bytes ? bytes : 1);
  if (!v)
    return nnc_fail(err, err_len, "labels file '%s': out of memory", path);
  for (size_t i = 0; i < a->count; ++i) {
    double x = load_elem(a, i);
    if (!(x >= -2147483648.0 && x <= 2147483647.0) || x != floor(x)) {
      free(v);
      return nnc_fail(err, err_len,
                      "labels file '%s': label %g of example %zu is not an "
                      "int32 integer",
                      path, x, i);
    }
    v[i] = (int32_t)x;
  }
  *out = v;
  return 0;
}

int nnc_dataset_load(nnc_dataset *out, const char *inputs_path,
                     const char *labels_path, char *err, size_t err_len) {
  if (!out)
    return nnc_fail(err, err_len, "data set pointer is NULL");
  memset(out, 0, sizeof(*out));
  raw_array in, lab;
  if (read_array("inputs", inputs_path, &in, err, err_len) != 0)
    return -1;
  if (read_array("labels", labels_path, &lab, err, err_len) != 0) {
    free(in.data);
    return -1;
  }
  int rc = 0;
  float *inputs = NULL;
  int32_t *labels = NULL;
  if (in.count != lab.count)
    rc = nnc_fail(err, err_len,
                  "inputs file '%s' has %zu examples but labels file '%s' has "
                  "%zu",
                  inputs_path, in.count, labels_path, lab.count);
  else if (in.features == 0)
    rc = nnc_fail(err, err_len, "inputs file '%s' has examples of size 0",
                  inputs_path);
  if (rc == 0)
    rc = convert_labels(&lab, &labels, err, err_len, labels_path);
  if (rc == 0)
    rc = convert_inputs(&in, &inputs, err, err_len, inputs_path);
  free(in.data);
  free(lab.data);
  if (rc != 0) {
    free(labels);
    return -1;
  }
  out->inputs = inputs;
  out->labels = labels;
  out->count = in.count;
  out->features = in.features;
  return 0;
}

void nnc_dataset_free(nnc_dataset *ds) {
  if (!ds)
    return;
  free(ds->inputs);
  free(ds->labels);
  memset(ds, 0, sizeof(*ds));
}
