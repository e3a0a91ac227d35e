#include "mosaico/store/store_metrics.h"

namespace mosaico::store {

metrics::Counter& StoreBytesWritten() {
  static metrics::Counter& counter =
      metrics::Default()
          .AddCounter("mosaicod_store_bytes_written_total", "Bytes written into the object store by this process.")
          .Get();
  return counter;
}

}  // namespace mosaico::store
