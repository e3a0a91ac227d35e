// Example: find the IMU topics whose x acceleration exceeds a threshold in sequences named like a pattern, and
// the time windows where it does.
//
//   mosaico_client_example_run_query [grpc://127.0.0.1:6726] [sequence glob] [threshold]
#include <cstdio>
#include <string>

#include <mosaico/client/builtin_models.h>
#include <mosaico/client/client.h>

namespace mc = mosaico::client;

namespace {
arrow::Status Run(const std::string& uri, const std::string& glob, double threshold) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  mc::Query query;
  query.sequence.WithNameMatch(glob);
  query.topic.WithOntologyTag(mc::models::IMU().ontology_tag);
  query.ontology.With(mc::models::IMU(), "acceleration.x", mc::Op::Gt(threshold));
  std::printf("query: %s\n", query.ToJson().dump().c_str());
  ARROW_ASSIGN_OR_RAISE(auto result, client.RunQuery(query));
  for (const auto& item : result.items) {
    for (const auto& topic : item.topics) {
      mc::ClusterizeRequest windows;
      windows.locator = topic.locator;
      windows.ontology = query.ontology;
      windows.clustering_dt_ns = 10'000'000;  // rows within 10 ms form one window
      ARROW_ASSIGN_OR_RAISE(auto clusters, client.Clusterize(windows));
      std::printf("%s: %zu window(s)\n", topic.locator.c_str(), clusters.size());
      for (size_t i = 0; i < clusters.size() && i < 5; ++i) {
        std::printf("  [%lld, %lld]\n", static_cast<long long>(clusters[i].range.start_ns),
                    static_cast<long long>(clusters[i].range.end_ns));
      }
    }
  }
  return arrow::Status::OK();
}
}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : "grpc://127.0.0.1:6726";
  const std::string glob = argc > 2 ? argv[2] : "cpp_demo*";
  const double threshold = argc > 3 ? std::stod(argv[3]) : 0.05;
  auto st = Run(uri, glob, threshold);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
