/*
 * For health-checks.bench.ts only: lets `keepalived -C` start on a kernel without
 * IPVS (this host) by answering its IPVS socket options (the fallback it uses when
 * the IPVS netlink family is missing) as an empty IPVS would. Only the kernel
 * programming is stubbed; keepalived's checking (sockets, timers, parsing) is
 * untouched, which is what the benchmark measures, and lbd's checker measured
 * beside it programs no kernel either. Loaded with LD_PRELOAD.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/ip_vs.h>

static int is_ipvs(int level, int opt) { return level == IPPROTO_IP && opt >= IP_VS_BASE_CTL && opt <= IP_VS_BASE_CTL + 32; }

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (is_ipvs(level, opt)) return 0;
  if (!real) real = dlsym(RTLD_NEXT, "setsockopt");
  return real(fd, level, opt, val, len);
}

int getsockopt(int fd, int level, int opt, void *val, socklen_t *len) {
  static int (*real)(int, int, int, void *, socklen_t *);
  if (is_ipvs(level, opt)) {
    memset(val, 0, *len);
    if (opt == IP_VS_SO_GET_INFO && *len >= sizeof(struct ip_vs_getinfo)) {
      struct ip_vs_getinfo *i = val;
      i->version = 0x010201; /* 1.2.1, as the kernel reports */
      i->size = 4096;
    }
    return 0;
  }
  if (!real) real = dlsym(RTLD_NEXT, "getsockopt");
  return real(fd, level, opt, val, len);
}
