// Example: read a 2-second window of a topic back and print it, then the merged sequence in that window.
//
//   mosaico_client_example_read_window [grpc://127.0.0.1:6726] [sequence] [topic] [stripes]
//
// The window starts at the topic's first timestamp (DescribeTopic's data interval). With stripes > 1 the server
// may split the read into several endpoints; the client fetches them in parallel and delivers them in order.
#include <cstdio>
#include <iostream>
#include <string>

#include <arrow/pretty_print.h>
#include <arrow/table.h>

#include <mosaico/client/client.h>

namespace mc = mosaico::client;

namespace {
arrow::Status Run(const std::string& uri, const std::string& sequence, const std::string& topic, int stripes) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  const std::string locator = sequence + "/" + topic;
  ARROW_ASSIGN_OR_RAISE(auto info, client.DescribeTopic(locator));
  if (!info.interval) return arrow::Status::Invalid("topic '", locator, "' is empty");
  mc::ReadOptions options;
  options.window = {info.interval->start_ns, info.interval->start_ns + 2'000'000'000};
  options.stripes = stripes;
  ARROW_ASSIGN_OR_RAISE(auto reader, client.ReadTopic(locator, options));
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
  std::printf("%s (%s): %lld rows in [%lld, %lld)\n", locator.c_str(), info.ontology_tag.c_str(),
              static_cast<long long>(table->num_rows()), static_cast<long long>(*options.window.start_ns),
              static_cast<long long>(*options.window.end_ns));
  auto ts = table->GetColumnByName("timestamp_ns");
  arrow::PrettyPrintOptions pp(0, 5);
  ARROW_RETURN_NOT_OK(arrow::PrettyPrint(*ts, pp, &std::cout));
  std::cout << std::endl;

  ARROW_ASSIGN_OR_RAISE(auto merged, client.ReadSequence(sequence, options));
  ARROW_ASSIGN_OR_RAISE(auto all, merged->ToTable());
  std::printf("sequence %s merged: %lld rows, columns:", sequence.c_str(), static_cast<long long>(all->num_rows()));
  for (const auto& f : all->schema()->fields()) std::printf(" %s", f->name().c_str());
  std::printf("\n");
  return arrow::Status::OK();
}
}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : "grpc://127.0.0.1:6726";
  const std::string sequence = argc > 2 ? argv[2] : "cpp_demo";
  const std::string topic = argc > 3 ? argv[3] : "sensors/imu";
  const int stripes = argc > 4 ? std::stoi(argv[4]) : 1;
  auto st = Run(uri, sequence, topic, stripes);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
