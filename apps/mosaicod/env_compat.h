// The environment, and what makes the reference mosaicod's configuration work here (docs/CONFIGURATION.md).
//
// Environment: a snapshot of the process environment (or a map, in tests); an empty variable counts as unset.
//
// UnknownMosaicodVariables: every set MOSAICOD_* variable that no setting reads (Setting::EnvNames), that is not
// MOSAICOD_CONFIG_FILE and not an internal hook (MOSAICOD_CRASH_AT: core/crash_point.h); main logs a warning naming
// each, with the nearest known name when one is close. Never an error: a variable meant for another program, or for
// another version of mosaicod, must not stop the daemon.
//
// FinishOptions, after ResolveSettings, applies the rules that involve several settings:
//  - Store (the reference's store.endpoint + store.bucket beside our store.uri):
//      endpoint file:///dir      -> a local store at /dir/<bucket> (/dir without a bucket)
//      endpoint s3://bucket[/p]  -> the store s3://bucket[/p] on AWS S3 (s3:// alone: s3://<bucket>)
//      endpoint http(s)://h:p    -> an S3-compatible server h:p with that scheme; the store s3://<bucket>
//      endpoint h:p              -> an S3-compatible server h:p (scheme: store.scheme); the store s3://<bucket>
//      no endpoint, a bucket     -> the store s3://<bucket> on AWS S3
//    An endpoint or bucket that names the store while store.uri is given too is an error naming both.
//  - TLS: server.tls.enabled true needs a certificate and a key (error naming what is missing); false serves
//    plaintext even when they are given; unset: TLS when both are given (as before).
//  - Database credentials (the reference's MOSAICOD_DB_USER / MOSAICOD_DB_PASSWORD): for a PostgreSQL catalog they
//    become PGUSER / PGPASSWORD in options->libpq_env, so no password is ever part of a URL that gets logged; a URL
//    that already holds a user (or password) and the setting too is an error. For a SQLite catalog they are
//    ignored with a warning in `warnings`.
//  - Message sizes: the encode limit follows the decode limit; the DoGet target is server.grpc.target_message_size
//    or min(4 MiB, half the limit), and must not exceed the limit.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/status.h>

#include "settings.h"

namespace mosaicod {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  static Environment FromProcess();

  // The value, or nullopt when unset or empty.
  std::optional<std::string> Get(const std::string& name) const;
  // Names of the set (non-empty) variables starting with `prefix`, sorted.
  std::vector<std::string> NamesWithPrefix(const std::string& prefix) const;

 private:
  std::map<std::string, std::string> vars_;
};

// The variables that are not settings: MOSAICOD_CONFIG_FILE and internal hooks.
const std::vector<std::string>& NonSettingVariables();

// The unknown MOSAICOD_* variables of `env`, each with the nearest known name ("" when none is close).
std::vector<std::pair<std::string, std::string>> UnknownMosaicodVariables(const Environment& env);

// See above. Warnings (ignored credentials) are appended to `warnings`.
arrow::Status FinishOptions(const Resolution& resolution, DaemonOptions* options, std::vector<std::string>* warnings);

// The closest of `candidates` to `name` (edit distance at most a fifth of the name's length, at least 1), or "".
std::string NearestName(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace mosaicod
