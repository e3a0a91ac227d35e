#include "mosaico/recovery/check.h"

#include <algorithm>
#include <map>
#include <set>

#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/core/json.h"
#include "mosaico/recovery/restore.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

bool SameJson(const std::string& a, const std::string& b) {
  const Json ja = Json::parse(a, nullptr, false);
  const Json jb = Json::parse(b, nullptr, false);
  return !ja.is_discarded() && !jb.is_discarded() && ja == jb;
}

std::string Opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "none"; }
std::string Opt(const std::optional<std::string>& v) { return v ? *v : "none"; }

class Checker {
 public:
  Checker(catalog::Catalog& catalog, const CheckOptions& options) : catalog_(catalog), options_(options) {}

  arrow::Status Run(const StoreSnapshot& snapshot, CheckReport* report) {
    report_ = report;
    report_->chunks_verified = snapshot.chunks_verified;
    for (const auto& p : snapshot.problems) StoreProblem(p);
    ARROW_ASSIGN_OR_RAISE(auto catalog_sequences, catalog_.ListSequences());
    std::map<std::string, const SequenceSnapshot*> in_store;
    for (const auto& seq : snapshot.sequences) in_store[seq.record.name] = &seq;
    std::set<std::string> in_catalog;
    int64_t done = 0;
    const int64_t total = static_cast<int64_t>(catalog_sequences.size());
    for (const auto& seq : catalog_sequences) {
      in_catalog.insert(seq.name);
      auto it = in_store.find(seq.name);
      if (it == in_store.end()) {
        Add("missing_in_store", seq.name, "the catalog lists this sequence; the store has no readable manifest for it");
      } else {
        ARROW_RETURN_NOT_OK(CompareSequence(seq, *it->second));
      }
      ++report_->sequences_checked;
      if (options_.progress) options_.progress("compare", ++done, total);
    }
    for (const auto& [name, seq] : in_store) {
      if (!in_catalog.count(name)) {
        Add("missing_in_catalog", name, "the store holds this sequence; the catalog does not", true);
      }
    }
    std::stable_sort(report_->findings.begin(), report_->findings.end(),
                     [](const Finding& a, const Finding& b) { return a.subject < b.subject; });
    return arrow::Status::OK();
  }

 private:
  void Add(std::string kind, std::string subject, std::string detail, bool repairable = false) {
    report_->findings.push_back(Finding{std::move(kind), std::move(subject), std::move(detail), repairable});
  }

  void Mismatch(const std::string& subject, const std::string& field, const std::string& catalog_value,
                const std::string& store_value) {
    Add("field_mismatch", subject, field + ": catalog has '" + catalog_value + "', store has '" + store_value + "'");
  }

  bool OldEnough(const std::string& upload_dir) const {
    const auto slash = upload_dir.rfind('/');
    const auto created = UlidTimeNs(upload_dir.substr(slash == std::string::npos ? 0 : slash + 1));
    const int64_t now = options_.now_ns != 0 ? options_.now_ns : NowNs();
    return created && now - *created >= options_.min_upload_age_ns;
  }

  void StoreProblem(const ScanProblem& p) {
    bool repairable = false;
    std::string detail = p.detail;
    if (p.kind == ScanProblem::Kind::kInterruptedUpload || p.kind == ScanProblem::Kind::kSupersededUpload) {
      repairable = OldEnough(p.key);
      if (!repairable) detail += " (younger than the minimum age: it may still be streaming)";
    } else if (p.kind == ScanProblem::Kind::kUnlistedObject) {
      repairable = p.key.find("/.tmp-") != std::string::npos;
    }
    Add(ScanProblemKindName(p.kind), p.key, detail, repairable);
  }

  arrow::Status CompareSequence(const catalog::SequenceRecord& seq, const SequenceSnapshot& stored) {
    const std::string& name = seq.name;
    if (seq.created_at_ns != stored.record.created_at_ns) {
      Mismatch(name, "created_at_ns", std::to_string(seq.created_at_ns), std::to_string(stored.record.created_at_ns));
    }
    if (!SameJson(seq.user_metadata_json, stored.record.user_metadata_json)) {
      Mismatch(name, "user_metadata", seq.user_metadata_json, stored.record.user_metadata_json);
    }
    ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_.ListSessions(name));
    std::map<std::string, const SessionSnapshot*> stored_sessions;
    for (const auto& s : stored.sessions) stored_sessions[s.record.key] = &s;
    for (const auto& s : sessions) {
      const std::string subject = name + ":" + s.key;
      auto it = stored_sessions.find(s.key);
      if (it == stored_sessions.end()) {
        Add("missing_in_store", subject, "session listed by the catalog has no manifest in the store");
        continue;
      }
      const auto& r = it->second->record;
      if (s.uuid != r.uuid) Mismatch(subject, "uuid", s.uuid, r.uuid);
      if (s.created_at_ns != r.created_at_ns) {
        Mismatch(subject, "created_at_ns", std::to_string(s.created_at_ns), std::to_string(r.created_at_ns));
      }
      if (s.locked != r.locked) Mismatch(subject, "locked", s.locked ? "true" : "false", r.locked ? "true" : "false");
      if (s.completed_at_ns != r.completed_at_ns) {
        Mismatch(subject, "completed_at_ns", Opt(s.completed_at_ns), Opt(r.completed_at_ns));
      }
      stored_sessions.erase(it);
    }
    for (const auto& [key, s] : stored_sessions) {
      Add("missing_in_catalog", name + ":" + key, "session in the store is missing from the catalog");
    }
    ARROW_RETURN_NOT_OK(CompareTopics(name, stored));
    ARROW_ASSIGN_OR_RAISE(auto notes, catalog_.ListNotifications(name, std::nullopt));
    CompareNotifications(name, notes, stored.notifications);
    return arrow::Status::OK();
  }

  arrow::Status CompareTopics(const std::string& seq, const SequenceSnapshot& stored) {
    ARROW_ASSIGN_OR_RAISE(auto topics, catalog_.ListTopics(seq));
    std::map<std::string, const TopicSnapshot*> stored_topics;
    for (const auto& t : stored.topics) stored_topics[t.record.name] = &t;
    for (const auto& t : topics) {
      const std::string subject = seq + "/" + t.name;
      auto it = stored_topics.find(t.name);
      if (it == stored_topics.end()) {
        Add("missing_in_store", subject, "topic listed by the catalog has no manifest in the store");
        continue;
      }
      const TopicSnapshot& st = *it->second;
      const auto& r = st.record;
      if (t.uuid != r.uuid) Mismatch(subject, "uuid", t.uuid, r.uuid);
      if (t.session_key != r.session_key) Mismatch(subject, "session", t.session_key, r.session_key);
      if (t.ontology_tag != r.ontology_tag) Mismatch(subject, "ontology_tag", t.ontology_tag, r.ontology_tag);
      if (t.serialization_format != r.serialization_format) {
        Mismatch(subject, "serialization_format", t.serialization_format, r.serialization_format);
      }
      if (!SameJson(t.user_metadata_json, r.user_metadata_json)) {
        Mismatch(subject, "user_metadata", t.user_metadata_json, r.user_metadata_json);
      }
      if (t.created_at_ns != r.created_at_ns) {
        Mismatch(subject, "created_at_ns", std::to_string(t.created_at_ns), std::to_string(r.created_at_ns));
      }
      if (t.locked != r.locked) Mismatch(subject, "locked", t.locked ? "true" : "false", r.locked ? "true" : "false");
      if (t.schema_ipc != r.schema_ipc) {
        Mismatch(subject, "schema", t.schema_ipc ? "set" : "none", r.schema_ipc ? "set (different)" : "none");
      }
      if (t.upload_id != r.upload_id) Mismatch(subject, "upload", Opt(t.upload_id), Opt(r.upload_id));
      if (t.upload_id && t.upload_id == r.upload_id && st.committed_upload()) {
        ARROW_ASSIGN_OR_RAISE(auto chunks, catalog_.ListChunks(t.id, /*with_stats=*/true));
        CompareChunks(subject, chunks, st.committed_upload()->manifest->chunks);
      }
      ARROW_ASSIGN_OR_RAISE(auto notes, catalog_.ListNotifications(seq, t.name));
      CompareNotifications(subject, notes, st.notifications);
      stored_topics.erase(it);
    }
    for (const auto& [name, t] : stored_topics) {
      Add("missing_in_catalog", seq + "/" + name, "topic in the store is missing from the catalog");
    }
    return arrow::Status::OK();
  }

  void CompareChunks(const std::string& subject, std::vector<catalog::ChunkRecord> in_catalog,
                     std::vector<catalog::ChunkRecord> in_store) {
    auto by_index = [](const catalog::ChunkRecord& a, const catalog::ChunkRecord& b) { return a.index < b.index; };
    std::sort(in_catalog.begin(), in_catalog.end(), by_index);
    std::sort(in_store.begin(), in_store.end(), by_index);
    if (in_catalog.size() != in_store.size()) {
      Mismatch(subject, "chunk count", std::to_string(in_catalog.size()), std::to_string(in_store.size()));
      return;
    }
    for (size_t i = 0; i < in_catalog.size(); ++i) {
      auto a = in_catalog[i];
      auto b = in_store[i];
      a.id = b.id = 0;
      a.topic_id = b.topic_id = 0;
      auto by_column = [](const catalog::ColumnStats& x, const catalog::ColumnStats& y) { return x.column < y.column; };
      std::sort(a.stats.begin(), a.stats.end(), by_column);
      std::sort(b.stats.begin(), b.stats.end(), by_column);
      if (a.object_key != b.object_key || a.row_count != b.row_count || a.size_bytes != b.size_bytes ||
          a.ts_min != b.ts_min || a.ts_max != b.ts_max || a.checksum != b.checksum || !(a.stats == b.stats)) {
        Add("field_mismatch", subject, "chunk " + std::to_string(a.index) + " (" + b.object_key +
                                           ") differs between catalog and upload.json");
      }
    }
  }

  void CompareNotifications(const std::string& subject, const std::vector<catalog::NotificationRecord>& in_catalog,
                            const std::vector<lifecycle::ParsedNotification>& in_store) {
    auto key = [](const catalog::NotificationRecord& n) {
      return std::to_string(n.created_at_ns) + "\x1f" + n.notification_type + "\x1f" + n.msg;
    };
    std::multiset<std::string> a, b;
    for (const auto& n : in_catalog) a.insert(key(n));
    for (const auto& n : in_store) b.insert(key(n.record));
    if (a != b) {
      Mismatch(subject, "notifications", std::to_string(a.size()) + " notifications",
               std::to_string(b.size()) + " notifications (or different content)");
    }
  }

  catalog::Catalog& catalog_;
  const CheckOptions& options_;
  CheckReport* report_ = nullptr;
};

arrow::Status CheckWithSnapshot(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options,
                                StoreSnapshot* snapshot, CheckReport* report) {
  ScanOptions scan;
  scan.verify_checksums = options.verify_checksums;
  scan.progress = options.progress;
  ARROW_ASSIGN_OR_RAISE(*snapshot, ScanStore(store, scan));
  return Checker(catalog, options).Run(*snapshot, report);
}

}  // namespace

arrow::Result<CheckReport> Check(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options) {
  StoreSnapshot snapshot;
  CheckReport report;
  ARROW_RETURN_NOT_OK(CheckWithSnapshot(catalog, store, options, &snapshot, &report));
  return report;
}

arrow::Result<RepairReport> Repair(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options) {
  StoreSnapshot snapshot;
  CheckReport report;
  ARROW_RETURN_NOT_OK(CheckWithSnapshot(catalog, store, options, &snapshot, &report));
  std::set<std::string> referenced_uploads;  // never delete an upload the catalog still serves
  ARROW_ASSIGN_OR_RAISE(auto sequences, catalog.ListSequences());
  for (const auto& seq : sequences) {
    ARROW_ASSIGN_OR_RAISE(auto topics, catalog.ListTopics(seq.name));
    for (const auto& t : topics) {
      if (t.upload_id) referenced_uploads.insert(store::layout::UploadDir(seq.name, t.name, *t.upload_id));
    }
  }
  RepairReport out;
  for (auto& f : report.findings) {
    arrow::Status st = arrow::Status::OK();
    if (!f.repairable) {
      out.left.push_back(std::move(f));
      continue;
    }
    if (f.kind == "missing_in_catalog") {
      auto it = std::find_if(snapshot.sequences.begin(), snapshot.sequences.end(),
                             [&](const SequenceSnapshot& s) { return s.record.name == f.subject; });
      st = it == snapshot.sequences.end() ? arrow::Status::KeyError("vanished during repair")
                                          : RestoreSequence(*it, catalog).status();
    } else if (f.kind == ScanProblemKindName(ScanProblem::Kind::kInterruptedUpload) ||
               f.kind == ScanProblemKindName(ScanProblem::Kind::kSupersededUpload)) {
      st = referenced_uploads.count(f.subject) ? arrow::Status::Invalid("the catalog still references this upload")
                                               : store.DeletePrefix(f.subject);
    } else {
      st = store.Delete(f.subject);
    }
    if (st.ok()) {
      ++out.repaired;
    } else {
      f.detail += " (repair failed: " + st.ToString() + ")";
      out.left.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace mosaico::recovery
