// Fuzz target: DoGet ticket decoding and Flight descriptor decoding (server/flight_requests.h). A ticket is
// client input: decoding must refuse anything malformed with INVALID_ARGUMENT, and a decoded ticket must
// re-encode to one that decodes to the same request.
#include <cstdint>
#include <string>

#include <arrow/flight/types.h>

#include "fuzz_util.h"
#include "mosaico/server/flight_requests.h"

using namespace mosaico;
using mosaico::fuzz::ExpectClientError;
using mosaico::fuzz::Fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(mosaico::fuzz::AsText(data, size));

  auto ticket = server::DecodeTicket(text);
  ExpectClientError(ticket.status(), "DecodeTicket");
  if (ticket.ok()) {
    auto again = server::DecodeTicket(server::EncodeTicket(*ticket));
    if (!again.ok()) Fail("re-encoded ticket refused: " + again.status().ToString());
    if (again->locator.ToString() != ticket->locator.ToString() || again->window.start_ns != ticket->window.start_ns ||
        again->window.end_ns != ticket->window.end_ns) {
      Fail("ticket round trip changed the request");
    }
  }

  // The same bytes as a CMD descriptor (GetFlightInfo, GetSchema, DoPut) ...
  auto cmd = arrow::flight::FlightDescriptor::Command(text);
  ExpectClientError(server::ParseDataDescriptor(cmd).status(), "ParseDataDescriptor(CMD)");
  ExpectClientError(server::ParsePutDescriptor(cmd).status(), "ParsePutDescriptor");
  // ... and, split at '\n', as a PATH descriptor.
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    parts.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  auto path = arrow::flight::FlightDescriptor::Path(parts);
  ExpectClientError(server::ParseDataDescriptor(path).status(), "ParseDataDescriptor(PATH)");
  ExpectClientError(server::ParsePutDescriptor(path).status(), "ParsePutDescriptor(PATH)");
  return 0;
}
