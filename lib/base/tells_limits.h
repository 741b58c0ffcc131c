/*
** tells_limits.h -- caps on every count read from a file, and on recursion depth.
**
** Evidence is hostile: a header may claim 65535 sections or a resource tree
** that points at itself.  Parsers cap what they accept with these constants
** (YARA's MAX_PE_SECTIONS) and record an anomaly when a file asks for more.
*/
#ifndef TELLS_LIMITS_H
#define TELLS_LIMITS_H

#define TELLS_MAX_ANOMALIES_PER_FILE 1000  /* further ones are only counted */
#define TELLS_MAX_PATH_DEPTH         64    /* folder nesting during intake */
#define TELLS_MAX_JSON_DEPTH         64    /* nesting of the JSON writer */
#define TELLS_ARENA_DEFAULT_CAP      (256u << 20) /* per evidence file */
#define TELLS_MAX_PE_SECTIONS        96
#define TELLS_MAX_PCAP_SNAPLEN       (256u << 10)
#define TELLS_MAX_PCAPNG_BLOCK       (16u << 20)
#define TELLS_MAX_PCAPNG_IFACES      4096
#define TELLS_MAX_EVTX_CHUNKS        (1u << 20)

#endif
