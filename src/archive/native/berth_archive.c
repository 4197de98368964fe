/*
 * berth_archive: the filesystem calls Node's fs lacks, for safe layer extraction.
 *
 * Everything that touches an archive-controlled path works relative to directory file
 * descriptors: the parent directory of an entry is resolved inside the extraction root
 * (openat2 RESOLVE_IN_ROOT, or an equivalent userspace walk on kernels without openat2), and the
 * final component is then operated on with *at() calls that never follow it. A symlink or
 * hardlink planted by an earlier entry therefore cannot redirect a write outside the root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/openat2.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_SYMLINKS 40
#define MAX_EXPANDED_PATH 65536
#define XATTR_MAX_VALUE 65536
#define XATTR_MAX_LIST 65536

/* 0 = try openat2 first, 1 = always use the userspace walk (tests). */
static int force_userspace = 0;
/* -1 unknown, 0 no, 1 yes */
static int openat2_works = -1;

#include "napi_helpers.h"

/* A path or name given as Buffer (raw bytes) or string (UTF-8); no NUL bytes allowed. */
static int get_path(napi_env env, napi_value v, char *out, size_t cap) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (is_buffer) {
    void *data;
    size_t len;
    napi_get_buffer_info(env, v, &data, &len);
    if (len >= cap) {
      throw_errno(env, ENAMETOOLONG, "path", NULL);
      return 0;
    }
    if (memchr(data, 0, len) != NULL) {
      throw_type(env, "path contains a NUL byte");
      return 0;
    }
    memcpy(out, data, len);
    out[len] = 0;
    return 1;
  }
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_type(env, "expected a string or Buffer path");
    return 0;
  }
  if (len >= cap) {
    throw_errno(env, ENAMETOOLONG, "path", NULL);
    return 0;
  }
  napi_get_value_string_utf8(env, v, out, cap, &len);
  if (strlen(out) != len) {
    throw_type(env, "path contains a NUL byte");
    return 0;
  }
  return 1;
}

/* A single path component: non-empty, no slash, not "." or ".." (unless allow_dot). */
static int get_name(napi_env env, napi_value v, char *out, int allow_dot) {
  if (!get_path(env, v, out, NAME_MAX + 1)) return 0;
  if (out[0] == 0 || strchr(out, '/') != NULL || strcmp(out, "..") == 0 || (!allow_dot && strcmp(out, ".") == 0)) {
    throw_errno(env, EINVAL, "name", out);
    return 0;
  }
  return 1;
}

/* ---------- resolution inside a root ---------- */

static int try_openat2(int rootfd, const char *path, int *out) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, rootfd, path[0] ? path : ".", &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return errno;
  *out = (int)fd;
  return 0;
}

struct fd_stack {
  int *fds;
  size_t len, cap;
};

static int stack_push(struct fd_stack *s, int fd) {
  if (s->len == s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 16;
    int *n = realloc(s->fds, ncap * sizeof(int));
    if (!n) return ENOMEM;
    s->fds = n;
    s->cap = ncap;
  }
  s->fds[s->len++] = fd;
  return 0;
}

static void stack_unwind(struct fd_stack *s, size_t keep) {
  while (s->len > keep) close(s->fds[--s->len]);
}

/*
 * Userspace equivalent of openat2(RESOLVE_IN_ROOT): walks one component at a time with
 * O_NOFOLLOW, expands symlinks itself, treats absolute targets and ".." at the top as the root,
 * and keeps the chain of opened directories so ".." is physical and never leaves the root.
 */
static int resolve_userspace(int rootfd, const char *path, int *out) {
  struct fd_stack st = {0};
  int err = 0, links = 0;
  int top = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (top < 0) return errno;
  if ((err = stack_push(&st, top))) {
    close(top);
    return err;
  }
  size_t plen = strlen(path);
  char *buf = malloc(plen + 1);
  if (!buf) {
    err = ENOMEM;
    goto fail;
  }
  memcpy(buf, path, plen + 1);
  char *cur = buf;
  for (;;) {
    while (*cur == '/') cur++;
    if (!*cur) break;
    char *end = strchr(cur, '/');
    size_t len = end ? (size_t)(end - cur) : strlen(cur);
    char *rest = cur + len;
    if (len > NAME_MAX) {
      err = ENAMETOOLONG;
      goto fail;
    }
    char comp[NAME_MAX + 1];
    memcpy(comp, cur, len);
    comp[len] = 0;
    if (strcmp(comp, ".") == 0) {
      cur = rest;
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      if (st.len > 1) stack_unwind(&st, st.len - 1);
      cur = rest;
      continue;
    }
    int fd = openat(st.fds[st.len - 1], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      goto fail;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0) {
      err = errno;
      close(fd);
      goto fail;
    }
    if (S_ISLNK(sb.st_mode)) {
      if (++links > MAX_SYMLINKS) {
        close(fd);
        err = ELOOP;
        goto fail;
      }
      char target[PATH_MAX];
      ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
      close(fd);
      if (n < 0) {
        err = errno;
        goto fail;
      }
      if (n == 0) {
        err = ENOENT;
        goto fail;
      }
      target[n] = 0;
      size_t rlen = strlen(rest);
      if ((size_t)n + 1 + rlen > MAX_EXPANDED_PATH) {
        err = ENAMETOOLONG;
        goto fail;
      }
      char *nbuf = malloc((size_t)n + 1 + rlen + 1);
      if (!nbuf) {
        err = ENOMEM;
        goto fail;
      }
      memcpy(nbuf, target, (size_t)n);
      nbuf[n] = '/';
      memcpy(nbuf + n + 1, rest, rlen + 1);
      free(buf);
      buf = nbuf;
      cur = buf;
      if (target[0] == '/') stack_unwind(&st, 1);
      continue;
    }
    if (!S_ISDIR(sb.st_mode)) {
      close(fd);
      err = ENOTDIR;
      goto fail;
    }
    if ((err = stack_push(&st, fd))) {
      close(fd);
      goto fail;
    }
    cur = rest;
  }
  free(buf);
  *out = st.fds[st.len - 1];
  st.len--;
  stack_unwind(&st, 0);
  free(st.fds);
  return 0;
fail:
  free(buf);
  stack_unwind(&st, 0);
  free(st.fds);
  return err;
}

static int resolve_in_root(int rootfd, const char *path, int *out) {
  if (!force_userspace && openat2_works != 0) {
    int err = try_openat2(rootfd, path, out);
    if (err == 0) {
      openat2_works = 1;
      return 0;
    }
    if (err == ENOSYS || (openat2_works == -1 && (err == EPERM || err == EINVAL))) {
      /* Kernel without openat2, or a seccomp filter that blocks it. */
      openat2_works = 0;
    } else {
      return err;
    }
  }
  return resolve_userspace(rootfd, path, out);
}

/* ---------- exported functions ---------- */

static napi_value js_open_root(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char path[PATH_MAX];
  if (!get_path(env, argv[0], path, sizeof path)) return NULL;
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", path);
    return NULL;
  }
  return make_int(env, fd);
}

static napi_value js_resolve_in(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t root;
  char path[PATH_MAX];
  if (!get_i32(env, argv[0], &root) || !get_path(env, argv[1], path, sizeof path)) return NULL;
  int fd = -1;
  int err = resolve_in_root(root, path, &fd);
  if (err) {
    throw_errno(env, err, "openat2", path);
    return NULL;
  }
  return make_int(env, fd);
}

static napi_value js_set_resolve_mode(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int userspace;
  if (!get_bool(env, argv[0], &userspace)) return NULL;
  force_userspace = userspace;
  return make_undefined(env);
}

static napi_value js_openat2_available(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = -1;
  int err = try_openat2(AT_FDCWD, "/", &fd);
  if (err == 0) close(fd);
  return make_bool(env, err == 0);
}

static napi_value js_mkdir_at(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t dirfd, mode;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 0) || !get_i32(env, argv[2], &mode)) return NULL;
  if (mkdirat(dirfd, name, (mode_t)mode) < 0) {
    throw_errno(env, errno, "mkdirat", name);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_mknod_at(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  int32_t dirfd, mode;
  int64_t major, minor;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 0) || !get_i32(env, argv[2], &mode) ||
      !get_i64(env, argv[3], &major) || !get_i64(env, argv[4], &minor))
    return NULL;
  if (major < 0 || major > 0xffffffffLL || minor < 0 || minor > 0xffffffffLL) {
    throw_errno(env, EINVAL, "mknodat", name);
    return NULL;
  }
  if (mknodat(dirfd, name, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0) {
    throw_errno(env, errno, "mknodat", name);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_symlink_at(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  char target[PATH_MAX];
  int32_t dirfd;
  char name[NAME_MAX + 1];
  if (!get_path(env, argv[0], target, sizeof target) || !get_i32(env, argv[1], &dirfd) || !get_name(env, argv[2], name, 0))
    return NULL;
  if (symlinkat(target, dirfd, name) < 0) {
    throw_errno(env, errno, "symlinkat", name);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_link_at(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  int32_t olddir, newdir;
  char oldname[NAME_MAX + 1], newname[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &olddir) || !get_name(env, argv[1], oldname, 0) || !get_i32(env, argv[2], &newdir) ||
      !get_name(env, argv[3], newname, 0))
    return NULL;
  /* No AT_SYMLINK_FOLLOW: a symlink target is linked as the symlink itself. */
  if (linkat(olddir, oldname, newdir, newname, 0) < 0) {
    throw_errno(env, errno, "linkat", newname);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_open_file_at(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  int32_t dirfd, flags, mode;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 0) || !get_i32(env, argv[2], &flags) ||
      !get_i32(env, argv[3], &mode))
    return NULL;
  int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) {
    throw_errno(env, errno, "openat", name);
    return NULL;
  }
  return make_int(env, fd);
}

static napi_value js_unlink_at(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t dirfd;
  int is_dir;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 0) || !get_bool(env, argv[2], &is_dir)) return NULL;
  if (unlinkat(dirfd, name, is_dir ? AT_REMOVEDIR : 0) < 0) {
    throw_errno(env, errno, "unlinkat", name);
    return NULL;
  }
  return make_undefined(env);
}

static int remove_all_at(int parent, const char *name) {
  if (unlinkat(parent, name, 0) == 0) return 0;
  int err = errno;
  if (err == ENOENT) return 0;
  if (err != EISDIR && err != EPERM) return err;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : (errno == ENOTDIR || errno == ELOOP ? err : errno);
  DIR *d = fdopendir(fd);
  if (!d) {
    err = errno;
    close(fd);
    return err;
  }
  for (int pass = 0; pass < 3; pass++) {
    struct dirent *ent;
    rewinddir(d);
    while ((ent = readdir(d)) != NULL) {
      if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
      int r = remove_all_at(dirfd(d), ent->d_name);
      if (r) {
        closedir(d);
        return r;
      }
    }
    if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
      closedir(d);
      return 0;
    }
    if (errno != ENOTEMPTY) {
      err = errno;
      closedir(d);
      return err;
    }
  }
  closedir(d);
  return ENOTEMPTY;
}

static napi_value js_remove_all_at(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t dirfd;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 0)) return NULL;
  int err = remove_all_at(dirfd, name);
  if (err) {
    throw_errno(env, err, "removeAll", name);
    return NULL;
  }
  return make_undefined(env);
}

static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

static napi_value js_lstat_at(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t dirfd;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1)) return NULL;
  struct stat sb;
  if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return make_null(env);
    throw_errno(env, errno, "fstatat", name);
    return NULL;
  }
  napi_value obj;
  napi_create_object(env, &obj);
  set_num(env, obj, "mode", sb.st_mode);
  set_num(env, obj, "uid", sb.st_uid);
  set_num(env, obj, "gid", sb.st_gid);
  set_num(env, obj, "size", (double)sb.st_size);
  set_num(env, obj, "ino", (double)sb.st_ino);
  set_num(env, obj, "dev", (double)sb.st_dev);
  set_num(env, obj, "nlink", (double)sb.st_nlink);
  set_num(env, obj, "rdevMajor", major(sb.st_rdev));
  set_num(env, obj, "rdevMinor", minor(sb.st_rdev));
  set_num(env, obj, "mtimeSec", (double)sb.st_mtim.tv_sec);
  set_num(env, obj, "mtimeNsec", (double)sb.st_mtim.tv_nsec);
  return obj;
}

static napi_value js_lchown_at(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  int32_t dirfd;
  int64_t uid, gid;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1) || !get_i64(env, argv[2], &uid) ||
      !get_i64(env, argv[3], &gid))
    return NULL;
  if (fchownat(dirfd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0) {
    throw_errno(env, errno, "fchownat", name);
    return NULL;
  }
  return make_undefined(env);
}

/* chmod of the final component without following it; returns false for a symlink (left alone). */
static napi_value js_chmod_at(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t dirfd, mode;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1) || !get_i32(env, argv[2], &mode)) return NULL;
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "openat", name);
    return NULL;
  }
  struct stat sb;
  if (fstat(fd, &sb) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "fstat", name);
    return NULL;
  }
  if (S_ISLNK(sb.st_mode)) {
    close(fd);
    return make_bool(env, 0);
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int r = chmod(proc, (mode_t)mode);
  if (r < 0 && errno == ENOENT) r = fchmodat(dirfd, name, (mode_t)mode, 0); /* no /proc */
  int err = errno;
  close(fd);
  if (r < 0) {
    throw_errno(env, err, "chmod", name);
    return NULL;
  }
  return make_bool(env, 1);
}

static napi_value js_utimens_at(napi_env env, napi_callback_info info) {
  GET_ARGS(6);
  int32_t dirfd;
  int64_t as, an, ms, mn;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1) || !get_i64(env, argv[2], &as) ||
      !get_i64(env, argv[3], &an) || !get_i64(env, argv[4], &ms) || !get_i64(env, argv[5], &mn))
    return NULL;
  struct timespec ts[2] = {{.tv_sec = as, .tv_nsec = an}, {.tv_sec = ms, .tv_nsec = mn}};
  if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0) {
    throw_errno(env, errno, "utimensat", name);
    return NULL;
  }
  return make_undefined(env);
}

/* "/proc/self/fd/<dirfd>/<name>": the directory is pinned by its fd, the name is not followed by l*xattr. */
static int xattr_path(int dirfd, const char *name, char *out, size_t cap) {
  int n = snprintf(out, cap, "/proc/self/fd/%d/%s", dirfd, name);
  return n > 0 && (size_t)n < cap;
}

static napi_value js_setxattr_at(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  int32_t dirfd, flags;
  char name[NAME_MAX + 1], key[XATTR_NAME_MAX + 1], path[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1) || !get_path(env, argv[2], key, sizeof key))
    return NULL;
  void *data;
  size_t len;
  bool is_buffer = false;
  napi_is_buffer(env, argv[3], &is_buffer);
  if (!is_buffer) {
    throw_type(env, "xattr value must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[3], &data, &len);
  if (!get_i32(env, argv[4], &flags)) return NULL;
  if (!xattr_path(dirfd, name, path, sizeof path)) {
    throw_errno(env, ENAMETOOLONG, "lsetxattr", name);
    return NULL;
  }
  if (lsetxattr(path, key, data, len, flags) < 0) {
    throw_errno(env, errno, "lsetxattr", name);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value getxattr_common(napi_env env, const char *path, const char *key, const char *label) {
  char *buf = malloc(XATTR_MAX_VALUE);
  if (!buf) {
    throw_errno(env, ENOMEM, "lgetxattr", label);
    return NULL;
  }
  ssize_t n = lgetxattr(path, key, buf, XATTR_MAX_VALUE);
  if (n < 0) {
    int err = errno;
    free(buf);
    if (err == ENODATA) return make_null(env);
    throw_errno(env, err, "lgetxattr", label);
    return NULL;
  }
  napi_value r = make_buffer(env, buf, (size_t)n);
  free(buf);
  return r;
}

static napi_value listxattr_common(napi_env env, const char *path, const char *label) {
  char *buf = malloc(XATTR_MAX_LIST);
  if (!buf) {
    throw_errno(env, ENOMEM, "llistxattr", label);
    return NULL;
  }
  ssize_t n = llistxattr(path, buf, XATTR_MAX_LIST);
  if (n < 0) {
    int err = errno;
    free(buf);
    throw_errno(env, err, "llistxattr", label);
    return NULL;
  }
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t idx = 0;
  for (ssize_t i = 0; i < n;) {
    size_t l = strnlen(buf + i, (size_t)(n - i));
    if (l > 0) napi_set_element(env, arr, idx++, make_buffer(env, buf + i, l));
    i += (ssize_t)l + 1;
  }
  free(buf);
  return arr;
}

static napi_value js_getxattr_at(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t dirfd;
  char name[NAME_MAX + 1], key[XATTR_NAME_MAX + 1], path[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1) || !get_path(env, argv[2], key, sizeof key))
    return NULL;
  if (!xattr_path(dirfd, name, path, sizeof path)) {
    throw_errno(env, ENAMETOOLONG, "lgetxattr", name);
    return NULL;
  }
  return getxattr_common(env, path, key, name);
}

static napi_value js_listxattr_at(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t dirfd;
  char name[NAME_MAX + 1], path[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1)) return NULL;
  if (!xattr_path(dirfd, name, path, sizeof path)) {
    throw_errno(env, ENAMETOOLONG, "llistxattr", name);
    return NULL;
  }
  return listxattr_common(env, path, name);
}

static napi_value js_list_dir_at(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t dirfd;
  char name[NAME_MAX + 1];
  if (!get_i32(env, argv[0], &dirfd) || !get_name(env, argv[1], name, 1)) return NULL;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "openat", name);
    return NULL;
  }
  DIR *d = fdopendir(fd);
  if (!d) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "fdopendir", name);
    return NULL;
  }
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t idx = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    napi_set_element(env, arr, idx++, make_buffer(env, ent->d_name, strlen(ent->d_name)));
  }
  closedir(d);
  return arr;
}

/* ---------- plain path variants ---------- */

static napi_value js_mknod(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  char path[PATH_MAX];
  int32_t mode;
  int64_t major, minor;
  if (!get_path(env, argv[0], path, sizeof path) || !get_i32(env, argv[1], &mode) || !get_i64(env, argv[2], &major) ||
      !get_i64(env, argv[3], &minor))
    return NULL;
  if (major < 0 || major > 0xffffffffLL || minor < 0 || minor > 0xffffffffLL) {
    throw_errno(env, EINVAL, "mknod", path);
    return NULL;
  }
  if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0) {
    throw_errno(env, errno, "mknod", path);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char path[PATH_MAX];
  int32_t mode;
  if (!get_path(env, argv[0], path, sizeof path) || !get_i32(env, argv[1], &mode)) return NULL;
  if (mkfifo(path, (mode_t)mode) < 0) {
    throw_errno(env, errno, "mkfifo", path);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_lchown(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  char path[PATH_MAX];
  int64_t uid, gid;
  if (!get_path(env, argv[0], path, sizeof path) || !get_i64(env, argv[1], &uid) || !get_i64(env, argv[2], &gid)) return NULL;
  if (lchown(path, (uid_t)uid, (gid_t)gid) < 0) {
    throw_errno(env, errno, "lchown", path);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  char path[PATH_MAX], key[XATTR_NAME_MAX + 1];
  int32_t flags;
  if (!get_path(env, argv[0], path, sizeof path) || !get_path(env, argv[1], key, sizeof key)) return NULL;
  void *data;
  size_t len;
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) {
    throw_type(env, "xattr value must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[2], &data, &len);
  if (!get_i32(env, argv[3], &flags)) return NULL;
  if (lsetxattr(path, key, data, len, flags) < 0) {
    throw_errno(env, errno, "lsetxattr", path);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char path[PATH_MAX], key[XATTR_NAME_MAX + 1];
  if (!get_path(env, argv[0], path, sizeof path) || !get_path(env, argv[1], key, sizeof key)) return NULL;
  return getxattr_common(env, path, key, path);
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char path[PATH_MAX];
  if (!get_path(env, argv[0], path, sizeof path)) return NULL;
  return listxattr_common(env, path, path);
}

static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char path[PATH_MAX], key[XATTR_NAME_MAX + 1];
  if (!get_path(env, argv[0], path, sizeof path) || !get_path(env, argv[1], key, sizeof key)) return NULL;
  if (lremovexattr(path, key) < 0) {
    throw_errno(env, errno, "lremovexattr", path);
    return NULL;
  }
  return make_undefined(env);
}

/* The address of a typed array's first byte modulo `align` (a power of two): whether the memory
 * suits O_DIRECT, which JavaScript cannot tell. */
static napi_value js_address_mod(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  napi_typedarray_type type;
  size_t length;
  void *data = NULL;
  napi_value ab;
  size_t offset;
  uint32_t align;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &align) != napi_ok || align == 0 || (align & (align - 1)) != 0) {
    napi_throw_type_error(env, NULL, "addressMod(typedArray, powerOfTwo)");
    return NULL;
  }
  napi_value out;
  napi_create_uint32(env, (uint32_t)((uintptr_t)data & (align - 1)), &out);
  return out;
}

NAPI_MODULE_INIT() {
  EXPORT("openRoot", js_open_root);
  EXPORT("resolveIn", js_resolve_in);
  EXPORT("setResolveMode", js_set_resolve_mode);
  EXPORT("openat2Available", js_openat2_available);
  EXPORT("mkdirAt", js_mkdir_at);
  EXPORT("mknodAt", js_mknod_at);
  EXPORT("symlinkAt", js_symlink_at);
  EXPORT("linkAt", js_link_at);
  EXPORT("openFileAt", js_open_file_at);
  EXPORT("unlinkAt", js_unlink_at);
  EXPORT("removeAllAt", js_remove_all_at);
  EXPORT("lstatAt", js_lstat_at);
  EXPORT("lchownAt", js_lchown_at);
  EXPORT("chmodAt", js_chmod_at);
  EXPORT("utimensAt", js_utimens_at);
  EXPORT("setxattrAt", js_setxattr_at);
  EXPORT("getxattrAt", js_getxattr_at);
  EXPORT("listxattrAt", js_listxattr_at);
  EXPORT("listDirAt", js_list_dir_at);
  EXPORT("mknod", js_mknod);
  EXPORT("mkfifo", js_mkfifo);
  EXPORT("lchown", js_lchown);
  EXPORT("lsetxattr", js_lsetxattr);
  EXPORT("lgetxattr", js_lgetxattr);
  EXPORT("llistxattr", js_llistxattr);
  EXPORT("lremovexattr", js_lremovexattr);
  EXPORT("addressMod", js_address_mod);
  return exports;
}
