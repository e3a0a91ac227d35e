#include "mosaico/client/row_builder.h"

#include <limits>
#include <unordered_map>
#include <variant>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <arrow/util/float16.h>

namespace mosaico::client {
namespace {

struct Null {};
using Value = std::variant<std::monostate, Null, bool, int64_t, uint64_t, double, std::string, std::vector<double>,
                           std::vector<int64_t>, std::vector<std::string>>;
struct Bytes {};  // binary values are kept as std::string in the variant (type checked by the slot's type)

struct Node {
  std::string path;
  std::shared_ptr<arrow::Field> field;
  arrow::ArrayBuilder* builder = nullptr;
  std::vector<Node> children;  // struct fields
  int slot = -1;               // leaf index; -1 for structs
  int slot_begin = 0, slot_end = 0;
};

bool IsInt(arrow::Type::type t) {
  switch (t) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
      return true;
    default: return false;
  }
}
bool IsFloat(arrow::Type::type t) {
  return t == arrow::Type::HALF_FLOAT || t == arrow::Type::FLOAT || t == arrow::Type::DOUBLE;
}
bool IsString(arrow::Type::type t) { return t == arrow::Type::STRING || t == arrow::Type::LARGE_STRING; }
bool IsBinary(arrow::Type::type t) { return t == arrow::Type::BINARY || t == arrow::Type::LARGE_BINARY; }

// Integer range of an Arrow integer type.
void IntRange(arrow::Type::type t, long double* lo, long double* hi) {
  switch (t) {
    case arrow::Type::INT8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case arrow::Type::INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case arrow::Type::INT32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case arrow::Type::INT64: *lo = INT64_MIN; *hi = INT64_MAX; break;
    case arrow::Type::UINT8: *lo = 0; *hi = UINT8_MAX; break;
    case arrow::Type::UINT16: *lo = 0; *hi = UINT16_MAX; break;
    case arrow::Type::UINT32: *lo = 0; *hi = UINT32_MAX; break;
    default: *lo = 0; *hi = static_cast<long double>(UINT64_MAX); break;
  }
}

template <typename B, typename V>
arrow::Status AppendAs(arrow::ArrayBuilder* b, V v) {
  return static_cast<B*>(b)->Append(static_cast<typename B::value_type>(v));
}

template <typename V>
arrow::Status AppendNumber(arrow::ArrayBuilder* b, V v) {
  switch (b->type()->id()) {
    case arrow::Type::INT8: return AppendAs<arrow::Int8Builder>(b, v);
    case arrow::Type::INT16: return AppendAs<arrow::Int16Builder>(b, v);
    case arrow::Type::INT32: return AppendAs<arrow::Int32Builder>(b, v);
    case arrow::Type::INT64: return AppendAs<arrow::Int64Builder>(b, v);
    case arrow::Type::UINT8: return AppendAs<arrow::UInt8Builder>(b, v);
    case arrow::Type::UINT16: return AppendAs<arrow::UInt16Builder>(b, v);
    case arrow::Type::UINT32: return AppendAs<arrow::UInt32Builder>(b, v);
    case arrow::Type::UINT64: return AppendAs<arrow::UInt64Builder>(b, v);
    case arrow::Type::HALF_FLOAT:
      return static_cast<arrow::HalfFloatBuilder*>(b)->Append(
          arrow::util::Float16(static_cast<float>(v)).bits());
    case arrow::Type::FLOAT: return AppendAs<arrow::FloatBuilder>(b, v);
    case arrow::Type::DOUBLE: return AppendAs<arrow::DoubleBuilder>(b, v);
    default: return arrow::Status::TypeError("not a number column: ", b->type()->ToString());
  }
}

}  // namespace

struct RowBuilder::Impl {
  std::shared_ptr<arrow::Schema> schema;
  arrow::Status status;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> top;
  std::vector<Node> nodes;                   // one per top-level field
  std::vector<const Node*> leaves;           // by slot
  std::unordered_map<std::string, int> slot_of;
  std::vector<Value> row;
  int timestamp_slot = -1;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t row_bytes = 0;

  arrow::Status Build(Node* node, arrow::ArrayBuilder* builder) {
    node->builder = builder;
    node->slot_begin = static_cast<int>(leaves.size());
    const auto& type = node->field->type();
    if (type->id() == arrow::Type::STRUCT) {
      auto* sb = static_cast<arrow::StructBuilder*>(builder);
      for (int i = 0; i < type->num_fields(); ++i) {
        Node child;
        child.field = type->field(i);
        child.path = node->path + "." + child.field->name();
        ARROW_RETURN_NOT_OK(Build(&child, sb->child_builder(i).get()));
        node->children.push_back(std::move(child));
      }
    } else {
      const auto id = type->id();
      bool ok = IsInt(id) || IsFloat(id) || IsString(id) || IsBinary(id) || id == arrow::Type::BOOL;
      if (id == arrow::Type::LIST || id == arrow::Type::FIXED_SIZE_LIST) {
        auto vid = type->field(0)->type()->id();
        ok = IsInt(vid) || IsFloat(vid) || IsString(vid);
      }
      if (!ok) {
        // Not settable by path (e.g. list of structs): always null; required ones make Append fail.
      }
      node->slot = static_cast<int>(leaves.size());
      leaves.push_back(nullptr);  // filled after the tree is built (children vectors move)
      slot_of[node->path] = node->slot;
    }
    node->slot_end = static_cast<int>(leaves.size());
    return arrow::Status::OK();
  }

  void IndexLeaves(const Node& n) {
    if (n.slot >= 0) leaves[n.slot] = &n;
    for (const auto& c : n.children) IndexLeaves(c);
  }

  arrow::Result<const Node*> Leaf(std::string_view path) const {
    auto it = slot_of.find(std::string(path));
    if (it == slot_of.end()) {
      return arrow::Status::Invalid("row: no field '", std::string(path), "' settable in the topic's schema");
    }
    return leaves[it->second];
  }

  bool AnySet(const Node& n) const {
    for (int s = n.slot_begin; s < n.slot_end; ++s) {
      if (!std::holds_alternative<std::monostate>(row[s])) return true;
    }
    return false;
  }

  // Checks the staged row against the tree (required values present) without touching the builders.
  arrow::Status Check(const Node& n, bool parent_present) const {
    if (!parent_present) return arrow::Status::OK();
    if (n.slot >= 0) {
      const auto& v = row[n.slot];
      bool unset = std::holds_alternative<std::monostate>(v) || std::holds_alternative<Null>(v);
      if (unset && !n.field->nullable()) {
        return arrow::Status::Invalid("row: required field '", n.path, "' not set");
      }
      return arrow::Status::OK();
    }
    bool present = !n.field->nullable() || AnySet(n);
    for (const auto& c : n.children) ARROW_RETURN_NOT_OK(Check(c, present));
    return arrow::Status::OK();
  }

  arrow::Status AppendLeaf(const Node& n) {
    auto* b = n.builder;
    const auto& v = row[n.slot];
    if (std::holds_alternative<std::monostate>(v) || std::holds_alternative<Null>(v)) return b->AppendNull();
    const auto id = n.field->type()->id();
    if (auto p = std::get_if<bool>(&v)) return static_cast<arrow::BooleanBuilder*>(b)->Append(*p);
    if (auto p = std::get_if<int64_t>(&v)) return AppendNumber(b, *p);
    if (auto p = std::get_if<uint64_t>(&v)) return AppendNumber(b, *p);
    if (auto p = std::get_if<double>(&v)) return AppendNumber(b, *p);
    if (auto p = std::get_if<std::string>(&v)) {
      if (IsString(id) || IsBinary(id)) {
        if (id == arrow::Type::STRING) return static_cast<arrow::StringBuilder*>(b)->Append(*p);
        if (id == arrow::Type::BINARY) return static_cast<arrow::BinaryBuilder*>(b)->Append(*p);
        if (id == arrow::Type::LARGE_STRING) return static_cast<arrow::LargeStringBuilder*>(b)->Append(*p);
        return static_cast<arrow::LargeBinaryBuilder*>(b)->Append(*p);
      }
    }
    // lists
    arrow::ArrayBuilder* values = nullptr;
    if (id == arrow::Type::LIST) {
      auto* lb = static_cast<arrow::ListBuilder*>(b);
      ARROW_RETURN_NOT_OK(lb->Append());
      values = lb->value_builder();
    } else if (id == arrow::Type::FIXED_SIZE_LIST) {
      auto* lb = static_cast<arrow::FixedSizeListBuilder*>(b);
      ARROW_RETURN_NOT_OK(lb->Append());
      values = lb->value_builder();
    } else {
      return arrow::Status::TypeError("row: field '", n.path, "' cannot take the value set");
    }
    if (auto p = std::get_if<std::vector<double>>(&v)) {
      for (double x : *p) ARROW_RETURN_NOT_OK(AppendNumber(values, x));
    } else if (auto p = std::get_if<std::vector<int64_t>>(&v)) {
      for (int64_t x : *p) ARROW_RETURN_NOT_OK(AppendNumber(values, x));
    } else if (auto p = std::get_if<std::vector<std::string>>(&v)) {
      for (const auto& x : *p) ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(values)->Append(x));
    }
    return arrow::Status::OK();
  }

  arrow::Status AppendNode(const Node& n) {
    if (n.slot >= 0) return AppendLeaf(n);
    auto* sb = static_cast<arrow::StructBuilder*>(n.builder);
    if (n.field->nullable() && !AnySet(n)) return sb->AppendNull();
    ARROW_RETURN_NOT_OK(sb->Append());
    for (const auto& c : n.children) ARROW_RETURN_NOT_OK(AppendNode(c));
    return arrow::Status::OK();
  }

  arrow::Status Stage(std::string_view path, Value v, int64_t size) {
    ARROW_RETURN_NOT_OK(status);
    ARROW_ASSIGN_OR_RAISE(const Node* leaf, Leaf(path));
    const auto& type = leaf->field->type();
    const auto id = type->id();
    bool ok = false;
    if (std::holds_alternative<Null>(v)) {
      ok = true;
    } else if (std::holds_alternative<bool>(v)) {
      ok = id == arrow::Type::BOOL;
    } else if (auto pi = std::get_if<int64_t>(&v)) {
      ok = IsFloat(id);
      if (IsInt(id)) {
        long double lo, hi;
        IntRange(id, &lo, &hi);
        if (*pi < lo || *pi > hi) {
          return arrow::Status::Invalid("row: value ", *pi, " out of range for field '", leaf->path, "' (",
                                        type->ToString(), ")");
        }
        ok = true;
      }
    } else if (auto pu = std::get_if<uint64_t>(&v)) {
      ok = IsFloat(id);
      if (IsInt(id)) {
        long double lo, hi;
        IntRange(id, &lo, &hi);
        if (static_cast<long double>(*pu) > hi) {
          return arrow::Status::Invalid("row: value ", *pu, " out of range for field '", leaf->path, "' (",
                                        type->ToString(), ")");
        }
        ok = true;
      }
    } else if (std::holds_alternative<double>(v)) {
      ok = IsFloat(id);
    } else if (std::holds_alternative<std::string>(v)) {
      ok = IsString(id) || IsBinary(id);
    } else {
      const bool is_list = id == arrow::Type::LIST || id == arrow::Type::FIXED_SIZE_LIST;
      auto vid = is_list ? type->field(0)->type()->id() : arrow::Type::NA;
      size_t n = 0;
      if (auto p = std::get_if<std::vector<double>>(&v)) ok = is_list && IsFloat(vid), n = p->size();
      if (auto p = std::get_if<std::vector<int64_t>>(&v)) ok = is_list && (IsInt(vid) || IsFloat(vid)), n = p->size();
      if (auto p = std::get_if<std::vector<std::string>>(&v)) ok = is_list && vid == arrow::Type::STRING, n = p->size();
      if (ok && id == arrow::Type::FIXED_SIZE_LIST) {
        auto want = static_cast<size_t>(static_cast<const arrow::FixedSizeListType&>(*type).list_size());
        if (n != want) {
          return arrow::Status::Invalid("row: field '", leaf->path, "' takes exactly ", want, " values, got ", n);
        }
      }
    }
    if (!ok) {
      return arrow::Status::Invalid("row: field '", leaf->path, "' is ", type->ToString(),
                                    ": the value set has another type");
    }
    if (std::holds_alternative<Null>(v) && !leaf->field->nullable()) {
      return arrow::Status::Invalid("row: field '", leaf->path, "' is not nullable");
    }
    row[leaf->slot] = std::move(v);
    row_bytes += size;
    return arrow::Status::OK();
  }
};

RowBuilder::RowBuilder(std::shared_ptr<arrow::Schema> schema) : impl_(std::make_unique<Impl>()) {
  impl_->schema = std::move(schema);
  auto build = [&]() -> arrow::Status {
    if (impl_->schema == nullptr) return arrow::Status::Invalid("row builder: no schema");
    for (const auto& f : impl_->schema->fields()) {
      std::unique_ptr<arrow::ArrayBuilder> b;
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), f->type(), &b));
      Node n;
      n.field = f;
      n.path = f->name();
      ARROW_RETURN_NOT_OK(impl_->Build(&n, b.get()));
      impl_->top.push_back(std::move(b));
      impl_->nodes.push_back(std::move(n));
    }
    for (const auto& n : impl_->nodes) impl_->IndexLeaves(n);
    impl_->row.assign(impl_->leaves.size(), std::monostate{});
    auto it = impl_->slot_of.find("timestamp_ns");
    if (it == impl_->slot_of.end() || impl_->leaves[it->second]->field->type()->id() != arrow::Type::INT64) {
      return arrow::Status::Invalid("row builder: the schema has no int64 'timestamp_ns' field");
    }
    impl_->timestamp_slot = it->second;
    return arrow::Status::OK();
  };
  impl_->status = build();
}

RowBuilder::~RowBuilder() = default;
RowBuilder::RowBuilder(RowBuilder&&) noexcept = default;
RowBuilder& RowBuilder::operator=(RowBuilder&&) noexcept = default;

const arrow::Status& RowBuilder::status() const { return impl_->status; }
const std::shared_ptr<arrow::Schema>& RowBuilder::schema() const { return impl_->schema; }

arrow::Status RowBuilder::Set(std::string_view path, bool value) { return impl_->Stage(path, value, 1); }
arrow::Status RowBuilder::Set(std::string_view path, double value) { return impl_->Stage(path, value, 8); }
arrow::Status RowBuilder::Set(std::string_view path, std::string_view value) {
  return impl_->Stage(path, std::string(value), static_cast<int64_t>(value.size()) + 4);
}
arrow::Status RowBuilder::SetSigned(std::string_view path, int64_t value) { return impl_->Stage(path, value, 8); }
arrow::Status RowBuilder::SetUnsigned(std::string_view path, uint64_t value) { return impl_->Stage(path, value, 8); }
arrow::Status RowBuilder::SetBytes(std::string_view path, const void* data, size_t size) {
  ARROW_RETURN_NOT_OK(impl_->status);
  ARROW_ASSIGN_OR_RAISE(const Node* leaf, impl_->Leaf(path));
  if (!IsBinary(leaf->field->type()->id())) {
    return arrow::Status::Invalid("row: field '", leaf->path, "' is ", leaf->field->type()->ToString(),
                                  ", not binary");
  }
  return impl_->Stage(path, std::string(static_cast<const char*>(data), size), static_cast<int64_t>(size) + 4);
}
arrow::Status RowBuilder::Set(std::string_view path, const std::vector<double>& values) {
  return impl_->Stage(path, values, static_cast<int64_t>(values.size()) * 8 + 4);
}
arrow::Status RowBuilder::Set(std::string_view path, const std::vector<int64_t>& values) {
  return impl_->Stage(path, values, static_cast<int64_t>(values.size()) * 8 + 4);
}
arrow::Status RowBuilder::Set(std::string_view path, const std::vector<std::string>& values) {
  int64_t size = 4;
  for (const auto& s : values) size += static_cast<int64_t>(s.size()) + 4;
  return impl_->Stage(path, values, size);
}
arrow::Status RowBuilder::SetNull(std::string_view path) { return impl_->Stage(path, Null{}, 0); }

void RowBuilder::ClearRow() {
  std::fill(impl_->row.begin(), impl_->row.end(), Value{});
  impl_->row_bytes = 0;
}

arrow::Status RowBuilder::Append(int64_t timestamp_ns) {
  ARROW_RETURN_NOT_OK(impl_->status);
  impl_->row[impl_->timestamp_slot] = timestamp_ns;
  arrow::Status st;
  for (const auto& n : impl_->nodes) {
    st = impl_->Check(n, true);
    if (!st.ok()) break;
  }
  if (st.ok()) {
    for (const auto& n : impl_->nodes) {
      st = impl_->AppendNode(n);
      if (!st.ok()) {
        // A builder failed half-way (out of memory): the columns no longer line up; start over empty.
        for (auto& b : impl_->top) b->Reset();
        impl_->rows = 0;
        impl_->bytes = 0;
        break;
      }
    }
  }
  if (st.ok()) {
    impl_->rows += 1;
    impl_->bytes += impl_->row_bytes + 8;
  }
  ClearRow();
  return st;
}

int64_t RowBuilder::num_rows() const { return impl_->rows; }
int64_t RowBuilder::estimated_bytes() const { return impl_->bytes; }

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RowBuilder::Flush() {
  ARROW_RETURN_NOT_OK(impl_->status);
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (auto& b : impl_->top) {
    std::shared_ptr<arrow::Array> a;
    ARROW_RETURN_NOT_OK(b->Finish(&a));
    arrays.push_back(std::move(a));
  }
  auto batch = arrow::RecordBatch::Make(impl_->schema, impl_->rows, std::move(arrays));
  impl_->rows = 0;
  impl_->bytes = 0;
  return batch;
}

}  // namespace mosaico::client
