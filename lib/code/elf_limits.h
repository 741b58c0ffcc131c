/*
** elf_limits.h -- caps on every count the ELF parser reads from a file.
**
** An ELF header may claim 65535 sections, a dynamic table without end or a
** symbol table larger than the file.  lib/code/elf*.c accept at most these
** many of each and record an anomaly ("elf.too_many_*") for the rest, so
** memory and time stay bounded whatever the input says.  Values are set well
** above what real toolchains produce (node has ~75k dynamic symbols, libc
** ~3k; executables have < 100 sections and < 20 segments).
*/
#ifndef TELLS_ELF_LIMITS_H
#define TELLS_ELF_LIMITS_H

#define TELLS_ELF_MAX_SECTIONS   16384   /* section headers kept */
#define TELLS_ELF_MAX_SEGMENTS   2048    /* program headers kept */
#define TELLS_ELF_MAX_DYN        8192    /* dynamic entries walked */
#define TELLS_ELF_MAX_NEEDED     1024    /* DT_NEEDED names kept */
#define TELLS_ELF_MAX_DYNSYMS    262144  /* dynamic symbols kept */
#define TELLS_ELF_MAX_NOTES      8192    /* notes kept, over all note areas
                                            (annobin writes hundreds) */
#define TELLS_ELF_MAX_COMMENTS   256     /* .comment strings kept */
#define TELLS_ELF_MAX_STR        4096    /* bytes of one string kept (longer
                                            ones are cut, with an anomaly) */
#define TELLS_ELF_MAX_BUILD_ID   64      /* bytes of a build-id kept */
#define TELLS_ELF_MAX_GNU_BUCKETS (1u << 22) /* DT_GNU_HASH buckets scanned */
/* Entropy is computed over at most 2 * file size + this many bytes in all,
** so overlapping hostile sections cannot make the work quadratic. */
#define TELLS_ELF_ENTROPY_SLACK  (1u << 20)
/* Names (sections, symbols, libraries) copied into the arena total at most
** 4 * file size + this many bytes: 262144 symbols all naming the same
** 4 KiB string cannot fill memory. */
#define TELLS_ELF_STR_SLACK      (16u << 20)
/* Anomalies of one code listed per file; the rest are counted in one
** summary record, so 16k bad section names cannot crowd out the others in
** the TELLS_MAX_ANOMALIES_PER_FILE list. */
#define TELLS_ELF_MAX_ANOM_REPEAT 50

#endif
