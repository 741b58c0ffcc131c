/*
** map.h -- evidence files opened read-only and mapped into memory.
**
** Evidence is never written: files are opened O_RDONLY (O_NOATIME where the
** kernel allows it) and mapped PROT_READ.  A file that shrinks while it is
** mapped would raise SIGBUS on the pages past its new end; a SIGBUS handler
** installed by this module maps zero pages over the rest of the mapping
** instead, marks the file as changed, and lets the read go on, so a file
** altered during the run is reported rather than crashing the run.
** tells_map_close() compares size, mtime and ctime with those at open and
** returns TELLS_ECHANGED when anything moved.
**
** Files of at most TELLS_MAP_COPY_MAX bytes are read into a private copy
** instead: for the thousands of small files of a typical evidence folder,
** one pread costs less than a mapping, its page faults and its unmapping.
**
** Holes.  Evidence is often sparse (preallocated event logs, disk images):
** tells_map_open() asks the file system where the file's holes are
** (lseek SEEK_HOLE / SEEK_DATA) when st_blocks says fewer bytes are
** allocated than the file's size, so a dense file costs no extra system
** call.  Holes of at least TELLS_MAP_HOLE_MIN bytes are recorded in
** m->holes, at most TELLS_MAP_HOLES_MAX of them (later ones are simply not
** recorded); a file system without SEEK_HOLE has no holes.  A hole reads
** as zero bytes, so readers may skip what lies in one without reading it
** (saving the page faults of a mapping); a copied file's holes are zeroed
** in the copy instead of read.  The ranges are a hint taken at open: a
** file written during the run is still caught by tells_map_close().
*/
#ifndef TELLS_MAP_H
#define TELLS_MAP_H

#define TELLS_MAP_COPY_MAX (256u << 10)
#define TELLS_MAP_HOLES_MAX 64          /* hole ranges recorded per file */
#define TELLS_MAP_HOLE_MIN (64u << 10)  /* smaller holes are not recorded */

#include <stdint.h>
#include <sys/types.h>
#include "tells.h"

typedef struct tells_map {
  const uint8_t *p;       /* the mapping (NULL for an empty file) */
  size_t len;             /* bytes mapped = size at open */
  int fd;
  dev_t dev; ino_t ino;
  int64_t mtime_ns, ctime_ns;
  int slot;               /* index in the SIGBUS guard table, or -1 */
  int copied;             /* small file read into a heap copy, not mapped */
  int short_read;         /* the copy came back short: the file shrank */
  uint32_t n_holes;       /* hole ranges recorded (<= TELLS_MAP_HOLES_MAX) */
  uint64_t holes[2 * TELLS_MAP_HOLES_MAX]; /* read-only: pairs (offset,
                             length), sorted, disjoint, inside [0, len) */
} tells_map;

/* Opens and maps `path`.  Errors: ENOENT, EACCES, ENOTREG, EIO, ENOMEM. */
tells_err tells_map_open(const char *path, tells_map *m /* OUT */);
/* Unmaps and closes; returns ECHANGED when the file changed since open. */
tells_err tells_map_close(tells_map *m);
/* 1 when [off, off + len) lies wholly inside one recorded hole (len > 0). */
int tells_map_is_hole(const tells_map *m, uint64_t off, uint64_t len);
/* Tells the kernel the mapping will be read front to back. */
void tells_map_sequential(tells_map *m);

#endif
