/*
** pe_limits.h -- caps on every count and size the PE parser reads from a file.
**
** A PE header may claim 65535 sections, a million exports or a resource
** tree that points at itself.  The parser accepts at most these many of each
** and records an anomaly (code "pe.*.cap") when a file asks for more, so time
** and memory stay bounded whatever the input claims (YARA's MAX_PE_*).
** TELLS_MAX_PE_SECTIONS itself lives in lib/base/tells_limits.h.
*/
#ifndef TELLS_PE_LIMITS_H
#define TELLS_PE_LIMITS_H

#define TELLS_MAX_PE_DATA_DIRS       16      /* IMAGE_NUMBEROF_DIRECTORY_ENTRIES */
#define TELLS_MAX_PE_IMPORT_DLLS     1024    /* import descriptors per table */
#define TELLS_MAX_PE_IMPORT_FUNCS    65536   /* thunks over all DLLs of a table */
#define TELLS_MAX_PE_EXPORTS         65536   /* export address table entries */
#define TELLS_MAX_PE_RSRC_DEPTH      8       /* levels below the root */
#define TELLS_MAX_PE_RSRC_DIRS       4096    /* directories visited */
#define TELLS_MAX_PE_RSRC_ENTRIES    65536   /* entries read over all dirs */
#define TELLS_MAX_PE_RSRC_LEAVES     16384   /* data entries kept */
#define TELLS_MAX_PE_RSRC_NAME       256     /* UTF-16 units kept of one name */
#define TELLS_MAX_PE_RSRC_NAME_UNITS (1u << 20) /* name units decoded per file */
#define TELLS_MAX_PE_VERSION_STRINGS 256     /* StringFileInfo key/values */
#define TELLS_MAX_PE_VERSION_NODES   1024    /* version-info blocks walked */
#define TELLS_MAX_PE_TRANSLATIONS    64      /* VarFileInfo\Translation pairs */
#define TELLS_MAX_PE_DEBUG_ENTRIES   64      /* IMAGE_DEBUG_DIRECTORY entries */
#define TELLS_MAX_PE_TLS_CALLBACKS   256     /* TLS callback pointers */
#define TELLS_MAX_PE_RICH_ENTRIES    512     /* @comp.id records */
#define TELLS_MAX_PE_NAME            512     /* bytes of a name read from file */
#define TELLS_MAX_PE_CERTS           16      /* WIN_CERTIFICATE records */
#define TELLS_MAX_PE_CERT_SIZE       (16u << 20) /* bytes of one certificate */

#endif /* TELLS_PE_LIMITS_H */
