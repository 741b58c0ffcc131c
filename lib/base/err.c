/*
** err.c -- tells_strerror and the names of evidence kinds, from the X-macro
** lists in tells.h.
*/
#include "tells.h"

const char *tells_strerror(tells_err err) {
  switch (err) {
  case TELLS_OK: return "success";
#define TELLS__ERR_STR(name, val, msg) case TELLS_E##name: return msg;
  TELLS_ERR_MAP(TELLS__ERR_STR)
#undef TELLS__ERR_STR
  }
  return "unknown error";
}

const char *tells_kind_name(tells_kind kind) {
  static const char *const names[] = {
#define TELLS__KIND_STR(name, str, pillar) str,
    TELLS_KIND_MAP(TELLS__KIND_STR)
#undef TELLS__KIND_STR
  };
  return (unsigned)kind < TELLS_KIND_COUNT ? names[kind] : "none";
}

const char *tells_kind_pillar(tells_kind kind) {
  static const char *const pillars[] = {
#define TELLS__KIND_PIL(name, str, pillar) pillar,
    TELLS_KIND_MAP(TELLS__KIND_PIL)
#undef TELLS__KIND_PIL
  };
  return (unsigned)kind < TELLS_KIND_COUNT ? pillars[kind] : "none";
}
