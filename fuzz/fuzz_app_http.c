/*
** fuzz_app_http.c -- libFuzzer target for the HTTP/1.x parser over reassembled TCP.
** The driver is fuzz_app.h; seeds: fuzz/corpus/app_http/ (real payloads as one
** chunk stream); replayed without libFuzzer by replay_fuzz_app_http.
*/
#define FUZZ_APP_PROTO 6
#define FUZZ_APP_PORT 80
#include "fuzz_app.h"
