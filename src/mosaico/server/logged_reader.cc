#include "mosaico/server/logged_reader.h"

#include <spdlog/spdlog.h>

#include "mosaico/read/topic_reader.h"
#include "mosaico/server/service_metrics.h"

namespace mosaico::server {
namespace {

class LoggedReader final : public arrow::RecordBatchReader {
 public:
  LoggedReader(std::shared_ptr<arrow::RecordBatchReader> inner, std::string topic, int64_t chunks_total)
      : inner_(std::move(inner)), topic_(std::move(topic)), chunks_total_(chunks_total) {}
  ~LoggedReader() override {
    if (!complete_) (void)inner_->Close();  // an abandoned read: stop its readahead thread so its stats can be read
    Log();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    arrow::Status st = inner_->ReadNext(batch);
    if (st.ok() && *batch == nullptr) {
      complete_ = true;
      Log();
    } else if (st.ok()) {
      CountSent(**batch);  // mosaicod_{rows,bytes}_sent_total (service_metrics.h)
    }
    return st;
  }

  arrow::Status Close() override { return inner_->Close(); }

 private:
  void Log() {
    if (logged_) return;
    logged_ = true;
    const auto stats = read::GetReadStats(*inner_);
    if (!stats) return;
    spdlog::info(
        "event=read_done topic={} chunks_total={} chunks_selected={} chunks_opened={} row_groups_read={} "
        "row_groups_pruned={} rows_decoded={} rows_emitted={} complete={}",
        topic_, chunks_total_, stats->chunks_selected, stats->chunks_opened, stats->row_groups_read,
        stats->row_groups_pruned, stats->rows_decoded, stats->rows_emitted, complete_);
  }

  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::string topic_;
  int64_t chunks_total_;
  bool complete_ = false;
  bool logged_ = false;
};

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> LogWhenDone(std::shared_ptr<arrow::RecordBatchReader> inner,
                                                      std::string topic, int64_t chunks_total) {
  return std::make_shared<LoggedReader>(std::move(inner), std::move(topic), chunks_total);
}

}  // namespace mosaico::server
