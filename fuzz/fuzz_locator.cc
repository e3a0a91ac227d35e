// Fuzz target: the locator parser (core/locator.h). Every parser must either refuse with INVALID_ARGUMENT or
// return a value that is canonical (parsing its string form gives it back) and fits the store's name limits.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "mosaico/core/locator.h"

using namespace mosaico;
using mosaico::fuzz::ExpectClientError;
using mosaico::fuzz::Fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = mosaico::fuzz::AsText(data, size);

  auto seq = ParseSequenceName(text);
  ExpectClientError(seq.status(), "ParseSequenceName");
  if (seq.ok()) {
    if (seq->empty() || seq->size() > kMaxStoredNameBytes) Fail("sequence name outside its limits: " + *seq);
    if (seq->find('/') != std::string::npos) Fail("sequence name with '/'");
    auto again = ParseSequenceName(*seq);
    if (!again.ok() || *again != *seq) Fail("sequence name not canonical: " + *seq);
  }

  auto path = ParseTopicPath(text);
  ExpectClientError(path.status(), "ParseTopicPath");
  if (path.ok() && StoredTopicNameBytes(*path) > kMaxStoredNameBytes) Fail("topic path over the store limit");

  auto topic = ParseTopicLocator(text);
  ExpectClientError(topic.status(), "ParseTopicLocator");
  if (topic.ok()) {
    auto again = ParseTopicLocator(topic->ToString());
    if (!again.ok() || !(*again == *topic)) Fail("topic locator not canonical: " + topic->ToString());
    if (topic->ToString().size() > kMaxLocatorLength) Fail("topic locator over the length limit");
  }

  auto session = ParseSessionLocator(text);
  ExpectClientError(session.status(), "ParseSessionLocator");
  if (session.ok()) {
    auto again = ParseSessionLocator(session->ToString());
    if (!again.ok() || !(*again == *session)) Fail("session locator not canonical: " + session->ToString());
  }

  auto resource = ParseResourceLocator(text);
  ExpectClientError(resource.status(), "ParseResourceLocator");
  if (resource.ok()) {
    auto again = ParseResourceLocator(resource->ToString());
    if (!again.ok() || again->sequence != resource->sequence || again->topic != resource->topic) {
      Fail("resource locator not canonical: " + resource->ToString());
    }
  }
  return 0;
}
