/*
** fuzz_app_dns.c -- libFuzzer target for the DNS parser (UDP datagrams, and TCP with 2-byte lengths when the first
** byte is odd).
** The driver is fuzz_app.h; seeds: fuzz/corpus/app_dns/ (real payloads as one
** chunk stream); replayed without libFuzzer by replay_fuzz_app_dns.
*/
#define FUZZ_APP_PROTO 17
#define FUZZ_APP_PORT 53
#include "fuzz_app.h"
