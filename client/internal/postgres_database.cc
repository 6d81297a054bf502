#include "client/internal/postgres_database.h"

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/crm_database.h"

namespace superlicense::client::internal {
namespace {

// Type OIDs from pg_type.h (stable across releases).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kNumericOid = 1700;

struct ResultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

std::string Field(const PGresult* result, int field) {
  const char* value = PQresultErrorField(result, field);
  return value ? value : "";
}

// The one place libpq errors become absl::Status.
absl::Status PostgresError(PGconn* conn, const PGresult* result) {
  if (result == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgresql: ",
                     absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))));
  }
  std::string state = Field(result, PG_DIAG_SQLSTATE);
  std::string table = Field(result, PG_DIAG_TABLE_NAME);
  std::string message = absl::StrCat(
      "postgresql", table.empty() ? "" : absl::StrCat(" table ", table), ": ",
      Field(result, PG_DIAG_MESSAGE_PRIMARY), " (SQLSTATE ", state, ")");
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (absl::StartsWith(state, "23")) {
    return absl::FailedPreconditionError(message);
  }
  // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
  if (absl::StartsWith(state, "40") || state == "55P03") {
    return absl::AbortedError(message);
  }
  if (state == "25P02") return absl::FailedPreconditionError(message);
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57")) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

SqlValue ReadField(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return SqlValue::Null();
  const char* text = PQgetvalue(result, row, column);
  switch (PQftype(result, column)) {
    case kBoolOid:
      return SqlValue::Int(text[0] == 't' ? 1 : 0);
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kNumericOid: {
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) value = 0;
      return SqlValue::Int(value);
    }
    case kByteaOid: {
      size_t size = 0;
      unsigned char* bytes =
          PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
      std::string out(reinterpret_cast<const char*>(bytes), size);
      PQfreemem(bytes);
      return SqlValue::Blob(std::move(out));
    }
    default:
      return SqlValue::Text(
          std::string(text, PQgetlength(result, row, column)));
  }
}

void IgnoreNotice(void*, const char*) {}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  // The Bind message counts parameters in 16 bits.
  size_t MaxParameters() const override { return 65535; }
  absl::Status BeginWrite() override {
    return Exec("BEGIN ISOLATION LEVEL READ COMMITTED");
  }
  absl::Status BeginRead() override {
    return Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, const std::vector<SqlValue>& params) override {
    // Integers go as text; bytes as binary; the server infers types.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t n = 0; n < params.size(); ++n) {
      const SqlValue& v = params[n];
      if (v.is_null()) continue;
      texts[n] = v.kind == SqlValue::Kind::kInt ? absl::StrCat(v.i) : v.s;
      values[n] = texts[n].c_str();
      lengths[n] = static_cast<int>(texts[n].size());
      formats[n] = v.kind == SqlValue::Kind::kBlob ? 1 : 0;
    }
    Result result(PQexecParams(conn_, std::string(sql).c_str(),
                               static_cast<int>(params.size()), nullptr,
                               values.data(), lengths.data(), formats.data(),
                               /*resultFormat=*/0));
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return PostgresError(conn_, result.get());
    }
    std::vector<SqlRow> rows(PQntuples(result.get()));
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int c = 0; c < PQnfields(result.get()); ++c) {
        rows[r].push_back(ReadField(result.get(), static_cast<int>(r), c));
      }
    }
    return rows;
  }

 private:
  PGconn* const conn_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgres(
    absl::string_view url) {
  PGconn* conn = PQconnectdb(std::string(url).c_str());
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host and user, never the password.
    absl::Status status = absl::UnavailableError(absl::StrCat(
        "cannot connect to \"", RedactUrl(url), "\": ",
        conn ? absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))
             : "out of memory"));
    PQfinish(conn);
    return status;
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  auto connection = std::make_unique<PostgresConnection>(conn);
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace superlicense::client::internal
