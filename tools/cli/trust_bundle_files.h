// Trust bundle files: the binary form (`trust.bundle`, a serialised
// SignedTrustBundle) and the C++ header form compiled into CRM releases.
#ifndef SUPERLICENSE_TOOLS_CLI_TRUST_BUNDLE_FILES_H_
#define SUPERLICENSE_TOOLS_CLI_TRUST_BUNDLE_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "keys/trust_store.h"

namespace superlicense::cli {

// Reads a binary trust bundle file and trusts it as the anchor.
// Errors name the path.
absl::StatusOr<keys::TrustStore> ReadTrustBundleFile(const std::string& path);

// Renders a bundle as "binary" (its bytes) or "cpp-header" (a header
// defining kSuperLicenseTrustBundle[] and kSuperLicenseTrustBundleSize).
absl::StatusOr<std::string> RenderTrustBundle(
    const v1::SignedTrustBundle& bundle, const std::string& format);

// One line: version, roots, threshold, revocations, signatures.
std::string DescribeTrustBundle(const v1::SignedTrustBundle& bundle);

}  // namespace superlicense::cli

#endif  // SUPERLICENSE_TOOLS_CLI_TRUST_BUNDLE_FILES_H_
