// Fuzz target: the query parser (query/request_json.h + query/query_parser.h), the bodies of `query`,
// `topic_filter_clusterize` and `topic_filter_intersect`. Every input must parse or be refused with
// INVALID_ARGUMENT; ontology keys are type-checked against a fixed schema for tag "imu" (other tags: none).
#include <cstdint>
#include <string>

#include <arrow/type.h>

#include "fuzz_util.h"
#include "mosaico/query/query_parser.h"
#include "mosaico/query/request_json.h"

using namespace mosaico;
using mosaico::fuzz::ExpectClientError;

namespace {

std::shared_ptr<arrow::Schema> ImuSchema() {
  auto vec3 = arrow::struct_({arrow::field("x", arrow::float64()), arrow::field("y", arrow::float64()),
                              arrow::field("z", arrow::float64())});
  return arrow::schema({
      arrow::field("timestamp_ns", arrow::int64()),
      arrow::field("acceleration", vec3),
      arrow::field("frame_id", arrow::utf8()),
      arrow::field("valid", arrow::boolean()),
      arrow::field("readings", arrow::list(arrow::int32())),
      arrow::field("points", arrow::list(vec3)),
      arrow::field("stamp", arrow::timestamp(arrow::TimeUnit::NANO)),
  });
}

arrow::Result<std::vector<std::shared_ptr<arrow::Schema>>> Schemas(const std::string& tag) {
  static const auto schema = ImuSchema();
  if (tag == "imu") return std::vector<std::shared_ptr<arrow::Schema>>{schema};
  return std::vector<std::shared_ptr<arrow::Schema>>{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = query::ParseRequestJson(mosaico::fuzz::AsText(data, size), "body of action 'query'");
  ExpectClientError(body.status(), "ParseRequestJson");
  if (!body.ok()) return 0;
  ExpectClientError(query::ParseQuery(*body, Schemas).status(), "ParseQuery");
  ExpectClientError(query::ParseClusterize(*body, Schemas).status(), "ParseClusterize");
  ExpectClientError(query::ParseIntersect(*body, Schemas).status(), "ParseIntersect");
  return 0;
}
