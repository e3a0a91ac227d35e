// JobRunner: claim -> handler -> complete / retry with backoff / give up; a job whose worker died (claimed, never
// finished) runs again and completes; leases renewed while a handler runs; clean stop; several workers.
#include <atomic>
#include <set>
#include <stdexcept>
#include <unistd.h>

#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/job_runner.h"

namespace mosaico::jobs::queue_testing {
namespace {

using State = catalog::JobRecord::State;
using namespace std::chrono_literals;

class JobRunnerTest : public QueueTest {
 protected:
  JobRunnerOptions Fast() {
    JobRunnerOptions o;
    o.workers = 1;
    o.lease_ns = 2 * kSecond;
    o.max_attempts = 3;
    o.backoff_base_ns = 20000000;  // 20 ms
    o.backoff_max_ns = 80000000;
    o.idle_poll_ns = 10000000;
    return o;
  }

  bool StateIs(int64_t id, State state) { return Job(id).state == state; }
};

TEST_F(JobRunnerTest, RunsTheHandlerOfTheKindAndCompletes) {
  std::atomic<int> calls{0};
  std::string seen_payload;
  JobRunner runner(catalog_, Fast());
  runner.Register("echo", [&](const catalog::JobRecord& job) {
    seen_payload = job.payload_json;
    ++calls;
    return arrow::Status::OK();
  });
  auto job = MustEnqueue("echo", R"({"x":1})");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return StateIs(job.id, State::kDone); }));
  runner.Stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(seen_payload, R"({"x":1})");
  auto done = Job(job.id);
  EXPECT_EQ(done.attempts, 1);
  EXPECT_EQ(done.lease_owner, runner.WorkerId(0));
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(runner.WorkerId(0), std::string(host) + ":" + std::to_string(::getpid()) + ":0");
}

TEST_F(JobRunnerTest, BackoffDoublesUpToTheCap) {
  JobRunnerOptions o;
  o.backoff_base_ns = 30 * kSecond;
  o.backoff_max_ns = 100 * kSecond;
  EXPECT_EQ(JobRunner::Backoff(o, 1), 30 * kSecond);
  EXPECT_EQ(JobRunner::Backoff(o, 2), 60 * kSecond);
  EXPECT_EQ(JobRunner::Backoff(o, 3), 100 * kSecond);
  EXPECT_EQ(JobRunner::Backoff(o, 60), 100 * kSecond);
}

TEST_F(JobRunnerTest, AFlakyJobIsRetriedAfterABackoffAndThenSucceeds) {
  std::atomic<int> calls{0};
  JobRunnerOptions o = Fast();
  o.backoff_base_ns = 500000000;  // 500 ms: long enough to observe the job waiting
  o.backoff_max_ns = kSecond;
  JobRunner runner(catalog_, o);
  runner.Register("flaky", [&](const catalog::JobRecord&) {
    return ++calls < 3 ? arrow::Status::IOError("transient #", calls.load()) : arrow::Status::OK();
  });
  auto job = MustEnqueue("flaky");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 1 && Job(job.id).state == State::kPending; }));
  auto waiting = Job(job.id);
  EXPECT_GT(waiting.run_after_ns, NowNs());  // backoff: not runnable yet
  EXPECT_NE(waiting.last_error.find("transient #1"), std::string::npos) << waiting.last_error;
  ASSERT_TRUE(WaitFor([&] { return StateIs(job.id, State::kDone); }));
  runner.Stop();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(Job(job.id).attempts, 3);
}

TEST_F(JobRunnerTest, AJobFailingEveryAttemptIsGivenUp) {
  std::atomic<int> calls{0};
  JobRunner runner(catalog_, Fast());
  runner.Register("broken", [&](const catalog::JobRecord&) {
    ++calls;
    return arrow::Status::Invalid("always broken");
  });
  runner.Register("throws", [&](const catalog::JobRecord&) -> arrow::Status { throw std::runtime_error("kaboom"); });
  auto broken = MustEnqueue("broken");
  auto throws = MustEnqueue("throws");
  auto unknown = MustEnqueue("no_such_kind");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] {
    return StateIs(broken.id, State::kFailed) && StateIs(throws.id, State::kFailed) &&
           StateIs(unknown.id, State::kFailed);
  }));
  runner.Stop();
  EXPECT_EQ(calls.load(), 3);
  auto b = Job(broken.id);
  EXPECT_EQ(b.attempts, 3);
  EXPECT_NE(b.last_error.find("always broken"), std::string::npos);
  EXPECT_NE(Job(throws.id).last_error.find("kaboom"), std::string::npos);
  EXPECT_NE(Job(unknown.id).last_error.find("no handler for job kind 'no_such_kind'"), std::string::npos);
}

// A daemon claimed the job and died before finishing it (SIGKILL, power loss): the row says running, owned by a
// worker that will never come back. Once the lease expired another runner -- here, the restarted daemon -- claims
// it again and completes it: the same job, attempt 2.
TEST_F(JobRunnerTest, AJobInterruptedByARestartRunsAgainAndCompletes) {
  auto job = MustEnqueue("sweep", "{}", "sweep");
  auto claimed = catalog_->ClaimJob("dead-host:4242:0", NowNs(), /*lease=*/300000000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_EQ((*claimed)->id, job.id);

  // The restart re-schedules the same kind: dedup hands back the interrupted job instead of a second one.
  EXPECT_EQ(MustEnqueue("sweep", "{}", "sweep").id, job.id);

  std::atomic<int> calls{0};
  catalog_.reset();  // the restarted daemon opens the catalog afresh
  auto reopened = catalog::OpenCatalog(db_path());
  ASSERT_TRUE(reopened.ok());
  catalog_ = *reopened;
  JobRunner runner(catalog_, Fast());
  runner.Register("sweep", [&](const catalog::JobRecord& j) {
    EXPECT_EQ(j.attempts, 2);
    ++calls;
    return arrow::Status::OK();
  });
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return StateIs(job.id, State::kDone); }));
  runner.Stop();
  EXPECT_EQ(calls.load(), 1);
  auto done = Job(job.id);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(done.lease_owner, runner.WorkerId(0));
  auto all = catalog_->ListJobs(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(JobRunnerTest, TheLeaseIsRenewedWhileTheHandlerRuns) {
  JobRunnerOptions o = Fast();
  o.lease_ns = 900000000;  // 900 ms (renewed every 300 ms); the handler takes over two leases
  JobRunner runner(catalog_, o);
  std::atomic<bool> running{false};
  runner.Register("long", [&](const catalog::JobRecord&) {
    running = true;
    std::this_thread::sleep_for(2000ms);
    return arrow::Status::OK();
  });
  auto job = MustEnqueue("long");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return running.load(); }));
  // Another daemon keeps trying to claim meanwhile: it must never get the job.
  auto other = catalog::OpenCatalog(db_path());
  ASSERT_TRUE(other.ok());
  bool stolen = false;
  while (!StateIs(job.id, State::kDone)) {
    auto c = (*other)->ClaimJob("thief:1:0", NowNs(), kSecond);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    if (c->has_value()) stolen = true;
    std::this_thread::sleep_for(50ms);
  }
  runner.Stop();
  EXPECT_FALSE(stolen);
  EXPECT_EQ(Job(job.id).attempts, 1);
}

TEST_F(JobRunnerTest, StopWaitsForTheJobInFlightAndACancelledJobGoesBackToTheQueue) {
  JobRunner runner(catalog_, Fast());
  std::atomic<bool> running{false};
  runner.Register("cooperative", [&](const catalog::JobRecord&) {
    running = true;
    while (!runner.stop_requested()) std::this_thread::sleep_for(5ms);
    return arrow::Status::Cancelled("stopping");
  });
  auto job = MustEnqueue("cooperative");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return running.load(); }));
  const int64_t before_stop = NowNs();
  runner.Stop();
  auto released = Job(job.id);
  EXPECT_EQ(released.state, State::kPending);
  EXPECT_EQ(released.attempts, 1);
  EXPECT_LE(released.run_after_ns, NowNs());  // no backoff: runnable at once
  EXPECT_GE(released.run_after_ns, before_stop);
  EXPECT_NE(released.last_error.find("shutdown"), std::string::npos);
  runner.Stop();  // idempotent
}

TEST_F(JobRunnerTest, AJobThatFinishesDuringStopIsCompleted) {
  JobRunner runner(catalog_, Fast());
  std::atomic<bool> running{false};
  runner.Register("slow", [&](const catalog::JobRecord&) {
    running = true;
    std::this_thread::sleep_for(300ms);
    return arrow::Status::OK();
  });
  auto job = MustEnqueue("slow");
  auto later = MustEnqueue("slow");
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return running.load(); }));
  runner.Stop();
  EXPECT_EQ(Job(job.id).state, State::kDone);
  EXPECT_EQ(Job(later.id).state, State::kPending);  // never claimed after the stop request
}

TEST_F(JobRunnerTest, SeveralWorkersRunJobsAtTheSameTime) {
  JobRunnerOptions o = Fast();
  o.workers = 3;
  JobRunner runner(catalog_, o);
  std::atomic<int> inside{0}, peak{0};
  runner.Register("wide", [&](const catalog::JobRecord&) {
    int now = ++inside;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(200ms);
    --inside;
    return arrow::Status::OK();
  });
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(MustEnqueue("wide").id);
  runner.Start();
  ASSERT_TRUE(WaitFor([&] {
    for (auto id : ids) {
      if (!StateIs(id, State::kDone)) return false;
    }
    return true;
  }));
  runner.Stop();
  EXPECT_GE(peak.load(), 2);
  std::set<std::string> owners;
  for (auto id : ids) owners.insert(Job(id).lease_owner);
  EXPECT_GE(owners.size(), 2u);
}

TEST_F(JobRunnerTest, WakeLetsAnIdleWorkerSeeANewJobAtOnce) {
  JobRunnerOptions o = Fast();
  o.idle_poll_ns = 60 * kSecond;  // without Wake the job would wait a minute
  JobRunner runner(catalog_, o);
  runner.Register("now", [](const catalog::JobRecord&) { return arrow::Status::OK(); });
  runner.Start();
  std::this_thread::sleep_for(100ms);  // the worker found the queue empty and sleeps
  auto job = MustEnqueue("now");
  runner.Wake();
  EXPECT_TRUE(WaitFor([&] { return StateIs(job.id, State::kDone); }, 5s));
  runner.Stop();
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
