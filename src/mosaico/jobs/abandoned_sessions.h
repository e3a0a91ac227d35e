// Sweep of abandoned upload sessions: the handler of job kind "sweep_abandoned_sessions" (docs/JOBS.md).
//
// A session that was never finalized and shows no activity for `idle_ns` is abandoned (its client crashed or lost
// its network mid-recording). Its last activity is the latest of
//   - the session's created_at_ns and its topics' created_at_ns (catalog);
//   - the ULID time of each topic's committed upload id (core/ids.h, UlidTimeNs);
//   - the newest object under each topic's directory (store_times.h): a stream in flight on any daemon sharing
//     the store writes chunks there, a notification on the topic counts too;
//   - now, when this daemon has an upload stream open on the session (Lifecycle::uploads()).
// For each abandoned session the sweep first adds a sequence-level notification (type "error") naming the session,
// its topics and how long it was idle, then deletes the session with its topics through Lifecycle::DeleteSession
// (tombstoned: lifecycle/deletion.h). The sequence and its other sessions stay.
//
// Contract:
//  - Idempotent: a re-run after a crash between notification and delete recognizes its notification (the message
//    starts with "abandoned session '<seq>:<key>'") and does not add it again; a re-run after the delete finds no
//    session. A session finalized or written to meanwhile is left alone (it is re-read just before; the delete
//    refuses a locked session and one with streams open here).
//  - One failing session does not stop the others: the first error is returned after all were tried.
//  - `should_stop` (optional) is polled between sessions: true -> Cancelled (the rest waits for the next run).
//  - Cost: one catalog query for the sequences with an unfinalized session (Catalog::ListOpenSequences), then
//    per such sequence its sessions, and topics and store times only for sessions past the idle limit -- finalized
//    sequences, the bulk of a large catalog, are not visited one by one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/lifecycle/lifecycle.h"

namespace mosaico::jobs {

inline constexpr char kSweepAbandonedSessionsJob[] = "sweep_abandoned_sessions";

struct AbandonedSessionsOptions {
  int64_t idle_ns = 24LL * 3600 * 1000000000;
};

struct AbandonedSessionsReport {
  int64_t sessions_checked = 0;       // unfinalized sessions older than the idle limit
  std::vector<std::string> removed;   // "seq:key" of each session removed
};

// The last activity of `session` (see above); `topics` are the catalog topics of its sequence (others ignored).
arrow::Result<int64_t> SessionLastActivityNs(lifecycle::Lifecycle& lifecycle, const catalog::SessionRecord& session,
                                             const std::vector<catalog::TopicRecord>& topics, int64_t now_ns);

arrow::Result<AbandonedSessionsReport> SweepAbandonedSessions(lifecycle::Lifecycle& lifecycle,
                                                              const AbandonedSessionsOptions& options, int64_t now_ns,
                                                              const std::function<bool()>& should_stop = {});

// "25.0 h", "3.5 min", "4.2 s": a duration for people.
std::string FormatDuration(int64_t ns);

}  // namespace mosaico::jobs
