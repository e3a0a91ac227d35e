// The Flight form of a topic's columns: the schema GetSchema and GetFlightInfo announce and the batches DoGet streams
// (docs/PROTOCOL_NOTES.md, "Strings on the wire").
//
// Contract:
//  - FlightSchemaOf(stored): the stored (uploaded) schema with every top-level utf8 or large_utf8 field typed
//    utf8_view, as the reference daemon's reads produce them (DataFusion's Parquet reader, schema_force_view_types)
//    and as the SDK's own suite expects of `TopicHandler.ontology_schema`. Names, order, nullability, field metadata
//    and schema metadata are those of `stored`; nested fields (inside structs, lists, maps), binaries and every
//    other type are unchanged. Returns `stored` itself when no field changes.
//  - ToFlightBatch(batch, flight): `batch` has the stored schema, `flight` is FlightSchemaOf of it; the result
//    carries `flight` with the same rows and values (nulls included). A converted column is a fresh utf8_view
//    array whose data buffers hold only the bytes of its own values (a slice of a big batch does not drag the
//    whole buffer onto the wire: the IPC writer sends view data buffers in full). Unchanged columns are shared.
//  - FlightFormReader(inner): a reader of `inner`'s batches in Flight form (schema FlightSchemaOf(inner->schema()));
//    `inner` itself when nothing changes. Close() closes `inner`.
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace mosaico::server {

std::shared_ptr<arrow::Schema> FlightSchemaOf(const std::shared_ptr<arrow::Schema>& stored);

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ToFlightBatch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                                 const std::shared_ptr<arrow::Schema>& flight);

std::shared_ptr<arrow::RecordBatchReader> FlightFormReader(std::shared_ptr<arrow::RecordBatchReader> inner);

}  // namespace mosaico::server
