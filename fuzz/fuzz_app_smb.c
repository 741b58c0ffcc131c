/*
** fuzz_app_smb.c -- libFuzzer target for the SMB1/2/3, NTLMSSP and DCE/RPC
** parsers (app_smb*.c, app_ntlmssp.c) over reassembled TCP on port 445.
** The driver is fuzz_app.h; seeds: fuzz/corpus/app_smb/ (real sessions
** from the corpora and tests/tools/mksmb as one chunk stream, crashers
** kept there too); replayed without libFuzzer by replay_fuzz_app_smb.
*/
#define FUZZ_APP_PROTO 6
#define FUZZ_APP_PORT 445
#include "fuzz_app.h"
