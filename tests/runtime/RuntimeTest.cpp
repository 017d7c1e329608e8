//===- RuntimeTest.cpp - Unit tests of the nnc C runtime ------------------===//
//
// Covers runtime/nnc_runtime.h: initialization, safetensors checkpoints, data
// set loading, shuffling, batching and the progress bar, and runtime/nnc_gpu.h,
// the CUDA contexts. Every fixture file is generated here, in a fresh
// temporary directory per test.
//
//===----------------------------------------------------------------------===//

#include "nnc_gpu.h"
#include "nnc_runtime.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string readFile(const std::string &path) {
  std::string data;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return data;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    data.append(buf, n);
  std::fclose(f);
  return data;
}

void writeFile(const std::string &path, const std::string &data) {
  FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  ASSERT_EQ(std::fclose(f), 0);
}

void writeGzip(const std::string &path, const std::string &data) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr) << path;
  ASSERT_EQ(gzwrite(gz, data.data(), (unsigned)data.size()), (int)data.size());
  ASSERT_EQ(gzclose(gz), Z_OK);
}

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[i] = (char)((v >> (8 * i)) & 0xff);
  return s;
}

uint64_t readLe64(const std::string &s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | (unsigned char)s[i];
  return v;
}

template <typename T> std::string bytesOf(const std::vector<T> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

/// A minimal JSON reader, independent of the runtime's parser, to check the
/// headers the runtime writes.
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  std::string text; // String value, or a number's literal text.
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json *get(const std::string &key) const {
    for (const auto &m : members)
      if (m.first == key)
        return &m.second;
    return nullptr;
  }
  uint64_t asUint() const { return std::strtoull(text.c_str(), nullptr, 10); }
};

class JsonReader {
public:
  explicit JsonReader(const std::string &s) : s(s) {}

  bool parse(Json &out) {
    if (!value(out))
      return false;
    ws();
    return pos == s.size();
  }

private:
  void ws() {
    while (pos < s.size() && std::strchr(" \t\r\n", s[pos]))
      ++pos;
  }
  bool lit(char c) {
    ws();
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool string(std::string &out) {
    if (!lit('"'))
      return false;
    while (pos < s.size() && s[pos] != '"') {
      if (s[pos] == '\\') {
        if (++pos >= s.size())
          return false;
        char e = s[pos++];
        if (e == 'u') {
          if (pos + 4 > s.size())
            return false;
          unsigned cp = std::strtoul(s.substr(pos, 4).c_str(), nullptr, 16);
          pos += 4;
          if (cp >= 0x80)
            return false; // Not needed by these tests.
          out += (char)cp;
        } else {
          const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
          const char *at = std::strchr(from, e);
          if (!at)
            return false;
          out += to[at - from];
        }
      } else {
        if ((unsigned char)s[pos] < 0x20)
          return false;
        out += s[pos++];
      }
    }
    if (pos >= s.size())
      return false;
    ++pos;
    return true;
  }
  bool value(Json &v) {
    ws();
    if (pos >= s.size())
      return false;
    char c = s[pos];
    if (c == '{') {
      v.kind = Json::Object;
      ++pos;
      if (lit('}'))
        return true;
      do {
        std::string key;
        Json member;
        if (!string(key) || !lit(':') || !value(member))
          return false;
        v.members.emplace_back(key, member);
      } while (lit(','));
      return lit('}');
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++pos;
      if (lit(']'))
        return true;
      do {
        Json item;
        if (!value(item))
          return false;
        v.items.push_back(item);
      } while (lit(','));
      return lit(']');
    }
    if (c == '"') {
      v.kind = Json::String;
      return string(v.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::Number;
      size_t start = pos++;
      while (pos < s.size() && std::strchr("0123456789.eE+-", s[pos]))
        ++pos;
      v.text = s.substr(start, pos - start);
      return true;
    }
    for (const char *word : {"true", "false", "null"})
      if (s.compare(pos, std::strlen(word), word) == 0) {
        v.kind = word[0] == 'n' ? Json::Null : Json::Bool;
        v.text = word;
        pos += std::strlen(word);
        return true;
      }
    return false;
  }

  const std::string &s;
  size_t pos = 0;
};

/// A tensor with its own storage, for building nnc_param arrays.
struct Tensor {
  std::string name;
  nnc_dtype dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;

  Tensor(std::string name, nnc_dtype dtype, std::vector<int64_t> shape)
      : name(std::move(name)), dtype(dtype), shape(std::move(shape)) {
    bytes.resize(numel() * nnc_dtype_size(dtype));
  }
  size_t numel() const {
    size_t n = 1;
    for (int64_t d : shape)
      n *= (size_t)d;
    return n;
  }
};

/// A set of tensors; params() is valid until the model is changed.
struct Model {
  std::vector<Tensor> tensors;

  Model &add(const std::string &name, nnc_dtype dtype,
             std::vector<int64_t> shape) {
    tensors.emplace_back(name, dtype, std::move(shape));
    return *this;
  }
  std::vector<nnc_param> params() {
    std::vector<nnc_param> ps;
    for (Tensor &t : tensors)
      ps.push_back({t.name.c_str(), t.dtype, (int32_t)t.shape.size(),
                    t.shape.data(), t.bytes.data(), t.numel()});
    return ps;
  }
  /// Fills every tensor with pseudo-random bytes that depend on `salt`.
  void fill(uint32_t salt) {
    for (Tensor &t : tensors)
      for (size_t i = 0; i < t.bytes.size(); ++i)
        t.bytes[i] =
            (unsigned char)((i * 2654435761u + salt * 97u + t.name.size()) >>
                            7);
  }
  std::vector<std::vector<unsigned char>> snapshot() const {
    std::vector<std::vector<unsigned char>> s;
    for (const Tensor &t : tensors)
      s.push_back(t.bytes);
    return s;
  }
};

class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/nnc-runtime-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir = buf.data();
  }
  void TearDown() override {
    for (const std::string &name : listDir(dir)) {
      std::string p = dir + "/" + name;
      if (unlink(p.c_str()) != 0)
        rmdir(p.c_str());
    }
    rmdir(dir.c_str());
  }
  std::string path(const std::string &name) const { return dir + "/" + name; }

  /// Loads `file` into `model`, expecting failure with a message that
  /// contains `expected`, and the model unchanged.
  void expectLoadError(Model &model, const std::string &file,
                       const std::string &expected) {
    model.fill(12345);
    auto before = model.snapshot();
    auto ps = model.params();
    char err[512] = "";
    EXPECT_NE(nnc_load_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                   sizeof(err)),
              0);
    EXPECT_NE(std::string(err).find(expected), std::string::npos)
        << "message: " << err << "\nexpected to contain: " << expected;
    EXPECT_TRUE(model.snapshot() == before) << "parameters were modified";
  }

  /// Writes a safetensors file with the given header text and data bytes.
  std::string writeSafetensors(const std::string &name,
                               const std::string &header,
                               const std::string &data) {
    std::string p = path(name);
    writeFile(p, le64(header.size()) + header + data);
    return p;
  }

  std::string dir;
};

//===----------------------------------------------------------------------===//
// Initialization
//===----------------------------------------------------------------------===//

TEST_F(RuntimeTest, DtypeSizes) {
  EXPECT_EQ(nnc_dtype_size(NNC_F32), 4u);
  EXPECT_EQ(nnc_dtype_size(NNC_F64), 8u);
  EXPECT_EQ(nnc_dtype_size(NNC_I32), 4u);
  EXPECT_EQ(nnc_dtype_size(NNC_I64), 8u);
  EXPECT_EQ(nnc_dtype_size((nnc_dtype)7), 0u);
}

TEST_F(RuntimeTest, InitIsDeterministic) {
  const size_t n = 1000;
  for (int kind :
       {NNC_INIT_NORMAL, NNC_INIT_UNIFORM, NNC_INIT_TRUNCATED_NORMAL}) {
    SCOPED_TRACE(kind);
    std::vector<float> a(n), b(n), otherStream(n), otherSeed(n), prefix(10);
    nnc_init_tensor(a.data(), NNC_F32, n, kind, 0.0, 1.0, 42, 3);
    nnc_init_tensor(b.data(), NNC_F32, n, kind, 0.0, 1.0, 42, 3);
    nnc_init_tensor(otherStream.data(), NNC_F32, n, kind, 0.0, 1.0, 42, 4);
    nnc_init_tensor(otherSeed.data(), NNC_F32, n, kind, 0.0, 1.0, 43, 3);
    // Element i depends only on (seed, stream, i), not on the tensor size.
    nnc_init_tensor(prefix.data(), NNC_F32, prefix.size(), kind, 0.0, 1.0, 42,
                    3);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(a.data(), prefix.data(), 10 * sizeof(float)), 0);
    size_t sameStream = 0, sameSeed = 0, sameNeighbour = 0;
    for (size_t i = 0; i < n; ++i) {
      sameStream += a[i] == otherStream[i];
      sameSeed += a[i] == otherSeed[i];
      sameNeighbour += i > 0 && a[i] == a[i - 1];
    }
    EXPECT_LT(sameStream, 5u);
    EXPECT_LT(sameSeed, 5u);
    EXPECT_LT(sameNeighbour, 5u);
  }
  // F32 is the F64 value rounded.
  std::vector<double> d(100);
  std::vector<float> f(100);
  nnc_init_tensor(d.data(), NNC_F64, 100, NNC_INIT_NORMAL, 1.0, 0.5, 7, 0);
  nnc_init_tensor(f.data(), NNC_F32, 100, NNC_INIT_NORMAL, 1.0, 0.5, 7, 0);
  for (size_t i = 0; i < 100; ++i)
    EXPECT_EQ(f[i], (float)d[i]);
}

TEST_F(RuntimeTest, InitValuesAreStable) {
  // Pins the generator: a changed hash would silently change every model's
  // initialization and every shuffle, breaking reproducibility across nnc
  // versions. Uniforms are exact (integer arithmetic and one multiply);
  // normals go through libm, so they get a tolerance.
  double v[3];
  nnc_init_tensor(v, NNC_F64, 3, NNC_INIT_UNIFORM, 0.0, 1.0, 0, 0);
  EXPECT_EQ(v[0], 0x1.b65dfddc6806ep-2);
  EXPECT_EQ(v[1], 0x1.c7f9599a3a90cp-3);
  EXPECT_EQ(v[2], 0x1.938e64a1c450cp-2);
  nnc_init_tensor(v, NNC_F64, 3, NNC_INIT_NORMAL, 0.0, 1.0, 42, 7);
  EXPECT_NEAR(v[0], 0.94522087811179267, 1e-12);
  EXPECT_NEAR(v[1], 1.0999943085337316, 1e-12);
  EXPECT_NEAR(v[2], 0.91808538471811985, 1e-12);
  std::vector<uint32_t> perm(8);
  nnc_shuffle(perm.data(), perm.size(), 42, 0);
  EXPECT_EQ(perm, (std::vector<uint32_t>{4, 5, 7, 1, 6, 0, 2, 3}));
}

struct Moments {
  double mean = 0, stddev = 0, min = INFINITY, max = -INFINITY;
};

Moments moments(const std::vector<double> &v) {
  Moments m;
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= (double)v.size();
  for (double x : v)
    m.stddev += (x - m.mean) * (x - m.mean);
  m.stddev = std::sqrt(m.stddev / (double)v.size());
  return m;
}

TEST_F(RuntimeTest, InitStatistics) {
  const size_t n = 100000;
  std::vector<double> v(n);

  // Tolerances are about 5 standard errors.
  nnc_init_tensor(v.data(), NNC_F64, n, NNC_INIT_NORMAL, 0.5, 2.0, 1, 0);
  Moments m = moments(v);
  EXPECT_NEAR(m.mean, 0.5, 0.035);
  EXPECT_NEAR(m.stddev, 2.0, 0.025);
  EXPECT_LT(m.min, 0.5 - 2.0 * 3.5); // The tails are there.
  EXPECT_GT(m.max, 0.5 + 2.0 * 3.5);
  size_t within1 = std::count_if(
      v.begin(), v.end(), [](double x) { return std::fabs(x - 0.5) <= 2.0; });
  EXPECT_NEAR((double)within1 / n, 0.6827, 0.008);

  nnc_init_tensor(v.data(), NNC_F64, n, NNC_INIT_UNIFORM, -1.0, 3.0, 1, 1);
  m = moments(v);
  EXPECT_NEAR(m.mean, 1.0, 0.02);
  EXPECT_NEAR(m.stddev, 4.0 / std::sqrt(12.0), 0.01);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LT(m.max, 3.0);
  EXPECT_LT(m.min, -0.99);
  EXPECT_GT(m.max, 2.99);
  std::vector<size_t> bins(10);
  for (double x : v)
    ++bins[std::min<size_t>(9, (size_t)((x + 1.0) / 4.0 * 10))];
  for (size_t b : bins)
    EXPECT_NEAR((double)b, n / 10.0, 500.0);

  nnc_init_tensor(v.data(), NNC_F64, n, NNC_INIT_TRUNCATED_NORMAL, 1.0, 0.5, 1,
                  2);
  m = moments(v);
  EXPECT_GE(m.min, 0.0);
  EXPECT_LE(m.max, 2.0);
  EXPECT_LT(m.min, 0.02);
  EXPECT_GT(m.max, 1.98);
  EXPECT_NEAR(m.mean, 1.0, 0.01);
  // The standard deviation of N(0, 1) truncated to [-2, 2] is 0.8796.
  EXPECT_NEAR(m.stddev, 0.5 * 0.8796, 0.005);

  std::vector<float> f(n);
  nnc_init_tensor(f.data(), NNC_F32, n, NNC_INIT_TRUNCATED_NORMAL, 0.0, 0.1, 9,
                  2);
  for (float x : f)
    ASSERT_TRUE(x >= -0.2f && x <= 0.2f) << x;

  nnc_init_tensor(f.data(), NNC_F32, n, NNC_INIT_CONSTANT, 0.25, 99.0, 1, 3);
  for (float x : f)
    ASSERT_EQ(x, 0.25f);
}

TEST_F(RuntimeTest, InitEdgeCases) {
  // [1, next float after 1) holds only 1.0f; rounding must not produce b.
  std::vector<float> f(1000);
  nnc_init_tensor(f.data(), NNC_F32, f.size(), NNC_INIT_UNIFORM, 1.0,
                  (double)std::nextafter(1.0f, 2.0f), 5, 0);
  for (float x : f)
    ASSERT_EQ(x, 1.0f);

  // Integer types round and saturate.
  int32_t i32[2] = {0, 0};
  nnc_init_tensor(i32, NNC_I32, 2, NNC_INIT_CONSTANT, 2.6, 0, 0, 0);
  EXPECT_EQ(i32[0], 3);
  nnc_init_tensor(i32, NNC_I32, 2, NNC_INIT_CONSTANT, 1e20, 0, 0, 0);
  EXPECT_EQ(i32[1], INT32_MAX);
  int64_t i64 = 0;
  nnc_init_tensor(&i64, NNC_I64, 1, NNC_INIT_CONSTANT, -7.4, 0, 0, 0);
  EXPECT_EQ(i64, -7);

  // Unknown kinds and dtypes, and NULL data, change nothing.
  float keep[3] = {1.5f, 2.5f, 3.5f};
  nnc_init_tensor(keep, NNC_F32, 3, 17, 0.0, 1.0, 0, 0);
  nnc_init_tensor(keep, (nnc_dtype)9, 3, NNC_INIT_CONSTANT, 0.0, 1.0, 0, 0);
  nnc_init_tensor(nullptr, NNC_F32, 3, NNC_INIT_CONSTANT, 0.0, 1.0, 0, 0);
  EXPECT_EQ(keep[0], 1.5f);
  EXPECT_EQ(keep[2], 3.5f);
}

//===----------------------------------------------------------------------===//
// Safetensors
//===----------------------------------------------------------------------===//

Model sampleModel() {
  Model m;
  m.add("dense0.weight", NNC_F32, {4, 3})
      .add("dense0.bias", NNC_F32, {4})
      .add("w64", NNC_F64, {2, 2, 2})
      .add("steps", NNC_I64, {})
      .add("ids", NNC_I32, {5})
      .add("empty", NNC_F32, {0, 3});
  return m;
}

TEST_F(RuntimeTest, SafetensorsRoundTrip) {
  Model saved = sampleModel();
  saved.fill(1);
  auto ps = saved.params();
  std::string file = path("model.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;

  Model loaded = sampleModel();
  loaded.fill(2);
  ASSERT_FALSE(loaded.snapshot() == saved.snapshot());
  auto ls = loaded.params();
  ASSERT_EQ(nnc_load_safetensors(file.c_str(), ls.data(), ls.size(), err,
                                 sizeof(err)),
            0)
      << err;
  EXPECT_TRUE(loaded.snapshot() == saved.snapshot());

  // The parameters may be listed in any order.
  Model reversed;
  for (auto it = saved.tensors.rbegin(); it != saved.tensors.rend(); ++it)
    reversed.add(it->name, it->dtype, it->shape);
  auto rs = reversed.params();
  ASSERT_EQ(nnc_load_safetensors(file.c_str(), rs.data(), rs.size(), err,
                                 sizeof(err)),
            0)
      << err;
  for (size_t i = 0; i < saved.tensors.size(); ++i)
    EXPECT_EQ(reversed.tensors[saved.tensors.size() - 1 - i].bytes,
              saved.tensors[i].bytes);

  // Saving again replaces the file.
  saved.fill(3);
  ps = saved.params();
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  ASSERT_EQ(nnc_load_safetensors(file.c_str(), ls.data(), ls.size(), err,
                                 sizeof(err)),
            0)
      << err;
  EXPECT_TRUE(loaded.snapshot() == saved.snapshot());
}

TEST_F(RuntimeTest, SafetensorsFileFormat) {
  Model model = sampleModel();
  model.add("odd \"name\"\\\n", NNC_F32, {1});
  model.fill(4);
  auto ps = model.params();
  std::string file = path("format.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;

  std::string bytes = readFile(file);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = readLe64(bytes);
  EXPECT_EQ(n % 8, 0u) << "the data must start 8-byte aligned";
  ASSERT_LE(8 + n, bytes.size());
  std::string header = bytes.substr(8, n);
  Json root;
  ASSERT_TRUE(JsonReader(header).parse(root)) << header;
  ASSERT_EQ(root.kind, Json::Object);

  const Json *meta = root.get("__metadata__");
  ASSERT_NE(meta, nullptr);
  ASSERT_EQ(meta->kind, Json::Object);
  ASSERT_NE(meta->get("format"), nullptr);
  EXPECT_EQ(meta->get("format")->text, "pt");
  ASSERT_NE(meta->get("producer"), nullptr);
  EXPECT_EQ(meta->get("producer")->text, "nnc");

  std::vector<std::string> order;
  for (const auto &m : root.members)
    if (m.first != "__metadata__")
      order.push_back(m.first);
  std::vector<std::string> expectedOrder;
  for (const Tensor &t : model.tensors)
    expectedOrder.push_back(t.name);
  EXPECT_EQ(order, expectedOrder);

  const char *dtypes[] = {"F32", "F64", "I32", "I64"};
  uint64_t offset = 0;
  for (const Tensor &t : model.tensors) {
    SCOPED_TRACE(t.name);
    const Json *e = root.get(t.name);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->members.size(), 3u);
    ASSERT_NE(e->get("dtype"), nullptr);
    EXPECT_EQ(e->get("dtype")->text, dtypes[t.dtype]);
    const Json *shape = e->get("shape");
    ASSERT_NE(shape, nullptr);
    ASSERT_EQ(shape->items.size(), t.shape.size());
    for (size_t d = 0; d < t.shape.size(); ++d)
      EXPECT_EQ(shape->items[d].asUint(), (uint64_t)t.shape[d]);
    const Json *offsets = e->get("data_offsets");
    ASSERT_NE(offsets, nullptr);
    ASSERT_EQ(offsets->items.size(), 2u);
    uint64_t begin = offsets->items[0].asUint(),
             end = offsets->items[1].asUint();
    EXPECT_EQ(begin, offset) << "tensors are stored in order, contiguously";
    EXPECT_EQ(end - begin, t.bytes.size());
    ASSERT_LE(8 + n + end, bytes.size());
    EXPECT_EQ(bytes.compare(8 + n + begin, end - begin,
                            std::string(t.bytes.begin(), t.bytes.end())),
              0);
    offset = end;
  }
  EXPECT_EQ(bytes.size(), 8 + n + offset) << "no stray bytes";
}

TEST_F(RuntimeTest, SafetensorsCrossCheckWithPython) {
  // Optional: an independent reader (Python's json module and numpy, plus the
  // safetensors package where installed) must read what we write.
  if (access("/usr/bin/python3", X_OK) != 0 ||
      std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with numpy is not available";
  Model model;
  model.add("dense0.weight", NNC_F32, {3, 2}).add("dense0.bias", NNC_F64, {3});
  auto *w = reinterpret_cast<float *>(model.tensors[0].bytes.data());
  for (int i = 0; i < 6; ++i)
    w[i] = 0.5f * (float)i - 1.0f;
  auto *b = reinterpret_cast<double *>(model.tensors[1].bytes.data());
  for (int i = 0; i < 3; ++i)
    b[i] = 1.0 / (i + 1);
  auto ps = model.params();
  std::string file = path("py.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  std::string script = path("check.py");
  writeFile(script, R"(import json, struct, sys
import numpy as np
path = sys.argv[1]
raw = open(path, 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
assert header['__metadata__'] == {'format': 'pt', 'producer': 'nnc'}
types = {'F32': '<f4', 'F64': '<f8'}
def get(name):
    e = header[name]
    b, e2 = e['data_offsets']
    return np.frombuffer(raw[8 + n + b:8 + n + e2],
                         dtype=types[e['dtype']]).reshape(e['shape'])
w, bias = get('dense0.weight'), get('dense0.bias')
assert w.shape == (3, 2) and w.dtype == np.float32
assert np.array_equal(w.ravel(), np.arange(6, dtype=np.float32) * 0.5 - 1)
assert np.array_equal(bias, 1.0 / np.arange(1, 4))
try:
    from safetensors.numpy import load_file
except ImportError:
    sys.exit(0)
t = load_file(path)
assert np.array_equal(t['dense0.weight'], w)
assert np.array_equal(t['dense0.bias'], bias)
)");
  std::string cmd = "/usr/bin/python3 " + script + " " + file;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(RuntimeTest, SafetensorsReadsForeignHeaders) {
  // Whitespace, escapes, metadata first or last, tensors out of order and
  // data laid out differently from ours must all be accepted.
  std::vector<float> a = {1, 2, 3}, b = {4, 5};
  std::string header = "{\n  \"b\" : {\"shape\": [2], \"data_offsets\": [0, 8]"
                       ", \"dtype\": \"F32\"},\n"
                       "  \"\\u0061\\/x\": {\"dtype\": \"F32\", \"shape\": "
                       "[3], \"data_offsets\": [8, 20]},\n"
                       "  \"__metadata__\": {\"k\": \"v\\\"\"}\n}   ";
  std::string file =
      writeSafetensors("foreign.safetensors", header, bytesOf(b) + bytesOf(a));
  Model model;
  model.add("a/x", NNC_F32, {3}).add("b", NNC_F32, {2});
  auto ps = model.params();
  char err[512] = "";
  ASSERT_EQ(nnc_load_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  EXPECT_EQ(std::memcmp(model.tensors[0].bytes.data(), a.data(), 12), 0);
  EXPECT_EQ(std::memcmp(model.tensors[1].bytes.data(), b.data(), 8), 0);
}

TEST_F(RuntimeTest, SafetensorsShapeAndDtypeErrors) {
  Model big;
  big.add("dense0.weight", NNC_F32, {512, 784});
  big.fill(1);
  auto ps = big.params();
  std::string file = path("x.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  Model small;
  small.add("dense0.weight", NNC_F32, {256, 784});
  expectLoadError(small, file,
                  "checkpoint '" + file +
                      "': parameter 'dense0.weight' has shape [512, 784], "
                      "expected [256, 784]");
  Model rank;
  rank.add("dense0.weight", NNC_F32, {512, 784, 1});
  expectLoadError(rank, file,
                  "parameter 'dense0.weight' has shape [512, 784], expected "
                  "[512, 784, 1]");
  Model dtype;
  dtype.add("dense0.weight", NNC_F64, {512, 784});
  expectLoadError(dtype, file,
                  "checkpoint '" + file +
                      "': parameter 'dense0.weight' has dtype F32, expected "
                      "F64");
}

TEST_F(RuntimeTest, SafetensorsNameErrors) {
  Model saved;
  saved.add("dense0.weight", NNC_F32, {2, 3})
      .add("dense0.bias", NNC_F32, {2})
      .add("foo", NNC_F32, {1});
  saved.fill(1);
  auto ps = saved.params();
  std::string file = path("x.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;

  Model missing;
  missing.add("dense0.weight", NNC_F32, {2, 3})
      .add("dense0.bias", NNC_F32, {2})
      .add("foo", NNC_F32, {1})
      .add("dense1.bias", NNC_F32, {2});
  expectLoadError(missing, file,
                  "checkpoint '" + file + "' has no parameter 'dense1.bias'");

  Model fewer;
  fewer.add("dense0.weight", NNC_F32, {2, 3}).add("dense0.bias", NNC_F32, {2});
  expectLoadError(fewer, file,
                  "checkpoint '" + file + "' has unexpected tensor 'foo'");

  std::string dup = writeSafetensors(
      "dup.safetensors",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
      std::string(4, '\0'));
  Model one;
  one.add("a", NNC_F32, {1});
  expectLoadError(one, dup, "has duplicate tensor 'a'");

  std::string single = writeSafetensors(
      "single.safetensors",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
      std::string(4, '\0'));
  Model twice;
  twice.add("a", NNC_F32, {1}).add("a", NNC_F32, {1});
  expectLoadError(twice, single, "the model has two parameters named 'a'");

  expectLoadError(one, path("does-not-exist.safetensors"),
                  "cannot open checkpoint '" +
                      path("does-not-exist.safetensors") +
                      "': No such file or directory");
}

TEST_F(RuntimeTest, SafetensorsCorruptFiles) {
  Model model;
  model.add("dense0.weight", NNC_F32, {2, 3}).add("dense0.bias", NNC_F32, {2});
  model.fill(1);
  auto ps = model.params();
  std::string good = path("good.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(good.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  std::string bytes = readFile(good);
  uint64_t n = readLe64(bytes);

  std::string cut = path("cut.safetensors");
  writeFile(cut, bytes.substr(0, bytes.size() - 4));
  expectLoadError(model, cut,
                  "checkpoint '" + cut +
                      "': data of 'dense0.bias' lies outside the file");

  writeFile(cut, bytes.substr(0, 5));
  expectLoadError(model, cut,
                  "checkpoint '" + cut +
                      "' is not a safetensors file (file size 5 is smaller "
                      "than the 8-byte header length)");

  writeFile(cut, bytes.substr(0, 8 + n / 2));
  expectLoadError(model, cut,
                  "checkpoint '" + cut +
                      "' is not a safetensors file (header length " +
                      std::to_string(n) + " exceeds file size " +
                      std::to_string(8 + n / 2) + ")");

  writeFile(cut, "");
  expectLoadError(model, cut, "file size 0 is smaller than");

  std::string huge = path("huge.safetensors");
  writeFile(huge, le64(123456789) + std::string(992, ' '));
  expectLoadError(model, huge,
                  "checkpoint '" + huge +
                      "' is not a safetensors file (header length 123456789 "
                      "exceeds file size 1000)");
  writeFile(huge, le64(UINT64_MAX) + std::string(8, ' '));
  expectLoadError(model, huge, "header length 18446744073709551615 exceeds");

  std::string garbage =
      writeSafetensors("garbage.safetensors", "this is not JSON", "");
  expectLoadError(model, garbage,
                  "checkpoint '" + garbage +
                      "' is not a safetensors file (invalid header at byte 8: "
                      "expected '{')");
  std::string binary = path("binary.safetensors");
  writeFile(binary,
            std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, '\xff'));
  expectLoadError(model, binary, "is not a safetensors file (header length");
}

TEST_F(RuntimeTest, SafetensorsBadOffsets) {
  Model model;
  model.add("w", NNC_F32, {3});
  auto header = [](const std::string &offsets) {
    return "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":" +
           offsets + "}}";
  };
  std::string data(12, '\x01');
  std::string file =
      writeSafetensors("far.safetensors", header("[0,1000000]"), data);
  expectLoadError(model, file,
                  "checkpoint '" + file +
                      "': data of 'w' lies outside the file");
  file = writeSafetensors("reversed.safetensors", header("[12,0]"), data);
  expectLoadError(model, file, "data of 'w' lies outside the file");
  file = writeSafetensors("past.safetensors", header("[4,16]"), data);
  expectLoadError(model, file, "data of 'w' lies outside the file");
  file = writeSafetensors("wrap.safetensors",
                          header("[18446744073709551612,0]"), data);
  expectLoadError(model, file, "data of 'w' lies outside the file");
  file = writeSafetensors("size.safetensors", header("[0,8]"), data);
  expectLoadError(model, file, "data of 'w' has 8 bytes, expected 12");
  file = writeSafetensors("toobig.safetensors",
                          header("[0,99999999999999999999]"), data);
  expectLoadError(model, file, "integer too large");
}

TEST_F(RuntimeTest, SafetensorsStrictHeaderParsing) {
  Model model;
  model.add("w", NNC_F32, {1});
  const std::string entry =
      "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
  const std::pair<std::string, std::string> cases[] = {
      {"{" + entry + ",}", "expected a string"},
      {"{" + entry, "expected ',' or '}'"},
      {"{" + entry + "} x", "unexpected data after the header object"},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
       "negative number"},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}",
       "expected an integer"},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}",
       "leading zero"},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
       "tensor entry without \"data_offsets\""},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
       "data_offsets must have two entries"},
      {"{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],"
       "\"data_offsets\":[0,4]}}",
       "duplicate key"},
      {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
       "\"extra\":1}}",
       "unknown key in a tensor entry"},
      {"{\"w\":[1,2]}", "a tensor entry must be an object"},
      {"{\"__metadata__\":{\"a\":1}," + entry + "}",
       "__metadata__ values must be strings"},
      {"{\"w\x01\":1}", "control character in string"},
      {"{\"\\ud800\":1}", "unpaired UTF-16 surrogate"},
      {"{\"\\x\":1}", "invalid escape in string"},
      {"{\"w", "unterminated string"},
      {"", "expected '{'"},
      {"[]", "expected '{'"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.first);
    std::string file =
        writeSafetensors("strict.safetensors", c.first, std::string(4, '\0'));
    expectLoadError(model, file, "is not a safetensors file (invalid header");
    expectLoadError(model, file, c.second);
  }
}

TEST_F(RuntimeTest, SafetensorsSurvivesRandomCorruption) {
  // Mutated and truncated files must fail cleanly (or load), never crash or
  // read out of bounds (run under AddressSanitizer to make that visible), and
  // a failed load must leave the parameters alone.
  Model model;
  model.add("dense0.weight", NNC_F32, {3, 2})
      .add("dense0.bias", NNC_F32, {3})
      .add("s", NNC_I64, {});
  model.fill(1);
  auto ps = model.params();
  std::string good = path("good.safetensors");
  char err[512] = "";
  ASSERT_EQ(nnc_save_safetensors(good.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  const std::string bytes = readFile(good);
  std::string file = path("mutant.safetensors");
  uint64_t rng = 88172645463325252ull;
  auto next = [&rng]() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  size_t failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string m = bytes;
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = next() % m.size();
      switch (next() % 4) {
      case 0:
        m[at] = (char)next();
        break;
      case 1:
        m[at] = "{}[],:\"\\0123456789-.eE \x00"[next() % 24];
        break;
      case 2:
        m.resize(at);
        break;
      default:
        m.insert(at, 1, (char)next());
        break;
      }
      if (m.empty())
        break;
    }
    writeFile(file, m);
    model.fill(7);
    auto before = model.snapshot();
    err[0] = '\0';
    int rc = nnc_load_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                  sizeof(err));
    if (rc != 0) {
      ++failures;
      ASSERT_TRUE(model.snapshot() == before) << "modified on failure: " << err;
      ASSERT_NE(err[0], '\0');
    }
  }
  EXPECT_GT(failures, 1000u);
}

TEST_F(RuntimeTest, SafetensorsSaveIsAtomic) {
  Model model = sampleModel();
  model.fill(1);
  auto ps = model.params();
  std::string file = path("atomic.safetensors");
  char err[512] = "";
  writeFile(file, "old contents");
  ASSERT_EQ(nnc_save_safetensors(file.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0)
      << err;
  EXPECT_EQ(listDir(dir), std::vector<std::string>{"atomic.safetensors"})
      << "a temporary file was left behind";
  EXPECT_NE(readFile(file), "old contents");

  // A failed save leaves neither a file nor a temporary behind.
  std::string nowhere = path("missing-dir/x.safetensors");
  EXPECT_NE(nnc_save_safetensors(nowhere.c_str(), ps.data(), ps.size(), err,
                                 sizeof(err)),
            0);
  EXPECT_NE(std::string(err).find("checkpoint '" + nowhere +
                                  "': cannot create temporary file"),
            std::string::npos)
      << err;
  EXPECT_EQ(listDir(dir), std::vector<std::string>{"atomic.safetensors"});

  // Inconsistent parameters are rejected before anything is written.
  std::vector<nnc_param> bad = ps;
  bad[0].numel = 5;
  std::string other = path("other.safetensors");
  EXPECT_NE(nnc_save_safetensors(other.c_str(), bad.data(), bad.size(), err,
                                 sizeof(err)),
            0);
  EXPECT_NE(std::string(err).find("model parameter 'dense0.weight' has 5 "
                                  "elements but shape [4, 3]"),
            std::string::npos)
      << err;
  bad = ps;
  bad[1].name = bad[0].name;
  EXPECT_NE(nnc_save_safetensors(other.c_str(), bad.data(), bad.size(), err,
                                 sizeof(err)),
            0);
  EXPECT_NE(std::string(err).find("two parameters named 'dense0.weight'"),
            std::string::npos)
      << err;
  EXPECT_EQ(listDir(dir), std::vector<std::string>{"atomic.safetensors"});

  // A tiny error buffer truncates; a NULL one is allowed.
  char tiny[8];
  EXPECT_NE(nnc_save_safetensors(other.c_str(), bad.data(), bad.size(), tiny,
                                 sizeof(tiny)),
            0);
  EXPECT_EQ(std::strlen(tiny), 7u);
  EXPECT_NE(
      nnc_save_safetensors(other.c_str(), bad.data(), bad.size(), nullptr, 0),
      0);
}

//===----------------------------------------------------------------------===//
// Data sets
//===----------------------------------------------------------------------===//

std::string be32(uint32_t v) {
  return std::string{(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
}

std::string idxImages(uint32_t n, uint32_t rows, uint32_t cols,
                      const std::string &pixels) {
  return be32(0x803) + be32(n) + be32(rows) + be32(cols) + pixels;
}

std::string idxLabels(const std::string &labels) {
  return be32(0x801) + be32((uint32_t)labels.size()) + labels;
}

/// An NPY v1 file laid out as numpy writes it (header padded with spaces
/// and a newline to a multiple of 64 bytes).
std::string npy(const std::string &descr, const std::string &shape,
                const std::string &data, bool fortran = false,
                int version = 1) {
  std::string dict = "{'descr': '" + descr +
                     "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + dict.size() + 1) % 64 != 0)
    dict += ' ';
  dict += '\n';
  std::string out = std::string("\x93NUMPY", 6) + (char)version + '\0';
  if (version == 1)
    out += std::string{(char)(dict.size() & 0xff), (char)(dict.size() >> 8)};
  else
    out += std::string{(char)(dict.size() & 0xff), (char)(dict.size() >> 8),
                       '\0', '\0'};
  return out + dict + data;
}

TEST_F(RuntimeTest, IdxLoadRawAndGzipped) {
  std::string pixels;
  for (int i = 0; i < 3 * 2 * 2; ++i)
    pixels += (char)(i * 20);
  std::string images = idxImages(3, 2, 2, pixels);
  std::string labels = idxLabels(std::string{7, 0, 9});
  writeFile(path("images"), images);
  writeFile(path("labels"), labels);
  writeGzip(path("images.gz"), images);
  writeGzip(path("labels.gz"), labels);
  ASSERT_NE(readFile(path("images.gz")).substr(0, 2), std::string("\0\0", 2))
      << "the fixture must really be compressed";

  for (const char *suffix : {"", ".gz"}) {
    SCOPED_TRACE(suffix);
    nnc_dataset ds;
    char err[512] = "";
    ASSERT_EQ(nnc_dataset_load(&ds,
                               path(std::string("images") + suffix).c_str(),
                               path(std::string("labels") + suffix).c_str(),
                               err, sizeof(err)),
              0)
        << err;
    ASSERT_EQ(ds.count, 3u);
    ASSERT_EQ(ds.features, 4u);
    for (int i = 0; i < 12; ++i)
      EXPECT_EQ(ds.inputs[i], (float)(i * 20) / 255.0f);
    EXPECT_EQ(ds.labels[0], 7);
    EXPECT_EQ(ds.labels[1], 0);
    EXPECT_EQ(ds.labels[2], 9);
    nnc_dataset_free(&ds);
    EXPECT_EQ(ds.inputs, nullptr);
    EXPECT_EQ(ds.count, 0u);
    nnc_dataset_free(&ds); // Freeing twice is harmless.
  }
  // Formats and compression may be mixed.
  nnc_dataset ds;
  writeFile(path("labels.npy"), npy("|u1", "(3,)", std::string{1, 2, 3}));
  char err[512] = "";
  ASSERT_EQ(nnc_dataset_load(&ds, path("images.gz").c_str(),
                             path("labels.npy").c_str(), err, sizeof(err)),
            0)
      << err;
  EXPECT_EQ(ds.labels[2], 3);
  nnc_dataset_free(&ds);
}

/// Expects nnc_dataset_load to fail with a message containing `expected`.
void expectDatasetError(const std::string &inputs, const std::string &labels,
                        const std::string &expected) {
  nnc_dataset ds;
  std::memset(&ds, 0x5a, sizeof(ds));
  char err[512] = "";
  EXPECT_NE(
      nnc_dataset_load(&ds, inputs.c_str(), labels.c_str(), err, sizeof(err)),
      0);
  EXPECT_NE(std::string(err).find(expected), std::string::npos)
      << "message: " << err << "\nexpected to contain: " << expected;
  EXPECT_EQ(ds.inputs, nullptr);
  EXPECT_EQ(ds.labels, nullptr);
  EXPECT_EQ(ds.count, 0u);
}

TEST_F(RuntimeTest, IdxErrors) {
  std::string pixels(12, '\x10');
  writeFile(path("labels"), idxLabels(std::string{1, 2, 3}));
  writeFile(path("images"), idxImages(3, 2, 2, pixels));

  writeFile(path("bad-magic"),
            be32(0x804) + be32(3) + be32(2) + be32(2) + be32(1) + pixels);
  expectDatasetError(path("images"), path("bad-magic"),
                     "labels file '" + path("bad-magic") +
                         "' has IDX magic 0x00000804, expected 0x00000801 "
                         "(labels)");
  expectDatasetError(path("labels"), path("labels"),
                     "inputs file '" + path("labels") +
                         "' has IDX magic 0x00000801, expected 0x00000803 "
                         "(images)");
  writeFile(path("float-idx"), be32(0xD03) + be32(3) + be32(2) + be32(2));
  expectDatasetError(path("float-idx"), path("labels"),
                     "IDX element type 0x0d is not supported");
  writeFile(path("text"), "hello, world");
  expectDatasetError(path("text"), path("labels"),
                     "inputs file '" + path("text") +
                         "' is neither an IDX nor an NPY file");

  writeFile(path("short"), idxImages(3, 2, 2, pixels.substr(0, 10)));
  expectDatasetError(path("short"), path("labels"),
                     "inputs file '" + path("short") +
                         "' is truncated (expected 12 bytes of data, found "
                         "10)");
  writeFile(path("short-header"), be32(0x803) + be32(3) + be32(2));
  expectDatasetError(path("short-header"), path("labels"),
                     "is truncated (in the header)");
  writeFile(path("long"), idxImages(3, 2, 2, pixels + "x"));
  expectDatasetError(path("long"), path("labels"),
                     "has more data than its header describes");

  // A header claiming 2^32 - 1 images of 2^32 - 1 x 2^32 - 1 pixels must not
  // make the loader allocate what the file does not have.
  writeFile(path("liar"),
            idxImages(0xffffffffu, 0xffffffffu, 0xffffffffu, pixels));
  expectDatasetError(path("liar"), path("labels"), "");
  writeFile(path("liar2"), idxImages(0xffffffffu, 28, 28, pixels));
  expectDatasetError(path("liar2"), path("labels"),
                     "is truncated (expected " +
                         std::to_string(0xffffffffull * 28 * 28) +
                         " bytes of data, found 12)");

  // A truncated gzip stream.
  std::string big;
  for (int i = 0; i < 4000; ++i)
    big += (char)((i * 7919) >> 3);
  writeGzip(path("big.gz"), idxImages(1000, 2, 2, big));
  std::string gz = readFile(path("big.gz"));
  writeFile(path("cut.gz"), gz.substr(0, gz.size() / 2));
  expectDatasetError(path("cut.gz"), path("labels"), "is truncated");
  // A gzip stream whose checksum does not match its data.
  std::string bad = gz;
  bad[bad.size() - 6] ^= 0x55;
  writeFile(path("crc.gz"), bad);
  expectDatasetError(path("crc.gz"), path("labels"), "incorrect data check");

  std::string labels4 = idxLabels(std::string{1, 2, 3, 4});
  writeFile(path("labels4"), labels4);
  expectDatasetError(path("images"), path("labels4"),
                     "inputs file '" + path("images") +
                         "' has 3 examples but labels file '" +
                         path("labels4") + "' has 4");
  expectDatasetError(path("nope"), path("labels"),
                     "cannot open inputs file '" + path("nope") +
                         "': No such file or directory");
  writeFile(path("empty-labels"), idxLabels(""));
  writeFile(path("empty-images"), idxImages(0, 2, 2, ""));
  expectDatasetError(path("empty-images"), path("empty-labels"),
                     "has no examples");
}

TEST_F(RuntimeTest, NpyLoad) {
  std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.25f, 4.0f, 5.0f};
  writeFile(path("x.npy"), npy("<f4", "(3, 2)", bytesOf(x)));
  writeFile(path("y.npy"), npy("|u1", "(3,)", std::string{4, 0, 9}));
  nnc_dataset ds;
  char err[512] = "";
  ASSERT_EQ(nnc_dataset_load(&ds, path("x.npy").c_str(), path("y.npy").c_str(),
                             err, sizeof(err)),
            0)
      << err;
  ASSERT_EQ(ds.count, 3u);
  ASSERT_EQ(ds.features, 2u);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(ds.inputs[i], x[i]);
  EXPECT_EQ(ds.labels[0], 4);
  EXPECT_EQ(ds.labels[2], 9);
  nnc_dataset_free(&ds);

  // u1 images are scaled; i8 labels, v2 headers and gzip work too.
  writeGzip(path("img.npy.gz"),
            npy("|u1", "(2, 2, 2)",
                std::string{0, 51, 102, (char)255, 1, 2, 3, 4}, false, 2));
  std::vector<int64_t> y64 = {3, -1};
  writeFile(path("y64.npy"), npy("<i8", "(2,)", bytesOf(y64)));
  ASSERT_EQ(nnc_dataset_load(&ds, path("img.npy.gz").c_str(),
                             path("y64.npy").c_str(), err, sizeof(err)),
            0)
      << err;
  ASSERT_EQ(ds.count, 2u);
  ASSERT_EQ(ds.features, 4u);
  EXPECT_EQ(ds.inputs[1], 51.0f / 255.0f);
  EXPECT_EQ(ds.inputs[3], 1.0f);
  EXPECT_EQ(ds.labels[0], 3);
  EXPECT_EQ(ds.labels[1], -1);
  nnc_dataset_free(&ds);

  // f8 inputs, i4 labels of shape (n, 1).
  std::vector<double> x64 = {0.25, 0.5};
  std::vector<int32_t> y32 = {1, 2};
  writeFile(path("x64.npy"), npy("<f8", "(2,)", bytesOf(x64)));
  writeFile(path("y32.npy"), npy("<i4", "(2, 1)", bytesOf(y32)));
  ASSERT_EQ(nnc_dataset_load(&ds, path("x64.npy").c_str(),
                             path("y32.npy").c_str(), err, sizeof(err)),
            0)
      << err;
  EXPECT_EQ(ds.features, 1u);
  EXPECT_EQ(ds.inputs[1], 0.5f);
  EXPECT_EQ(ds.labels[1], 2);
  nnc_dataset_free(&ds);
}

TEST_F(RuntimeTest, NpyErrors) {
  std::vector<float> x = {1, 2, 3, 4};
  writeFile(path("y.npy"), npy("|u1", "(2,)", std::string{1, 2}));
  writeFile(path("fortran.npy"), npy("<f4", "(2, 2)", bytesOf(x), true));
  expectDatasetError(path("fortran.npy"), path("y.npy"),
                     "NPY arrays in Fortran order are not supported");
  writeFile(path("be.npy"), npy(">f4", "(2, 2)", bytesOf(x)));
  expectDatasetError(path("be.npy"), path("y.npy"),
                     "NPY dtype '>f4' is not supported");
  writeFile(path("short.npy"), npy("<f4", "(2, 3)", bytesOf(x)));
  expectDatasetError(path("short.npy"), path("y.npy"),
                     "is truncated (expected 24 bytes of data, found 16)");
  std::string broken = npy("<f4", "(2, 2)", bytesOf(x));
  broken.replace(broken.find("'shape'"), 7, "'shapf'");
  writeFile(path("broken.npy"), broken);
  expectDatasetError(path("broken.npy"), path("y.npy"),
                     "inputs file '" + path("broken.npy") +
                         "' has an invalid NPY header");
  writeFile(path("scalar.npy"), npy("<f4", "()", bytesOf(x).substr(0, 4)));
  expectDatasetError(path("scalar.npy"), path("y.npy"), "holds a scalar");
  writeFile(path("x.npy"), npy("<f4", "(2, 2)", bytesOf(x)));
  std::vector<double> frac = {1.0, 1.5};
  writeFile(path("frac.npy"), npy("<f8", "(2,)", bytesOf(frac)));
  expectDatasetError(path("x.npy"), path("frac.npy"),
                     "label 1.5 of example 1 is not an int32 integer");
  writeFile(path("wide.npy"), npy("|u1", "(2, 2)", std::string{1, 2, 3, 4}));
  expectDatasetError(path("x.npy"), path("wide.npy"),
                     "has 2 values per example, expected one");
  std::string v9 = npy("<f4", "(2, 2)", bytesOf(x));
  v9[6] = 9;
  writeFile(path("v9.npy"), v9);
  expectDatasetError(path("v9.npy"), path("y.npy"),
                     "has unsupported NPY version 9");
}

TEST_F(RuntimeTest, NpyCrossCheckWithNumpy) {
  // Optional: files written by numpy itself.
  if (access("/usr/bin/python3", X_OK) != 0 ||
      std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with numpy is not available";
  std::string cmd = "/usr/bin/python3 -c \"import numpy as np; "
                    "np.save('" +
                    path("x.npy") +
                    "', np.arange(12, dtype=np.float32).reshape(3, 2, 2) / 4); "
                    "np.save('" +
                    path("y.npy") + "', np.array([5, 6, 7], dtype=np.uint8))\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  nnc_dataset ds;
  char err[512] = "";
  ASSERT_EQ(nnc_dataset_load(&ds, path("x.npy").c_str(), path("y.npy").c_str(),
                             err, sizeof(err)),
            0)
      << err;
  ASSERT_EQ(ds.count, 3u);
  ASSERT_EQ(ds.features, 4u);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(ds.inputs[i], (float)i / 4);
  EXPECT_EQ(ds.labels[1], 6);
  nnc_dataset_free(&ds);
}

//===----------------------------------------------------------------------===//
// Shuffling and batching
//===----------------------------------------------------------------------===//

TEST_F(RuntimeTest, ShuffleIsADeterministicPermutation) {
  const size_t n = 1000;
  std::vector<uint32_t> a(n), b(n), c(n), d(n);
  nnc_shuffle(a.data(), n, 42, 0);
  nnc_shuffle(b.data(), n, 42, 0);
  nnc_shuffle(c.data(), n, 42, 1);
  nnc_shuffle(d.data(), n, 43, 0);
  EXPECT_EQ(a, b);
  std::vector<uint32_t> sorted = a, iota(n);
  std::sort(sorted.begin(), sorted.end());
  std::iota(iota.begin(), iota.end(), 0u);
  EXPECT_EQ(sorted, iota);
  size_t fixed = 0, sameEpoch = 0, sameSeed = 0;
  for (size_t i = 0; i < n; ++i) {
    fixed += a[i] == i;
    sameEpoch += a[i] == c[i];
    sameSeed += a[i] == d[i];
  }
  EXPECT_LT(fixed, 10u);
  EXPECT_LT(sameEpoch, 10u);
  EXPECT_LT(sameSeed, 10u);

  uint32_t one = 77;
  nnc_shuffle(&one, 1, 1, 1);
  EXPECT_EQ(one, 0u);
  nnc_shuffle(nullptr, 0, 1, 1);

  // Every permutation of 4 is about equally likely (24 of them, 4800 draws).
  std::map<std::vector<uint32_t>, int> seen;
  for (uint64_t epoch = 0; epoch < 4800; ++epoch) {
    std::vector<uint32_t> p(4);
    nnc_shuffle(p.data(), 4, 9, epoch);
    ++seen[p];
  }
  EXPECT_EQ(seen.size(), 24u);
  for (const auto &s : seen)
    EXPECT_NEAR(s.second, 200, 60);
}

TEST_F(RuntimeTest, GatherBatch) {
  std::vector<float> inputs(5 * 3);
  std::vector<int32_t> labels(5);
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i] = (float)i;
  for (int i = 0; i < 5; ++i)
    labels[i] = 10 + i;
  nnc_dataset ds = {inputs.data(), labels.data(), 5, 3};
  const uint32_t perm[] = {4, 0, 2, 1, 3};
  std::vector<float> bx(2 * 3);
  std::vector<int32_t> by(2);
  nnc_gather_batch(&ds, perm, 1, 2, bx.data(), by.data());
  EXPECT_EQ(bx, (std::vector<float>{0, 1, 2, 6, 7, 8}));
  EXPECT_EQ(by, (std::vector<int32_t>{10, 12}));
  nnc_gather_batch(&ds, nullptr, 3, 2, bx.data(), by.data());
  EXPECT_EQ(bx, (std::vector<float>{9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(by, (std::vector<int32_t>{13, 14}));
  // Out-of-range indices yield zeros and -1 rather than reading past the end.
  const uint32_t badPerm[] = {1, 99};
  nnc_gather_batch(&ds, badPerm, 0, 2, bx.data(), by.data());
  EXPECT_EQ(bx, (std::vector<float>{3, 4, 5, 0, 0, 0}));
  EXPECT_EQ(by, (std::vector<int32_t>{11, -1}));
  nnc_gather_batch(&ds, nullptr, 4, 2, nullptr, by.data());
  EXPECT_EQ(by, (std::vector<int32_t>{14, -1}));
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

std::string readAll(FILE *f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    s.append(buf, n);
  return s;
}

std::vector<std::string> splitLines(const std::string &s) {
  std::vector<std::string> lines;
  size_t start = 0, nl;
  while ((nl = s.find('\n', start)) != std::string::npos) {
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < s.size())
    lines.push_back(s.substr(start));
  return lines;
}

TEST_F(RuntimeTest, ProgressInALog) {
  FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  nnc_progress p;
  nnc_progress_begin(&p, f, 1, 2, 20, 100, 100.0);
  EXPECT_EQ(p.interactive, 0);
  for (int i = 1; i <= 20; ++i)
    nnc_progress_step(&p, i <= 2 ? (float)i : 1.5f, 100.0 + 0.5 * i);
  nnc_progress_end(&p, 110.0);
  std::vector<std::string> lines = splitLines(readAll(f));
  std::fclose(f);
  // A line per tenth of the epoch (steps 2, 4, ..., 18), then the summary.
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(
      lines[0],
      "epoch 1/2 [==>                 ] 2/20 loss 1.5000 200 ex/s ETA 0:09");
  EXPECT_EQ(lines[4],
            "epoch 1/2 [==========>         ] 10/20 loss 1.5000 200 ex/s ETA "
            "0:05");
  EXPECT_EQ(lines[9], "epoch 1/2 [====================] 20/20 loss 1.5000 200 "
                      "ex/s time 0:10");
  for (const std::string &l : lines)
    EXPECT_EQ(l.find('\r'), std::string::npos);
}

TEST_F(RuntimeTest, ProgressEdgeCases) {
  FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  nnc_progress p;
  // Fewer than ten steps: each one prints.
  nnc_progress_begin(&p, f, 3, 3, 3, 10, 0.0);
  nnc_progress_step(&p, 2.0f, 1.0);
  nnc_progress_step(&p, NAN, 2.0);
  nnc_progress_step(&p, 1.0f, 3.0);
  nnc_progress_end(&p, 3.0);
  // No steps at all, and a clock that did not move.
  nnc_progress_begin(&p, f, 1, 1, 0, 10, 5.0);
  nnc_progress_end(&p, 5.0);
  // Long epochs print hours.
  nnc_progress_begin(&p, f, 1, 1, 10, 1, 0.0);
  nnc_progress_step(&p, 0.125f, 1000.0);
  std::vector<std::string> lines = splitLines(readAll(f));
  std::fclose(f);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(
      lines[0],
      "epoch 3/3 [======>             ] 1/3 loss 2.0000 10 ex/s ETA 0:02");
  EXPECT_NE(lines[1].find("2/3 loss nan"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("3/3 loss nan 10 ex/s time 0:03"), std::string::npos)
      << lines[2];
  EXPECT_EQ(lines[3], "epoch 1/1 [====================] 0/0 loss - - ex/s "
                      "time 0:00");
  EXPECT_EQ(lines[4],
            "epoch 1/1 [==>                 ] 1/10 loss 0.1250 0 ex/s ETA "
            "2:30:00");

  // NULL output prints nothing but still tracks the loss.
  nnc_progress_begin(&p, nullptr, 1, 1, 2, 1, 0.0);
  nnc_progress_step(&p, 1.0f, 1.0);
  nnc_progress_step(&p, 3.0f, 2.0);
  nnc_progress_end(&p, 2.0);
  EXPECT_EQ(p.loss_avg, 2.0);
}

TEST_F(RuntimeTest, ProgressOnATerminal) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
    GTEST_SKIP() << "no pseudo-terminal available";
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  FILE *f = fdopen(slave, "w");
  ASSERT_NE(f, nullptr);
  nnc_progress p;
  nnc_progress_begin(&p, f, 1, 1, 100, 32, 0.0);
  EXPECT_EQ(p.interactive, 1);
  for (int i = 1; i <= 100; ++i)
    nnc_progress_step(&p, 0.5f, 0.01 * i); // Redraws only every 0.1 s.
  nnc_progress_end(&p, 1.0);
  std::fclose(f);
  std::string out;
  char buf[4096];
  fcntl(master, F_SETFL, O_NONBLOCK);
  ssize_t n;
  while ((n = read(master, buf, sizeof(buf))) > 0)
    out.append(buf, (size_t)n);
  close(master);
  size_t redraws = std::count(out.begin(), out.end(), '\r');
  EXPECT_GE(redraws, 10u);
  EXPECT_LE(redraws, 14u) << out; // The terminal may add one '\r' per '\n'.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_NE(out.find("\repoch 1/1 [>                   ] 0/100 loss -"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("100/100 loss 0.5000 3200 ex/s time 0:01"),
            std::string::npos)
      << out;
}

TEST_F(RuntimeTest, NowIsMonotonic) {
  double a = nnc_now(), b = nnc_now();
  EXPECT_GT(a, 0.0);
  EXPECT_GE(b, a);
}

//===----------------------------------------------------------------------===//
// GPU contexts
//===----------------------------------------------------------------------===//
//
// These run on every machine. Without a CUDA driver they check that contexts
// fail cleanly with the documented message; with a driver and a device they
// also run a small PTX kernel and the copies.

/// A PTX kernel that stores `value` at `out`; the driver compiles it for
/// whatever device it finds (sm_50 is only the minimum).
const char kStorePtx[] = R"(.version 6.0
.target sm_50
.address_size 64

.visible .entry nnc_test_store(.param .u64 out, .param .u32 value)
{
  .reg .b64 %rd<2>;
  .reg .b32 %r<1>;
  ld.param.u64 %rd0, [out];
  ld.param.u32 %r0, [value];
  cvta.to.global.u64 %rd1, %rd0;
  st.global.u32 [%rd1], %r0;
  ret;
}
)";
const char *const kStoreNames[] = {"nnc_test_store"};

/// Whether this machine has a CUDA driver that nnc_gpu_create can open.
bool cudaDriverInstalled() {
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return false;
  dlclose(handle);
  return true;
}

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(GPU, CreateReportsAMissingDriverOrWorks) {
  const bool driver = cudaDriverInstalled();
  char err[512];
  std::memset(err, 'x', sizeof(err));
  nnc_gpu *gpu = nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames, 1,
                                err, sizeof(err));
  ASSERT_NE(std::memchr(err, '\0', sizeof(err)), nullptr);
  std::string msg = err;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  if (!driver) {
    std::printf("[   INFO   ] no libcuda.so.1 here: %s\n", err);
    EXPECT_EQ(gpu, nullptr);
    const std::string prefix = "nnc: no CUDA driver found (libcuda.so.1: ";
    EXPECT_TRUE(startsWith(msg, prefix)) << msg;
    // The dlerror text follows, without the file name a second time.
    EXPECT_GT(msg.size(), prefix.size() + 1) << msg;
    EXPECT_EQ(msg.back(), ')') << msg;
    EXPECT_EQ(msg.find("libcuda.so.1: libcuda.so.1"), std::string::npos) << msg;
  } else if (gpu) {
    std::printf("[   INFO   ] a CUDA device is available\n");
    EXPECT_EQ(msg, "");
    EXPECT_STREQ(nnc_gpu_error(gpu), "");
    nnc_gpu_destroy(gpu);
  } else {
    // A driver without a (usable) device, or NVIDIA's stub library: the
    // failing call is named.
    std::printf("[   INFO   ] a CUDA driver but no usable device: %s\n", err);
    EXPECT_TRUE(startsWith(msg, "nnc: the CUDA driver lacks ") ||
                (startsWith(msg, "nnc: cu") &&
                 msg.find(" failed: ") != std::string::npos))
        << msg;
  }
}

TEST(GPU, CreateAcceptsNoErrorBuffer) {
  // NULL buffer: nothing to write, whatever the outcome.
  nnc_gpu_destroy(nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames,
                                 1, nullptr, 0));
  nnc_gpu_destroy(nnc_gpu_create(0, nullptr, 0, kStoreNames, 1, nullptr, 100));
  // A zero length leaves the buffer alone.
  char untouched[4] = "abc";
  nnc_gpu_destroy(nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames,
                                 1, untouched, 0));
  EXPECT_EQ(nnc_gpu_create(0, nullptr, 0, kStoreNames, 1, untouched, 0),
            nullptr);
  EXPECT_STREQ(untouched, "abc");
  // A short buffer gets the start of the message, NUL-terminated.
  char small[10];
  std::memset(small, 'x', sizeof(small));
  EXPECT_EQ(nnc_gpu_create(0, nullptr, 0, kStoreNames, 1, small, sizeof(small)),
            nullptr);
  EXPECT_STREQ(small, "nnc: no G");
  if (!cudaDriverInstalled()) {
    std::memset(small, 'x', sizeof(small));
    EXPECT_EQ(nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames, 1,
                             small, sizeof(small)),
              nullptr);
    EXPECT_STREQ(small, "nnc: no C");
  }
}

TEST(GPU, CreateRejectsBadArguments) {
  // Checked before the driver is opened, so the same on every machine.
  char err[256];
  auto create = [&](const void *image, size_t size, const char *const *names,
                    size_t count) {
    err[0] = 'x';
    err[1] = '\0';
    nnc_gpu *gpu =
        nnc_gpu_create(0, image, size, names, count, err, sizeof(err));
    EXPECT_EQ(gpu, nullptr) << err;
    nnc_gpu_destroy(gpu);
    return std::string(err);
  };
  EXPECT_EQ(create(nullptr, 10, kStoreNames, 1),
            "nnc: no GPU code image was given");
  EXPECT_EQ(create(kStorePtx, 0, kStoreNames, 1),
            "nnc: no GPU code image was given");
  // PTX must be NUL-terminated within the image (the driver gets no size).
  EXPECT_EQ(create(kStorePtx, sizeof(kStorePtx) - 1, kStoreNames, 1),
            "nnc: the GPU code image is no cubin, no fatbin and no "
            "NUL-terminated PTX");
  EXPECT_EQ(create(kStorePtx, sizeof(kStorePtx), nullptr, 1),
            "nnc: no kernel names were given (1 kernels)");
  const char *const withNull[] = {"nnc_test_store", nullptr};
  EXPECT_EQ(create(kStorePtx, sizeof(kStorePtx), withNull, 2),
            "nnc: the name of kernel 1 is NULL");
  EXPECT_EQ(
      create(kStorePtx, sizeof(kStorePtx), kStoreNames, (size_t)INT32_MAX + 1),
      "nnc: too many kernels (2147483648)");

  if (!cudaDriverInstalled()) {
    // Cubins and fatbins need no NUL; they get as far as the driver. (Not
    // tried with a driver, which would parse these truncated images.)
    const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'};
    const unsigned char fatbin[4] = {0x50, 0xed, 0x55, 0xba};
    EXPECT_TRUE(startsWith(create(elf, sizeof(elf), kStoreNames, 1),
                           "nnc: no CUDA driver found"));
    EXPECT_TRUE(startsWith(create(fatbin, sizeof(fatbin), kStoreNames, 1),
                           "nnc: no CUDA driver found"));
    EXPECT_TRUE(startsWith(create(kStorePtx, sizeof(kStorePtx), nullptr, 0),
                           "nnc: no CUDA driver found"));
  }
}

TEST(GPU, NullContextIsHarmless) {
  nnc_gpu_destroy(nullptr);
  EXPECT_STREQ(nnc_gpu_error(nullptr), "");
  EXPECT_EQ(nnc_gpu_make_current(nullptr), -1);
  void *ptr = &ptr;
  EXPECT_EQ(nnc_gpu_alloc(nullptr, 16, &ptr), -1);
  nnc_gpu_free(nullptr, ptr);
  char host[4] = {};
  EXPECT_EQ(nnc_gpu_upload(nullptr, ptr, host, 4), -1);
  EXPECT_EQ(nnc_gpu_download(nullptr, host, ptr, 4), -1);
  EXPECT_EQ(nnc_gpu_copy(nullptr, ptr, ptr, 4), -1);
  EXPECT_EQ(nnc_gpu_memset(nullptr, ptr, 0, 4), -1);
  nnc_gpu_launch(nullptr, 0, 1, 1, 1, 1, 1, 1, 0, nullptr);
  EXPECT_EQ(nnc_gpu_sync(nullptr), -1);
}

TEST(GPU, RunsKernelsAndCopiesOnADevice) {
  char err[512];
  nnc_gpu *gpu = nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames, 1,
                                err, sizeof(err));
  // tests/gpu/run.sh sets NNC_REQUIRE_GPU: on the GPU machine a missing
  // device is a failure, not a reason to skip.
  if (!gpu && std::getenv("NNC_REQUIRE_GPU"))
    FAIL() << "no usable CUDA device: " << err;
  if (!gpu)
    GTEST_SKIP() << "no usable CUDA device: " << err;
  ASSERT_EQ(nnc_gpu_make_current(gpu), 0) << nnc_gpu_error(gpu);

  void *a = nullptr, *b = nullptr;
  ASSERT_EQ(nnc_gpu_alloc(gpu, 256, &a), 0) << nnc_gpu_error(gpu);
  ASSERT_EQ(nnc_gpu_alloc(gpu, 256, &b), 0) << nnc_gpu_error(gpu);
  EXPECT_NE(a, nullptr);
  void *empty = &empty;
  EXPECT_EQ(nnc_gpu_alloc(gpu, 0, &empty), 0);
  EXPECT_EQ(empty, nullptr);
  EXPECT_EQ(nnc_gpu_alloc(gpu, 16, nullptr), -1);

  std::vector<uint8_t> host(256);
  std::iota(host.begin(), host.end(), uint8_t(0));
  EXPECT_EQ(nnc_gpu_upload(gpu, a, host.data(), host.size()), 0);
  EXPECT_EQ(nnc_gpu_copy(gpu, b, a, host.size()), 0);
  EXPECT_EQ(nnc_gpu_memset(gpu, a, 0x1ab, 16), 0); // Only the low byte counts.
  uint64_t out = (uint64_t)(uintptr_t)b + 64;
  uint32_t value = 0x12345678;
  void *params[] = {&out, &value};
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 1, 1, 1, 0, params);
  std::vector<uint8_t> ra(256), rb(256);
  EXPECT_EQ(nnc_gpu_download(gpu, ra.data(), a, ra.size()), 0);
  EXPECT_EQ(nnc_gpu_download(gpu, rb.data(), b, rb.size()), 0);
  ASSERT_EQ(nnc_gpu_sync(gpu), 0) << nnc_gpu_error(gpu);
  for (size_t i = 0; i < 256; ++i)
    EXPECT_EQ(ra[i], i < 16 ? 0xab : i) << i;
  uint32_t stored;
  std::memcpy(&stored, &rb[64], 4);
  EXPECT_EQ(stored, value);
  for (size_t i = 0; i < 256; ++i)
    if (i < 64 || i >= 68)
      EXPECT_EQ(rb[i], i) << i;

  // A failed launch is reported by the next sync (with the first failure's
  // message), and the launches after it are skipped; then all is clear.
  nnc_gpu_launch(gpu, 1, 1, 1, 1, 1, 1, 1, 0, params);
  nnc_gpu_launch(gpu, 0, 0, 1, 1, 1, 1, 1, 0, params);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);
  EXPECT_STREQ(nnc_gpu_error(gpu),
               "nnc: kernel index 1 is out of range (the module has 1 "
               "kernels)");
  EXPECT_EQ(nnc_gpu_sync(gpu), 0) << nnc_gpu_error(gpu);
  nnc_gpu_launch(gpu, -1, 1, 1, 1, 1, 1, 1, 0, params);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 1, 1, INT64_C(1) << 32, 0, params);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);
  EXPECT_STREQ(nnc_gpu_error(gpu),
               "nnc: block dimension z of kernel nnc_test_store is "
               "4294967296, outside [1, 4294967295]");
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 1, 1, 1, -1, params);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);
  // The driver refuses more than 1024 threads per block.
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 2048, 1, 1, 0, params);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);
  std::string msg = nnc_gpu_error(gpu);
  EXPECT_TRUE(startsWith(msg, "nnc: cuLaunchKernel failed: CUDA_ERROR_"))
      << msg;
  EXPECT_NE(msg.find(" (kernel nnc_test_store)"), std::string::npos) << msg;
  // A failed copy fails the step too.
  EXPECT_EQ(nnc_gpu_upload(gpu, nullptr, host.data(), 4), -1);
  EXPECT_EQ(nnc_gpu_sync(gpu), -1);

  // The next step runs as usual.
  value = 7;
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 1, 1, 1, 0, params);
  EXPECT_EQ(nnc_gpu_download(gpu, &stored, (char *)b + 64, 4), 0);
  ASSERT_EQ(nnc_gpu_sync(gpu), 0) << nnc_gpu_error(gpu);
  EXPECT_EQ(stored, 7u);

  // A second context on the same device shares the primary context; making
  // and destroying it leaves the first one working.
  nnc_gpu *other = nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), kStoreNames,
                                  1, err, sizeof(err));
  ASSERT_NE(other, nullptr) << err;
  nnc_gpu_destroy(other);
  ASSERT_EQ(nnc_gpu_make_current(gpu), 0) << nnc_gpu_error(gpu);
  value = 9;
  nnc_gpu_launch(gpu, 0, 1, 1, 1, 1, 1, 1, 0, params);
  EXPECT_EQ(nnc_gpu_download(gpu, &stored, (char *)b + 64, 4), 0);
  ASSERT_EQ(nnc_gpu_sync(gpu), 0) << nnc_gpu_error(gpu);
  EXPECT_EQ(stored, 9u);

  nnc_gpu_free(gpu, a);
  nnc_gpu_free(gpu, b);
  nnc_gpu_free(gpu, nullptr);
  EXPECT_STREQ(nnc_gpu_error(gpu), "nnc: nnc_gpu_upload was given a NULL "
                                   "pointer");
  nnc_gpu_destroy(gpu);

  // A kernel name the module lacks fails creation, naming it.
  const char *const missing[] = {"nnc_test_store", "nnc_no_such_kernel"};
  EXPECT_EQ(nnc_gpu_create(0, kStorePtx, sizeof(kStorePtx), missing, 2, err,
                           sizeof(err)),
            nullptr);
  msg = err;
  EXPECT_TRUE(startsWith(msg, "nnc: cuModuleGetFunction failed: CUDA_ERROR_"))
      << msg;
  EXPECT_NE(msg.find(" (kernel nnc_no_such_kernel)"), std::string::npos) << msg;
}

} // namespace
