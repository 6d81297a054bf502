#include "authority/server/grpc_service.h"

#include <chrono>
#include <optional>
#include <utility>

#include "authority/auth/grpc_status.h"
#include "google/protobuf/unknown_field_set.h"

namespace superlicense::authority {
namespace {

// A fetch's answer with the set in the bytes it was stored as. They go into
// the answer's unknown fields under signed_set's field number: protobuf
// writes unknown fields as they are, so the installation receives exactly
// the encoding of a FetchLicenseSetResponse whose signed_set is that set,
// and the authority never parses and re-encodes it (which was most of the
// CPU a full fetch cost beyond an empty answer: docs/PERFORMANCE.md).
v1::FetchLicenseSetResponse EncodedFetchResponse(
    std::optional<EncodedSet> newest) {
  v1::FetchLicenseSetResponse response;
  if (!newest.has_value()) return response;
  response.set_modified(true);
  *response.GetReflection()
       ->MutableUnknownFields(&response)
       ->AddLengthDelimited(
           v1::FetchLicenseSetResponse::kSignedSetFieldNumber) =
      std::move(newest->signed_set);
  return response;
}

}  // namespace

template <typename Response, typename Call>
grpc::Status SuperLicenseService::Serve(grpc::ServerContext* context,
                                        Response* response, Call call) {
  absl::StatusOr<Caller> caller = authorizer_->Authorize(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // Work whose answer nobody waits for is not started. The deadline is read
  // from the context; ServerContext::IsCancelled would poll the completion
  // queue, which cost a fetch a fifth of its CPU. A call cancelled while
  // it runs still completes, as one cancelled after this check always
  // could: issuing is idempotent by key, so a retry gets the same set.
  if (context->deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "the call's deadline passed before it started");
  }
  absl::StatusOr<Response> result = call(*caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status SuperLicenseService::CreateCustomer(
    grpc::ServerContext* context, const v1::CreateCustomerRequest* request,
    v1::CreateCustomerResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->CreateCustomer(caller, *request);
  });
}

grpc::Status SuperLicenseService::GetCustomer(
    grpc::ServerContext* context, const v1::GetCustomerRequest* request,
    v1::CustomerRecord* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->GetCustomer(caller, *request);
  });
}

grpc::Status SuperLicenseService::ListCustomers(
    grpc::ServerContext* context, const v1::ListCustomersRequest* request,
    v1::ListCustomersResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ListCustomers(caller, *request);
  });
}

grpc::Status SuperLicenseService::RenameCustomer(
    grpc::ServerContext* context, const v1::RenameCustomerRequest* request,
    v1::CustomerRecord* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->RenameCustomer(caller, *request);
  });
}

grpc::Status SuperLicenseService::IssueLicenseSet(
    grpc::ServerContext* context, const v1::IssueLicenseSetRequest* request,
    v1::IssuedLicenseSet* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->IssueLicenseSet(caller, *request);
  });
}

grpc::Status SuperLicenseService::GetLicenseSet(
    grpc::ServerContext* context, const v1::GetLicenseSetRequest* request,
    v1::IssuedLicenseSet* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->GetLicenseSet(caller, *request);
  });
}

grpc::Status SuperLicenseService::ListLicenseSets(
    grpc::ServerContext* context, const v1::ListLicenseSetsRequest* request,
    v1::ListLicenseSetsResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ListLicenseSets(caller, *request);
  });
}

grpc::Status SuperLicenseService::RevokeLicenseSet(
    grpc::ServerContext* context, const v1::RevokeLicenseSetRequest* request,
    v1::IssuedLicenseSet* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->RevokeLicenseSet(caller, *request);
  });
}

grpc::Status SuperLicenseService::FetchLicenseSet(
    grpc::ServerContext* context, const v1::FetchLicenseSetRequest* request,
    v1::FetchLicenseSetResponse* response) {
  return Serve(
      context, response,
      [&](const Caller& caller) -> absl::StatusOr<v1::FetchLicenseSetResponse> {
        absl::StatusOr<std::optional<EncodedSet>> newest =
            authority_->FetchEncodedLicenseSet(caller, *request);
        if (!newest.ok()) return newest.status();
        return EncodedFetchResponse(*std::move(newest));
      });
}

grpc::Status SuperLicenseService::AcceptLicenseSet(
    grpc::ServerContext* context, const v1::AcceptLicenseSetRequest* request,
    v1::AcceptLicenseSetResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->AcceptLicenseSet(caller, *request);
  });
}

grpc::Status SuperLicenseService::ReportUsage(
    grpc::ServerContext* context, const v1::ReportUsageRequest* request,
    v1::ReportUsageResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ReportUsage(caller, *request);
  });
}

grpc::Status SuperLicenseService::GetUsage(grpc::ServerContext* context,
                                           const v1::GetUsageRequest* request,
                                           v1::GetUsageResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->GetUsage(caller, *request);
  });
}

grpc::Status SuperLicenseService::GetTrustBundle(
    grpc::ServerContext* context, const v1::GetTrustBundleRequest* request,
    v1::SignedTrustBundle* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->GetTrustBundle(caller);
  });
}

grpc::Status SuperLicenseService::ListKeys(grpc::ServerContext* context,
                                           const v1::ListKeysRequest* request,
                                           v1::ListKeysResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ListKeys(caller, *request);
  });
}

grpc::Status SuperLicenseService::ListAuditEvents(
    grpc::ServerContext* context, const v1::ListAuditEventsRequest* request,
    v1::ListAuditEventsResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ListAuditEvents(caller, *request);
  });
}

grpc::Status SuperLicenseService::VerifyAuditChain(
    grpc::ServerContext* context, const v1::VerifyAuditChainRequest* request,
    v1::VerifyAuditChainResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->VerifyAuditChain(caller);
  });
}

grpc::Status SuperLicenseService::ListCatalog(
    grpc::ServerContext* context, const v1::ListCatalogRequest* request,
    v1::ListCatalogResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->ListCatalog(caller, *request);
  });
}

grpc::Status SuperLicenseService::PutCatalogEntry(
    grpc::ServerContext* context, const v1::CatalogEntry* request,
    v1::CatalogEntry* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->PutCatalogEntry(caller, *request);
  });
}

grpc::Status SuperLicenseService::CreateBackup(
    grpc::ServerContext* context, const v1::CreateBackupRequest* request,
    v1::CreateBackupResponse* response) {
  return Serve(context, response, [&](const Caller& caller) {
    return authority_->CreateBackup(caller, backup_dir_);
  });
}

}  // namespace superlicense::authority
