// DoAction dispatch: one handler per action name, JSON object in -> JSON "response" out.
//
// The reply frame is built by the server, not by handlers: {"action": "<name>", "response": <handler result>}.
// A handler returns the `response` value ({} when there is nothing to say). Unknown action names and bodies
// that are not a JSON object are INVALID_ARGUMENT before any handler runs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/core/json.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/server/server_config.h"

namespace mosaico::server {

struct ActionContext {
  lifecycle::Lifecycle* lifecycle;
  const ServerConfig* config;
};

using ActionHandler = std::function<arrow::Result<OrderedJson>(const ActionContext&, const Json& body)>;

struct ActionSpec {
  std::string name;
  std::string description;
  ActionHandler handler;
};

class ActionRegistry {
 public:
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

// The registry with every action mosaicod serves.
const ActionRegistry& DefaultActionRegistry();

}  // namespace mosaico::server
