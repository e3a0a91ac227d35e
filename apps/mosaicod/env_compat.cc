// The environment and the rules that involve several settings (env_compat.h).
#include "env_compat.h"

#include <algorithm>
#include <set>

#include "mosaico/catalog/catalog_url.h"

extern char** environ;

namespace mosaicod {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

arrow::Status Conflict(const Resolution& r, const std::string& a, const std::string& b, const std::string& why) {
  return arrow::Status::Invalid(r.OriginOf(a), " and ", r.OriginOf(b), " both name the store (", why,
                                "); give one of them");
}

// store.endpoint / store.bucket (the reference's way to name the store) -> store_uri and the S3 endpoint.
arrow::Status FinishStore(const Resolution& r, DaemonOptions* o) {
  const std::string endpoint = o->store_endpoint;
  const std::string bucket = o->store_bucket;
  const bool uri_given = !o->server.store_uri.empty();
  auto s3_store_from_bucket = [&]() -> arrow::Status {
    if (bucket.empty()) return arrow::Status::OK();  // the store is s3://... given by store.uri, or AWS defaults
    if (uri_given) return Conflict(r, "store.uri", "store.bucket", "a bucket makes the store s3://<bucket>");
    o->server.store_uri = "s3://" + bucket;
    return arrow::Status::OK();
  };
  if (StartsWith(endpoint, "file://")) {
    std::string dir = endpoint.substr(7);
    if (dir.empty() || dir[0] != '/') {
      return arrow::Status::Invalid(r.OriginOf("store.endpoint"), "='", endpoint,
                                    "': give an absolute path, file:///dir");
    }
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (uri_given) return Conflict(r, "store.uri", "store.endpoint", "a file:// endpoint is a local store");
    o->server.store_uri = bucket.empty() ? dir : (dir == "/" ? "" : dir) + "/" + bucket;
    return arrow::Status::OK();
  }
  if (StartsWith(endpoint, "s3://")) {
    if (uri_given) return Conflict(r, "store.uri", "store.endpoint", "an s3:// endpoint is the store");
    std::string uri = endpoint;
    if (uri == "s3://") {
      if (bucket.empty()) {
        return arrow::Status::Invalid(r.OriginOf("store.endpoint"), "='s3://' names no bucket: add one, or set ",
                                      "store.bucket (MOSAICOD_STORE_BUCKET)");
      }
      uri += bucket;
    } else if (!bucket.empty()) {
      return Conflict(r, "store.endpoint", "store.bucket", "an s3:// endpoint names its bucket");
    }
    o->server.store_uri = uri;
    return arrow::Status::OK();
  }
  if (StartsWith(endpoint, "http://") || StartsWith(endpoint, "https://")) {
    const std::string scheme = endpoint.substr(0, endpoint.find(':'));
    std::string host_port = endpoint.substr(scheme.size() + 3);
    while (!host_port.empty() && host_port.back() == '/') host_port.pop_back();
    if (host_port.empty() || host_port.find('/') != std::string::npos) {
      return arrow::Status::Invalid(r.OriginOf("store.endpoint"), "='", endpoint,
                                    "': expected http(s)://host[:port] without a path (the bucket is store.bucket)");
    }
    if (r.Given("store.scheme") && o->server.store_s3.scheme != scheme) {
      return arrow::Status::Invalid(r.OriginOf("store.scheme"), "='", o->server.store_s3.scheme, "' contradicts ",
                                    r.OriginOf("store.endpoint"), "='", endpoint, "'");
    }
    o->server.store_s3.endpoint = host_port;
    o->server.store_s3.scheme = scheme;
    ARROW_RETURN_NOT_OK(s3_store_from_bucket());
    if (!StartsWith(o->server.store_uri, "s3://")) {
      return arrow::Status::Invalid(r.OriginOf("store.endpoint"), "='", endpoint, "' is an S3 server: name the ",
                                    "bucket with store.bucket (MOSAICOD_STORE_BUCKET) or store.uri = s3://bucket");
    }
    return arrow::Status::OK();
  }
  if (endpoint.find("://") != std::string::npos) {
    return arrow::Status::Invalid(r.OriginOf("store.endpoint"), "='", endpoint,
                                  "': expected file:///dir, http(s)://host:port, host:port or s3://bucket");
  }
  // host:port (ours) or nothing: an S3 endpoint at most; a bucket makes the store s3://<bucket>.
  if (!endpoint.empty()) o->server.store_s3.endpoint = endpoint;
  return s3_store_from_bucket();
}

arrow::Status FinishTls(const Resolution& r, DaemonOptions* o) {
  if (!o->tls_enabled) return arrow::Status::OK();
  auto& s = o->server;
  if (!*o->tls_enabled) {
    s.tls_cert_path.clear();
    s.tls_key_path.clear();
    return arrow::Status::OK();
  }
  std::vector<std::string> missing;
  if (s.tls_cert_path.empty()) missing.push_back("server.tls.certificate_file (--tls-cert, MOSAICOD_TLS_CERT_FILE)");
  if (s.tls_key_path.empty()) missing.push_back("server.tls.private_key_file (--tls-key, MOSAICOD_TLS_PRIVATE_KEY_FILE)");
  if (missing.empty()) return arrow::Status::OK();
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : " and ") + m;
  return arrow::Status::Invalid("TLS is enabled (", r.OriginOf("server.tls.enabled"), ") but ", list,
                                missing.size() > 1 ? " are" : " is", " not set");
}

// The userinfo of a postgresql:// URL ("" when none).
std::string UserInfo(const std::string& url) {
  const size_t start = url.find("://") + 3;
  const size_t end = url.find_first_of("/?", start);
  const std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const size_t at = authority.rfind('@');
  return at == std::string::npos ? "" : authority.substr(0, at);
}

arrow::Status FinishDatabase(const Resolution& r, DaemonOptions* o, std::vector<std::string>* warnings) {
  if (o->db_user.empty() && o->db_password.empty()) return arrow::Status::OK();
  const std::string url = o->server.ResolvedCatalogUrl();
  auto file = mosaico::catalog::CatalogFileOfUrl(url);
  if (file.ok() && *file) {
    warnings->push_back("event=config_ignored setting=database.user/password reason=\"the catalog is SQLite (" + url +
                        "); a user and password only apply to postgresql:// catalogs\"");
    return arrow::Status::OK();
  }
  if (!file.ok()) return arrow::Status::OK();  // the catalog URL is reported when it is opened
  const std::string userinfo = UserInfo(url);
  const bool url_user = !userinfo.empty() && userinfo[0] != ':';
  const bool url_password = userinfo.find(':') != std::string::npos;
  if (!o->db_user.empty()) {
    if (url_user) {
      return arrow::Status::Invalid(r.OriginOf("database.user"), " and the user in ", r.OriginOf("database.url"),
                                    " both name the database user; give one of them");
    }
    o->libpq_env["PGUSER"] = o->db_user;
  }
  if (!o->db_password.empty()) {
    if (url_password) {
      return arrow::Status::Invalid(r.OriginOf("database.password"), " and the password in ",
                                    r.OriginOf("database.url"), " both give the database password; give one of them");
    }
    o->libpq_env["PGPASSWORD"] = o->db_password;
  }
  return arrow::Status::OK();
}

arrow::Status FinishMessageSizes(const Resolution& r, DaemonOptions* o) {
  auto& s = o->server;
  s.grpc_max_encode_message_size = s.grpc_max_decode_message_size;
  if (!o->target_message_bytes) {
    // DoGet batches aim well below the encode limit: IPC framing and padding come on top of the Arrow buffers.
    s.grpc_target_encode_message_size = std::min<int64_t>(4LL << 20, s.grpc_max_encode_message_size / 2);
    return arrow::Status::OK();
  }
  if (*o->target_message_bytes > s.grpc_max_encode_message_size) {
    return arrow::Status::Invalid(r.OriginOf("server.grpc.target_message_size"), "=", *o->target_message_bytes,
                                  " exceeds the largest message, ", s.grpc_max_encode_message_size, " bytes");
  }
  s.grpc_target_encode_message_size = *o->target_message_bytes;
  return arrow::Status::OK();
}

}  // namespace

Environment Environment::FromProcess() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return Environment(std::move(vars));
}

std::optional<std::string> Environment::Get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Environment::NamesWithPrefix(const std::string& prefix) const {
  std::vector<std::string> names;
  for (const auto& [name, value] : vars_) {
    if (!value.empty() && StartsWith(name, prefix)) names.push_back(name);
  }
  return names;
}

const std::vector<std::string>& NonSettingVariables() {
  static const std::vector<std::string> names = {
      "MOSAICOD_CONFIG_FILE",  // the config file (config_file.h)
      "MOSAICOD_CRASH_AT",     // test hook (core/crash_point.h)
  };
  return names;
}

std::string NearestName(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, name.size() / 5) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(name, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::vector<std::pair<std::string, std::string>> UnknownMosaicodVariables(const Environment& env) {
  std::set<std::string> known(NonSettingVariables().begin(), NonSettingVariables().end());
  for (const auto& s : Registry()) {
    for (const auto& n : s.EnvNames()) known.insert(n);
  }
  const std::vector<std::string> candidates(known.begin(), known.end());
  std::vector<std::pair<std::string, std::string>> unknown;
  for (const auto& name : env.NamesWithPrefix("MOSAICOD_")) {
    if (!known.count(name)) unknown.emplace_back(name, NearestName(name, candidates));
  }
  return unknown;
}

arrow::Status FinishOptions(const Resolution& resolution, DaemonOptions* options, std::vector<std::string>* warnings) {
  ARROW_RETURN_NOT_OK(FinishStore(resolution, options));
  ARROW_RETURN_NOT_OK(FinishTls(resolution, options));
  ARROW_RETURN_NOT_OK(FinishDatabase(resolution, options, warnings));
  return FinishMessageSizes(resolution, options);
}

}  // namespace mosaicod
