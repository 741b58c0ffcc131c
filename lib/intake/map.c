/*
** map.c -- read-only mapping of evidence with a guard against files that
** shrink while they are read (see map.h).
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alloc.h"
#include "map.h"

#define MAP_SLOTS 16

/* Active mappings, read by the SIGBUS handler.  Threads that open and close
** mappings claim and free slots under g_slots_mu, before and after the
** mapping is touched. */
static struct {
  volatile uintptr_t lo, hi;
  volatile sig_atomic_t faulted;
} g_slots[MAP_SLOTS];
static pthread_mutex_t g_slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_handler_once = PTHREAD_ONCE_INIT;
static struct sigaction g_prev_bus;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  uintptr_t a = (uintptr_t)si->si_addr;
  int i;
  (void)uc;
  for (i = 0; i < MAP_SLOTS; i++) {
    if (g_slots[i].hi && a >= g_slots[i].lo && a < g_slots[i].hi) {
      uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
      uintptr_t start = a & ~(pg - 1);
      void *r = mmap((void *)start, g_slots[i].hi - start, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      g_slots[i].faulted = 1;
      if (r != MAP_FAILED) return;   /* the faulting read now sees zeros */
      break;
    }
  }
  /* Not ours: behave as before this handler was installed. */
  sigaction(sig, &g_prev_bus, NULL);
  raise(sig);
}

static void install_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  (void)sigaction(SIGBUS, &sa, &g_prev_bus);
}

static int64_t ts_ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static tells_err from_errno(int e) {
  switch (e) {
  case ENOENT: case ENOTDIR: return TELLS_ENOENT;
  case EACCES: case EPERM: return TELLS_EACCES;
  case ENOMEM: return TELLS_ENOMEM;
  case ELOOP: return TELLS_ELOOP;
  default: return TELLS_EIO;
  }
}

/* Records the holes of fd (size bytes) in m->holes (see map.h).  Probes
** are bounded: a file of many small holes costs at most HOLE_PROBES pairs
** of lseek calls. */
#define HOLE_PROBES (4 * TELLS_MAP_HOLES_MAX)
static void find_holes(tells_map *m, int fd, uint64_t size) {
  uint64_t off = 0;
  int k;
  for (k = 0; k < HOLE_PROBES && m->n_holes < TELLS_MAP_HOLES_MAX; k++) {
    off_t h = lseek(fd, (off_t)off, SEEK_HOLE), d;
    if (h < 0 || (uint64_t)h >= size) return;   /* no more (or no support) */
    d = lseek(fd, h, SEEK_DATA);
    if (d < 0 && errno != ENXIO) return;
    if (d < 0 || (uint64_t)d > size) d = (off_t)size;  /* ENXIO: hole to the end */
    if (d <= h) return;                          /* file changed under us */
    if ((uint64_t)(d - h) >= TELLS_MAP_HOLE_MIN) {
      m->holes[2 * m->n_holes] = (uint64_t)h;
      m->holes[2 * m->n_holes + 1] = (uint64_t)(d - h);
      m->n_holes++;
    }
    off = (uint64_t)d;
    if (off >= size) return;
  }
}

int tells_map_is_hole(const tells_map *m, uint64_t off, uint64_t len) {
  uint32_t i;
  if (!len) return 0;
  for (i = 0; i < m->n_holes; i++) {
    uint64_t ho = m->holes[2 * i], hl = m->holes[2 * i + 1];
    if (off < ho) return 0;                      /* sorted: no later hole holds it */
    if (off - ho < hl && hl - (off - ho) >= len) return 1;
  }
  return 0;
}

/* Reads b[from..to) from fd; returns the bytes read (short at end of file). */
static size_t read_range(int fd, uint8_t *b, size_t from, size_t to) {
  size_t got = from;
  while (got < to) {
    ssize_t k = pread(fd, b + got, to - got, (off_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  return got - from;
}

/* Fills the copy b[0..n): the data between the recorded holes is read, the
** holes are zeroed (they read as zeros).  Returns 0, or 1 when the file came
** back short (the rest of the copy is then zeros). */
static int read_copy(tells_map *m, int fd, uint8_t *b, size_t n) {
  size_t pos = 0, got;
  uint32_t i;
  for (i = 0; i <= m->n_holes; i++) {
    size_t end = i < m->n_holes ? (size_t)m->holes[2 * i] : n;
    got = read_range(fd, b, pos, end);
    if (got < end - pos) { memset(b + pos + got, 0, n - pos - got); return 1; }
    if (i == m->n_holes) break;
    pos = end + (size_t)m->holes[2 * i + 1];
    memset(b + end, 0, pos - end);
  }
  return 0;
}

tells_err tells_map_open(const char *path, tells_map *m) {
  struct stat st;
  int fd, i;
  void *p;
  memset(m, 0, sizeof *m);
  m->fd = -1; m->slot = -1;
  fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == EPERM) fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return from_errno(errno);
  if (fstat(fd, &st) != 0) { int e = errno; close(fd); return from_errno(e); }
  if (!S_ISREG(st.st_mode)) { close(fd); return TELLS_ENOTREG; }
  m->fd = fd; m->dev = st.st_dev; m->ino = st.st_ino;
  m->mtime_ns = ts_ns(st.st_mtim); m->ctime_ns = ts_ns(st.st_ctim);
  if (st.st_size == 0) return TELLS_OK;
  if ((uint64_t)st.st_size > SIZE_MAX) { close(fd); m->fd = -1; return TELLS_ELIMIT; }
  /* fewer bytes allocated than the size: the file may have holes */
  if ((uint64_t)st.st_size >= TELLS_MAP_HOLE_MIN &&
      (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size)
    find_holes(m, fd, (uint64_t)st.st_size);
  if ((uint64_t)st.st_size <= TELLS_MAP_COPY_MAX) {
    uint8_t *b = tells_malloc((size_t)st.st_size);
    if (!b) { close(fd); m->fd = -1; return TELLS_ENOMEM; }
    /* shrank under us: zeros, flagged */
    m->short_read = read_copy(m, fd, b, (size_t)st.st_size);
    m->p = b; m->len = (size_t)st.st_size; m->copied = 1;
    return TELLS_OK;
  }
  p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) { int e = errno; close(fd); m->fd = -1; return from_errno(e); }
  m->p = p; m->len = (size_t)st.st_size;
  pthread_once(&g_handler_once, install_handler);
  pthread_mutex_lock(&g_slots_mu);
  for (i = 0; i < MAP_SLOTS; i++) {
    if (!g_slots[i].hi) {
      g_slots[i].faulted = 0;
      g_slots[i].lo = (uintptr_t)p;
      g_slots[i].hi = (uintptr_t)p + m->len;
      m->slot = i;
      break;
    }
  }
  pthread_mutex_unlock(&g_slots_mu);
  return TELLS_OK;
}

void tells_map_sequential(tells_map *m) {
  if (m->p && !m->copied) madvise((void *)m->p, m->len, MADV_SEQUENTIAL);
}

tells_err tells_map_close(tells_map *m) {
  tells_err rc = TELLS_OK;
  struct stat st;
  if (m->fd < 0) return TELLS_OK;
  if (fstat(m->fd, &st) != 0 || (uint64_t)st.st_size != m->len ||
      ts_ns(st.st_mtim) != m->mtime_ns || ts_ns(st.st_ctim) != m->ctime_ns)
    rc = TELLS_ECHANGED;
  if (m->slot >= 0) {
    pthread_mutex_lock(&g_slots_mu);
    if (g_slots[m->slot].faulted) rc = TELLS_ECHANGED;
    g_slots[m->slot].hi = 0;
    g_slots[m->slot].lo = 0;
    pthread_mutex_unlock(&g_slots_mu);
  }
  if (m->short_read) rc = TELLS_ECHANGED;
  if (m->copied) tells_free((void *)m->p);
  else if (m->p) munmap((void *)m->p, m->len);
  close(m->fd);
  m->fd = -1; m->p = NULL;
  return rc;
}
