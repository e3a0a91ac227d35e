// mosaicod_bench_ceiling: the ceiling servers of bench/flight_throughput.py (see ceiling_server.h). Not installed.
//
//   mosaicod_bench_ceiling --port P --data-dir DIR [--chunk-size-mb 64] [--host 127.0.0.1]
//
// Prints "listening on <port> (<allocators>)" once it serves; stops on SIGTERM/SIGINT.
//
// Allocators: the libraries' defaults (the wheel's Arrow pool, glibc's dynamic mmap threshold), NOT mosaicod's
// process-memory policy (server/process_memory.h: Debian's jemalloc as malloc, the wheel's jemalloc as Arrow's pool),
// which is one of mosaicod's own choices and whose effect the ratios should show. To run with the daemon's settings,
// start this binary with ARROW_DEFAULT_MEMORY_POOL=jemalloc, LD_PRELOAD=<Debian's libjemalloc.so.2> and MALLOC_CONF=
// the daemon's kDaemonJemallocConf (flight_throughput.py --ceiling-alloc mosaicod).
#include <dlfcn.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <arrow/flight/server.h>
#include <arrow/memory_pool.h>

#include "ceiling_server.h"

int main(int argc, char** argv) {
  mosaico::bench::CeilingOptions options;
  std::string host = "127.0.0.1";
  int port = 0;
  int64_t chunk_size_mb = 64;
  CLI::App app{"Flight ceiling servers for bench/flight_throughput.py: null (transport only), parquet (transport + "
               "mosaicod's chunk writer settings and fsync), and the Parquet read ceiling"};
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port (0: any free port)");
  app.add_option("--data-dir", options.data_dir, "directory of the parquet uploads")->required();
  app.add_option("--chunk-size-mb", chunk_size_mb, "chunk size, as mosaicod's --chunk-size-mb");
  app.add_option("--row-group-rows", options.row_group_rows, "Parquet row group rows");
  app.add_option("--zstd-level", options.zstd_level, "zstd level");
  app.add_option("--max-batch-bytes", options.max_batch_bytes, "DoGet decode batch target, as mosaicod's");
  CLI11_PARSE(app, argc, argv);
  options.target_chunk_bytes = chunk_size_mb << 20;

  auto location = arrow::flight::Location::ForGrpcTcp(host, port);
  auto server = mosaico::bench::CeilingServer::Make(options);
  if (!location.ok() || !server.ok()) {
    std::cerr << (location.ok() ? server.status() : location.status()).ToString() << "\n";
    return 1;
  }
  arrow::flight::FlightServerOptions flight_options(*location);
  arrow::Status st = (*server)->Init(flight_options);
  if (st.ok()) st = (*server)->SetShutdownOnSignals({SIGTERM, SIGINT});
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  const char* mmap_threshold = std::getenv("MALLOC_MMAP_THRESHOLD_");
  const char* malloc_conf = std::getenv("MALLOC_CONF");
  const bool jemalloc = ::dlsym(RTLD_DEFAULT, "mallctl") != nullptr;  // Debian's, preloaded (not the wheel's je_arrow_)
  std::printf("listening on %d (arrow_pool=%s malloc=%s%s)\n", (*server)->port(),
              arrow::default_memory_pool()->backend_name().c_str(), jemalloc ? "jemalloc " : "glibc mmap_threshold=",
              jemalloc ? (malloc_conf ? malloc_conf : "defaults") : (mmap_threshold ? mmap_threshold : "dynamic"));
  std::fflush(stdout);
  st = (*server)->Serve();
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
