// Big-endian binary reading and writing for the file formats of keys/.
// ByteReader never reads past its input: after the first short read ok()
// is false and every later read yields nothing.
#ifndef SUPERLICENSE_KEYS_INTERNAL_BYTE_READER_H_
#define SUPERLICENSE_KEYS_INTERNAL_BYTE_READER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace superlicense::keys::internal {

class ByteWriter {
 public:
  void Raw(absl::string_view bytes) { out_.append(bytes.data(), bytes.size()); }
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  // A 16-bit length, then the bytes (callers bound the length).
  void Bytes16(absl::string_view bytes) {
    U16(static_cast<uint16_t>(bytes.size()));
    Raw(bytes);
  }
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(absl::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  size_t offset() const { return offset_; }
  size_t remaining() const { return ok_ ? in_.size() - offset_ : 0; }

  void Skip(size_t n) { Take(n); }
  void Raw(size_t n, std::string* out) {
    absl::string_view bytes = Take(n);
    out->assign(bytes.data(), bytes.size());
  }
  void U8(uint8_t* out) { *out = static_cast<uint8_t>(Number(1)); }
  void U16(uint16_t* out) { *out = static_cast<uint16_t>(Number(2)); }
  void U32(uint32_t* out) { *out = static_cast<uint32_t>(Number(4)); }
  void Bytes16(std::string* out) {
    uint16_t size = 0;
    U16(&size);
    Raw(size, out);
  }

 private:
  absl::string_view Take(size_t n) {
    if (!ok_ || in_.size() - offset_ < n) {
      ok_ = false;
      return {};
    }
    absl::string_view bytes = in_.substr(offset_, n);
    offset_ += n;
    return bytes;
  }
  uint64_t Number(size_t n) {
    absl::string_view bytes = Take(n);
    uint64_t value = 0;
    for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
    return value;
  }

  absl::string_view in_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace superlicense::keys::internal

#endif  // SUPERLICENSE_KEYS_INTERNAL_BYTE_READER_H_
