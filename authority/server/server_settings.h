// The gRPC server settings superlicensed runs with, in one place so that
// echo_server (tools/loadgen), the ceiling loadgen measures the authority
// against, is built exactly the same way.
#ifndef SUPERLICENSE_AUTHORITY_SERVER_SERVER_SETTINGS_H_
#define SUPERLICENSE_AUTHORITY_SERVER_SERVER_SETTINGS_H_

#include <grpcpp/server_builder.h>

namespace superlicense::authority {

// Threads of the synchronous server that wait for calls between calls.
// gRPC's defaults (1 to 2) made a loaded server create and end a thread for
// most calls (each paying for thread start, stack and thread-local state of
// RocksDB and Botan); up to kMaxIdleServerThreads stay instead.
inline constexpr int kMinIdleServerThreads = 2;
inline constexpr int kMaxIdleServerThreads = 64;

// Process-wide, before the first server is built: turns on the health
// service and server reflection, and turns off Abseil's mutex deadlock
// detection. Debian builds Abseil without NDEBUG, so every absl::Mutex lock
// in gRPC updated a lock graph (a debugging aid; about 4 % of a server's
// CPU under load). The project's own code uses std::mutex.
void PrepareServerProcess();

// Message limits in both directions and the thread settings above.
void ApplyServerSettings(int max_message_bytes, grpc::ServerBuilder* builder);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVER_SERVER_SETTINGS_H_
