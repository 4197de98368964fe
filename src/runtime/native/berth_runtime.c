/*
 * berth_runtime: the process and mount calls Node lacks, for running containers.
 *
 * - pipes (real pipes, not socketpairs: a container's /dev/stdout must be openable),
 * - child subreaping and non-blocking waitpid (the container's init is reparented to the process
 *   that started it, which is how its exit status is collected after `runc create` returns),
 * - receiving the pty master that `runc --console-socket` sends with SCM_RIGHTS,
 * - terminal window size, mount/umount (overlay lowerdir lists relative to a directory, to stay
 *   within the one-page mount option limit), syncfs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_DATA 65536

#include "napi_helpers.h"

/* A string argument; null/undefined gives an empty buffer and *present = 0. */
static int get_str(napi_env env, napi_value v, char *buf, size_t size, int *present) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    buf[0] = 0;
    if (present) *present = 0;
    return 1;
  }
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return 0;
  }
  if (len >= size - 1) {
    napi_throw_range_error(env, NULL, "string argument too long");
    return 0;
  }
  if (present) *present = 1;
  return 1;
}

/* pipe() -> [readFd, writeFd], both close-on-exec. */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    return NULL;
  }
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_int(env, fds[0]));
  napi_set_element(env, arr, 1, make_int(env, fds[1]));
  return arr;
}

static napi_value js_set_subreaper(napi_env env, napi_callback_info info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    throw_errno(env, errno, "prctl(PR_SET_CHILD_SUBREAPER)", NULL);
    return NULL;
  }
  return make_undefined(env);
}

/*
 * waitpid(pid, WNOHANG): null while the child runs, else { code } or { signal }; { gone: true }
 * when pid is not (or no longer) our child.
 */
static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t pid;
  if (!get_i32(env, argv[0], &pid)) return NULL;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return make_null(env);
  napi_value obj;
  napi_create_object(env, &obj);
  if (r < 0) {
    napi_value t;
    napi_get_boolean(env, 1, &t);
    napi_set_named_property(env, obj, "gone", t);
    return obj;
  }
  if (WIFEXITED(status)) napi_set_named_property(env, obj, "code", make_int(env, WEXITSTATUS(status)));
  else if (WIFSIGNALED(status)) napi_set_named_property(env, obj, "signal", make_int(env, WTERMSIG(status)));
  else return make_null(env);
  return obj;
}

/* Reaps any exited children that are not in `keep` (an array of pids); returns how many. */
static napi_value js_reap_others(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  pid_t keep[64];
  if (n > 64) n = 64;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int32_t v = 0;
    napi_get_element(env, argv[0], i, &e);
    napi_get_value_int32(env, e, &v);
    keep[i] = v;
  }
  int reaped = 0;
  /* waitid with WNOWAIT peeks at an exited child without reaping it. */
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) break;
    int ours = 0;
    for (uint32_t i = 0; i < n; i++)
      if (keep[i] == si.si_pid) ours = 1;
    if (ours) break;
    int st;
    if (waitpid(si.si_pid, &st, WNOHANG) <= 0) break;
    reaped++;
  }
  return make_int(env, reaped);
}

/* A listening unix stream socket at path (an existing file there is replaced). */
static napi_value js_listen_unix(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  if (!get_str(env, argv[0], path, sizeof path, NULL)) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", NULL);
    return NULL;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, strlen(path) + 1);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind", path);
    return NULL;
  }
  return make_int(env, fd);
}

/*
 * Waits up to timeoutMs for a connection on a listening socket and receives one file descriptor
 * sent with SCM_RIGHTS (as runc sends a console's pty master). Returns the fd, or -1 on timeout.
 */
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t lfd, timeout;
  if (!get_i32(env, argv[0], &lfd) || !get_i32(env, argv[1], &timeout)) return NULL;
  struct pollfd p = {.fd = lfd, .events = POLLIN};
  int r;
  do {
    r = poll(&p, 1, timeout);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    throw_errno(env, errno, "poll", NULL);
    return NULL;
  }
  if (r == 0) return make_int(env, -1);
  int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) {
    throw_errno(env, errno, "accept", NULL);
    return NULL;
  }
  char data[4096];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf.buf;
  msg.msg_controllen = sizeof cbuf.buf;
  ssize_t n;
  struct pollfd cp = {.fd = conn, .events = POLLIN};
  if (poll(&cp, 1, 10000) <= 0) {
    close(conn);
    throw_errno(env, ETIMEDOUT, "recvmsg", NULL);
    return NULL;
  }
  do {
    n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  close(conn);
  if (n < 0) {
    throw_errno(env, e, "recvmsg", NULL);
    return NULL;
  }
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    throw_errno(env, EBADMSG, "recvmsg (no file descriptor received)", NULL);
    return NULL;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return make_int(env, fd);
}

static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t fd, rows, cols;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &rows) || !get_i32(env, argv[2], &cols)) return NULL;
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = (unsigned short)rows;
  ws.ws_col = (unsigned short)cols;
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) {
    throw_errno(env, errno, "ioctl(TIOCSWINSZ)", NULL);
    return NULL;
  }
  return make_undefined(env);
}

/*
 * mount(source, target, fstype, flags, data, cwd): with cwd, relative paths in data (overlay's
 * lowerdir list) resolve against that directory. The working directory is restored after.
 */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  GET_ARGS(6);
  char source[PATH_MAX], target[PATH_MAX], fstype[64], cwd[PATH_MAX];
  static char data[MAX_DATA];
  int32_t flags;
  int has_source = 0, has_fstype = 0, has_data = 0, has_cwd = 0;
  if (!get_str(env, argv[0], source, sizeof source, &has_source) || !get_str(env, argv[1], target, sizeof target, NULL) ||
      !get_str(env, argv[2], fstype, sizeof fstype, &has_fstype) || !get_i32(env, argv[3], &flags) ||
      !get_str(env, argv[4], data, sizeof data, &has_data) || !get_str(env, argv[5], cwd, sizeof cwd, &has_cwd))
    return NULL;
  int saved = -1;
  if (has_cwd) {
    saved = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (saved < 0 || chdir(cwd) < 0) {
      int e = errno;
      if (saved >= 0) close(saved);
      throw_errno(env, e, "chdir", cwd);
      return NULL;
    }
  }
  int r = mount(has_source ? source : NULL, target, has_fstype ? fstype : NULL, (unsigned long)(uint32_t)flags,
                has_data ? data : NULL);
  int e = errno;
  if (saved >= 0) {
    if (fchdir(saved) < 0) { /* nothing sensible to do */
    }
    close(saved);
  }
  if (r < 0) {
    throw_errno(env, e, "mount", target);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_umount(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char target[PATH_MAX];
  int32_t flags;
  if (!get_str(env, argv[0], target, sizeof target, NULL) || !get_i32(env, argv[1], &flags)) return NULL;
  if (umount2(target, flags) < 0) {
    throw_errno(env, errno, "umount", target);
    return NULL;
  }
  return make_undefined(env);
}

static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char path[PATH_MAX];
  if (!get_str(env, argv[0], path, sizeof path, NULL)) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", path);
    return NULL;
  }
  int r = syncfs(fd);
  int e = errno;
  close(fd);
  if (r < 0) {
    throw_errno(env, e, "syncfs", path);
    return NULL;
  }
  return make_undefined(env);
}

/* Puts fd in O_NONBLOCK mode (or back), for pipe ends read by libuv. */
static napi_value js_set_nonblock(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd;
  bool on;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  napi_get_value_bool(env, argv[1], &on);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) < 0) {
    throw_errno(env, errno, "fcntl", NULL);
    return NULL;
  }
  return make_undefined(env);
}

/* The terminal's attributes, to restore later: an opaque buffer. */
static napi_value js_termios_get(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  struct termios t;
  if (tcgetattr(fd, &t) < 0) {
    throw_errno(env, errno, "tcgetattr", NULL);
    return NULL;
  }
  napi_value buf;
  void *data;
  napi_create_buffer_copy(env, sizeof t, &t, &data, &buf);
  return buf;
}

static napi_value js_termios_set(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len != sizeof(struct termios)) {
    napi_throw_type_error(env, NULL, "expected a termios buffer");
    return NULL;
  }
  if (tcsetattr(fd, TCSANOW, (struct termios *)data) < 0) {
    throw_errno(env, errno, "tcsetattr", NULL);
    return NULL;
  }
  return make_undefined(env);
}

/* Raw mode as a terminal emulator attached to a container needs it: no echo, no line editing,
 * no signals, and no output processing (a container's pty already turned \n into \r\n). */
static napi_value js_termios_raw(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  struct termios t;
  if (tcgetattr(fd, &t) < 0) {
    throw_errno(env, errno, "tcgetattr", NULL);
    return NULL;
  }
  cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &t) < 0) {
    throw_errno(env, errno, "tcsetattr", NULL);
    return NULL;
  }
  return make_undefined(env);
}

NAPI_MODULE_INIT() {
  EXPORT("pipe", js_pipe);
  EXPORT("setSubreaper", js_set_subreaper);
  EXPORT("waitpid", js_waitpid);
  EXPORT("reapOthers", js_reap_others);
  EXPORT("listenUnix", js_listen_unix);
  EXPORT("recvFd", js_recv_fd);
  EXPORT("setWinsize", js_set_winsize);
  EXPORT("mount", js_mount);
  EXPORT("umount", js_umount);
  EXPORT("syncfs", js_syncfs);
  EXPORT("setNonblock", js_set_nonblock);
  EXPORT("termiosGet", js_termios_get);
  EXPORT("termiosSet", js_termios_set);
  EXPORT("termiosRaw", js_termios_raw);
  return exports;
}
