// format_vector_gen DATA_DIR: writes the known-answer and negative vectors of
// docs/FORMAT.md into DATA_DIR (vectors.textproto, license_set.lic and
// negative/*.lic), built from PUBLIC test seeds and
// DATA_DIR/license_set_input.textproto. Run it only when the format changes
// on purpose; format_vectors_test fails until the committed files match.
#include <google/protobuf/text_format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/support/format_vector_builder.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: format_vector_gen DATA_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto built = superlicense::testing::BuildFormatVectors(dir);
  if (!built.ok()) {
    std::cerr << "format_vector_gen: " << built.status() << "\n";
    return 1;
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(built->vectors, &text);
  std::filesystem::create_directories(dir + "/negative");
  std::ofstream(dir + "/vectors.textproto", std::ios::trunc)
      << "# proto-file: tests/support/format_vectors.proto\n"
         "# proto-message: superlicense.testing.FormatVectors\n"
         "#\n"
         "# Known-answer and negative vectors of docs/FORMAT.md, written by\n"
         "# format_vector_gen. The seeds are PUBLIC test bytes: never trust\n"
         "# these keys. Each negative vector says why it must fail.\n\n"
      << text;
  for (const auto& [name, bytes] : built->files) {
    std::ofstream(dir + "/" + name, std::ios::binary | std::ios::trunc)
        << bytes;
  }
  std::cout << "wrote " << built->files.size() + 1 << " files to " << dir
            << "\n";
  return 0;
}
