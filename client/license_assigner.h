// LicenseAssigner: assigns user licenses (ModuleLicense rows with
// licenseType 3) to associates by writing LicenseAssocLink rows, enforcing
// DESIGN.md §5: user licenses only, hidden modules only through plans,
// allowedAssocsMask, prerequisites, and licenseNumber for restricted modules
// even under concurrent assignment (each call is ONE write transaction that
// locks the owner's module rows before counting and inserting).
//
// Plans (extraFlags = 1, extraInfo "set=a,b,c"): assigning a plan adds the
// plan's own row and one row per user license of its set that the associate
// does not hold yet (hidden ones included). Entries of the set that are not
// in the installed set, not user licenses (licenseType != 3) or are plans /
// markers themselves (extraFlags != 0) are skipped.
//
// Plan-implied rows are told apart from hand-assigned rows by
// LicenseAssocLink.comment: rows added because of a plan carry the comment
// "plan:NAME" (NAME = moduleName of the plan); rows assigned by hand carry
// an empty comment. Unassigning a plan removes its own row and every
// plan-implied row that no OTHER plan held by the associate still implies;
// hand-assigned rows are kept.
#ifndef SUPERLICENSE_CLIENT_LICENSE_ASSIGNER_H_
#define SUPERLICENSE_CLIENT_LICENSE_ASSIGNER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"

namespace superlicense::client {

// The comment prefix of LicenseAssocLink rows implied by a plan.
inline constexpr absl::string_view kPlanCommentPrefix = "plan:";

// Finds an associate by its id (digits; associate_id as in
// LicenseAssocLink.assocId) or, when no associate has that id, by its unique
// name. NOT_FOUND: `associate "NAME" not found`.
absl::StatusOr<Associate> FindAssociate(CrmReader& reader,
                                        absl::string_view associate);

class LicenseAssigner {
 public:
  // Assigns module or plan `module` ("owner.module", e.g.
  // "superoffice.sale-cal", or just "sale-cal": the owner then is
  // SUPEROFFICE when installed, else the first installed owner) to
  // `associate` (its id as digits, or its unique name). Nothing is written
  // unless OK.
  // Errors:
  //  NOT_FOUND           unknown associate, owner or module (named)
  //  FAILED_PRECONDITION not a user license; hidden and not a plan; the
  //                      associate's type is not in allowedAssocsMask; the
  //                      prerequisite is not held (nor added by the same
  //                      plan); a restricted module (or a module implied by
  //                      the plan) already at licenseNumber:
  //                      module "web": all 5 licenses are in use
  //  ALREADY_EXISTS      the associate already holds `module`
  //  ABORTED / UNAVAILABLE / INTERNAL from the database (ABORTED: retry)
  absl::Status Assign(CrmDatabase& db, absl::string_view associate,
                      absl::string_view module);

  // Removes `module` from `associate`; for a plan also removes each
  // plan-implied row that no other plan of the associate implies.
  // Errors:
  //  NOT_FOUND           unknown associate or module, or not held
  //  FAILED_PRECONDITION a module that stays held requires a removed one as
  //                      prerequisite (e.g. "user" while "web" is held)
  //  ABORTED / UNAVAILABLE / INTERNAL from the database
  absl::Status Unassign(CrmDatabase& db, absl::string_view associate,
                        absl::string_view module);
};

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_LICENSE_ASSIGNER_H_
