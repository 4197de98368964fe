/*
 * Helpers shared by berth's native addons (src/archive/native, src/runtime/native): errors that
 * look like Node's fs errors (code, errno, syscall, path), argument checks, and value makers.
 */
#ifndef BERTH_NAPI_HELPERS_H
#define BERTH_NAPI_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BERTH_UNUSED __attribute__((unused))

/* ---------- errors ---------- */

static const char *errno_code(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ETXTBSY: return "ETXTBSY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case ENODATA: return "ENODATA";
    case EOPNOTSUPP: return "ENOTSUP";
    case EDQUOT: return "EDQUOT";
    case ESTALE: return "ESTALE";
    default: return "UNKNOWN";
  }
}

static BERTH_UNUSED void throw_errno(napi_env env, int err, const char *syscall_name, const char *path) {
  char msg[PATH_MAX + 256];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_code(err), strerror(err), syscall_name, path ? path : "");
  napi_value code, message, error, v;
  napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "path", v);
  }
  napi_throw(env, error);
}

static BERTH_UNUSED void throw_type(napi_env env, const char *msg) { napi_throw_type_error(env, NULL, msg); }

/* ---------- arguments ---------- */

#define GET_ARGS(n)                                                     \
  size_t argc = (n);                                                    \
  napi_value argv[(n) > 0 ? (n) : 1];                                   \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) \
    return NULL;                                                        \
  if (argc < (n)) {                                                     \
    throw_type(env, "missing arguments");                               \
    return NULL;                                                        \
  }

static BERTH_UNUSED int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

static BERTH_UNUSED int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

static BERTH_UNUSED int get_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    throw_type(env, "expected a boolean");
    return 0;
  }
  *out = b;
  return 1;
}

static BERTH_UNUSED napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static BERTH_UNUSED napi_value make_bool(napi_env env, int v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

static BERTH_UNUSED napi_value make_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

static BERTH_UNUSED napi_value make_null(napi_env env) {
  napi_value r;
  napi_get_null(env, &r);
  return r;
}

static BERTH_UNUSED napi_value make_buffer(napi_env env, const void *data, size_t len) {
  napi_value r;
  void *copy;
  napi_create_buffer_copy(env, len, data, &copy, &r);
  return r;
}

#define EXPORT(name, fn)                                              \
  do {                                                                \
    napi_value f;                                                     \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f); \
    napi_set_named_property(env, exports, name, f);                   \
  } while (0)


#endif
