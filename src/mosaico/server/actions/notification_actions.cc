// Notification actions on sequences and topics: create, list, purge.
// List reply: {"notifications":[{"name": "<seq>" | "<seq>/<topic>", "notification_type", "msg",
//              "created_datetime": "YYYY-MM-DD HH:MM:SS.ffffff UTC"}]} (what the SDK's Notification parses).
#include "mosaico/server/actions/action_registry.h"

#include "mosaico/core/clock.h"
#include "mosaico/server/limits.h"

namespace mosaico::server {
namespace {

struct Target {
  std::string sequence;
  std::optional<std::string> topic;
};

arrow::Result<Target> ParseTarget(const Json& body, bool topic_level) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  Target t;
  if (topic_level) {
    ARROW_ASSIGN_OR_RAISE(auto topic, ParseTopicLocator(locator));
    t.sequence = topic.sequence;
    t.topic = topic.topic;
  } else {
    ARROW_ASSIGN_OR_RAISE(t.sequence, ParseSequenceName(locator));
  }
  return t;
}

ActionHandler Create(bool topic_level) {
  return [topic_level](const ActionContext& ctx, const Json& body) -> arrow::Result<OrderedJson> {
    ARROW_ASSIGN_OR_RAISE(auto target, ParseTarget(body, topic_level));
    ARROW_ASSIGN_OR_RAISE(auto type, RequireString(body, "notification_type"));
    ARROW_ASSIGN_OR_RAISE(auto msg, RequireString(body, "msg"));
    ARROW_RETURN_NOT_OK(CheckFieldBytes("msg", static_cast<int64_t>(msg.size()), ctx.config->max_metadata_bytes,
                                        "--max-metadata-bytes"));
    ARROW_RETURN_NOT_OK(ctx.lifecycle->Notify(target.sequence, target.topic, type, msg).status());
    return OrderedJson::object();
  };
}

ActionHandler List(bool topic_level) {
  return [topic_level](const ActionContext& ctx, const Json& body) -> arrow::Result<OrderedJson> {
    ARROW_ASSIGN_OR_RAISE(auto target, ParseTarget(body, topic_level));
    ARROW_ASSIGN_OR_RAISE(auto records, ctx.lifecycle->ListNotifications(target.sequence, target.topic));
    OrderedJson list = OrderedJson::array();
    for (const auto& n : records) {
      list.push_back({{"name", n.topic_name ? n.sequence_name + "/" + *n.topic_name : n.sequence_name},
                      {"notification_type", n.notification_type},
                      {"msg", n.msg},
                      {"created_datetime", FormatUtc(n.created_at_ns)}});
    }
    return OrderedJson{{"notifications", std::move(list)}};
  };
}

ActionHandler Purge(bool topic_level) {
  return [topic_level](const ActionContext& ctx, const Json& body) -> arrow::Result<OrderedJson> {
    ARROW_ASSIGN_OR_RAISE(auto target, ParseTarget(body, topic_level));
    ARROW_RETURN_NOT_OK(ctx.lifecycle->PurgeNotifications(target.sequence, target.topic));
    return OrderedJson::object();
  };
}

}  // namespace

void RegisterNotificationActions(ActionRegistry* r) {
  r->Register({"sequence_notification_create", "Attach a notification to a sequence: {locator, notification_type, msg}.",
               Create(false)}, auth::Permission::kWrite);
  r->Register({"sequence_notification_list", "List a sequence's notifications: {locator}.", List(false)},
              auth::Permission::kRead);
  r->Register({"sequence_notification_purge", "Delete a sequence's notifications: {locator}.", Purge(false)},
              auth::Permission::kDelete);
  r->Register({"topic_notification_create", "Attach a notification to a topic: {locator, notification_type, msg}.",
               Create(true)}, auth::Permission::kWrite);
  r->Register({"topic_notification_list", "List a topic's notifications: {locator}.", List(true)},
              auth::Permission::kRead);
  r->Register({"topic_notification_purge", "Delete a topic's notifications: {locator}.", Purge(true)},
              auth::Permission::kDelete);
}

}  // namespace mosaico::server
