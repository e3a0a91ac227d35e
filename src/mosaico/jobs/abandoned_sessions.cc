#include "mosaico/jobs/abandoned_sessions.h"

#include <algorithm>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/jobs/store_times.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {
namespace {

std::string MessagePrefix(const catalog::SessionRecord& s) {
  return "abandoned session '" + s.sequence_name + ":" + s.key + "'";
}

std::string Message(const catalog::SessionRecord& s, const std::vector<std::string>& topics, int64_t last_activity,
                    int64_t now_ns, int64_t idle_ns) {
  std::string names;
  for (const auto& t : topics) names += (names.empty() ? "" : ", ") + t;
  return MessagePrefix(s) + " removed with its " + std::to_string(topics.size()) + " topic(s) [" + names +
         "]: not finalized and idle for " + FormatDuration(now_ns - last_activity) + " (last activity " +
         FormatUtc(last_activity) + ", limit " + FormatDuration(idle_ns) + ")";
}

std::vector<const catalog::TopicRecord*> TopicsOf(const catalog::SessionRecord& session,
                                                  const std::vector<catalog::TopicRecord>& topics) {
  std::vector<const catalog::TopicRecord*> out;
  for (const auto& t : topics) {
    if (t.session_id == session.id) out.push_back(&t);
  }
  return out;
}

class Sweep {
 public:
  Sweep(lifecycle::Lifecycle& lifecycle, const AbandonedSessionsOptions& options, int64_t now_ns)
      : lc_(lifecycle), options_(options), now_(now_ns), cutoff_(now_ns - options.idle_ns) {}

  // One sequence: its unfinalized sessions older than the limit, judged and removed.
  arrow::Status Sequence(const std::string& name, const std::function<bool()>& should_stop) {
    auto sessions = lc_.catalog()->ListSessions(name);
    if (sessions.status().IsKeyError()) return arrow::Status::OK();  // deleted meanwhile
    ARROW_RETURN_NOT_OK(sessions.status());
    std::vector<catalog::SessionRecord> candidates;
    for (auto& s : *sessions) {
      if (!s.locked && s.created_at_ns <= cutoff_) candidates.push_back(std::move(s));
    }
    if (candidates.empty()) return arrow::Status::OK();
    auto topics = lc_.catalog()->ListTopics(name);
    if (topics.status().IsKeyError()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(topics.status());
    for (const auto& s : candidates) {
      if (should_stop && should_stop()) return arrow::Status::Cancelled("abandoned-session sweep interrupted");
      ++report.sessions_checked;
      auto st = Session(s, *topics);
      if (!st.ok()) {
        spdlog::warn("event=abandoned_session_failed session={}:{} status=\"{}\"", s.sequence_name, s.key,
                     st.ToString());
        if (first_error.ok()) first_error = st;
      }
    }
    return arrow::Status::OK();
  }

  AbandonedSessionsReport report;
  arrow::Status first_error;

 private:
  arrow::Status Session(const catalog::SessionRecord& listed, const std::vector<catalog::TopicRecord>& topics) {
    ARROW_ASSIGN_OR_RAISE(int64_t last, SessionLastActivityNs(lc_, listed, topics, now_));
    if (last > cutoff_) return arrow::Status::OK();
    // Re-read right before acting: finalized or gone meanwhile -> nothing to do.
    auto session = lc_.catalog()->GetSession(listed.sequence_name, listed.key);
    if (session.status().IsKeyError()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(session.status());
    if (session->locked) return arrow::Status::OK();

    std::vector<std::string> names;
    for (const auto* t : TopicsOf(*session, topics)) names.push_back(t->name);
    ARROW_RETURN_NOT_OK(NotifyOnce(*session, Message(*session, names, last, now_, options_.idle_ns)));
    auto deleted = lc_.DeleteSession(SessionLocator{session->sequence_name, session->key});
    if (deleted.IsKeyError()) return arrow::Status::OK();  // someone else removed it meanwhile
    ARROW_RETURN_NOT_OK(deleted);
    report.removed.push_back(session->sequence_name + ":" + session->key);
    spdlog::warn("event=abandoned_session_removed session={}:{} topics={} idle_ms={}", session->sequence_name,
                 session->key, names.size(), (now_ - last) / 1000000);
    return arrow::Status::OK();
  }

  arrow::Status NotifyOnce(const catalog::SessionRecord& session, const std::string& msg) {
    ARROW_ASSIGN_OR_RAISE(auto existing, lc_.ListNotifications(session.sequence_name, std::nullopt));
    const std::string prefix = MessagePrefix(session);
    for (const auto& n : existing) {
      if (n.msg.compare(0, prefix.size(), prefix) == 0) return arrow::Status::OK();  // an earlier run's
    }
    return lc_.Notify(session.sequence_name, std::nullopt, "error", msg).status();
  }

  lifecycle::Lifecycle& lc_;
  const AbandonedSessionsOptions& options_;
  const int64_t now_;
  const int64_t cutoff_;
};

}  // namespace

std::string FormatDuration(int64_t ns) {
  const double s = static_cast<double>(ns) / 1e9;
  char buf[64];
  if (s < 120) {
    std::snprintf(buf, sizeof(buf), "%.1f s", s);
  } else if (s < 2 * 3600) {
    std::snprintf(buf, sizeof(buf), "%.1f min", s / 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f h", s / 3600);
  }
  return buf;
}

arrow::Result<int64_t> SessionLastActivityNs(lifecycle::Lifecycle& lifecycle, const catalog::SessionRecord& session,
                                             const std::vector<catalog::TopicRecord>& topics, int64_t now_ns) {
  if (lifecycle.uploads().SessionHasOpenUploads(session.id)) return now_ns;
  int64_t last = session.created_at_ns;
  for (const auto* t : TopicsOf(session, topics)) {
    last = std::max(last, t->created_at_ns);
    if (t->upload_id) last = std::max(last, UlidTimeNs(*t->upload_id).value_or(0));
    ARROW_ASSIGN_OR_RAISE(auto newest,
                          NewestObjectTimeNs(*lifecycle.store(), store::layout::TopicDir(t->sequence_name, t->name)));
    if (newest) last = std::max(last, *newest);
  }
  return last;
}

arrow::Result<AbandonedSessionsReport> SweepAbandonedSessions(lifecycle::Lifecycle& lifecycle,
                                                              const AbandonedSessionsOptions& options, int64_t now_ns,
                                                              const std::function<bool()>& should_stop) {
  Sweep sweep(lifecycle, options, now_ns);
  // Only sequences with an unfinalized session can hold an abandoned one: one catalog query names them (with the
  // sequences that have no session at all), instead of a ListSessions round trip per sequence of the catalog.
  ARROW_ASSIGN_OR_RAISE(auto sequences, lifecycle.catalog()->ListOpenSequences());
  for (const auto& name : sequences) {
    if (should_stop && should_stop()) return arrow::Status::Cancelled("abandoned-session sweep interrupted");
    ARROW_RETURN_NOT_OK(sweep.Sequence(name, should_stop));
  }
  ARROW_RETURN_NOT_OK(sweep.first_error);
  return std::move(sweep.report);
}

}  // namespace mosaico::jobs
