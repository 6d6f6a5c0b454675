/*
 * lbnet: the few socket calls Node cannot make, as thin N-API wrappers.
 *
 * Raw IP sockets (VRRP, protocol 112), AF_PACKET (gratuitous ARP, unsolicited
 * NA) and AF_UNIX datagrams (sd_notify). Socket addresses and option structs
 * are built in TypeScript (src/net/sockaddr.ts); this file only moves bytes,
 * decodes the ancillary data of recvmsg() and reports readiness through
 * libuv's uv_poll so nothing here ever blocks the event loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <node_api.h>
#include <uv.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, message, error, errnum, sc;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static int arg_buf(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

#define ARGS(n) \
  size_t argc = n; napi_value argv[n]; \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL)); \
  if (argc < n) { napi_throw_type_error(env, NULL, "expected " #n " arguments"); return NULL; }

static napi_value int_value(napi_env env, int64_t v) {
  napi_value r; napi_create_int64(env, v, &r); return r;
}

/* socket(domain, type, protocol) -> fd; always non-blocking and close-on-exec. */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t domain, type, proto;
  if (!arg_int(env, argv[0], &domain) || !arg_int(env, argv[1], &type) || !arg_int(env, argv[2], &proto)) {
    napi_throw_type_error(env, NULL, "socket(domain, type, protocol): integers expected"); return NULL;
  }
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return int_value(env, fd);
}

/* bind(fd, sockaddr) */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd; void *addr; size_t len;
  if (!arg_int(env, argv[0], &fd) || !arg_buf(env, argv[1], &addr, &len)) {
    napi_throw_type_error(env, NULL, "bind(fd, sockaddr: Buffer)"); return NULL;
  }
  if (bind(fd, (struct sockaddr *)addr, (socklen_t)len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

/* setsockopt(fd, level, name, value: number (int) | Buffer) */
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name, ival;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name)) {
    napi_throw_type_error(env, NULL, "setsockopt(fd, level, name, value)"); return NULL;
  }
  void *data; size_t len;
  if (arg_buf(env, argv[3], &data, &len)) {
    if (setsockopt(fd, level, name, data, (socklen_t)len) < 0) return throw_errno(env, "setsockopt", errno);
  } else if (arg_int(env, argv[3], &ival)) {
    int v = ival;
    if (setsockopt(fd, level, name, &v, sizeof v) < 0) return throw_errno(env, "setsockopt", errno);
  } else {
    napi_throw_type_error(env, NULL, "setsockopt value: integer or Buffer"); return NULL;
  }
  return NULL;
}

/* sendto(fd, data, sockaddr | null) -> bytes sent */
static napi_value js_sendto(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd; void *data, *addr = NULL; size_t len, alen = 0;
  napi_valuetype t;
  if (!arg_int(env, argv[0], &fd) || !arg_buf(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, NULL, "sendto(fd, data: Buffer, sockaddr: Buffer | null)"); return NULL;
  }
  CHECK(napi_typeof(env, argv[2], &t));
  if (t != napi_null && t != napi_undefined && !arg_buf(env, argv[2], &addr, &alen)) {
    napi_throw_type_error(env, NULL, "sendto: sockaddr must be a Buffer or null"); return NULL;
  }
  ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)addr, (socklen_t)alen);
  if (n < 0) return throw_errno(env, "sendto", errno);
  return int_value(env, n);
}

static napi_value copy_buffer(napi_env env, const void *p, size_t len) {
  napi_value b; void *dst;
  napi_create_buffer_copy(env, len, p, &dst, &b);
  return b;
}

/*
 * recvmsg(fd, buffer) -> null when nothing is queued, else
 * { length, truncated, source, ifindex, destination, hopLimit }.
 * source/destination are the raw address bytes (4 or 16; the path for AF_UNIX);
 * ifindex and destination come from IP_PKTINFO / IPV6_PKTINFO, hopLimit from
 * IPV6_HOPLIMIT (-1 when the socket did not ask for them).
 */
static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd; void *data; size_t len;
  if (!arg_int(env, argv[0], &fd) || !arg_buf(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, NULL, "recvmsg(fd, buffer: Buffer)"); return NULL;
  }
  struct sockaddr_storage from;
  union { char buf[512]; struct cmsghdr align; } control;
  struct iovec iov = { .iov_base = data, .iov_len = len };
  struct msghdr msg = {
    .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control.buf, .msg_controllen = sizeof control.buf,
  };
  ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { napi_value nul; napi_get_null(env, &nul); return nul; }
    return throw_errno(env, "recvmsg", errno);
  }
  napi_value out, source, destination, v;
  napi_create_object(env, &out);
  napi_get_null(env, &source);
  napi_get_null(env, &destination);
  int ifindex = 0, hop = -1;
  if (msg.msg_namelen >= sizeof(sa_family_t)) {
    if (from.ss_family == AF_INET) source = copy_buffer(env, &((struct sockaddr_in *)&from)->sin_addr, 4);
    else if (from.ss_family == AF_INET6) source = copy_buffer(env, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
    else if (from.ss_family == AF_UNIX && msg.msg_namelen > sizeof(sa_family_t))
      source = copy_buffer(env, ((struct sockaddr_un *)&from)->sun_path, msg.msg_namelen - sizeof(sa_family_t));
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi; memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = pi.ipi_ifindex;
      destination = copy_buffer(env, &pi.ipi_addr, 4);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi; memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = (int)pi.ipi6_ifindex;
      destination = copy_buffer(env, &pi.ipi6_addr, 16);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&hop, CMSG_DATA(c), sizeof hop);
    }
  }
  napi_set_named_property(env, out, "length", int_value(env, n));
  napi_get_boolean(env, (msg.msg_flags & MSG_TRUNC) != 0, &v);
  napi_set_named_property(env, out, "truncated", v);
  napi_set_named_property(env, out, "source", source);
  napi_set_named_property(env, out, "ifindex", int_value(env, ifindex));
  napi_set_named_property(env, out, "destination", destination);
  napi_set_named_property(env, out, "hopLimit", int_value(env, hop));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) { napi_throw_type_error(env, NULL, "close(fd)"); return NULL; }
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

static napi_value js_if_index(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "ifIndex(name: string)"); return NULL;
  }
  unsigned idx = if_nametoindex(name);
  if (!idx) return throw_errno(env, "if_nametoindex", errno);
  return int_value(env, idx);
}

/*
 * setRealtime(priority, rttimeMicros): SCHED_RR for the calling thread (Node's
 * main thread), not inherited by spawned scripts (SCHED_RESET_ON_FORK), with
 * RLIMIT_RTTIME as a safety net: a runaway loop that never blocks is killed
 * instead of freezing the machine.
 */
static napi_value js_set_realtime(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t prio, rttime;
  if (!arg_int(env, argv[0], &prio) || !arg_int(env, argv[1], &rttime)) {
    napi_throw_type_error(env, NULL, "setRealtime(priority, rttimeMicros)"); return NULL;
  }
  struct rlimit rl = { .rlim_cur = (rlim_t)rttime, .rlim_max = (rlim_t)rttime * 2 };
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) return throw_errno(env, "setrlimit", errno);
  struct sched_param sp = { .sched_priority = prio };
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) < 0) return throw_errno(env, "sched_setscheduler", errno);
  return NULL;
}

/* ---- readiness: uv_poll on a socket, calling back into JS when readable */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
} watcher_t;

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher_t *w = (watcher_t *)handle->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, arg, result;
  napi_get_reference_value(env, w->callback, &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &arg);
  if (napi_make_callback(env, w->async, recv, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void free_watcher(uv_handle_t *handle) { free(handle->data); }

/* watch(fd, callback(status)) -> handle; the callback runs each time fd is readable. */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  napi_valuetype t;
  if (!arg_int(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "watch(fd, callback)"); return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  w->poll.data = w;
  int rc = uv_poll_init_socket(loop, &w->poll, fd);
  if (rc < 0) { free(w); return throw_errno(env, "uv_poll_init", -rc); }
  napi_value resource, name, handle;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "lbnet.watch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &w->async);
  napi_create_reference(env, argv[1], 1, &w->callback);
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->async);
    uv_close((uv_handle_t *)&w->poll, free_watcher);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  CHECK(napi_create_external(env, w, NULL, NULL, &handle));
  return handle;
}

/* unwatch(handle): stop and release; the handle must not be used again. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  ARGS(1);
  watcher_t *w;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || !w) {
    napi_throw_type_error(env, NULL, "unwatch(handle)"); return NULL;
  }
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_close((uv_handle_t *)&w->poll, free_watcher);
  return NULL;
}

static void set_const(napi_env env, napi_value obj, const char *name, int64_t v) {
  napi_set_named_property(env, obj, name, int_value(env, v));
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
    { "socket", NULL, js_socket, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "bind", NULL, js_bind, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "setsockopt", NULL, js_setsockopt, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "sendto", NULL, js_sendto, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "recvmsg", NULL, js_recvmsg, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "ifIndex", NULL, js_if_index, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "setRealtime", NULL, js_set_realtime, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "watch", NULL, js_watch, NULL, NULL, NULL, napi_default_jsproperty, NULL },
    { "unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default_jsproperty, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns));

  /* The numbers come from the system headers, so TypeScript never hard-codes them. */
  napi_value c;
  CHECK(napi_create_object(env, &c));
  set_const(env, c, "AF_UNIX", AF_UNIX);
  set_const(env, c, "AF_INET", AF_INET);
  set_const(env, c, "AF_INET6", AF_INET6);
  set_const(env, c, "AF_PACKET", AF_PACKET);
  set_const(env, c, "SOCK_DGRAM", SOCK_DGRAM);
  set_const(env, c, "SOCK_RAW", SOCK_RAW);
  set_const(env, c, "SOL_SOCKET", SOL_SOCKET);
  set_const(env, c, "SO_BINDTODEVICE", SO_BINDTODEVICE);
  set_const(env, c, "SO_RCVBUF", SO_RCVBUF);
  set_const(env, c, "IPPROTO_IP", IPPROTO_IP);
  set_const(env, c, "IPPROTO_IPV6", IPPROTO_IPV6);
  set_const(env, c, "IP_TOS", IP_TOS);
  set_const(env, c, "IP_TTL", IP_TTL);
  set_const(env, c, "IP_PKTINFO", IP_PKTINFO);
  set_const(env, c, "IP_MTU_DISCOVER", IP_MTU_DISCOVER);
  set_const(env, c, "IP_PMTUDISC_DONT", IP_PMTUDISC_DONT);
  set_const(env, c, "IP_MULTICAST_IF", IP_MULTICAST_IF);
  set_const(env, c, "IP_MULTICAST_TTL", IP_MULTICAST_TTL);
  set_const(env, c, "IP_MULTICAST_LOOP", IP_MULTICAST_LOOP);
  set_const(env, c, "IP_MULTICAST_ALL", IP_MULTICAST_ALL);
  set_const(env, c, "IP_ADD_MEMBERSHIP", IP_ADD_MEMBERSHIP);
  set_const(env, c, "IP_DROP_MEMBERSHIP", IP_DROP_MEMBERSHIP);
  set_const(env, c, "IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS);
  set_const(env, c, "IPV6_MULTICAST_IF", IPV6_MULTICAST_IF);
  set_const(env, c, "IPV6_MULTICAST_HOPS", IPV6_MULTICAST_HOPS);
  set_const(env, c, "IPV6_MULTICAST_LOOP", IPV6_MULTICAST_LOOP);
  set_const(env, c, "IPV6_MULTICAST_ALL", IPV6_MULTICAST_ALL);
  set_const(env, c, "IPV6_ADD_MEMBERSHIP", IPV6_ADD_MEMBERSHIP);
  set_const(env, c, "IPV6_DROP_MEMBERSHIP", IPV6_DROP_MEMBERSHIP);
  set_const(env, c, "IPV6_RECVPKTINFO", IPV6_RECVPKTINFO);
  set_const(env, c, "IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT);
  set_const(env, c, "IPV6_TCLASS", IPV6_TCLASS);
  set_const(env, c, "ETH_P_ARP", ETH_P_ARP);
  set_const(env, c, "ETH_P_IPV6", ETH_P_IPV6);
  CHECK(napi_set_named_property(env, exports, "constants", c));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
