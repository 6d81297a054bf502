// Reading and writing files the way keys and signed sets need: bounded reads,
// and atomic, durable writes (temporary file, fsync, rename or link, fsync of
// the directory) so a crash leaves the old file or the new one, never half.
#ifndef SUPERLICENSE_KEYS_FILE_IO_H_
#define SUPERLICENSE_KEYS_FILE_IO_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense {

// Returns the content of `path`. NOT_FOUND when it does not exist;
// INVALID_ARGUMENT when it is larger than `max_bytes` (checked before
// reading) or not a regular file; PERMISSION_DENIED / INTERNAL for other
// errors. Messages name the path.
absl::StatusOr<std::string> ReadFileLimited(const std::string& path,
                                            size_t max_bytes);

enum class WriteMode { kCreateNew, kReplace };

// Writes `content` to `path` with permissions `mode` atomically and durably.
// kCreateNew fails with ALREADY_EXISTS when `path` exists (checked
// atomically); kReplace replaces it. Nothing is left behind on failure.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content, mode_t mode,
                                 WriteMode write_mode);

}  // namespace superlicense

#endif  // SUPERLICENSE_KEYS_FILE_IO_H_
