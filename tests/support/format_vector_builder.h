// Builds the known-answer and negative vectors of docs/FORMAT.md from PUBLIC
// test seeds and tests/data/format/license_set_input.textproto. The generator
// (format_vector_gen) writes what this returns; format_vectors_test checks the
// committed files are exactly what the code builds.
#ifndef SUPERLICENSE_TESTS_SUPPORT_FORMAT_VECTOR_BUILDER_H_
#define SUPERLICENSE_TESTS_SUPPORT_FORMAT_VECTOR_BUILDER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "keys/signer.h"
#include "tests/support/format_vectors.pb.h"

namespace superlicense::testing {

struct BuiltVectors {
  FormatVectors vectors;
  // File name (relative to the data directory) -> exact bytes.
  std::map<std::string, std::string> files;
};

// Returns a signer made from the PUBLIC test seed of `vector`.
absl::StatusOr<std::unique_ptr<keys::Signer>> TestSigner(
    const KeyVector& vector);

// Builds every vector. `data_dir` holds license_set_input.textproto.
absl::StatusOr<BuiltVectors> BuildFormatVectors(const std::string& data_dir);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_FORMAT_VECTOR_BUILDER_H_
