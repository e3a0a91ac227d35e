// DoAction dispatch: one handler per action name, JSON object in -> JSON "response" out.
//
// The reply frame is built by the server, not by handlers: {"action": "<name>", "response": <handler result>}.
// A handler returns the `response` value ({} when there is nothing to say); a text handler writes it as JSON
// text into the frame (`query`: up to a million topics, the same bytes as the dumped value). A streaming handler returns any number
// of `response` values, each sent as its own Flight Result with the same envelope (none: an empty result stream).
// Unknown action names and bodies that are not a JSON object are INVALID_ARGUMENT before any handler runs.
// Every action declares the API-key permissions it needs (ActionSpec::permission, set by Register; independent flags,
// auth/permission.h; an empty set: any valid key, e.g. `info`, which the SDK calls to connect); the server checks
// them before parsing the body (server/auth_middleware.h), and refuses to run an action that declares nothing.
// API keys are managed by `mosaicod api-key` only: there are no key actions (as in mosaicolabs 0.7.0).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>

#include "mosaico/auth/authenticator.h"
#include "mosaico/auth/permission.h"
#include "mosaico/core/json.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/server/server_config.h"

namespace mosaico::server {

struct ActionContext {
  lifecycle::Lifecycle* lifecycle;
  const ServerConfig* config;
  std::function<bool()> is_cancelled;  // the call was cancelled (client gone, shutdown); long handlers poll it
  const auth::Principal* caller = nullptr;  // the authenticated caller; null when auth is off
};

using ActionHandler = std::function<arrow::Result<OrderedJson>(const ActionContext&, const Json& body)>;
using StreamingActionHandler =
    std::function<arrow::Result<std::vector<OrderedJson>>(const ActionContext&, const Json& body)>;
// Writes the `response` value as JSON text at the end of `out` (for replies too large for a DOM; core/json_writer.h).
using TextActionHandler =
    std::function<arrow::Status(const ActionContext&, const Json& body, std::string* out)>;
// Body text -> JSON object; `what` names the body in errors. Default: core ParseJsonObject.
using BodyParser = std::function<arrow::Result<Json>(std::string_view text, std::string_view what)>;

struct ActionSpec {
  std::string name;
  std::string description;
  ActionHandler handler;                     // one result
  StreamingActionHandler streaming_handler = {};  // set instead of `handler`: zero or more results
  BodyParser body_parser = {};                    // set: parses the body instead of ParseJsonObject
  std::optional<auth::Permissions> permission = {};  // the flags an API key needs to call it; set by Register
  TextActionHandler text_handler = {};  // set instead of `handler`: one result, written as JSON text
};

class ActionRegistry {
 public:
  // Registers `spec` needing `permission` (every flag of it; the empty set: any valid key).
  void Register(ActionSpec spec, auth::Permissions permission);
  // Registers `spec` as is: spec.permission must be set (an action without one is refused at call time).
  void Register(ActionSpec spec);
  const ActionSpec* Find(const std::string& name) const;
  std::vector<const ActionSpec*> All() const;

 private:
  std::map<std::string, ActionSpec> specs_;
};

// Registration functions, one per group of actions (each in its own file).
void RegisterInfoActions(ActionRegistry* registry);
void RegisterLifecycleActions(ActionRegistry* registry);
void RegisterNotificationActions(ActionRegistry* registry);
void RegisterQueryActions(ActionRegistry* registry);

// The registry with every action mosaicod serves.
const ActionRegistry& DefaultActionRegistry();

}  // namespace mosaico::server
