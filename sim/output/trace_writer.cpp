#include "output/trace_writer.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "output/atomic_file.hpp"
#include "output/hdf5_io.hpp"
#include "output/output_error.hpp"

namespace trainsim::output {

namespace {

using h5::Handle;

// ---- validation of what the engine handed us (its bugs must not become odd files) ----

void check_name(const std::string& name, const std::string& what) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos)
    throw InternalError("trace: " + what + " name '" + name + "' is empty, '.' or contains '/'");
}

void validate_table(const Table& table) {
  check_name(table.name, "table");
  if (table.numeric_names.size() != table.numeric_columns.size() ||
      table.text_names.size() != table.text_columns.size())
    throw InternalError("trace: table '" + table.name + "' has a different number of column names and columns");
  std::set<std::string> seen;
  auto check_column = [&](const std::string& column, std::size_t rows) {
    check_name(column, "column of table '" + table.name + "'");
    if (!seen.insert(column).second)
      throw InternalError("trace: table '" + table.name + "' has two columns named '" + column + "'");
    if (rows != table.rows())
      throw InternalError("trace: column '" + column + "' of table '" + table.name + "' has " +
                          std::to_string(rows) + " rows, expected " + std::to_string(table.rows()));
  };
  for (std::size_t i = 0; i < table.numeric_names.size(); ++i)
    check_column(table.numeric_names[i], table.numeric_columns[i].size());
  for (std::size_t i = 0; i < table.text_names.size(); ++i)
    check_column(table.text_names[i], table.text_columns[i].size());
}

void validate(const TraceData& data) {
  const LinkSeries& series = data.link_series;
  if (series.link.size() * series.bins != series.bytes.size())
    throw InternalError("trace: link series has " + std::to_string(series.bytes.size()) + " values for " +
                        std::to_string(series.link.size()) + " links x " + std::to_string(series.bins) + " bins");
  if (!(series.bin_width >= 0)) throw InternalError("trace: link series bin width is negative");
  for (int32_t link : series.link)
    if (link < 0 || static_cast<std::size_t>(link) >= data.links.size())
      throw InternalError("trace: link series refers to link " + std::to_string(link) + " of " +
                          std::to_string(data.links.size()));
  std::set<std::string> names;
  for (const SummaryValue& value : data.summary)
    if (!names.insert(value.name).second) throw InternalError("trace: summary value '" + value.name + "' twice");
  names.clear();
  for (const SummaryText& text : data.summary_text)
    if (!names.insert(text.name).second) throw InternalError("trace: summary text '" + text.name + "' twice");
  names.clear();
  for (const Table& table : data.tables) {
    validate_table(table);
    if (!names.insert(table.name).second) throw InternalError("trace: two tables named '" + table.name + "'");
  }
}

// Indices are checked while gathering the activity columns, so a 10-million-row trace is read
// once. Checks: kind inside the enum, label inside the label table, gpu/peer inside the GPU
// table (when the engine filled one), end not before start.
void check_activity(const ActivityRecord& a, std::size_t row, std::size_t labels, std::size_t gpus) {
  auto bad = [row](const std::string& why) {
    throw InternalError("trace: activity " + std::to_string(row) + ": " + why);
  };
  if (static_cast<std::size_t>(a.kind) >= kActivityKindCount) bad("kind out of range");
  if (a.label < -1 || (a.label >= 0 && static_cast<std::size_t>(a.label) >= labels)) bad("label out of range");
  if (gpus > 0) {
    if (a.gpu < -1 || (a.gpu >= 0 && static_cast<std::size_t>(a.gpu) >= gpus)) bad("gpu out of range");
    if (a.peer < -1 || (a.peer >= 0 && static_cast<std::size_t>(a.peer) >= gpus)) bad("peer out of range");
  }
  if (!(a.end >= a.start)) bad("ends before it starts (or has a NaN time)");
}

// ---- sections ----

void write_provenance(hid_t file, const TraceData& data) {
  h5::set_attr(file, "format", "trainsim-trace");
  h5::set_attr(file, "format_version", kTraceFormatVersion);
  h5::set_attr(file, "trainsim_version", data.trainsim_version);
  h5::set_attr(file, "simgrid_version", data.simgrid_version);
  h5::set_attr(file, "seed", data.seed);
  h5::set_attr(file, "scenario_file", data.scenario_file);
  h5::set_attr(file, "command_line", data.command_line);
  h5::set_attr(file, "makespan", data.makespan);
  Handle scenario = h5::create_group(file, "scenario");
  h5::write_scalar_string(scenario, "text", data.scenario_text);
}

Handle kind_enum_type() {
  // uint8 has no byte order, so the same type serves in memory and in the file.
  Handle type(h5::check(H5Tenum_create(H5T_STD_U8LE), "H5Tenum_create"), H5Tclose);
  for (std::size_t k = 0; k < kActivityKindCount; ++k) {
    auto value = static_cast<uint8_t>(k);
    h5::check(H5Tenum_insert(type, activity_kind_name(static_cast<ActivityKind>(k)), &value), "H5Tenum_insert");
  }
  return type;
}

// One buffer per column for a slab of rows; the records are gathered once per slab (one pass
// over memory for all columns) and each column is then written in one H5Dwrite.
struct ActivitySlab {
  std::vector<double> start, end, bytes, flops;
  std::vector<int32_t> gpu, peer, stage, micro_batch, chunk, step, label;
  std::vector<uint8_t> kind;

  void resize(std::size_t n) {
    for (auto* v : {&start, &end, &bytes, &flops}) v->resize(n);
    for (auto* v : {&gpu, &peer, &stage, &micro_batch, &chunk, &step, &label}) v->resize(n);
    kind.resize(n);
  }
};

void write_activities(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  const std::vector<ActivityRecord>& rows = data.activities;
  const std::size_t n = rows.size();
  Handle group = h5::create_group(file, "activities");
  Handle kind_type = kind_enum_type();

  struct F64 { const char* name; const char* unit; std::vector<double> ActivitySlab::*column; };
  struct I32 { const char* name; std::vector<int32_t> ActivitySlab::*column; };
  const F64 f64s[] = {{"start", "s", &ActivitySlab::start}, {"end", "s", &ActivitySlab::end},
                      {"bytes", "B", &ActivitySlab::bytes}, {"flops", "FLOP", &ActivitySlab::flops}};
  const I32 i32s[] = {{"gpu", &ActivitySlab::gpu},     {"peer", &ActivitySlab::peer},
                      {"stage", &ActivitySlab::stage}, {"micro_batch", &ActivitySlab::micro_batch},
                      {"chunk", &ActivitySlab::chunk}, {"step", &ActivitySlab::step},
                      {"label", &ActivitySlab::label}};
  std::vector<Handle> f64_sets, i32_sets;
  for (const F64& c : f64s) {
    f64_sets.push_back(h5::create_dataset(group, c.name, H5T_IEEE_F64LE, n, 0, layout, true));
    h5::set_attr(f64_sets.back(), "unit", c.unit);
  }
  for (const I32& c : i32s) i32_sets.push_back(h5::create_dataset(group, c.name, H5T_STD_I32LE, n, 0, layout, true));
  Handle kind_set = h5::create_dataset(group, "kind", kind_type, n, 0, layout, true);

  // Whole chunks per slab, so every chunk is compressed once from a single write.
  const std::size_t slab_rows = std::max<std::size_t>(layout.chunk_rows, 1) * 16;
  ActivitySlab slab;
  slab.resize(std::min(n, slab_rows));
  const std::size_t labels = data.labels.size(), gpus = data.gpus.size();
  for (std::size_t first = 0; first < n; first += slab_rows) {
    const std::size_t count = std::min(slab_rows, n - first);
    for (std::size_t i = 0; i < count; ++i) {
      const ActivityRecord& a = rows[first + i];
      check_activity(a, first + i, labels, gpus);
      slab.start[i] = a.start;
      slab.end[i] = a.end;
      slab.bytes[i] = a.bytes;
      slab.flops[i] = a.flops;
      slab.gpu[i] = a.gpu;
      slab.peer[i] = a.peer;
      slab.stage[i] = a.stage;
      slab.micro_batch[i] = a.micro_batch;
      slab.chunk[i] = a.chunk;
      slab.step[i] = a.step;
      slab.label[i] = a.label;
      slab.kind[i] = static_cast<uint8_t>(a.kind);
    }
    for (std::size_t c = 0; c < std::size(f64s); ++c)
      h5::write_rows(f64_sets[c], H5T_NATIVE_DOUBLE, first, count, 0, (slab.*f64s[c].column).data());
    for (std::size_t c = 0; c < std::size(i32s); ++c)
      h5::write_rows(i32_sets[c], H5T_NATIVE_INT32, first, count, 0, (slab.*i32s[c].column).data());
    h5::write_rows(kind_set, kind_type, first, count, 0, slab.kind.data());
  }

  std::vector<std::string> kind_names;
  for (std::size_t k = 0; k < kActivityKindCount; ++k)
    kind_names.emplace_back(activity_kind_name(static_cast<ActivityKind>(k)));
  h5::write_string_column(group, "kind_names", kind_names, layout);
}

void write_links(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  Handle group = h5::create_group(file, "links");
  std::vector<std::string> name, tier;
  std::vector<double> bandwidth, latency, bytes, busy, utilization;
  for (const LinkStats& link : data.links) {
    name.push_back(link.name);
    tier.push_back(link.tier);
    bandwidth.push_back(link.bandwidth);
    latency.push_back(link.latency);
    bytes.push_back(link.bytes);
    busy.push_back(link.busy_time);
    utilization.push_back(link_utilization(link, data.makespan));
  }
  h5::write_string_column(group, "name", name, layout);
  h5::write_string_column(group, "tier", tier, layout);
  h5::write_f64_column(group, "bandwidth", bandwidth, layout, "B/s");
  h5::write_f64_column(group, "latency", latency, layout, "s");
  h5::write_f64_column(group, "bytes", bytes, layout, "B");
  h5::write_f64_column(group, "busy_time", busy, layout, "s");
  h5::write_f64_column(group, "utilization", utilization, layout, "1");
}

void write_link_series(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  const LinkSeries& series = data.link_series;
  Handle group = h5::create_group(file, "link_series");
  h5::set_attr(group, "bin_width", series.bin_width);
  h5::write_i32_column(group, "link", series.link, layout);
  // Rows of whole series: a reader usually wants all bins of one link.
  h5::ColumnLayout rows_layout = layout;
  rows_layout.chunk_rows = std::max<std::size_t>(1, layout.chunk_rows / std::max<std::size_t>(series.bins, 1));
  Handle bytes = h5::create_dataset(group, "bytes", H5T_IEEE_F64LE, series.link.size(), series.bins,
                                    rows_layout, true);
  h5::write_rows(bytes, H5T_NATIVE_DOUBLE, 0, series.link.size(), series.bins, series.bytes.data());
  h5::set_attr(bytes, "unit", "B");
}

void write_gpus(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  Handle group = h5::create_group(file, "gpus");
  std::vector<std::string> name, model, cluster, node;
  std::vector<int32_t> local_index, stage, tp_rank, dp_rank, replica;
  for (const GpuInfo& gpu : data.gpus) {
    name.push_back(gpu.name);
    model.push_back(gpu.model);
    cluster.push_back(gpu.cluster);
    node.push_back(gpu.node);
    local_index.push_back(gpu.local_index);
    stage.push_back(gpu.stage);
    tp_rank.push_back(gpu.tp_rank);
    dp_rank.push_back(gpu.dp_rank);
    replica.push_back(gpu.replica);
  }
  h5::write_string_column(group, "name", name, layout);
  h5::write_string_column(group, "model", model, layout);
  h5::write_string_column(group, "cluster", cluster, layout);
  h5::write_string_column(group, "node", node, layout);
  h5::write_i32_column(group, "local_index", local_index, layout);
  h5::write_i32_column(group, "stage", stage, layout);
  h5::write_i32_column(group, "tp_rank", tp_rank, layout);
  h5::write_i32_column(group, "dp_rank", dp_rank, layout);
  h5::write_i32_column(group, "replica", replica, layout);
}

void write_summary(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  Handle numeric = h5::create_group(file, "summary");
  std::vector<std::string> name, unit;
  std::vector<double> value;
  for (const SummaryValue& v : data.summary) {
    name.push_back(v.name);
    value.push_back(v.value);
    unit.push_back(v.unit);
  }
  h5::write_string_column(numeric, "name", name, layout);
  h5::write_f64_column(numeric, "value", value, layout, nullptr);
  h5::write_string_column(numeric, "unit", unit, layout);

  Handle text = h5::create_group(file, "summary_text");
  std::vector<std::string> text_name, text_value;
  for (const SummaryText& t : data.summary_text) {
    text_name.push_back(t.name);
    text_value.push_back(t.value);
  }
  h5::write_string_column(text, "name", text_name, layout);
  h5::write_string_column(text, "value", text_value, layout);
}

void write_tables(hid_t file, const TraceData& data, const h5::ColumnLayout& layout) {
  Handle tables = h5::create_group(file, "tables");
  for (const Table& table : data.tables) {
    Handle group = h5::create_group(tables, table.name.c_str());
    // HDF5 lists links by name; the attribute keeps the producer's column order.
    std::vector<std::string> order = table.numeric_names;
    order.insert(order.end(), table.text_names.begin(), table.text_names.end());
    h5::set_attr(group, "columns", order);
    h5::set_attr(group, "rows", static_cast<uint64_t>(table.rows()));
    for (std::size_t i = 0; i < table.numeric_names.size(); ++i)
      h5::write_f64_column(group, table.numeric_names[i].c_str(), table.numeric_columns[i], layout, nullptr);
    for (std::size_t i = 0; i < table.text_names.size(); ++i)
      h5::write_string_column(group, table.text_names[i].c_str(), table.text_columns[i], layout);
  }
}

}  // namespace

void write_trace_hdf5(const TraceData& data, const std::string& path, const TraceWriteOptions& options) {
  validate(data);
  h5::ColumnLayout layout{std::max<std::size_t>(options.chunk_rows, 1), std::clamp(options.deflate_level, 0, 9)};
  AtomicOutputFile out(path, options.existing, options.key);
  h5::SilenceErrors quiet;
  auto done = [&](const char* section) {
    if (options.after_section) options.after_section(section);
  };
  try {
    Handle file = h5::create_file(out.temp_path());
    write_provenance(file, data);
    done("provenance");
    h5::write_string_column(file, "labels", data.labels.names(), layout);
    done("labels");
    write_activities(file, data, layout);
    done("activities");
    write_links(file, data, layout);
    done("links");
    write_link_series(file, data, layout);
    done("link_series");
    write_gpus(file, data, layout);
    done("gpus");
    write_summary(file, data, layout);
    done("summary");
    write_tables(file, data, layout);
    done("tables");
    file.close("cannot close HDF5 file");  // flushes: write errors (disk full) surface here
  } catch (const h5::Hdf5Failure& failure) {
    out.discard();
    throw OutputError(path, std::string("HDF5 write failed: ") + failure.what(), options.key);
  } catch (...) {
    out.discard();
    throw;
  }
  out.commit();
}

}  // namespace trainsim::output
