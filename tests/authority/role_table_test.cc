// The role table against the service descriptor and the proto comments.
#include "authority/auth/role_table.h"

#include <string>

#include "authority/auth/roles.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "superlicense/v1/authority.pb.h"
#include "tests/support/status_matchers.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kService[] = "superlicense.v1.SuperLicense";

const google::protobuf::ServiceDescriptor& RealService() {
  // Referencing a generated message links the file's descriptor in.
  (void)superlicense::v1::CreateCustomerRequest::descriptor();
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          kService);
  EXPECT_NE(service, nullptr);
  return *service;
}

// A copy of the real service's method names plus `extra` (unless empty),
// minus `dropped` (unless empty), in a pool of its own.
class FakeServicePool {
 public:
  FakeServicePool(const std::string& extra, const std::string& dropped) {
    google::protobuf::FileDescriptorProto file;
    file.set_name("fake_authority.proto");
    file.set_package("superlicense.v1");
    file.set_syntax("proto3");
    file.add_message_type()->set_name("Empty");
    google::protobuf::ServiceDescriptorProto* service = file.add_service();
    service->set_name("SuperLicense");
    const google::protobuf::ServiceDescriptor& real = RealService();
    for (int i = 0; i < real.method_count(); ++i) {
      if (real.method(i)->name() != dropped)
        AddMethod(service, real.method(i)->name());
    }
    if (!extra.empty()) AddMethod(service, extra);
    EXPECT_NE(pool_.BuildFile(file), nullptr);
  }

  const google::protobuf::ServiceDescriptor& service() const {
    return *pool_.FindServiceByName(kService);
  }

 private:
  static void AddMethod(google::protobuf::ServiceDescriptorProto* service,
                        const std::string& name) {
    google::protobuf::MethodDescriptorProto* method = service->add_method();
    method->set_name(name);
    method->set_input_type(".superlicense.v1.Empty");
    method->set_output_type(".superlicense.v1.Empty");
  }

  google::protobuf::DescriptorPool pool_;
};

TEST(RoleTableTest, CoversTheRealService) {
  EXPECT_THAT(CheckRoleTableCovers(RealService()), IsOk());
}

TEST(RoleTableTest, FailsNamingAMethodWithoutEntry) {
  FakeServicePool pool("ExportEverything", "");
  EXPECT_THAT(CheckRoleTableCovers(pool.service()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("method /superlicense.v1.SuperLicense/"
                                 "ExportEverything has no entry")));
}

TEST(RoleTableTest, FailsNamingAnEntryWithoutMethod) {
  FakeServicePool pool("", "VerifyAuditChain");
  EXPECT_THAT(CheckRoleTableCovers(pool.service()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("entry /superlicense.v1.SuperLicense/"
                                 "VerifyAuditChain names no method")));
}

TEST(RoleTableTest, NamesEveryProblemAtOnce) {
  FakeServicePool pool("ExportEverything", "ListKeys");
  EXPECT_THAT(CheckRoleTableCovers(pool.service()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("ExportEverything has no entry"),
                             HasSubstr("ListKeys names no method"))));
}

// The roles of authority.proto's comments, written out again on purpose:
// changing who may call what must change this test too.
TEST(RoleTableTest, MatchesTheProtoComments) {
  constexpr Role kIssuer = Role::kIssuer;
  constexpr Role kInstallation = Role::kInstallation;
  constexpr Role kKeyAdmin = Role::kKeyAdmin;
  constexpr Role kAuditor = Role::kAuditor;
  const struct {
    const char* method;
    RoleSet roles;
  } kExpected[] = {
      {"CreateCustomer", {kIssuer}},
      {"GetCustomer", {kIssuer, kAuditor}},
      {"ListCustomers", {kIssuer, kAuditor}},
      {"RenameCustomer", {kIssuer}},
      {"IssueLicenseSet", {kIssuer}},
      {"GetLicenseSet", {kIssuer, kAuditor}},
      {"ListLicenseSets", {kIssuer, kAuditor}},
      {"RevokeLicenseSet", {kIssuer}},
      {"FetchLicenseSet", {kInstallation}},
      {"AcceptLicenseSet", {kInstallation}},
      {"ReportUsage", {kInstallation}},
      {"GetUsage", {kIssuer, kAuditor}},
      {"GetTrustBundle", {kIssuer, kInstallation, kKeyAdmin, kAuditor}},
      {"ListKeys", {kKeyAdmin, kAuditor}},
      {"ListCatalog", {kIssuer, kAuditor}},
      {"PutCatalogEntry", {kIssuer}},
      {"CreateBackup", {kKeyAdmin}},
      {"ListAuditEvents", {kAuditor}},
      {"VerifyAuditChain", {kAuditor}},
  };
  EXPECT_EQ(RoleTable().size(), std::size(kExpected));
  for (const auto& expected : kExpected) {
    const std::string method =
        std::string("/") + kService + "/" + expected.method;
    const absl::optional<RoleSet> roles = AllowedRoles(method);
    ASSERT_TRUE(roles.has_value()) << method;
    EXPECT_EQ(*roles, expected.roles) << method << ": " << roles->ToString()
                                      << " vs " << expected.roles.ToString();
  }
}

TEST(RoleTableTest, HasNoEntryForOtherMethods) {
  EXPECT_FALSE(AllowedRoles("/grpc.health.v1.Health/Check").has_value());
  EXPECT_FALSE(AllowedRoles("CreateCustomer").has_value());
  EXPECT_FALSE(AllowedRoles("").has_value());
}

}  // namespace
}  // namespace superlicense::authority
