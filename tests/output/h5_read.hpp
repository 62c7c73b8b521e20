#pragma once
// Test-side HDF5 readers (C API), independent of the writer's helpers so that a bug there
// cannot hide itself.
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace trainsim::output::testing {

struct H5Closer {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5Closer() {
    if (id >= 0) close(id);
  }
};

inline hid_t must(hid_t id, const std::string& what) {
  if (id < 0) throw std::runtime_error("HDF5 read failed: " + what);
  return id;
}

inline hsize_t rows_of(hid_t file, const std::string& path) {
  H5Closer ds{must(H5Dopen2(file, path.c_str(), H5P_DEFAULT), path), H5Dclose};
  H5Closer space{must(H5Dget_space(ds.id), path), H5Sclose};
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  return dims[0];
}

template <typename T>
std::vector<T> read_numbers(hid_t file, const std::string& path, hid_t mem_type) {
  H5Closer ds{must(H5Dopen2(file, path.c_str(), H5P_DEFAULT), path), H5Dclose};
  H5Closer space{must(H5Dget_space(ds.id), path), H5Sclose};
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id)));
  if (!values.empty()) must(H5Dread(ds.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path);
  return values;
}

inline std::vector<double> read_f64(hid_t file, const std::string& path) {
  return read_numbers<double>(file, path, H5T_NATIVE_DOUBLE);
}
inline std::vector<int32_t> read_i32(hid_t file, const std::string& path) {
  return read_numbers<int32_t>(file, path, H5T_NATIVE_INT32);
}

inline std::vector<std::string> read_strings(hid_t file, const std::string& path) {
  H5Closer ds{must(H5Dopen2(file, path.c_str(), H5P_DEFAULT), path), H5Dclose};
  H5Closer space{must(H5Dget_space(ds.id), path), H5Sclose};
  H5Closer type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  std::vector<char*> raw(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id)));
  std::vector<std::string> out;
  if (raw.empty()) return out;
  must(H5Dread(ds.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), path);
  for (char* s : raw) out.emplace_back(s ? s : "");
  H5Dvlen_reclaim(type.id, space.id, H5P_DEFAULT, raw.data());
  return out;
}

inline std::string read_attr_string(hid_t object, const std::string& name) {
  H5Closer attr{must(H5Aopen(object, name.c_str(), H5P_DEFAULT), name), H5Aclose};
  H5Closer type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  char* raw = nullptr;
  must(H5Aread(attr.id, type.id, &raw), name);
  std::string out = raw ? raw : "";
  H5free_memory(raw);
  return out;
}

template <typename T>
T read_attr(hid_t object, const std::string& name, hid_t mem_type) {
  H5Closer attr{must(H5Aopen(object, name.c_str(), H5P_DEFAULT), name), H5Aclose};
  T value{};
  must(H5Aread(attr.id, mem_type, &value), name);
  return value;
}

}  // namespace trainsim::output::testing
