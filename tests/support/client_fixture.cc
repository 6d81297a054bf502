#include "tests/support/client_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/status_macros.h"
#include "tests/support/postgres_server.h"

namespace superlicense::testing {

v1::ModuleLicense MakeModuleRow(const std::string& name, uint32_t number,
                                uint32_t sort_order) {
  v1::ModuleLicense m;
  m.set_module_name(name);
  m.set_description("desc of " + name);
  m.set_license_type(v1::LICENSE_TYPE_USER);
  m.set_license_number(number);
  m.set_allowed_assocs_mask(1);
  m.set_sort_order(sort_order);
  return m;
}

std::vector<v1::ModuleLicense> MakeModuleRows(int count) {
  std::vector<v1::ModuleLicense> rows;
  rows.reserve(count);
  for (int i = 0; i < count; ++i) {
    rows.push_back(MakeModuleRow(absl::StrCat("module-", i), 10,
                                 static_cast<uint32_t>(10 * (i + 1))));
  }
  return rows;
}

v1::LicenseSet MakeLicenseSet(absl::string_view serial, uint64_t version,
                              const std::vector<v1::ModuleLicense>& modules) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(kClientOwner);
  set.mutable_owner()->set_description("SuperOffice AS");
  set.mutable_owner()->set_license_version(1);
  set.mutable_customer()->set_company_name(kClientCompany);
  set.mutable_customer()->set_serial(std::string(serial));
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(version);
  set.set_issued_at(kClientNow - 3600);
  set.set_expiration(kClientNow + 300 * kDay);
  set.set_grace_to(kClientNow + 330 * kDay);
  set.set_maintenance_to(kClientNow + 300 * kDay);
  for (const v1::ModuleLicense& m : modules) *set.add_module_licenses() = m;
  return set;
}

absl::StatusOr<ClientPki> ClientPki::Create() {
  ClientPki pki;
  ASSIGN_OR_RETURN(
      pki.root_, keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
  ASSIGN_OR_RETURN(pki.owner_key_, keys::GenerateSoftwareSigner(
                                       v1::SIGNATURE_ALGORITHM_ED25519));
  pki.bundle_.set_version(1);
  pki.bundle_.set_threshold(1);
  *pki.bundle_.add_root_keys() = keys::PublicKeyOf(*pki.root_, "root-1");
  ASSIGN_OR_RETURN(v1::SignedTrustBundle signed_bundle,
                   keys::SignTrustBundle(*pki.root_, pki.bundle_));
  ASSIGN_OR_RETURN(keys::TrustStore store,
                   keys::TrustStore::FromAnchor(signed_bundle));
  pki.trust_ = std::make_unique<keys::TrustStore>(std::move(store));
  ASSIGN_OR_RETURN(pki.certificate_, Certify(*pki.root_, *pki.owner_key_));
  return pki;
}

absl::StatusOr<v1::SignedLicenseSet> ClientPki::Sign(
    const v1::LicenseSet& set) const {
  return keys::SignLicenseSet(set, *owner_key_, certificate_);
}

absl::StatusOr<v1::SignedPublicKey> ClientPki::Certify(
    const keys::Signer& root, const keys::Signer& key,
    absl::string_view owner) {
  v1::OwnerKeyCertificate c;
  c.set_owner_name(std::string(owner));
  *c.mutable_key() = keys::PublicKeyOf(key, "");
  c.set_issued_at(kClientNow - 30 * kDay);
  c.set_valid_from(kClientNow - 30 * kDay);
  c.set_valid_until(kClientNow + 365 * kDay);
  return keys::CertifyOwnerKey(root, c);
}

absl::StatusOr<keys::TrustStore> ClientPki::StoreRevokingOwnerKey(
    absl::string_view reason) const {
  v1::TrustBundle next = bundle_;
  next.set_version(bundle_.version() + 1);
  v1::Revocation* revocation = next.add_revocations();
  revocation->set_key_id(owner_key_->key_id());
  revocation->set_reason(std::string(reason));
  revocation->set_revoked_at(kClientNow - kDay);
  ASSIGN_OR_RETURN(v1::SignedTrustBundle signed_next,
                   keys::SignTrustBundle(*root_, next));
  return trust_->Update(signed_next);
}

absl::StatusOr<OpenedDatabase> OpenEmptyDatabase(absl::string_view backend,
                                                 const TempDir& temp,
                                                 const std::string& file) {
  OpenedDatabase opened;
  if (backend == "sqlite") {
    opened.url = "sqlite:" + temp.File(file);
  } else if (backend == "postgresql") {
    ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
    ASSIGN_OR_RETURN(opened.url, server->CreateDatabase());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown backend \"", backend, "\""));
  }
  ASSIGN_OR_RETURN(opened.db, client::CrmDatabase::Open(opened.url));
  return opened;
}

absl::Status SetInstallation(client::CrmDatabase& db,
                             absl::string_view serial) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmTransaction> txn,
                   db.BeginWrite());
  client::Installation installation;
  installation.serial = std::string(serial);
  installation.company_name = kClientCompany;
  RETURN_IF_ERROR(txn->SetInstallation(installation));
  return txn->Commit();
}

absl::StatusOr<OpenedDatabase> OpenInstalledDatabase(absl::string_view backend,
                                                     const TempDir& temp,
                                                     const std::string& file,
                                                     absl::string_view serial) {
  ASSIGN_OR_RETURN(OpenedDatabase opened,
                   OpenEmptyDatabase(backend, temp, file));
  RETURN_IF_ERROR(SetInstallation(*opened.db, serial));
  return opened;
}

absl::StatusOr<int64_t> AddAssociate(client::CrmDatabase& db,
                                     const std::string& name, int64_t type) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmTransaction> txn,
                   db.BeginWrite());
  ASSIGN_OR_RETURN(int64_t id, txn->AddAssociate({0, name, type, true}));
  RETURN_IF_ERROR(txn->Commit());
  return id;
}

absl::StatusOr<std::vector<int64_t>> AddAssociates(client::CrmDatabase& db,
                                                   absl::string_view prefix,
                                                   int count) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmTransaction> txn,
                   db.BeginWrite());
  std::vector<int64_t> ids;
  for (int i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(int64_t id,
                     txn->AddAssociate({0, absl::StrCat(prefix, i), 1, true}));
    ids.push_back(id);
  }
  RETURN_IF_ERROR(txn->Commit());
  return ids;
}

std::string WithoutJournal(std::string dump) {
  for (const std::string header : {"import_history:\n", "system_message:\n"}) {
    size_t begin = dump.find(header);
    if (begin == std::string::npos) continue;
    size_t end = begin + header.size();
    while (end < dump.size() && dump.compare(end, 2, "  ") == 0) {
      end = dump.find('\n', end);
      end = end == std::string::npos ? dump.size() : end + 1;
    }
    dump = dump.substr(0, begin) + dump.substr(end);
  }
  return dump;
}

}  // namespace superlicense::testing
