#include "output/hdf5_io.hpp"

#include <algorithm>

namespace trainsim::output::h5 {

namespace {

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* client) {
  auto* text = static_cast<std::string*>(client);
  if (!text->empty()) *text += "; ";
  *text += err->func_name ? err->func_name : "?";
  *text += ": ";
  *text += err->desc ? err->desc : "(no description)";
  return 0;
}

// Object creation properties shared by groups and datasets: no timestamps, so that writing
// the same data twice gives the same bytes.
void no_times(hid_t plist) { check(H5Pset_obj_track_times(plist, false), "H5Pset_obj_track_times"); }

Handle plist(hid_t cls) { return Handle(check(H5Pcreate(cls), "H5Pcreate"), H5Pclose); }

Handle scalar_space() { return Handle(check(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose); }

void write_attr(hid_t object, const char* name, hid_t type, hid_t space, const void* value) {
  Handle attr(check(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  // An empty list has nothing to write (and HDF5 refuses a null buffer).
  if (value) check(H5Awrite(attr, type, value), name);
}

}  // namespace

hid_t check(hid_t status, const char* what) {
  if (status >= 0) return status;
  std::string stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &stack);
  H5Eclear2(H5E_DEFAULT);
  throw Hdf5Failure(std::string(what) + (stack.empty() ? "" : ": " + stack));
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = -1;
}

void Handle::close(const char* what) {
  hid_t id = id_;
  id_ = -1;
  if (id >= 0 && closer_) check(closer_(id), what);
}

SilenceErrors::SilenceErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

SilenceErrors::~SilenceErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

Handle create_file(const std::string& path) {
  Handle fcpl = plist(H5P_FILE_CREATE);
  no_times(fcpl);  // the root group is created with the file creation properties
  Handle fapl = plist(H5P_FILE_ACCESS);
  // Why no locking: the temporary file is private to this process, and flock() fails on some
  // network file systems where traces are commonly written.
  check(H5Pset_file_locking(fapl, false, true), "H5Pset_file_locking");
  return Handle(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl), "cannot create HDF5 file"),
                H5Fclose);
}

Handle create_group(hid_t parent, const char* name) {
  Handle gcpl = plist(H5P_GROUP_CREATE);
  no_times(gcpl);
  return Handle(check(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), name), H5Gclose);
}

Handle utf8_string_type() {
  Handle type(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  check(H5Tset_size(type, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset");
  return type;
}

Handle create_dataset(hid_t parent, const char* name, hid_t file_type, std::size_t rows,
                      std::size_t cols, const ColumnLayout& layout, bool compress) {
  int rank = cols == 0 ? 1 : 2;
  hsize_t dims[2] = {rows, cols};
  hsize_t maxdims[2] = {H5S_UNLIMITED, cols};
  // A chunk never larger than the data (small tables stay small) and never empty (HDF5
  // rejects zero-sized chunks, and zero-row datasets must still be writable).
  hsize_t chunk[2] = {std::clamp<hsize_t>(rows, 1, std::max<std::size_t>(layout.chunk_rows, 1)),
                      std::max<hsize_t>(cols, 1)};
  Handle space(check(H5Screate_simple(rank, dims, maxdims), "H5Screate_simple"), H5Sclose);
  Handle dcpl = plist(H5P_DATASET_CREATE);
  no_times(dcpl);
  check(H5Pset_chunk(dcpl, rank, chunk), "H5Pset_chunk");
  if (compress && layout.deflate_level > 0) {
    // Shuffle groups the bytes of equal significance: times and indices then deflate well.
    check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
    check(H5Pset_deflate(dcpl, static_cast<unsigned>(layout.deflate_level)), "H5Pset_deflate");
  }
  return Handle(check(H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name),
                H5Dclose);
}

void write_rows(hid_t dataset, hid_t mem_type, std::size_t first, std::size_t count,
                std::size_t cols, const void* buffer) {
  if (count == 0) return;
  int rank = cols == 0 ? 1 : 2;
  hsize_t start[2] = {first, 0};
  hsize_t extent[2] = {count, cols};
  Handle file_space(check(H5Dget_space(dataset), "H5Dget_space"), H5Sclose);
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, extent, nullptr),
        "H5Sselect_hyperslab");
  Handle mem_space(check(H5Screate_simple(rank, extent, nullptr), "H5Screate_simple"), H5Sclose);
  check(H5Dwrite(dataset, mem_type, mem_space, file_space, H5P_DEFAULT, buffer), "H5Dwrite");
}

void write_f64_column(hid_t parent, const char* name, const std::vector<double>& values,
                      const ColumnLayout& layout, const char* unit) {
  Handle ds = create_dataset(parent, name, H5T_IEEE_F64LE, values.size(), 0, layout, true);
  write_rows(ds, H5T_NATIVE_DOUBLE, 0, values.size(), 0, values.data());
  if (unit) set_attr(ds, "unit", unit);
}

void write_i32_column(hid_t parent, const char* name, const std::vector<int32_t>& values,
                      const ColumnLayout& layout) {
  Handle ds = create_dataset(parent, name, H5T_STD_I32LE, values.size(), 0, layout, true);
  write_rows(ds, H5T_NATIVE_INT32, 0, values.size(), 0, values.data());
}

void write_string_column(hid_t parent, const char* name, const std::vector<std::string>& values,
                         const ColumnLayout& layout) {
  Handle type = utf8_string_type();
  // Deflate would only see heap references of variable-length strings: not worth a filter.
  Handle ds = create_dataset(parent, name, type, values.size(), 0, layout, false);
  std::vector<const char*> pointers(values.size());
  std::transform(values.begin(), values.end(), pointers.begin(), [](const std::string& s) { return s.c_str(); });
  write_rows(ds, type, 0, values.size(), 0, pointers.data());
}

void write_scalar_string(hid_t parent, const char* name, const std::string& value) {
  Handle type = utf8_string_type();
  Handle space = scalar_space();
  Handle dcpl = plist(H5P_DATASET_CREATE);
  no_times(dcpl);
  Handle ds(check(H5Dcreate2(parent, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name), H5Dclose);
  const char* pointer = value.c_str();
  check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer), name);
}

void set_attr(hid_t object, const char* name, const std::string& value) { set_attr(object, name, value.c_str()); }

void set_attr(hid_t object, const char* name, const char* value) {
  Handle type = utf8_string_type();
  write_attr(object, name, type, scalar_space(), &value);
}

void set_attr(hid_t object, const char* name, double value) {
  Handle space = scalar_space();
  Handle attr(check(H5Acreate2(object, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), name);
}

void set_attr(hid_t object, const char* name, int32_t value) {
  Handle space = scalar_space();
  Handle attr(check(H5Acreate2(object, name, H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  check(H5Awrite(attr, H5T_NATIVE_INT32, &value), name);
}

void set_attr(hid_t object, const char* name, uint64_t value) {
  Handle space = scalar_space();
  Handle attr(check(H5Acreate2(object, name, H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  check(H5Awrite(attr, H5T_NATIVE_UINT64, &value), name);
}

void set_attr(hid_t object, const char* name, const std::vector<std::string>& values) {
  Handle type = utf8_string_type();
  hsize_t dims[1] = {values.size()};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "H5Screate_simple"), H5Sclose);
  std::vector<const char*> pointers(values.size());
  std::transform(values.begin(), values.end(), pointers.begin(), [](const std::string& s) { return s.c_str(); });
  write_attr(object, name, type, space, pointers.empty() ? nullptr : pointers.data());
}

}  // namespace trainsim::output::h5
