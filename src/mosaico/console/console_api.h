// The web console (docs/CONSOLE.md), served by the daemon's HTTP listener (server/monitoring.h):
//   GET  /console/...               the embedded static files (console/assets.h); no key needed: they hold no data
//   GET  /api/info                  the daemon's Flight address and whether a key is needed (no key needed)
//   GET  /api/sequences             catalog page: ?name=<glob>&metadata=<json>&tag=<tag>&query=<json>&after=&limit=
//   GET  /api/sequence?name=        a sequence: sessions, topics, notifications, timeline (console/catalog_view.h)
//   GET  /api/topic?sequence=&topic=  a topic: schema tree, column statistics, kind
//   GET  /api/series?sequence=&topic=&fields=a,b&start=&end=&width=   min/max per pixel column (console/series.h)
//   GET  /api/frame?sequence=&topic=&t=&dir=nearest|next|prev   the frame's bytes; its fields in the
//                                   X-Mosaico-Frame header (JSON) (console/frame.h)
//   POST /api/delete_sequence {name} | /api/delete_session {locator} | /api/purge_notifications {sequence, topic?}
//
// Contract:
//  - When auth is on, every /api call but /api/info presents an API key in the `mosaico-api-key-token` header (the
//    SDK's header) or `Authorization: Bearer <key>`; none, or a bad one, is 401; reads need `read`, deletes and
//    purges `delete` (the same flags as the matching actions), otherwise 403 naming the permission.
//  - POSTs must carry `X-Mosaico-Console: 1` (403 without): a page from another origin cannot set that header
//    without a CORS preflight, which this listener never grants, so it cannot make a browser delete data.
//  - Errors: JSON {"error": message} with 400 (bad parameter, naming it), 404 (unknown sequence/topic/frame),
//    409 (locked / in use), 503 (backend unavailable), 500 otherwise. Each handler bounds nothing itself: the
//    catalog and store calls are the ones Flight makes, at a cost that follows the page or the window.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mosaico/auth/authenticator.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/http/http_listener.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/store/object_store.h"

namespace mosaico::console {

struct ConsoleOptions {
  std::string flight_host;
  int flight_port = 0;
  bool flight_tls = false;
  int64_t raw_row_limit = 1000000;  // series: rows read raw at most; above, row-group statistics
};

// Routes to add to the HTTP listener; they hold what they need. `authenticator` null: auth is off.
std::vector<http::PrefixRoute> ConsoleRoutes(std::shared_ptr<catalog::Catalog> catalog,
                                             std::shared_ptr<store::ObjectStore> store,
                                             std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                                             std::shared_ptr<auth::Authenticator> authenticator,
                                             ConsoleOptions options);

}  // namespace mosaico::console
