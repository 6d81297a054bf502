#include "tools/loadgen/workloads.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "authority/auth/installation_credentials.h"
#include "echo.grpc.pb.h"  // generated from tools/loadgen/echo.proto
#include "keys/status_macros.h"
#include "superlicense/v1/authority.grpc.pb.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::loadgen {
namespace {

namespace api = ::superlicense::v1;
namespace echo_api = ::superlicense::loadgen::v1;

using SuperLicenseStub = api::SuperLicense::Stub;
using EchoStub = echo_api::Echo::Stub;
// FetchLicenseSet with an answer left undecoded (see echo.proto).
using FetchStub = grpc::TemplatedGenericStub<api::FetchLicenseSetRequest,
                                             echo_api::UndecodedFetchResponse>;
constexpr char kFetchMethod[] = "/superlicense.v1.SuperLicense/FetchLicenseSet";

struct Installation {
  std::string serial;
  std::string credential;  // SERIAL.SECRET
  uint64_t newest = 0;     // newest version, for not-modified fetches
};

// Shared by every slot of a run; read-only once the run starts.
struct Target {
  std::vector<Installation> installations;
  std::atomic<uint64_t> next_installation{0};
  std::vector<api::IssueLicenseSetRequest> issue_requests;
  std::atomic<uint64_t> next_issue{0};
  int timeout_seconds = 30;
  std::atomic<int64_t> issues{0};
  std::atomic<int64_t> fetches{0};
  std::atomic<int64_t> sets_received{0};
  std::atomic<int64_t> set_bytes_received{0};  // signed sets, encoded
  std::atomic<bool> failed{false};
  std::string first_error;  // written once, by whoever sets `failed`

  // Keeps the first failure's message for the report.
  void NoteFailure(const grpc::Status& status) {
    if (status.ok() || failed.exchange(true)) return;
    first_error =
        absl::StrCat(status.error_code(), " ", status.error_message());
  }
};

// A channel of its own: the index keeps gRPC from sharing one connection
// between channels with otherwise equal arguments.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const cli::ConnectionFlags& flags, bool client_certificate, int index) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt("superlicense.loadgen.channel", index);
  return cli::NewChannel(flags, client_certificate, std::move(arguments));
}

std::unique_ptr<grpc::ClientContext> NewContext(const Target& target,
                                                const std::string& credential) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(target.timeout_seconds));
  if (!credential.empty()) {
    context->AddMetadata(authority::kCredentialMetadataKey, credential);
  }
  return context;
}

class FetchCall final : public CallSlot {
 public:
  FetchCall(std::shared_ptr<FetchStub> stub, Target* target, bool full)
      : stub_(std::move(stub)), target_(target), full_(full) {}

  void Start(std::function<void(int)> done) override {
    const Installation& installation =
        target_->installations[target_->next_installation++ %
                               target_->installations.size()];
    context_ = NewContext(*target_, installation.credential);
    request_.set_serial(installation.serial);
    request_.set_installed_version(full_ ? 0 : installation.newest);
    response_.Clear();
    ++target_->fetches;
    stub_->UnaryCall(
        context_.get(), kFetchMethod, grpc::StubOptions(), &request_,
        &response_, [this, done = std::move(done)](grpc::Status status) {
          target_->NoteFailure(status);
          int code = status.error_code();
          if (status.ok() && (response_.modified() != full_ ||
                              response_.signed_set().empty() == full_)) {
            code = kUnexpectedResponse;
          }
          if (status.ok() && full_) {
            ++target_->sets_received;
            target_->set_bytes_received += response_.signed_set().size();
          }
          done(code);
        });
  }

 private:
  const std::shared_ptr<FetchStub> stub_;
  Target* const target_;  // not owned
  const bool full_;
  std::unique_ptr<grpc::ClientContext> context_;
  api::FetchLicenseSetRequest request_;
  echo_api::UndecodedFetchResponse response_;
};

class IssueCall final : public CallSlot {
 public:
  IssueCall(std::shared_ptr<SuperLicenseStub> stub, Target* target)
      : stub_(std::move(stub)), target_(target) {}

  void Start(std::function<void(int)> done) override {
    const api::IssueLicenseSetRequest& request =
        target_->issue_requests[target_->next_issue++ %
                                target_->issue_requests.size()];
    context_ = NewContext(*target_, "");
    response_.Clear();
    ++target_->issues;
    stub_->async()->IssueLicenseSet(
        context_.get(), &request, &response_,
        [this, done = std::move(done)](grpc::Status status) {
          target_->NoteFailure(status);
          int code = status.error_code();
          if (status.ok() && response_.version() == 0) {
            code = kUnexpectedResponse;
          }
          done(code);
        });
  }

 private:
  const std::shared_ptr<SuperLicenseStub> stub_;
  Target* const target_;  // not owned
  std::unique_ptr<grpc::ClientContext> context_;
  api::IssuedLicenseSet response_;
};

// Issues once, then fetches `fetches_per_issue` times, and again.
class MixCall final : public CallSlot {
 public:
  MixCall(std::unique_ptr<CallSlot> issue, std::unique_ptr<CallSlot> fetch,
          int fetches_per_issue, int offset)
      : issue_(std::move(issue)),
        fetch_(std::move(fetch)),
        period_(fetches_per_issue + 1),
        count_(offset) {}

  void Start(std::function<void(int)> done) override {
    (count_++ % period_ == 0 ? issue_ : fetch_)->Start(std::move(done));
  }

 private:
  const std::unique_ptr<CallSlot> issue_, fetch_;
  const int period_;
  int count_;
};

class EchoCall final : public CallSlot {
 public:
  EchoCall(std::shared_ptr<EchoStub> stub, Target* target,
           const echo_api::EchoRequest& request, std::string credential)
      : stub_(std::move(stub)),
        target_(target),
        request_(request),
        credential_(std::move(credential)) {}

  void Start(std::function<void(int)> done) override {
    context_ = NewContext(*target_, credential_);
    response_.Clear();
    stub_->async()->Echo(context_.get(), &request_, &response_,
                         [this, done = std::move(done)](grpc::Status status) {
                           target_->NoteFailure(status);
                           int code = status.error_code();
                           if (status.ok() && response_.payload().size() !=
                                                  request_.response_bytes()) {
                             code = kUnexpectedResponse;
                           }
                           done(code);
                         });
  }

 private:
  const std::shared_ptr<EchoStub> stub_;
  Target* const target_;  // not owned
  const echo_api::EchoRequest request_;
  const std::string credential_;
  std::unique_ptr<grpc::ClientContext> context_;
  echo_api::EchoResponse response_;
};

absl::StatusOr<Installation> ParseCredential(absl::string_view credential) {
  credential = absl::StripAsciiWhitespace(credential);
  const size_t dot = credential.find('.');
  if (dot == absl::string_view::npos || dot == 0) {
    return absl::InvalidArgumentError(
        "an installation credential is not SERIAL.SECRET");
  }
  Installation installation;
  installation.serial = std::string(credential.substr(0, dot));
  installation.credential = std::string(credential);
  return installation;
}

absl::Status ReadInstallations(const WorkloadOptions& options, Target* target) {
  if (!options.connection.credential.empty()) {
    ASSIGN_OR_RETURN(Installation installation,
                     ParseCredential(options.connection.credential));
    target->installations.push_back(std::move(installation));
  }
  if (!options.credentials_file.empty()) {
    std::ifstream in(options.credentials_file);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--credentials-file: cannot read ", options.credentials_file));
    }
    for (std::string line; std::getline(in, line);) {
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      ASSIGN_OR_RETURN(Installation installation, ParseCredential(line));
      target->installations.push_back(std::move(installation));
    }
  }
  if (target->installations.empty()) {
    return absl::InvalidArgumentError(
        "fetch needs --credential (or SUPERLICENSE_CREDENTIAL) or "
        "--credentials-file");
  }
  return absl::OkStatus();
}

// Asks for each installation's newest set, as a CRM installation holding
// nothing would; that also has the authority verify each credential once.
absl::Status FindNewestVersions(SuperLicenseStub& stub, Target* target) {
  for (Installation& installation : target->installations) {
    auto context = NewContext(*target, installation.credential);
    api::FetchLicenseSetRequest request;
    request.set_serial(installation.serial);
    api::FetchLicenseSetResponse response;
    const grpc::Status status =
        stub.FetchLicenseSet(context.get(), request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("FetchLicenseSet ", installation.serial,
                                       ": ", status.error_message()));
    }
    if (!response.modified()) continue;
    api::LicenseSet set;
    if (!set.ParseFromString(response.signed_set().payload())) {
      return absl::InternalError(absl::StrCat(
          "FetchLicenseSet ", installation.serial, ": payload is no set"));
    }
    installation.newest = set.version();
  }
  return absl::OkStatus();
}

absl::Status MakeIssueRequests(const WorkloadOptions& options, Target* target) {
  if (options.serials.empty()) {
    return absl::InvalidArgumentError("issue needs --serial");
  }
  std::vector<api::ModuleGrant> grants;
  for (const std::string& module : options.modules) {
    std::pair<std::string, std::string> parts = absl::StrSplit(module, '=');
    api::ModuleGrant grant;
    uint32_t count = 0;
    if (parts.first.empty() || !absl::SimpleAtoi(parts.second, &count) ||
        count == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--module \"", module, "\" is not NAME=COUNT"));
    }
    grant.set_module_name(parts.first);
    grant.set_license_number(count);
    grants.push_back(std::move(grant));
  }
  for (const std::string& serial : options.serials) {
    api::IssueLicenseSetRequest request;
    request.set_serial(serial);
    request.mutable_site()->set_kind(api::SITE_KIND_CENTRAL);
    for (const api::ModuleGrant& grant : grants) *request.add_modules() = grant;
    target->issue_requests.push_back(std::move(request));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Workload> MakeWorkload(const WorkloadOptions& options) {
  cli::ConnectionFlags flags = options.connection;
  cli::FillFromEnvironment(&flags);
  if (flags.authority.empty()) {
    return absl::InvalidArgumentError(
        "--target (or SUPERLICENSE_AUTHORITY) is required");
  }
  if (flags.ca.empty()) {
    return absl::InvalidArgumentError("--ca (or SUPERLICENSE_CA) is required");
  }
  if (options.concurrency < 1 || options.channels < 1) {
    return absl::InvalidArgumentError(
        "--concurrency and --channels must be at least 1");
  }
  const std::string& kind = options.workload;
  const bool fetches =
      kind == "fetch-not-modified" || kind == "fetch-full" || kind == "mix";
  const bool issues = kind == "issue" || kind == "mix";
  if (!fetches && !issues && kind != "echo") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown workload \"", kind,
                     "\": echo, fetch-not-modified, fetch-full, issue or mix"));
  }
  auto target = std::make_shared<Target>();
  target->timeout_seconds = flags.timeout_seconds;
  WorkloadOptions resolved = options;
  resolved.connection = flags;
  const bool has_certificate = !flags.cert.empty() || !flags.key.empty();
  if (issues && !has_certificate) {
    return absl::InvalidArgumentError(
        "issue needs --cert and --key (or SUPERLICENSE_CERT/_KEY) of an "
        "issuer");
  }

  // Channels: slots take them in turn. A mix has one set for each kind.
  std::vector<std::shared_ptr<SuperLicenseStub>> setup_stubs, issue_stubs;
  std::vector<std::shared_ptr<FetchStub>> fetch_stubs;
  std::vector<std::shared_ptr<EchoStub>> echo_stubs;
  for (int i = 0; i < options.channels; ++i) {
    if (kind == "echo") {
      ASSIGN_OR_RETURN(auto channel, MakeChannel(flags, has_certificate, i));
      echo_stubs.push_back(echo_api::Echo::NewStub(channel));
    }
    if (fetches) {
      ASSIGN_OR_RETURN(auto channel, MakeChannel(flags, false, i));
      setup_stubs.push_back(api::SuperLicense::NewStub(channel));
      fetch_stubs.push_back(std::make_shared<FetchStub>(channel));
    }
    if (issues) {
      ASSIGN_OR_RETURN(auto channel,
                       MakeChannel(flags, true, options.channels + i));
      issue_stubs.push_back(api::SuperLicense::NewStub(channel));
    }
  }
  if (fetches) {
    RETURN_IF_ERROR(ReadInstallations(resolved, target.get()));
    RETURN_IF_ERROR(FindNewestVersions(*setup_stubs[0], target.get()));
  }
  if (issues) RETURN_IF_ERROR(MakeIssueRequests(resolved, target.get()));

  echo_api::EchoRequest echo_request;
  echo_request.set_payload(std::string(options.echo_request_bytes, 'r'));
  echo_request.set_response_bytes(options.echo_response_bytes);

  Workload workload;
  for (int i = 0; i < options.concurrency; ++i) {
    const size_t channel = static_cast<size_t>(i % options.channels);
    std::unique_ptr<CallSlot> slot;
    if (kind == "echo") {
      slot = std::make_unique<EchoCall>(echo_stubs[channel], target.get(),
                                        echo_request, flags.credential);
    } else if (kind == "issue") {
      slot = std::make_unique<IssueCall>(issue_stubs[channel], target.get());
    } else if (kind == "mix") {
      slot = std::make_unique<MixCall>(
          std::make_unique<IssueCall>(issue_stubs[channel], target.get()),
          std::make_unique<FetchCall>(fetch_stubs[channel], target.get(),
                                      false),
          options.fetches_per_issue, i);
    } else {
      slot = std::make_unique<FetchCall>(fetch_stubs[channel], target.get(),
                                         kind == "fetch-full");
    }
    workload.slots.push_back(std::move(slot));
  }
  workload.summary = [target, kind]() -> std::string {
    std::string summary;
    if (kind == "mix") {
      summary = absl::StrCat(target->issues.load(), " issue and ",
                             target->fetches.load(), " fetch calls started");
    }
    if (target->sets_received > 0) {
      absl::StrAppend(
          &summary, summary.empty() ? "" : "\n",
          "signed sets received: ", target->sets_received.load(), ", mean ",
          target->set_bytes_received / target->sets_received, " bytes");
    }
    if (target->failed) {
      absl::StrAppend(&summary, summary.empty() ? "" : "\n",
                      "first failure: status ", target->first_error);
    }
    return summary;
  };
  return workload;
}

}  // namespace superlicense::loadgen
