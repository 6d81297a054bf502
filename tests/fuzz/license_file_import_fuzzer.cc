// Fuzzes "Load license from file" on a real SQLite CRM database
// (client/license_importer.h, client/crm_database.h): the .lic bytes are
// written to a file and imported with LicenseImporter::ImportFile, which
// reads, decodes and verifies them against the fixed test trust store and
// then checks and installs the set (or journals the rejection).
//
// Every input is imported into two installations (serial 1010000014,
// central site, the customer of tests/data/format/license_set.lic): a new
// one, and one where license_set.lic (version 3) is installed and a plan is
// assigned, so that the version and count rules have something to compare
// with. No state carries over between inputs: LLVMFuzzerInitialize creates
// both databases once and every input works on fresh copies of their files.
// Everything lives in the process's temporary directory, removed at exit.
//
// Seeds: corpus/license_file_import_fuzzer/ (license_set.lic, the negative
// vectors of tests/data/format, and sets signed by its test owner key for
// another serial, a satellite, the future, past grace and a version 4).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/crm_database.h"
#include "client/license_assigner.h"
#include "client/license_importer.h"
#include "keys/clock.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

constexpr char kSerial[] = "1010000014";
constexpr const char* kDatabases[] = {"new", "installed"};

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override { return FuzzNow(); }
};

const client::LicenseImporter& Importer() {
  static const FixedClock* clock = new FixedClock();
  static const client::LicenseImporter* importer =
      new client::LicenseImporter(&TestTrustStore(), clock);
  return *importer;
}

std::string PristinePath(absl::string_view name) {
  return ProcessTempDir().File(absl::StrCat(name, "-pristine.db"));
}
std::string WorkPath(absl::string_view name) {
  return ProcessTempDir().File(absl::StrCat(name, ".db"));
}

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz set-up failed: %s\n", status.ToString().c_str());
    std::abort();
  }
}

std::unique_ptr<client::CrmDatabase> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<client::CrmDatabase>> db =
      client::CrmDatabase::Open(absl::StrCat("sqlite:", path));
  Check(db.status());
  return *std::move(db);
}

// Creates both pristine databases. Closing the only connection checkpoints
// the WAL into the main file, which is all that is copied later.
void CreatePristineDatabases() {
  for (const char* name : kDatabases) {
    std::unique_ptr<client::CrmDatabase> db = OpenOrDie(PristinePath(name));
    absl::StatusOr<std::unique_ptr<client::CrmTransaction>> txn =
        db->BeginWrite();
    Check(txn.status());
    client::Installation installation;
    installation.serial = kSerial;
    installation.company_name = "Example Company AS";
    Check((*txn)->SetInstallation(installation));
    Check((*txn)->Commit());
  }
  std::unique_ptr<client::CrmDatabase> db =
      OpenOrDie(PristinePath("installed"));
  const std::string lic = ProcessTempDir().File("license_set.lic");
  WriteFileOrDie(lic, ReadTestData("format/license_set.lic"));
  Check(Importer().ImportFile(*db, lic).status());
  {
    absl::StatusOr<std::unique_ptr<client::CrmTransaction>> txn =
        db->BeginWrite();
    Check(txn.status());
    Check((*txn)->AddAssociate({0, "anna", 1, true}).status());
    Check((*txn)->Commit());
  }  // the transaction object ends here
  Check(client::LicenseAssigner().Assign(*db, "anna", "ten-sales"));
}

// Replaces the working database `name` with a copy of its pristine one.
void ResetWorkDatabase(absl::string_view name) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(WorkPath(name) + suffix);
  }
  std::filesystem::copy_file(PristinePath(name), WorkPath(name));
}

void Import(absl::string_view name, const std::string& lic_path) {
  ResetWorkDatabase(name);
  std::unique_ptr<client::CrmDatabase> db = OpenOrDie(WorkPath(name));
  absl::StatusOr<client::ImportResult> imported =
      Importer().ImportFile(*db, lic_path);
  Report(name, imported.status());
  // What was installed must read back.
  if (imported.ok() && !db->GetOwner(imported->owner_name).ok()) std::abort();
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  superlicense::fuzzing::CreatePristineDatabases();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense::fuzzing;
  const std::string lic_path = ProcessTempDir().File("input.lic");
  WriteFileOrDie(lic_path, AsView(data, size));
  for (const char* name : kDatabases) Import(name, lic_path);
  return 0;
}
