#include "authority/catalog/catalog.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVendor[] = "SUPEROFFICE";
constexpr char kPartner[] = "ACMEPARTNER";
constexpr char kSalesPremiumSet[] =
    "set=user,web,pocket-crm-cal,selection-cal,relation-cal,report-cal,"
    "chat-cal,forms-cal,sale-cal,t2,saint-cal,target-cal,project-cal,"
    "quote-cal,guide-cal,stakeholder-cal,dash-cal,selection-combined-cal";

using GrantList = std::vector<std::pair<std::string, uint32_t>>;

google::protobuf::RepeatedPtrField<v1::ModuleGrant> Grants(
    const GrantList& list) {
  google::protobuf::RepeatedPtrField<v1::ModuleGrant> grants;
  for (const auto& [name, count] : list) {
    v1::ModuleGrant* grant = grants.Add();
    grant->set_module_name(name);
    grant->set_license_number(count);
  }
  return grants;
}

std::map<std::string, v1::ModuleLicense> ByName(
    const std::vector<v1::ModuleLicense>& rows) {
  std::map<std::string, v1::ModuleLicense> by_name;
  for (const v1::ModuleLicense& row : rows) by_name[row.module_name()] = row;
  return by_name;
}

void ExpectStrictlyIncreasingSortOrder(
    const std::vector<v1::ModuleLicense>& rows) {
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(rows[i - 1].sort_order(), rows[i].sort_order())
        << rows[i - 1].module_name() << " before " << rows[i].module_name();
  }
}

std::vector<std::string> SetOf(const v1::ModuleLicense& plan) {
  absl::string_view info = plan.extra_info();
  EXPECT_TRUE(absl::ConsumePrefix(&info, "set=")) << plan.extra_info();
  return absl::StrSplit(info, ',');
}

// --- the shipped SuperOffice catalogue ------------------------------------

class ShippedCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = Catalog::LoadFile(kDefaultCatalogPath);
    ASSERT_OK(loaded.status());
    catalog_.emplace(*std::move(loaded));
  }

  const v1::ModuleLicense& Module(const std::string& grant_name) {
    const v1::CatalogEntry* entry = catalog_->Find(kVendor, grant_name);
    EXPECT_NE(entry, nullptr) << grant_name;
    static const v1::ModuleLicense kEmpty;
    return entry == nullptr ? kEmpty : entry->module();
  }

  absl::StatusOr<std::vector<v1::ModuleLicense>> Expand(const GrantList& g) {
    return catalog_->Expand(kVendor, Grants(g));
  }

  std::optional<Catalog> catalog_;
};

const std::vector<std::string> kSystemModules = {"server",
                                                 "saint",
                                                 "quote",
                                                 "sale",
                                                 "project",
                                                 "selection",
                                                 "report",
                                                 "relation",
                                                 "target",
                                                 "stakeholder",
                                                 "chat",
                                                 "forms",
                                                 "mktg-auto",
                                                 "dash",
                                                 "guide",
                                                 "escalate",
                                                 "inbox-filter",
                                                 "request-batch",
                                                 "expander-services",
                                                 "online-webservices",
                                                 "exchange-sync",
                                                 "scim",
                                                 "config-screens",
                                                 "custom-objects",
                                                 "extra-storage",
                                                 "sandbox",
                                                 "test"};
const std::vector<std::string> kMarkers = {
    "sales-t1",     "sales-t2",     "service-t1", "service-t2",
    "marketing-t1", "marketing-t2", "ten"};
const std::vector<std::string> kSiteModules = {"satellite", "audience",
                                               "reporter-studio"};
const std::vector<std::string> kUserModules = {"user",
                                               "web",
                                               "windows",
                                               "pocket-crm-cal",
                                               "visible-for",
                                               "travel",
                                               "remote-travel",
                                               "sale-cal",
                                               "quote-cal",
                                               "project-cal",
                                               "selection-cal",
                                               "selection-combined-cal",
                                               "report-cal",
                                               "relation-cal",
                                               "target-cal",
                                               "stakeholder-cal",
                                               "chat-cal",
                                               "forms-cal",
                                               "mktg-auto-cal",
                                               "saint-cal",
                                               "dash-cal",
                                               "guide-cal",
                                               "mail-merge-cal",
                                               "ej-client",
                                               "ej-mod-spm-cal",
                                               "t1",
                                               "t2",
                                               "extern-user-cal",
                                               "system-user-cal",
                                               "anonymous-user-cal"};
const std::vector<std::string> kPlans = {"ten-sales",
                                         "ten-service",
                                         "ten-marketing",
                                         "ten-salesservice",
                                         "ten-salesmarketing",
                                         "ten-servicemarketing",
                                         "ten-salesservicemarketing"};

TEST_F(ShippedCatalogTest, HoldsEveryModuleWithItsLicenseType) {
  auto expect_type = [&](const std::vector<std::string>& names,
                         v1::LicenseType type, uint32_t extra_flags) {
    for (const std::string& name : names) {
      const v1::ModuleLicense& module = Module(name);
      EXPECT_EQ(module.module_name(), name);
      EXPECT_EQ(module.license_type(), type) << name;
      EXPECT_EQ(module.extra_flags(), extra_flags) << name;
      EXPECT_FALSE(module.description().empty()) << name;
      EXPECT_FALSE(module.tooltip().empty()) << name;
    }
  };
  expect_type(kSystemModules, v1::LICENSE_TYPE_SYSTEM, 0);
  expect_type(kMarkers, v1::LICENSE_TYPE_SYSTEM, 2);
  expect_type(kSiteModules, v1::LICENSE_TYPE_SITE, 0);
  expect_type(kUserModules, v1::LICENSE_TYPE_USER, 0);
  EXPECT_EQ(catalog_->List(kVendor).size(),
            kSystemModules.size() + kMarkers.size() + kSiteModules.size() +
                kUserModules.size() + 2 * kPlans.size());
}

TEST_F(ShippedCatalogTest, AssociateMasksAndUnrestrictedModules) {
  for (const std::string& name : kSystemModules) {
    EXPECT_EQ(Module(name).allowed_assocs_mask(), 0u) << name;
  }
  EXPECT_EQ(Module("user").allowed_assocs_mask(), 1u);
  EXPECT_EQ(Module("extern-user-cal").allowed_assocs_mask(), 2u);
  EXPECT_EQ(Module("system-user-cal").allowed_assocs_mask(), 4u);
  EXPECT_EQ(Module("anonymous-user-cal").allowed_assocs_mask(), 8u);
  for (const char* name : {"visible-for", "travel", "extern-user-cal",
                           "system-user-cal", "anonymous-user-cal"}) {
    EXPECT_TRUE(Module(name).unrestricted()) << name;
  }
  EXPECT_FALSE(Module("quote-cal").unrestricted());
  EXPECT_FALSE(Module("user").unrestricted());
}

TEST_F(ShippedCatalogTest, EncodesThePrerequisitesOfTheDomain) {
  const std::map<std::string, std::string> expected = {
      {"web", "user"},
      {"windows", "user"},
      {"travel", "windows"},
      {"remote-travel", "travel"},
      {"quote-cal", "user"}};
  for (const auto& [module, prerequisite] : expected) {
    EXPECT_EQ(Module(module).prerequisite_module(), prerequisite) << module;
  }
  for (const v1::CatalogEntry& entry : catalog_->List(kVendor)) {
    const std::string& name = entry.module().module_name();
    if (expected.count(name) == 0) {
      EXPECT_EQ(entry.module().prerequisite_module(), "") << name;
    }
  }
}

TEST_F(ShippedCatalogTest, EveryPlanHasBothTiersAndASetThatResolves) {
  for (const std::string& plan : kPlans) {
    for (const auto& [tier, marker] :
         {std::pair<std::string, std::string>{"essentials", "t1"},
          {"premium", "t2"}}) {
      SCOPED_TRACE(plan + "-" + tier);
      const v1::CatalogEntry* entry =
          catalog_->Find(kVendor, plan + "-" + tier);
      ASSERT_NE(entry, nullptr);
      EXPECT_EQ(entry->module().module_name(), plan);
      EXPECT_EQ(entry->module().extra_flags(), 1u);
      EXPECT_EQ(entry->module().license_type(), v1::LICENSE_TYPE_USER);
      std::vector<std::string> members = SetOf(entry->module());
      EXPECT_THAT(members, ::testing::Contains(marker));
      EXPECT_THAT(members,
                  Not(::testing::Contains(marker == "t1" ? "t2" : "t1")));
      EXPECT_THAT(members, ::testing::IsSupersetOf({"user", "web"}));
      for (const std::string& member : members) {
        EXPECT_EQ(Module(member).license_type(), v1::LICENSE_TYPE_USER)
            << member;
      }
      EXPECT_THAT(entry->plan_markers(), ::testing::Contains("ten"));
    }
  }
  EXPECT_EQ(catalog_->Find(kVendor, "ten-sales"), nullptr);
}

TEST_F(ShippedCatalogTest, SalesPremiumIsTheDomainExample) {
  const v1::ModuleLicense& plan = Module("ten-sales-premium");
  EXPECT_EQ(plan.description(), "Sales Premium");
  EXPECT_EQ(plan.extra_info(), kSalesPremiumSet);
  EXPECT_THAT(catalog_->Find(kVendor, "ten-sales-premium")->plan_markers(),
              ElementsAreArray({"ten", "sales-t2"}));
}

TEST_F(ShippedCatalogTest, ListIsInStrictlyIncreasingSortOrder) {
  std::vector<v1::CatalogEntry> entries = catalog_->List(kVendor);
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LT(entries[i - 1].module().sort_order(),
              entries[i].module().sort_order());
  }
}

TEST_F(ShippedCatalogTest, ExpandsTheDomainExample) {
  ASSERT_OK_AND_ASSIGN(auto rows, Expand({{"ten-sales-premium", 10},
                                          {"user", 5},
                                          {"web", 5},
                                          {"saint", 1},
                                          {"quote", 1}}));
  ExpectStrictlyIncreasingSortOrder(rows);
  // saint, quote, the two markers, the plan and the 18 modules of its set.
  EXPECT_EQ(rows.size(), 2u + 2u + 1u + 18u);
  auto by_name = ByName(rows);
  EXPECT_EQ(by_name["user"].license_number(), 15u);
  EXPECT_FALSE(by_name["user"].hidden());
  EXPECT_EQ(by_name["web"].license_number(), 15u);
  EXPECT_FALSE(by_name["web"].hidden());
  EXPECT_EQ(by_name["web"].prerequisite_module(), "user");
  EXPECT_EQ(by_name["sale-cal"].license_number(), 10u);
  EXPECT_TRUE(by_name["sale-cal"].hidden());
  EXPECT_EQ(by_name["t2"].license_number(), 10u);
  EXPECT_TRUE(by_name["t2"].hidden());
  EXPECT_EQ(by_name["quote-cal"].license_number(), 10u);
  const v1::ModuleLicense& plan = by_name["ten-sales"];
  EXPECT_EQ(plan.license_number(), 10u);
  EXPECT_EQ(plan.extra_flags(), 1u);
  EXPECT_FALSE(plan.hidden());
  EXPECT_EQ(plan.extra_info(), kSalesPremiumSet);
  for (const char* marker : {"ten", "sales-t2"}) {
    EXPECT_EQ(by_name[marker].license_number(), 1u) << marker;
    EXPECT_EQ(by_name[marker].extra_flags(), 2u) << marker;
    EXPECT_TRUE(by_name[marker].hidden()) << marker;
  }
  EXPECT_EQ(by_name["saint"].license_number(), 1u);
  EXPECT_EQ(by_name["saint"].license_type(), v1::LICENSE_TYPE_SYSTEM);
  EXPECT_EQ(by_name.count("t1"), 0u);
  EXPECT_EQ(by_name.count("sales-t1"), 0u);
}

TEST_F(ShippedCatalogTest, PlansOfSeveralAreasAndTiersAddUp) {
  ASSERT_OK_AND_ASSIGN(auto rows, Expand({{"ten-sales-premium", 3},
                                          {"ten-service-essentials", 2},
                                          {"sale-cal", 4}}));
  ExpectStrictlyIncreasingSortOrder(rows);
  auto by_name = ByName(rows);
  EXPECT_EQ(by_name["user"].license_number(), 5u);
  EXPECT_TRUE(by_name["user"].hidden());
  EXPECT_EQ(by_name["t1"].license_number(), 2u);
  EXPECT_EQ(by_name["t2"].license_number(), 3u);
  EXPECT_EQ(by_name["ej-client"].license_number(), 2u);
  EXPECT_EQ(by_name["sale-cal"].license_number(), 7u);
  EXPECT_FALSE(by_name["sale-cal"].hidden());
  for (const char* marker : {"ten", "sales-t2", "service-t1"}) {
    EXPECT_EQ(by_name[marker].license_number(), 1u) << marker;
  }
  EXPECT_EQ(by_name["ten-service"].description(), "Service Essentials");
}

TEST_F(ShippedCatalogTest, ModulesHiddenInTheCatalogueStayHidden) {
  ASSERT_OK_AND_ASSIGN(auto rows, Expand({{"user", 2}, {"t2", 2}, {"ten", 3}}));
  auto by_name = ByName(rows);
  EXPECT_TRUE(by_name["t2"].hidden());
  EXPECT_EQ(by_name["ten"].license_number(), 3u);
  EXPECT_FALSE(by_name["user"].hidden());
}

TEST_F(ShippedCatalogTest, AnExplicitMarkerCountIsKept) {
  ASSERT_OK_AND_ASSIGN(auto rows,
                       Expand({{"ten", 2}, {"ten-marketing-premium", 6}}));
  auto by_name = ByName(rows);
  EXPECT_EQ(by_name["ten"].license_number(), 2u);
  EXPECT_EQ(by_name["marketing-t2"].license_number(), 1u);
  EXPECT_EQ(by_name["mktg-auto-cal"].license_number(), 6u);
}

TEST_F(ShippedCatalogTest, ChainsOfPrerequisitesAreSatisfied) {
  EXPECT_OK(Expand({{"user", 10},
                    {"web", 5},
                    {"windows", 7},
                    {"travel", 7},
                    {"remote-travel", 5},
                    {"quote-cal", 3}}));
}

// --- bad grants -----------------------------------------------------------

struct BadGrantCase {
  std::string name;
  std::string owner;
  GrantList grants;
  std::string message;
};

class BadGrantTest : public ShippedCatalogTest,
                     public ::testing::WithParamInterface<BadGrantCase> {};

TEST_P(BadGrantTest, IsRejectedNamingFieldAndValue) {
  const BadGrantCase& c = GetParam();
  auto rows = catalog_->Expand(c.owner, Grants(c.grants));
  EXPECT_THAT(
      rows, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  if (!rows.ok()) {
    EXPECT_LT(rows.status().message().size(), 300u);
    EXPECT_EQ(rows.status().message().find('\n'), absl::string_view::npos);
  }
}

const std::string kLongName(500, 'x');

INSTANTIATE_TEST_SUITE_P(
    Table, BadGrantTest,
    ::testing::Values(
        BadGrantCase{"Empty", kVendor, {}, "modules: empty"},
        BadGrantCase{"UnknownModule",
                     kVendor,
                     {{"user", 1}, {"web", 1}, {"sale-kal", 1}},
                     "modules[2].module_name \"sale-kal\": not in the "
                     "catalogue of owner SUPEROFFICE"},
        BadGrantCase{"ZeroCount",
                     kVendor,
                     {{"user", 0}},
                     "modules[0].license_number 0: must be 1 to 4294967295"},
        BadGrantCase{"GrantedTwice",
                     kVendor,
                     {{"user", 2}, {"web", 1}, {"web", 1}},
                     "modules[2]: module \"web\" is granted twice"},
        BadGrantCase{"TwoTiersOfOnePlan",
                     kVendor,
                     {{"ten-sales-essentials", 1}, {"ten-sales-premium", 1}},
                     "modules[1]: module \"ten-sales\" is granted twice (here "
                     "as \"ten-sales-premium\")"},
        BadGrantCase{"PlanWithoutTier",
                     kVendor,
                     {{"ten-sales", 1}},
                     "modules[0].module_name \"ten-sales\": not in the "
                     "catalogue"},
        BadGrantCase{"WebWithoutUser",
                     kVendor,
                     {{"web", 5}},
                     "module \"web\": prerequisite \"user\" is not in the set"},
        BadGrantCase{"TravelWithoutWindows",
                     kVendor,
                     {{"user", 5}, {"travel", 5}},
                     "module \"travel\": prerequisite \"windows\" is not in "
                     "the set"},
        BadGrantCase{"RemoteTravelWithoutTravel",
                     kVendor,
                     {{"user", 5}, {"windows", 5}, {"remote-travel", 5}},
                     "module \"remote-travel\": prerequisite \"travel\""},
        BadGrantCase{"QuoteCalWithoutUser",
                     kVendor,
                     {{"quote-cal", 3}},
                     "module \"quote-cal\": prerequisite \"user\""},
        BadGrantCase{"CountsOverflow",
                     kVendor,
                     {{"user", 4294967295u}, {"ten-sales-essentials", 1}},
                     "module \"user\": license_number 4294967296 exceeds "
                     "4294967295"},
        BadGrantCase{"PlansOverflow",
                     kVendor,
                     {{"ten-sales-premium", 4294967295u},
                      {"ten-service-premium", 4294967295u}},
                     "license_number 8589934590 exceeds 4294967295"},
        BadGrantCase{"SqlInName",
                     kVendor,
                     {{"web'; DROP TABLE ModuleLicense;--", 1}},
                     "modules[0].module_name \"web\\'; DROP TABLE "
                     "ModuleLicense;--\": not in the catalogue"},
        BadGrantCase{"QuotesAndControlCharacters",
                     kVendor,
                     {{"we\"b\n\x01", 1}},
                     "modules[0].module_name \"we\\\"b\\n\\x01\": not in"},
        BadGrantCase{"UpperCase",
                     kVendor,
                     {{"WEB", 1}},
                     "modules[0].module_name \"WEB\": not in the catalogue"},
        BadGrantCase{"LongNameIsCut",
                     kVendor,
                     {{kLongName, 1}},
                     "\"" + std::string(64, 'x') + "\"...: not in"},
        BadGrantCase{"OtherOwnersModule",
                     kPartner,
                     {{"user", 1}},
                     "owner_name \"ACMEPARTNER\": no catalogue"},
        BadGrantCase{"InvalidOwner",
                     "acme",
                     {{"user", 1}},
                     "owner_name \"acme\": must be 1 to 32 characters"},
        BadGrantCase{"ControlCharactersInOwner",
                     "ACME\r\nX",
                     {{"user", 1}},
                     "owner_name \"ACME\\r\\nX\": must be"}),
    [](const ::testing::TestParamInfo<BadGrantCase>& param_info) {
      return param_info.param.name;
    });

// --- Put and List -----------------------------------------------------------

v1::CatalogEntry PartnerEntry(const std::string& name, uint32_t sort_order) {
  v1::CatalogEntry entry;
  entry.set_owner_name(kPartner);
  v1::ModuleLicense* module = entry.mutable_module();
  module->set_module_name(name);
  module->set_description("ACME connector");
  module->set_tooltip("Synchronises with ACME.");
  module->set_license_type(v1::LICENSE_TYPE_SYSTEM);
  module->set_sort_order(sort_order);
  return entry;
}

TEST_F(ShippedCatalogTest, PutAddsAPartnerOwnerWithItsOwnModules) {
  const size_t vendor_entries = catalog_->List(kVendor).size();
  ASSERT_OK(catalog_->Put(PartnerEntry("acme-sync", 20)));
  ASSERT_OK(catalog_->Put(PartnerEntry("acme-archive", 10)));
  std::vector<v1::CatalogEntry> partner = catalog_->List(kPartner);
  ASSERT_EQ(partner.size(), 2u);
  EXPECT_EQ(partner[0].module().module_name(), "acme-archive");
  EXPECT_EQ(partner[1].module().module_name(), "acme-sync");
  EXPECT_EQ(catalog_->List(kVendor).size(), vendor_entries);
  std::vector<v1::CatalogEntry> all = catalog_->List("");
  ASSERT_EQ(all.size(), vendor_entries + 2);
  EXPECT_EQ(all[0].owner_name(), kPartner);  // owners in name order
  EXPECT_EQ(all[2].owner_name(), kVendor);

  ASSERT_OK_AND_ASSIGN(auto rows,
                       catalog_->Expand(kPartner, Grants({{"acme-sync", 1}})));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].module_name(), "acme-sync");
  EXPECT_THAT(catalog_->Expand(kPartner, Grants({{"user", 1}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("modules[0].module_name \"user\": not in the "
                                 "catalogue of owner ACMEPARTNER")));
}

TEST_F(ShippedCatalogTest, PutReplacesAnEntryWithTheSameName) {
  const size_t entries = catalog_->data().entries_size();
  v1::CatalogEntry web = *catalog_->Find(kVendor, "web");
  web.mutable_module()->set_description("Web client (renamed)");
  ASSERT_OK(catalog_->Put(web));
  EXPECT_EQ(catalog_->data().entries_size(), static_cast<int>(entries));
  EXPECT_EQ(catalog_->Find(kVendor, "web")->module().description(),
            "Web client (renamed)");
}

TEST_F(ShippedCatalogTest, FailedPutLeavesTheCatalogueUnchanged) {
  const std::string before = catalog_->data().SerializeAsString();
  v1::CatalogEntry bad = PartnerEntry("acme-sync", 10);
  bad.mutable_module()->set_prerequisite_module("user");  // the vendor's
  EXPECT_THAT(catalog_->Put(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("(ACMEPARTNER.acme-sync): "
                                 "module.prerequisite_module \"user\": not in "
                                 "the catalogue of owner ACMEPARTNER")));
  // Turning "user" into a system license breaks every plan's set=.
  v1::CatalogEntry user = *catalog_->Find(kVendor, "user");
  user.mutable_module()->set_license_type(v1::LICENSE_TYPE_SYSTEM);
  user.mutable_module()->set_allowed_assocs_mask(0);
  EXPECT_THAT(catalog_->Put(user),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("module.extra_info set= \"user\": must be a "
                                 "user license that is not a plan")));
  EXPECT_EQ(catalog_->data().SerializeAsString(), before);
  EXPECT_EQ(catalog_->List(kPartner).size(), 0u);
}

TEST_F(ShippedCatalogTest, APartnerPlanUsesOnlyItsOwnModules) {
  v1::CatalogEntry seat = PartnerEntry("acme-seat", 10);
  seat.mutable_module()->set_license_type(v1::LICENSE_TYPE_USER);
  seat.mutable_module()->set_allowed_assocs_mask(1);
  ASSERT_OK(catalog_->Put(seat));
  v1::CatalogEntry plan = seat;
  plan.set_grant_name("acme-plan-gold");
  plan.mutable_module()->set_module_name("acme-plan");
  plan.mutable_module()->set_extra_flags(1);
  plan.mutable_module()->set_sort_order(20);
  plan.mutable_module()->set_extra_info("set=acme-seat,user");
  EXPECT_THAT(catalog_->Put(plan),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("module.extra_info set= \"user\": not in the "
                                 "catalogue of owner ACMEPARTNER")));
  plan.mutable_module()->set_extra_info("set=acme-seat");
  ASSERT_OK(catalog_->Put(plan));
  ASSERT_OK_AND_ASSIGN(
      auto rows, catalog_->Expand(kPartner, Grants({{"acme-plan-gold", 4}})));
  auto by_name = ByName(rows);
  EXPECT_EQ(by_name["acme-plan"].license_number(), 4u);
  EXPECT_EQ(by_name["acme-seat"].license_number(), 4u);
  EXPECT_TRUE(by_name["acme-seat"].hidden());
}

// --- broken catalogues -------------------------------------------------------

// user, web (requires user), server, a plan "ten-x" (tier grant name
// "ten-x-premium", set=user,web, marker "ten") and the marker "ten".
v1::Catalog SmallCatalog() {
  v1::Catalog data;
  auto add = [&](const std::string& name, v1::LicenseType type,
                 uint32_t sort_order) {
    v1::CatalogEntry* entry = data.add_entries();
    entry->set_owner_name(kVendor);
    v1::ModuleLicense* module = entry->mutable_module();
    module->set_module_name(name);
    module->set_description(name);
    module->set_license_type(type);
    module->set_allowed_assocs_mask(type == v1::LICENSE_TYPE_USER ? 1 : 0);
    module->set_sort_order(sort_order);
    return entry;
  };
  add("user", v1::LICENSE_TYPE_USER, 10);
  add("web", v1::LICENSE_TYPE_USER, 20)
      ->mutable_module()
      ->set_prerequisite_module("user");
  add("server", v1::LICENSE_TYPE_SYSTEM, 30);
  v1::CatalogEntry* plan = add("ten-x", v1::LICENSE_TYPE_USER, 40);
  plan->set_grant_name("ten-x-premium");
  plan->mutable_module()->set_extra_flags(1);
  plan->mutable_module()->set_extra_info("set=user,web");
  plan->add_plan_markers("ten");
  add("ten", v1::LICENSE_TYPE_SYSTEM, 50)->mutable_module()->set_extra_flags(2);
  return data;
}

TEST(CatalogTest, SmallCatalogueIsValid) {
  ASSERT_OK_AND_ASSIGN(Catalog catalog, Catalog::Create(SmallCatalog()));
  EXPECT_OK(catalog.Expand(kVendor, Grants({{"ten-x-premium", 1}})));
  EXPECT_OK(Catalog::Create(v1::Catalog()));
}

struct BrokenCatalogCase {
  std::string name;
  std::function<void(v1::Catalog*)> mutate;
  std::string message;
};

class BrokenCatalogTest : public ::testing::TestWithParam<BrokenCatalogCase> {};

TEST_P(BrokenCatalogTest, IsRejectedNamingTheEntry) {
  v1::Catalog data = SmallCatalog();
  GetParam().mutate(&data);
  EXPECT_THAT(Catalog::Create(data),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(GetParam().message)));
}

v1::ModuleLicense* ModuleAt(v1::Catalog* data, int i) {
  return data->mutable_entries(i)->mutable_module();
}

INSTANTIATE_TEST_SUITE_P(
    Table, BrokenCatalogTest,
    ::testing::Values(
        BrokenCatalogCase{
            "BadOwner",
            [](v1::Catalog* d) {
              d->mutable_entries(1)->set_owner_name("superoffice");
            },
            "entries[1]: owner_name \"superoffice\": must be 1 to 32 "
            "characters of A-Z and 0-9"},
        BrokenCatalogCase{
            "EmptyModuleName",
            [](v1::Catalog* d) { ModuleAt(d, 2)->clear_module_name(); },
            "entries[2]: module.module_name \"\": must be 1 to 64 characters"},
        BrokenCatalogCase{
            "UpperCaseModuleName",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_module_name("Server"); },
            "entries[2]: module.module_name \"Server\": must be"},
        BrokenCatalogCase{
            "LeadingDash",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_module_name("-server"); },
            "entries[2]: module.module_name \"-server\": must be"},
        BrokenCatalogCase{"ModuleNameTooLong",
                          [](v1::Catalog* d) {
                            ModuleAt(d, 2)->set_module_name(
                                std::string(65, 'a'));
                          },
                          "entries[2]: module.module_name \"aaaa"},
        BrokenCatalogCase{
            "DuplicateModule",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_module_name("user"); },
            "entries[2] (SUPEROFFICE.user): module.module_name \"user\": "
            "already in entries[0]"},
        BrokenCatalogCase{
            "ModuleNameOfAPlan",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_module_name("ten-x"); },
            "entries[3] (SUPEROFFICE.ten-x-premium): module.module_name "
            "\"ten-x\": already in entries[2]"},
        BrokenCatalogCase{"DuplicateGrantName",
                          [](v1::Catalog* d) {
                            *d->add_entries() = d->entries(3);
                            ModuleAt(d, 5)->set_sort_order(60);
                          },
                          "entries[5] (SUPEROFFICE.ten-x-premium): grant_name "
                          "\"ten-x-premium\": already in entries[3]"},
        BrokenCatalogCase{
            "GrantNameOnANonPlan",
            [](v1::Catalog* d) {
              d->mutable_entries(2)->set_grant_name("server-x");
            },
            "entries[2] (SUPEROFFICE.server-x): grant_name \"server-x\": "
            "only plans"},
        BrokenCatalogCase{
            "DuplicateSortOrder",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_sort_order(20); },
            "entries[2] (SUPEROFFICE.server): module.sort_order 20: also "
            "used by entries[1]"},
        BrokenCatalogCase{
            "UnknownLicenseType",
            [](v1::Catalog* d) {
              ModuleAt(d, 2)->set_license_type(static_cast<v1::LicenseType>(7));
            },
            "entries[2] (SUPEROFFICE.server): module.license_type 7: must be"},
        BrokenCatalogCase{
            "UnspecifiedLicenseType",
            [](v1::Catalog* d) {
              ModuleAt(d, 2)->set_license_type(v1::LICENSE_TYPE_UNSPECIFIED);
            },
            "entries[2] (SUPEROFFICE.server): module.license_type 0"},
        BrokenCatalogCase{
            "UserLicenseWithoutAssociateTypes",
            [](v1::Catalog* d) { ModuleAt(d, 1)->set_allowed_assocs_mask(0); },
            "entries[1] (SUPEROFFICE.web): module.allowed_assocs_mask 0: a "
            "user license needs"},
        BrokenCatalogCase{
            "SystemLicenseWithAssociateTypes",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_allowed_assocs_mask(1); },
            "entries[2] (SUPEROFFICE.server): module.allowed_assocs_mask 1: "
            "must be 0"},
        BrokenCatalogCase{
            "UnknownExtraFlags",
            [](v1::Catalog* d) { ModuleAt(d, 2)->set_extra_flags(3); },
            "entries[2] (SUPEROFFICE.server): module.extra_flags 3"},
        BrokenCatalogCase{
            "SystemPlan",
            [](v1::Catalog* d) {
              ModuleAt(d, 3)->set_license_type(v1::LICENSE_TYPE_SYSTEM);
              ModuleAt(d, 3)->set_allowed_assocs_mask(0);
            },
            "entries[3] (SUPEROFFICE.ten-x-premium): module.extra_flags 1: a "
            "plan must be a user license"},
        BrokenCatalogCase{
            "UserMarker",
            [](v1::Catalog* d) { ModuleAt(d, 1)->set_extra_flags(2); },
            "entries[1] (SUPEROFFICE.web): module.extra_flags 2: a plan "
            "marker must be a system or site license"},
        BrokenCatalogCase{
            "PlanSetNamesUnknownModule",
            [](v1::Catalog* d) {
              ModuleAt(d, 3)->set_extra_info("set=user,web,nope");
            },
            "entries[3] (SUPEROFFICE.ten-x-premium): module.extra_info set= "
            "\"nope\": not in the catalogue of owner SUPEROFFICE"},
        BrokenCatalogCase{
            "PlanSetNamesOtherOwnersModule",
            [](v1::Catalog* d) {
              v1::CatalogEntry* other = d->add_entries();
              *other = d->entries(0);
              other->set_owner_name(kPartner);
              other->mutable_module()->set_module_name("acme-seat");
              ModuleAt(d, 3)->set_extra_info("set=user,acme-seat");
            },
            "module.extra_info set= \"acme-seat\": not in the catalogue of "
            "owner SUPEROFFICE"},
        BrokenCatalogCase{
            "PlanSetNamesSystemModule",
            [](v1::Catalog* d) {
              ModuleAt(d, 3)->set_extra_info("set=user,server");
            },
            "module.extra_info set= \"server\": must be a user license"},
        BrokenCatalogCase{
            "PlanSetNamesAPlan",
            [](v1::Catalog* d) {
              ModuleAt(d, 3)->set_extra_info("set=user,ten-x");
            },
            "module.extra_info set= \"ten-x\": must be a user license that "
            "is not a plan"},
        BrokenCatalogCase{
            "PlanWithoutSet",
            [](v1::Catalog* d) { ModuleAt(d, 3)->set_extra_info("user,web"); },
            "entries[3] (SUPEROFFICE.ten-x-premium): module.extra_info "
            "\"user,web\": a plan's must be \"set=\""},
        BrokenCatalogCase{
            "PlanSetWithEmptyName",
            [](v1::Catalog* d) { ModuleAt(d, 3)->set_extra_info("set=user,"); },
            "module.extra_info set= \"\": must be 1 to 64 characters"},
        BrokenCatalogCase{"PlanSetListsAModuleTwice",
                          [](v1::Catalog* d) {
                            ModuleAt(d, 3)->set_extra_info("set=user,web,user");
                          },
                          "module.extra_info set= \"user\": listed twice"},
        BrokenCatalogCase{
            "MarkerNotInCatalogue",
            [](v1::Catalog* d) {
              d->mutable_entries(3)->add_plan_markers("sales-t9");
            },
            "plan_markers \"sales-t9\": not in the catalogue of owner "
            "SUPEROFFICE"},
        BrokenCatalogCase{"MarkerThatIsNoMarker",
                          [](v1::Catalog* d) {
                            d->mutable_entries(3)->add_plan_markers("server");
                          },
                          "plan_markers \"server\": must be a plan marker"},
        BrokenCatalogCase{
            "MarkersOnANonPlan",
            [](v1::Catalog* d) {
              d->mutable_entries(2)->add_plan_markers("ten");
            },
            "entries[2] (SUPEROFFICE.server): plan_markers: only plans"},
        BrokenCatalogCase{
            "UnknownPrerequisite",
            [](v1::Catalog* d) {
              ModuleAt(d, 1)->set_prerequisite_module("usr");
            },
            "entries[1] (SUPEROFFICE.web): module.prerequisite_module "
            "\"usr\": not in the catalogue of owner SUPEROFFICE"},
        BrokenCatalogCase{
            "PrerequisiteOfItself",
            [](v1::Catalog* d) {
              ModuleAt(d, 1)->set_prerequisite_module("web");
            },
            "entries[1] (SUPEROFFICE.web): module.prerequisite_module "
            "\"web\": a module cannot require itself"},
        BrokenCatalogCase{
            "DescriptionTooLong",
            [](v1::Catalog* d) {
              ModuleAt(d, 2)->set_description(std::string(256, 'd'));
            },
            "entries[2] (SUPEROFFICE.server): module.description: 256 "
            "bytes, at most 255"},
        BrokenCatalogCase{"TooltipTooLong",
                          [](v1::Catalog* d) {
                            ModuleAt(d, 2)->set_tooltip(std::string(1001, 't'));
                          },
                          "module.tooltip: 1001 bytes, at most 1000"},
        BrokenCatalogCase{"ExtraInfoTooLong",
                          [](v1::Catalog* d) {
                            ModuleAt(d, 2)->set_extra_info(
                                std::string(4000, 'e'));
                          },
                          "module.extra_info: 4000 bytes, at most 3999"},
        BrokenCatalogCase{"VersionTooLong",
                          [](v1::Catalog* d) {
                            ModuleAt(d, 2)->set_module_version(
                                std::string(33, '1'));
                          },
                          "module.module_version: 33 bytes, at most 32"}),
    [](const ::testing::TestParamInfo<BrokenCatalogCase>& param_info) {
      return param_info.param.name;
    });

TEST(CatalogTest, BoundaryLengthsAreAccepted) {
  v1::Catalog data = SmallCatalog();
  ModuleAt(&data, 2)->set_module_name(std::string(64, 'a'));
  ModuleAt(&data, 2)->set_description(std::string(255, 'd'));
  ModuleAt(&data, 2)->set_tooltip(std::string(1000, 't'));
  ModuleAt(&data, 2)->set_extra_info(std::string(3999, 'e'));
  ModuleAt(&data, 2)->set_module_version(std::string(32, '1'));
  EXPECT_OK(Catalog::Create(data));
}

// --- files
// --------------------------------------------------------------------

TEST(CatalogTest, LoadFileReportsMissingAndMalformedFiles) {
  TempDir dir;
  EXPECT_THAT(Catalog::LoadFile(dir.File("missing.textproto")),
              StatusIs(absl::StatusCode::kNotFound));
  WriteFileOrDie(dir.File("syntax.textproto"),
                 "entries {\n  owner_name: \"SUPEROFFICE\"\n  bogus: 1\n}\n");
  EXPECT_THAT(Catalog::LoadFile(dir.File("syntax.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("syntax.textproto:3:")));
  WriteFileOrDie(dir.File("broken.textproto"),
                 "entries { owner_name: \"SUPEROFFICE\" module { "
                 "module_name: \"web\" license_type: LICENSE_TYPE_USER "
                 "allowed_assocs_mask: 1 prerequisite_module: \"user\" } }\n");
  EXPECT_THAT(Catalog::LoadFile(dir.File("broken.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("broken.textproto: entries[0] "
                                 "(SUPEROFFICE.web): "
                                 "module.prerequisite_module \"user\"")));
}

}  // namespace
}  // namespace superlicense::authority
