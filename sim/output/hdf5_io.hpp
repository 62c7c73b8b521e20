#pragma once
// Thin RAII and helper layer over the HDF5 1.10 C API, used by the trace writer. Everything
// here creates objects without modification times (H5Pset_obj_track_times(false)) so that the
// same data gives a byte-identical file.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainsim::output::h5 {

// An HDF5 call failed; the message carries HDF5's own error stack (innermost first).
class Hdf5Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Hdf5Failure("<what>: <HDF5 error stack>") when `status` is negative.
hid_t check(hid_t status, const char* what);

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: lets handles pass straight to H5 calls
  void reset() noexcept;
  // Closes now and reports a failure (closing a file flushes it: errors surface here).
  void close(const char* what);

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Turns HDF5's automatic error printing off for the lifetime of the object (the writer reports
// errors through exceptions instead) and restores the previous handler afterwards.
class SilenceErrors {
 public:
  SilenceErrors();
  ~SilenceErrors();
  SilenceErrors(const SilenceErrors&) = delete;
  SilenceErrors& operator=(const SilenceErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Storage choices for column datasets.
struct ColumnLayout {
  std::size_t chunk_rows = 65536;  // rows per chunk (first dimension)
  int deflate_level = 4;           // 0 = no compression
};

Handle create_file(const std::string& path);
Handle create_group(hid_t parent, const char* name);
Handle utf8_string_type();  // variable-length UTF-8 string

// Creates a 1-D (cols == 0) or 2-D dataset with `rows` rows, chunked along the rows, with
// shuffle + deflate when `compress` and the layout asks for it; extendable along the rows so
// that a zero-row dataset is legal.
Handle create_dataset(hid_t parent, const char* name, hid_t file_type, std::size_t rows,
                      std::size_t cols, const ColumnLayout& layout, bool compress);

// Writes rows [first, first + count) of a dataset from a contiguous memory buffer.
void write_rows(hid_t dataset, hid_t mem_type, std::size_t first, std::size_t count,
                std::size_t cols, const void* buffer);

// Whole-column conveniences.
void write_f64_column(hid_t parent, const char* name, const std::vector<double>& values,
                      const ColumnLayout& layout, const char* unit);
void write_i32_column(hid_t parent, const char* name, const std::vector<int32_t>& values,
                      const ColumnLayout& layout);
void write_string_column(hid_t parent, const char* name, const std::vector<std::string>& values,
                         const ColumnLayout& layout);
void write_scalar_string(hid_t parent, const char* name, const std::string& value);

// Attributes (scalar, except the string list).
void set_attr(hid_t object, const char* name, const std::string& value);
void set_attr(hid_t object, const char* name, const char* value);
void set_attr(hid_t object, const char* name, double value);
void set_attr(hid_t object, const char* name, int32_t value);
void set_attr(hid_t object, const char* name, uint64_t value);
void set_attr(hid_t object, const char* name, const std::vector<std::string>& values);

}  // namespace trainsim::output::h5
