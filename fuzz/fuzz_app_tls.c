/*
** fuzz_app_tls.c -- libFuzzer target for the TLS handshake parser over reassembled TCP.
** The driver is fuzz_app.h; seeds: fuzz/corpus/app_tls/ (real payloads as one
** chunk stream); replayed without libFuzzer by replay_fuzz_app_tls.
*/
#define FUZZ_APP_PROTO 6
#define FUZZ_APP_PORT 443
#include "fuzz_app.h"
