#include "mosaico/server/actions/action_registry.h"

namespace mosaico::server {

void ActionRegistry::Register(ActionSpec spec) {
  std::string name = spec.name;
  specs_[name] = std::move(spec);
}

void ActionRegistry::Register(ActionSpec spec, auth::Permissions permission) {
  spec.permission = permission;
  Register(std::move(spec));
}

const ActionSpec* ActionRegistry::Find(const std::string& name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

std::vector<const ActionSpec*> ActionRegistry::All() const {
  std::vector<const ActionSpec*> out;
  for (const auto& [name, spec] : specs_) out.push_back(&spec);
  return out;
}

const ActionRegistry& DefaultActionRegistry() {
  static const ActionRegistry registry = [] {
    ActionRegistry r;
    RegisterInfoActions(&r);
    RegisterLifecycleActions(&r);
    RegisterNotificationActions(&r);
    RegisterQueryActions(&r);
    return r;
  }();
  return registry;
}

}  // namespace mosaico::server
