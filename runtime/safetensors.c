//===- safetensors.c - Safetensors checkpoints ----------------------------===//
//
// The format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// end of the header) plus an optional "__metadata__" string map, then the raw
// little-endian tensor data.
//
// Loading treats the file as hostile: the header is parsed by a small strict
// JSON parser that checks every bound, every tensor is checked against the
// model before any data is read, and the data is staged in a buffer so the
// parameters change only once everything has succeeded.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/// The largest header accepted, as in the reference implementation: real
/// headers are a few kilobytes, and a corrupt length must not make us
/// allocate gigabytes.
#define NNC_MAX_HEADER_SIZE UINT64_C(100000000)

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

/// The safetensors name of a dtype.
static const char *dtype_name(nnc_dtype dtype) {
  switch (dtype) {
  case NNC_F32:
    return "F32";
  case NNC_F64:
    return "F64";
  case NNC_I32:
    return "I32";
  case NNC_I64:
    return "I64";
  }
  return "?";
}

/// Copies a name taken from a file into `out` for an error message: control
/// characters become '?' (so a hostile name cannot mess up a terminal) and
/// long names are cut short with "...".
static const char *printable(char *out, size_t out_len, const char *s,
                             size_t n) {
  size_t limit = out_len - 4, w = 0;
  for (size_t i = 0; i < n; ++i) {
    if (w == limit) {
      memcpy(out + w, "...", 3);
      w += 3;
      break;
    }
    unsigned char c = (unsigned char)s[i];
    out[w++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  out[w] = '\0';
  return out;
}

/// Appends to `out` (of `len` bytes, already holding a string) at most
/// what fits.
static void append(char *out, size_t len, const char *text) {
  size_t used = strlen(out);
  if (used + 1 < len)
    snprintf(out + used, len - used, "%s", text);
}

/// Formats a shape as "[512, 784]" (with "..." if it does not fit).
static const char *format_shape_u64(char *out, size_t len, const uint64_t *dims,
                                    size_t rank) {
  snprintf(out, len, "[");
  for (size_t i = 0; i < rank; ++i) {
    char dim[32];
    snprintf(dim, sizeof(dim), "%s%llu", i ? ", " : "",
             (unsigned long long)dims[i]);
    if (strlen(out) + strlen(dim) + 5 > len) {
      append(out, len, ", ...");
      break;
    }
    append(out, len, dim);
  }
  append(out, len, "]");
  return out;
}

/// Formats a model parameter's shape like format_shape_u64.
static const char *format_shape_i64(char *out, size_t len, const int64_t *dims,
                                    size_t rank) {
  snprintf(out, len, "[");
  for (size_t i = 0; i < rank; ++i) {
    char dim[32];
    snprintf(dim, sizeof(dim), "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (strlen(out) + strlen(dim) + 5 > len) {
      append(out, len, ", ...");
      break;
    }
    append(out, len, dim);
  }
  append(out, len, "]");
  return out;
}

/// Checks that a model parameter is self-consistent (so that the checkpoint
/// code can trust numel and data), and sets `*bytes` to its data size.
static int check_param(const char *path, const nnc_param *p, size_t *bytes,
                       char *err, size_t err_len) {
  if (!p->name || !p->name[0])
    return nnc_fail(err, err_len,
                    "checkpoint '%s': model parameter has no name", path);
  size_t elem = nnc_dtype_size(p->dtype);
  if (elem == 0)
    return nnc_fail(err, err_len,
                    "checkpoint '%s': model parameter '%s' has invalid dtype "
                    "%d",
                    path, p->name, (int)p->dtype);
  if (p->rank < 0 || (p->rank > 0 && !p->shape))
    return nnc_fail(err, err_len,
                    "checkpoint '%s': model parameter '%s' has invalid rank "
                    "%d",
                    path, p->name, (int)p->rank);
  size_t numel = 1;
  for (int32_t d = 0; d < p->rank; ++d) {
    if (p->shape[d] < 0 || (uint64_t)p->shape[d] > SIZE_MAX ||
        !nnc_mul_size(numel, (size_t)p->shape[d], &numel))
      return nnc_fail(err, err_len,
                      "checkpoint '%s': model parameter '%s' has invalid "
                      "dimension %lld",
                      path, p->name, (long long)p->shape[d]);
  }
  if (numel != p->numel) {
    char shape[128];
    return nnc_fail(
        err, err_len,
        "checkpoint '%s': model parameter '%s' has %zu elements "
        "but shape %s",
        path, p->name, p->numel,
        format_shape_i64(shape, sizeof(shape), p->shape, (size_t)p->rank));
  }
  if (!nnc_mul_size(numel, elem, bytes))
    return nnc_fail(err, err_len,
                    "checkpoint '%s': model parameter '%s' is too large", path,
                    p->name);
  if (*bytes > 0 && !p->data)
    return nnc_fail(err, err_len,
                    "checkpoint '%s': model parameter '%s' has no data", path,
                    p->name);
  return 0;
}

/// Reads exactly `len` bytes at `offset`; returns 0, or -1 with errno set
/// (0 for a file that ended early).
static int read_at(int fd, void *buf, size_t len, uint64_t offset) {
  unsigned char *p = (unsigned char *)buf;
  while (len > 0) {
    size_t chunk = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
    ssize_t got = pread(fd, p, chunk, (off_t)offset);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (got == 0) {
      errno = 0;
      return -1;
    }
    p += got;
    len -= (size_t)got;
    offset += (uint64_t)got;
  }
  return 0;
}

/// Writes all `len` bytes; returns 0, or -1 with errno set.
static int write_all(int fd, const void *buf, size_t len) {
  const unsigned char *p = (const unsigned char *)buf;
  while (len > 0) {
    size_t chunk = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
    ssize_t put = write(fd, p, chunk);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += put;
    len -= (size_t)put;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

/// One tensor entry of a header. Strings point into the (decoded in place)
/// header buffer and are not NUL-terminated: JSON names may contain "\u0000".
typedef struct st_tensor {
  const char *name;
  size_t name_len;
  const char *dtype;
  size_t dtype_len;
  size_t shape_first; ///< Index of the first dimension in the dims array.
  size_t rank;
  uint64_t begin, end;    ///< data_offsets, relative to the data section.
  const nnc_param *match; ///< The model parameter it was matched with.
} st_tensor;

/// The parser's state. The first error wins and stops the parse; `at` is
/// the header byte where it was found.
typedef struct st_parser {
  char *buf;
  size_t len, pos;
  const char *error;
  size_t at;
  st_tensor *tensors;
  size_t num_tensors, tensors_cap;
  uint64_t *dims;
  size_t num_dims, dims_cap;
} st_parser;

static int fail_at(st_parser *ps, const char *msg) {
  if (!ps->error) {
    ps->error = msg;
    ps->at = ps->pos;
  }
  return 0;
}

static void skip_ws(st_parser *ps) {
  while (ps->pos < ps->len &&
         (ps->buf[ps->pos] == ' ' || ps->buf[ps->pos] == '\t' ||
          ps->buf[ps->pos] == '\n' || ps->buf[ps->pos] == '\r'))
    ++ps->pos;
}

/// Consumes `c` after optional whitespace, or fails with `msg`.
static int expect(st_parser *ps, char c, const char *msg) {
  skip_ws(ps);
  if (ps->pos < ps->len && ps->buf[ps->pos] == c) {
    ++ps->pos;
    return 1;
  }
  return fail_at(ps, msg);
}

/// Consumes `c` after optional whitespace if it is there.
static int accept(st_parser *ps, char c) {
  skip_ws(ps);
  if (ps->pos < ps->len && ps->buf[ps->pos] == c) {
    ++ps->pos;
    return 1;
  }
  return 0;
}

/// Reads 4 hex digits at ps->pos.
static int parse_hex4(st_parser *ps, unsigned *out) {
  if (ps->len - ps->pos < 4)
    return fail_at(ps, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = ps->buf[ps->pos + (size_t)i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return fail_at(ps, "invalid \\u escape");
  }
  ps->pos += 4;
  *out = v;
  return 1;
}

/// Parses a JSON string and decodes it in place: the decoded form is never
/// longer than the escaped one, so writing behind the read position is safe.
static int parse_string(st_parser *ps, const char **out, size_t *out_len) {
  if (!expect(ps, '"', "expected a string"))
    return 0;
  size_t start = ps->pos, w = ps->pos;
  for (;;) {
    if (ps->pos >= ps->len)
      return fail_at(ps, "unterminated string");
    unsigned char c = (unsigned char)ps->buf[ps->pos];
    if (c == '"') {
      ++ps->pos;
      break;
    }
    if (c < 0x20)
      return fail_at(ps, "control character in string");
    if (c != '\\') {
      ps->buf[w++] = (char)c;
      ++ps->pos;
      continue;
    }
    if (++ps->pos >= ps->len)
      return fail_at(ps, "unterminated string");
    char e = ps->buf[ps->pos++];
    switch (e) {
    case '"':
    case '\\':
    case '/':
      ps->buf[w++] = e;
      continue;
    case 'b':
      ps->buf[w++] = '\b';
      continue;
    case 'f':
      ps->buf[w++] = '\f';
      continue;
    case 'n':
      ps->buf[w++] = '\n';
      continue;
    case 'r':
      ps->buf[w++] = '\r';
      continue;
    case 't':
      ps->buf[w++] = '\t';
      continue;
    case 'u':
      break;
    default:
      --ps->pos;
      return fail_at(ps, "invalid escape in string");
    }
    unsigned cp;
    if (!parse_hex4(ps, &cp))
      return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail_at(ps, "unpaired UTF-16 surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned lo;
      if (ps->len - ps->pos < 2 || ps->buf[ps->pos] != '\\' ||
          ps->buf[ps->pos + 1] != 'u')
        return fail_at(ps, "unpaired UTF-16 surrogate");
      ps->pos += 2;
      if (!parse_hex4(ps, &lo))
        return 0;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return fail_at(ps, "unpaired UTF-16 surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    // UTF-8: at most 4 bytes, written over the 6 or 12 bytes just read.
    if (cp < 0x80) {
      ps->buf[w++] = (char)cp;
    } else if (cp < 0x800) {
      ps->buf[w++] = (char)(0xC0 | (cp >> 6));
      ps->buf[w++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      ps->buf[w++] = (char)(0xE0 | (cp >> 12));
      ps->buf[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      ps->buf[w++] = (char)(0x80 | (cp & 0x3F));
    } else {
      ps->buf[w++] = (char)(0xF0 | (cp >> 18));
      ps->buf[w++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      ps->buf[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      ps->buf[w++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  *out = ps->buf + start;
  *out_len = w - start;
  return 1;
}

/// Whether a decoded string equals the C string `lit`.
static int str_is(const char *s, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/// Parses a non-negative JSON integer; fractions, exponents, signs and
/// leading zeros are errors, as none can be a size or an offset.
static int parse_uint(st_parser *ps, uint64_t *out) {
  skip_ws(ps);
  if (ps->pos < ps->len && ps->buf[ps->pos] == '-')
    return fail_at(ps, "negative number");
  if (ps->pos >= ps->len || ps->buf[ps->pos] < '0' || ps->buf[ps->pos] > '9')
    return fail_at(ps, "expected an integer");
  if (ps->buf[ps->pos] == '0' && ps->pos + 1 < ps->len &&
      ps->buf[ps->pos + 1] >= '0' && ps->buf[ps->pos + 1] <= '9')
    return fail_at(ps, "number with a leading zero");
  uint64_t v = 0;
  while (ps->pos < ps->len && ps->buf[ps->pos] >= '0' &&
         ps->buf[ps->pos] <= '9') {
    unsigned d = (unsigned)(ps->buf[ps->pos] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return fail_at(ps, "integer too large");
    v = v * 10 + d;
    ++ps->pos;
  }
  if (ps->pos < ps->len && (ps->buf[ps->pos] == '.' ||
                            ps->buf[ps->pos] == 'e' || ps->buf[ps->pos] == 'E'))
    return fail_at(ps, "expected an integer");
  *out = v;
  return 1;
}

/// Parses an array of non-negative integers onto the end of ps->dims.
static int parse_uint_array(st_parser *ps, size_t *count) {
  if (!expect(ps, '[', "expected '['"))
    return 0;
  *count = 0;
  if (accept(ps, ']'))
    return 1;
  do {
    uint64_t v;
    if (!parse_uint(ps, &v))
      return 0;
    if (ps->num_dims == ps->dims_cap) {
      size_t cap = ps->dims_cap ? 2 * ps->dims_cap : 64;
      uint64_t *grown = realloc(ps->dims, cap * sizeof(*grown));
      if (!grown)
        return fail_at(ps, "out of memory");
      ps->dims = grown;
      ps->dims_cap = cap;
    }
    ps->dims[ps->num_dims++] = v;
    ++*count;
  } while (accept(ps, ','));
  return expect(ps, ']', "expected ',' or ']'");
}

/// Parses "__metadata__"'s value: an object of string values.
static int parse_metadata(st_parser *ps) {
  if (!expect(ps, '{', "__metadata__ must be an object"))
    return 0;
  if (accept(ps, '}'))
    return 1;
  do {
    const char *s;
    size_t n;
    if (!parse_string(ps, &s, &n) || !expect(ps, ':', "expected ':'"))
      return 0;
    skip_ws(ps);
    if (ps->pos >= ps->len || ps->buf[ps->pos] != '"')
      return fail_at(ps, "__metadata__ values must be strings");
    if (!parse_string(ps, &s, &n))
      return 0;
  } while (accept(ps, ','));
  return expect(ps, '}', "expected ',' or '}'");
}

/// Parses one tensor entry {"dtype": .., "shape": [..], "data_offsets": [..]}
/// into `t` (which the caller has named).
static int parse_tensor(st_parser *ps, st_tensor *t) {
  if (!expect(ps, '{', "a tensor entry must be an object"))
    return 0;
  int has_dtype = 0, has_shape = 0, has_offsets = 0;
  if (!accept(ps, '}')) {
    do {
      const char *key;
      size_t key_len;
      if (!parse_string(ps, &key, &key_len) || !expect(ps, ':', "expected ':'"))
        return 0;
      if (str_is(key, key_len, "dtype")) {
        if (has_dtype)
          return fail_at(ps, "duplicate key \"dtype\"");
        has_dtype = 1;
        if (!parse_string(ps, &t->dtype, &t->dtype_len))
          return 0;
      } else if (str_is(key, key_len, "shape")) {
        if (has_shape)
          return fail_at(ps, "duplicate key \"shape\"");
        has_shape = 1;
        t->shape_first = ps->num_dims;
        if (!parse_uint_array(ps, &t->rank))
          return 0;
      } else if (str_is(key, key_len, "data_offsets")) {
        if (has_offsets)
          return fail_at(ps, "duplicate key \"data_offsets\"");
        has_offsets = 1;
        size_t first = ps->num_dims, n;
        if (!parse_uint_array(ps, &n))
          return 0;
        if (n != 2)
          return fail_at(ps, "data_offsets must have two entries");
        t->begin = ps->dims[first];
        t->end = ps->dims[first + 1];
        ps->num_dims = first; // They are not dimensions.
      } else {
        return fail_at(ps, "unknown key in a tensor entry");
      }
    } while (accept(ps, ','));
    if (!expect(ps, '}', "expected ',' or '}'"))
      return 0;
  }
  if (!has_dtype)
    return fail_at(ps, "tensor entry without \"dtype\"");
  if (!has_shape)
    return fail_at(ps, "tensor entry without \"shape\"");
  if (!has_offsets)
    return fail_at(ps, "tensor entry without \"data_offsets\"");
  return 1;
}

/// Parses the whole header into ps->tensors.
static int parse_header(st_parser *ps) {
  if (!expect(ps, '{', "expected '{'"))
    return 0;
  int has_metadata = 0;
  if (!accept(ps, '}')) {
    do {
      const char *key;
      size_t key_len;
      if (!parse_string(ps, &key, &key_len) || !expect(ps, ':', "expected ':'"))
        return 0;
      if (str_is(key, key_len, "__metadata__")) {
        if (has_metadata)
          return fail_at(ps, "duplicate __metadata__");
        has_metadata = 1;
        if (!parse_metadata(ps))
          return 0;
        continue;
      }
      if (ps->num_tensors == ps->tensors_cap) {
        size_t cap = ps->tensors_cap ? 2 * ps->tensors_cap : 16;
        st_tensor *grown = realloc(ps->tensors, cap * sizeof(*grown));
        if (!grown)
          return fail_at(ps, "out of memory");
        ps->tensors = grown;
        ps->tensors_cap = cap;
      }
      st_tensor *t = &ps->tensors[ps->num_tensors++];
      memset(t, 0, sizeof(*t));
      t->name = key;
      t->name_len = key_len;
      if (!parse_tensor(ps, t))
        return 0;
    } while (accept(ps, ','));
    if (!expect(ps, '}', "expected ',' or '}'"))
      return 0;
  }
  skip_ws(ps);
  if (ps->pos != ps->len)
    return fail_at(ps, "unexpected data after the header object");
  return 1;
}

/// Orders tensors by name (bytewise, shorter first on a common prefix).
static int compare_tensors(const void *a, const void *b) {
  const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c != 0)
    return c;
  return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/// Finds the tensor named `name` in the sorted array, or returns NULL.
static st_tensor *find_tensor(st_tensor **sorted, size_t n, const char *name) {
  size_t name_len = strlen(name), lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    st_tensor probe = {0};
    probe.name = name;
    probe.name_len = name_len;
    const st_tensor *pp = &probe;
    int c = compare_tensors(&pp, &sorted[mid]);
    if (c == 0)
      return sorted[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// Checks tensor `t` of the file against model parameter `p`; the data
/// section has `data_size` bytes.
static int check_tensor(const char *path, const nnc_param *p,
                        const st_tensor *t, const uint64_t *dims,
                        uint64_t data_size, size_t bytes, char *err,
                        size_t err_len) {
  if (!str_is(t->dtype, t->dtype_len, dtype_name(p->dtype))) {
    char dtype[32];
    return nnc_fail(err, err_len,
                    "checkpoint '%s': parameter '%s' has dtype %s, expected %s",
                    path, p->name,
                    printable(dtype, sizeof(dtype), t->dtype, t->dtype_len),
                    dtype_name(p->dtype));
  }
  int same = t->rank == (size_t)p->rank;
  for (size_t d = 0; same && d < t->rank; ++d)
    same = dims[t->shape_first + d] == (uint64_t)p->shape[d];
  if (!same) {
    char got[128], want[128];
    return nnc_fail(
        err, err_len,
        "checkpoint '%s': parameter '%s' has shape %s, expected %s", path,
        p->name,
        format_shape_u64(got, sizeof(got),
                         t->rank ? dims + t->shape_first : dims, t->rank),
        format_shape_i64(want, sizeof(want), p->shape, (size_t)p->rank));
  }
  if (t->begin > t->end || t->end > data_size)
    return nnc_fail(err, err_len,
                    "checkpoint '%s': data of '%s' lies outside the file", path,
                    p->name);
  if (t->end - t->begin != (uint64_t)bytes)
    return nnc_fail(err, err_len,
                    "checkpoint '%s': data of '%s' has %llu bytes, expected "
                    "%zu",
                    path, p->name, (unsigned long long)(t->end - t->begin),
                    bytes);
  return 0;
}

/// The body of nnc_load_safetensors once the file is open; `ps` and the
/// buffers it allocates are freed by the caller.
static int load_open_file(const char *path, int fd, const nnc_param *params,
                          size_t count, st_parser *ps, st_tensor ***sorted,
                          unsigned char **staging, char *err, size_t err_len) {
  char why[128];
  struct stat st;
  if (fstat(fd, &st) != 0)
    return nnc_fail(err, err_len, "checkpoint '%s': %s", path,
                    nnc_errno_text(errno, why, sizeof(why)));
  if (!S_ISREG(st.st_mode))
    return nnc_fail(err, err_len, "checkpoint '%s' is not a regular file",
                    path);
  uint64_t file_size = (uint64_t)st.st_size;
  if (file_size < 8)
    return nnc_fail(err, err_len,
                    "checkpoint '%s' is not a safetensors file (file size "
                    "%llu is smaller than the 8-byte header length)",
                    path, (unsigned long long)file_size);

  unsigned char prefix[8];
  if (read_at(fd, prefix, 8, 0) != 0)
    return nnc_fail(err, err_len, "checkpoint '%s': cannot read: %s", path,
                    errno ? nnc_errno_text(errno, why, sizeof(why))
                          : "unexpected end of file");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i)
    header_len = (header_len << 8) | prefix[i];
  if (header_len > file_size - 8)
    return nnc_fail(err, err_len,
                    "checkpoint '%s' is not a safetensors file (header length "
                    "%llu exceeds file size %llu)",
                    path, (unsigned long long)header_len,
                    (unsigned long long)file_size);
  if (header_len > NNC_MAX_HEADER_SIZE)
    return nnc_fail(err, err_len,
                    "checkpoint '%s' is not a safetensors file (header length "
                    "%llu exceeds the limit of %llu bytes)",
                    path, (unsigned long long)header_len,
                    (unsigned long long)NNC_MAX_HEADER_SIZE);

  ps->len = (size_t)header_len;
  ps->buf = malloc(ps->len ? ps->len : 1);
  if (!ps->buf)
    return nnc_fail(err, err_len, "checkpoint '%s': out of memory", path);
  if (read_at(fd, ps->buf, ps->len, 8) != 0)
    return nnc_fail(err, err_len, "checkpoint '%s': cannot read: %s", path,
                    errno ? nnc_errno_text(errno, why, sizeof(why))
                          : "unexpected end of file");
  if (!parse_header(ps))
    return nnc_fail(err, err_len,
                    "checkpoint '%s' is not a safetensors file (invalid "
                    "header at byte %zu: %s)",
                    path, ps->at + 8, ps->error);
  uint64_t data_size = file_size - 8 - header_len;

  // Sort by name to find parameters and duplicates in O(n log n), however
  // many tensors a hostile header lists.
  size_t n = ps->num_tensors;
  *sorted = malloc((n ? n : 1) * sizeof(**sorted));
  if (!*sorted)
    return nnc_fail(err, err_len, "checkpoint '%s': out of memory", path);
  for (size_t i = 0; i < n; ++i)
    (*sorted)[i] = &ps->tensors[i];
  qsort(*sorted, n, sizeof(**sorted), compare_tensors);
  for (size_t i = 1; i < n; ++i)
    if (compare_tensors(&(*sorted)[i - 1], &(*sorted)[i]) == 0) {
      char name[128];
      return nnc_fail(err, err_len, "checkpoint '%s' has duplicate tensor '%s'",
                      path,
                      printable(name, sizeof(name), (*sorted)[i]->name,
                                (*sorted)[i]->name_len));
    }

  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    const nnc_param *p = &params[i];
    size_t bytes;
    if (check_param(path, p, &bytes, err, err_len) != 0)
      return -1;
    st_tensor *t = find_tensor(*sorted, n, p->name);
    if (!t)
      return nnc_fail(err, err_len, "checkpoint '%s' has no parameter '%s'",
                      path, p->name);
    if (t->match)
      return nnc_fail(err, err_len,
                      "checkpoint '%s': the model has two parameters named "
                      "'%s'",
                      path, p->name);
    if (check_tensor(path, p, t, ps->dims, data_size, bytes, err, err_len) != 0)
      return -1;
    t->match = p;
    if (!nnc_add_size(total, bytes, &total))
      return nnc_fail(err, err_len, "checkpoint '%s': model is too large",
                      path);
  }
  for (size_t i = 0; i < n; ++i)
    if (!ps->tensors[i].match) {
      char name[128];
      return nnc_fail(err, err_len,
                      "checkpoint '%s' has unexpected tensor '%s'", path,
                      printable(name, sizeof(name), ps->tensors[i].name,
                                ps->tensors[i].name_len));
    }

  // Read everything before writing anything: a read error (or a file
  // truncated behind our back) must not leave the model half loaded.
  *staging = malloc(total ? total : 1);
  if (!*staging)
    return nnc_fail(err, err_len, "checkpoint '%s': out of memory", path);
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const st_tensor *t = &ps->tensors[i];
    size_t bytes = (size_t)(t->end - t->begin);
    if (read_at(fd, *staging + at, bytes, 8 + header_len + t->begin) != 0)
      return nnc_fail(err, err_len, "checkpoint '%s': cannot read '%s': %s",
                      path, t->match->name,
                      errno ? nnc_errno_text(errno, why, sizeof(why))
                            : "unexpected end of file");
    if (!nnc_host_is_little_endian())
      nnc_byteswap(*staging + at, t->match->numel,
                   nnc_dtype_size(t->match->dtype));
    at += bytes;
  }
  at = 0;
  for (size_t i = 0; i < n; ++i) {
    const st_tensor *t = &ps->tensors[i];
    size_t bytes = (size_t)(t->end - t->begin);
    if (bytes > 0)
      memcpy(t->match->data, *staging + at, bytes);
    at += bytes;
  }
  return 0;
}

int nnc_load_safetensors(const char *path, const nnc_param *params,
                         size_t count, char *err, size_t err_len) {
  if (!path)
    return nnc_fail(err, err_len, "checkpoint path is NULL");
  if (!params && count > 0)
    return nnc_fail(err, err_len, "checkpoint '%s': parameter array is NULL",
                    path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    char why[128];
    return nnc_fail(err, err_len, "cannot open checkpoint '%s': %s", path,
                    nnc_errno_text(errno, why, sizeof(why)));
  }
  st_parser ps;
  memset(&ps, 0, sizeof(ps));
  st_tensor **sorted = NULL;
  unsigned char *staging = NULL;
  int rc = load_open_file(path, fd, params, count, &ps, &sorted, &staging, err,
                          err_len);
  free(staging);
  free(sorted);
  free(ps.tensors);
  free(ps.dims);
  free(ps.buf);
  close(fd);
  return rc;
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

/// A growable string; `failed` records an allocation failure so that the
/// appends need no individual checks.
typedef struct strbuf {
  char *data;
  size_t len, cap;
  int failed;
} strbuf;

static void sb_append(strbuf *sb, const char *s, size_t n) {
  if (sb->failed)
    return;
  if (n > SIZE_MAX - sb->len - 1) {
    sb->failed = 1;
    return;
  }
  if (sb->len + n + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + n + 1)
      cap = cap > SIZE_MAX / 2 ? sb->len + n + 1 : cap * 2;
    char *grown = realloc(sb->data, cap);
    if (!grown) {
      sb->failed = 1;
      return;
    }
    sb->data = grown;
    sb->cap = cap;
  }
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

static void sb_puts(strbuf *sb, const char *s) { sb_append(sb, s, strlen(s)); }

static void sb_u64(strbuf *sb, uint64_t v) {
  char num[24];
  snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
  sb_puts(sb, num);
}

/// Appends `s` as a JSON string literal; bytes >= 0x80 (UTF-8) pass through.
static void sb_json_string(strbuf *sb, const char *s) {
  sb_puts(sb, "\"");
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      sb_append(sb, esc, 2);
    } else if (c < 0x20) {
      char esc[8];
      snprintf(esc, sizeof(esc), "\\u%04x", c);
      sb_puts(sb, esc);
    } else {
      sb_append(sb, (const char *)&c, 1);
    }
  }
  sb_puts(sb, "\"");
}

/// Builds the JSON header (padded with spaces to a multiple of 8 bytes, so
/// the data that follows the 8-byte length is 8-byte aligned).
static int build_header(strbuf *sb, const nnc_param *params, size_t count) {
  sb_puts(sb, "{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"nnc\"}");
  uint64_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const nnc_param *p = &params[i];
    sb_puts(sb, ",");
    sb_json_string(sb, p->name);
    sb_puts(sb, ":{\"dtype\":\"");
    sb_puts(sb, dtype_name(p->dtype));
    sb_puts(sb, "\",\"shape\":[");
    for (int32_t d = 0; d < p->rank; ++d) {
      if (d)
        sb_puts(sb, ",");
      sb_u64(sb, (uint64_t)p->shape[d]);
    }
    sb_puts(sb, "],\"data_offsets\":[");
    sb_u64(sb, offset);
    sb_puts(sb, ",");
    offset += (uint64_t)p->numel * nnc_dtype_size(p->dtype);
    sb_u64(sb, offset);
    sb_puts(sb, "]}");
  }
  sb_puts(sb, "}");
  while (!sb->failed && sb->len % 8 != 0)
    sb_puts(sb, " ");
  return sb->failed ? -1 : 0;
}

/// Writes one parameter's data in little-endian order.
static int write_data(int fd, const nnc_param *p, size_t bytes) {
  if (nnc_host_is_little_endian())
    return write_all(fd, p->data, bytes);
  size_t elem = nnc_dtype_size(p->dtype);
  unsigned char chunk[1 << 16];
  const unsigned char *src = (const unsigned char *)p->data;
  while (bytes > 0) {
    size_t n = bytes < sizeof(chunk) ? bytes : sizeof(chunk);
    memcpy(chunk, src, n);
    nnc_byteswap(chunk, n / elem, elem);
    if (write_all(fd, chunk, n) != 0)
      return -1;
    src += n;
    bytes -= n;
  }
  return 0;
}

/// Opens a new temporary file next to `path`. The suffix mixes the process
/// id, the clock, a stack address and the attempt number, and O_EXCL makes a
/// collision (with another process or a stale file) a retry, not a clobber.
static int create_temp(const char *path, char *tmp, size_t tmp_len) {
  struct timespec ts = {0, 0};
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t entropy =
      nnc_mix64((uint64_t)getpid() ^ ((uint64_t)ts.tv_sec << 32) ^
                (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&ts);
  for (uint64_t attempt = 0; attempt < 100; ++attempt) {
    uint64_t r = nnc_mix64(entropy + attempt * NNC_GOLDEN);
    snprintf(tmp, tmp_len, "%s.tmp.%ld.%08llx", path, (long)getpid(),
             (unsigned long long)(r & 0xffffffffu));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/// Flushes the directory holding `path`, so that the rename itself survives
/// a crash. Best effort: some file systems cannot fsync directories.
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir;
  if (!slash) {
    dir = malloc(2);
    if (dir)
      memcpy(dir, ".", 2);
  } else {
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    dir = malloc(n + 1);
    if (dir) {
      memcpy(dir, path, n);
      dir[n] = '\0';
    }
  }
  if (!dir)
    return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

int nnc_save_safetensors(const char *path, const nnc_param *params,
                         size_t count, char *err, size_t err_len) {
  if (!path)
    return nnc_fail(err, err_len, "checkpoint path is NULL");
  if (!params && count > 0)
    return nnc_fail(err, err_len, "checkpoint '%s': parameter array is NULL",
                    path);
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    size_t bytes;
    if (check_param(path, &params[i], &bytes, err, err_len) != 0)
      return -1;
    if (strcmp(params[i].name, "__metadata__") == 0)
      return nnc_fail(err, err_len,
                      "checkpoint '%s': parameter name '__metadata__' is "
                      "reserved",
                      path);
    for (size_t j = 0; j < i; ++j)
      if (strcmp(params[i].name, params[j].name) == 0)
        return nnc_fail(err, err_len,
                        "checkpoint '%s': the model has two parameters named "
                        "'%s'",
                        path, params[i].name);
    if (bytes > UINT64_MAX - total)
      return nnc_fail(err, err_len, "checkpoint '%s': model is too large",
                      path);
    total += bytes;
  }

  strbuf header = {NULL, 0, 0, 0};
  if (build_header(&header, params, count) != 0) {
    free(header.data);
    return nnc_fail(err, err_len, "checkpoint '%s': out of memory", path);
  }
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i)
    prefix[i] = (unsigned char)(((uint64_t)header.len >> (8 * i)) & 0xff);

  size_t tmp_len = strlen(path) + 64;
  char *tmp = malloc(tmp_len);
  if (!tmp) {
    free(header.data);
    return nnc_fail(err, err_len, "checkpoint '%s': out of memory", path);
  }
  char why[128];
  int rc = 0;
  int fd = create_temp(path, tmp, tmp_len);
  if (fd < 0) {
    rc = nnc_fail(err, err_len,
                  "checkpoint '%s': cannot create temporary file '%s': %s",
                  path, tmp, nnc_errno_text(errno, why, sizeof(why)));
    goto done;
  }
  int ok = write_all(fd, prefix, 8) == 0 &&
           write_all(fd, header.data, header.len) == 0;
  for (size_t i = 0; ok && i < count; ++i)
    ok = write_data(fd, &params[i],
                    params[i].numel * nnc_dtype_size(params[i].dtype)) == 0;
  // fsync before rename: otherwise a crash could leave the new name pointing
  // at a file whose data never reached the disk.
  if (ok)
    ok = fsync(fd) == 0;
  int saved = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    rc = nnc_fail(err, err_len, "checkpoint '%s': cannot write '%s': %s", path,
                  tmp, nnc_errno_text(saved, why, sizeof(why)));
    unlink(tmp);
    goto done;
  }
  if (rename(tmp, path) != 0) {
    rc = nnc_fail(err, err_len, "checkpoint '%s': cannot rename '%s': %s", path,
                  tmp, nnc_errno_text(errno, why, sizeof(why)));
    unlink(tmp);
    goto done;
  }
  sync_parent_dir(path);
done:
  free(tmp);
  free(header.data);
  return rc;
}
