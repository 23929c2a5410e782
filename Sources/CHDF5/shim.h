// CHDF5: the HDF5 C library as WiringResults sees it. See README.md in this folder for why C is wrapped.
#ifndef WIRINGLAB_CHDF5_SHIM_H
#define WIRINGLAB_CHDF5_SHIM_H

// Debian/Ubuntu install the serial build under hdf5/serial; Homebrew and source builds use the plain names.
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#include <hdf5/serial/hdf5_hl.h>
#else
#include <hdf5.h>
#include <hdf5_hl.h>
#endif
#include <stdio.h>
#include <string.h>

// ---------------------------------------------------------------------------------------------------------------------
// Constants. In the headers these are macros that call H5open() and read a global id, so Swift cannot import them.

static inline hid_t wl_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t wl_h5s_all(void) { return H5S_ALL; }
static inline hid_t wl_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t wl_h5t_variable(void) { return H5T_VARIABLE; }

static inline unsigned wl_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned wl_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned wl_h5f_acc_excl(void) { return H5F_ACC_EXCL; }

static inline hid_t wl_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t wl_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t wl_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t wl_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t wl_h5p_link_create(void) { return H5P_LINK_CREATE; }

// Memory types: what a Swift array holds.
static inline hid_t wl_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t wl_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t wl_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t wl_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t wl_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t wl_h5t_c_s1(void) { return H5T_C_S1; }

// File types: little-endian standard types, what h5py and numpy write on every platform.
static inline hid_t wl_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t wl_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t wl_h5t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t wl_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t wl_h5t_std_i64le(void) { return H5T_STD_I64LE; }

/// Frees the strings HDF5 allocated for a variable-length string read. HDF5 1.12 renamed the call; Debian's 1.10.8
/// headers declare the new name, but its library does not export it.
static inline herr_t wl_reclaim_variable_strings(hid_t type, hid_t space, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

// ---------------------------------------------------------------------------------------------------------------------
// Callbacks. HDF5 reports through C function pointers; these small C helpers turn each walk into one plain call.

/// Turns HDF5's automatic error-stack printing off for the calling thread (the setting is per thread in a
/// thread-safe build), so a user sees only WiringResults' one-line error.
static inline herr_t wl_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct { char *buffer; size_t size; int found; } wl_error_text;

static herr_t wl_error_walker(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    wl_error_text *text = (wl_error_text *)data;
    if (text->found || err == NULL || err->desc == NULL) return 0;
    // The innermost entry is the most specific one ("truncated file: eof = ...").
    snprintf(text->buffer, text->size, "%s", err->desc);
    text->found = 1;
    return 0;
}

/// Copies the innermost message of the calling thread's HDF5 error stack into `buffer`; returns 1 if there was one.
static inline int wl_innermost_error(char *buffer, size_t size) {
    wl_error_text text = { buffer, size, 0 };
    if (size > 0) buffer[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, wl_error_walker, &text);
    return text.found;
}

static herr_t wl_attribute_counter(hid_t location, const char *name, const H5A_info_t *info, void *data) {
    (void)location; (void)name; (void)info;
    *(hsize_t *)data += 1;
    return 0;
}

/// Number of attributes on an open object, or a negative value on failure. (H5Oget_info's signature differs
/// between HDF5 1.10 and 1.12, H5Aiterate2's does not.)
static inline long long wl_attribute_count(hid_t object) {
    hsize_t count = 0;
    hsize_t start = 0;
    if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &start, wl_attribute_counter, &count) < 0) return -1;
    return (long long)count;
}

typedef struct { char *buffer; size_t size; ssize_t length; } wl_scale_name;

static herr_t wl_scale_visitor(hid_t dataset, unsigned dim, hid_t scale, void *data) {
    (void)dataset; (void)dim;
    wl_scale_name *name = (wl_scale_name *)data;
    name->length = H5Iget_name(scale, name->buffer, name->size);
    return 1;  // stop after the first scale visited
}

/// Writes the HDF5 path of the `index`-th dimension scale attached to dimension `dim` of `dataset` into `buffer`;
/// returns the path's full length (which may exceed `size`), or a negative value when there is none or on failure.
static inline ssize_t wl_dimension_scale_path(hid_t dataset, unsigned dim, int index, char *buffer, size_t size) {
    wl_scale_name name = { buffer, size, -1 };
    int start = index;
    if (H5DSiterate_scales(dataset, dim, &start, wl_scale_visitor, &name) < 0) return -1;
    return name.length;
}

static H5T_conv_ret_t wl_reject_out_of_range(H5T_conv_except_t kind, hid_t source, hid_t target,
                                             void *source_value, void *target_value, void *data) {
    (void)source; (void)target; (void)source_value; (void)target_value; (void)data;
    if (kind == H5T_CONV_EXCEPT_RANGE_HI || kind == H5T_CONV_EXCEPT_RANGE_LOW) return H5T_CONV_ABORT;
    return H5T_CONV_UNHANDLED;
}

/// Makes reads through the transfer list `dxpl` fail instead of clamping when a value does not fit the memory type
/// (int64 300 read as int8 would otherwise silently become 127).
static inline herr_t wl_set_strict_conversion(hid_t dxpl) {
    return H5Pset_type_conv_cb(dxpl, wl_reject_out_of_range, NULL);
}

#endif
