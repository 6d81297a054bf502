// TempDir: a fresh directory under $TMPDIR (or /tmp) that is removed with
// everything in it when the object is destroyed.
#ifndef SUPERLICENSE_TESTS_SUPPORT_TEMP_DIR_H_
#define SUPERLICENSE_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace superlicense::testing {

class TempDir {
 public:
  // Creates the directory; aborts the test binary if that fails.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Returns path()/name.
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

// Returns the whole content of a file; aborts when it cannot be read.
std::string ReadFileOrDie(const std::string& path);
// Replaces the content of a file; aborts when it cannot be written.
void WriteFileOrDie(const std::string& path, const std::string& content);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_TEMP_DIR_H_
