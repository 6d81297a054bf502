#include "keys/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

namespace superlicense {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int error) {
  std::string message = absl::StrCat(what, " ", path, ": ", strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, absl::string_view content,
                      const std::string& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return ErrnoError("fsync", path, errno);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("fsync", dir, error);
}

}  // namespace

absl::StatusOr<std::string> ReadFileLimited(const std::string& path,
                                            size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  struct stat info;
  if (::fstat(fd, &info) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a regular file"));
  }
  if (static_cast<size_t>(info.st_size) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is ", info.st_size, " bytes, at most ", max_bytes, " allowed"));
  }
  std::string content;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " grew beyond ", max_bytes, " bytes"));
    }
  }
  return content;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content, mode_t mode,
                                 WriteMode write_mode) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return ErrnoError("create temporary file for", path, errno);
  bool keep_temp = false;
  absl::Cleanup remove_temp = [&] {
    if (!keep_temp) ::unlink(temp.c_str());
  };
  absl::Status status;
  if (::fchmod(fd, mode) != 0) status = ErrnoError("chmod", temp, errno);
  if (status.ok()) status = WriteAll(fd, content, temp);
  ::close(fd);
  if (!status.ok()) return status;

  if (write_mode == WriteMode::kCreateNew) {
    // link() fails atomically when `path` exists; the temporary name goes.
    if (::link(temp.c_str(), path.c_str()) != 0) {
      return ErrnoError("create", path, errno);
    }
  } else {
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      return ErrnoError("rename to", path, errno);
    }
    keep_temp = true;  // renamed away: nothing to remove
  }
  return SyncDirectory(DirectoryOf(path));
}

}  // namespace superlicense
