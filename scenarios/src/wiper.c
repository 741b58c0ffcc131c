/*
** wiper.c -- the scenario's wiper stand-in: raw-disk access through the
** embedded driver (RCDATA), a kernel-driver service, event-log clearing
** and a reboot, against the host names of scenario.h.  It prints a line and
** exits; the calls sit behind a branch that never runs.
*/
#include <windows.h>
#include <stdio.h>
#include <wchar.h>
#include "res.h"
#include "scenario.h"

static const wchar_t *const targets[] = {SC_WIPE_TARGETS};
static const wchar_t msg_ko[] = L"디스크 초기화 작업을 시작합니다";

static void never_called(void) {
  wchar_t path[64];
  char apath[64];
  BYTE geo[64];
  DWORD got = 0;
  HANDLE h;
  SC_HANDLE scm;
  size_t i;
  swprintf(path, 64, L"\\\\.\\PhysicalDrive%d", 0);
  snprintf(apath, sizeof apath, "\\\\.\\PhysicalDrive%d", 0);
  h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                  OPEN_EXISTING, 0, NULL);
  DeviceIoControl(h, 0x70000 /* IOCTL_DISK_GET_DRIVE_GEOMETRY */, NULL, 0, geo, sizeof geo, &got, NULL);
  CloseHandle(h);
  puts(apath);
  FindResourceW(NULL, MAKEINTRESOURCEW(IDR_PAYLOAD), (LPCWSTR)RT_RCDATA);
  scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
  CreateServiceW(scm, L"usbdrv3", L"USB 3.0 Host Driver", SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER,
                 SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE,
                 L"C:\\Windows\\System32\\drivers\\usbdrv3.sys", NULL, NULL, NULL, NULL, NULL);
  for (i = 0; i < sizeof targets / sizeof targets[0]; i++) wprintf(L"\\\\%ls\n", targets[i]);
  system("wevtutil cl Security & wevtutil cl System");
  ExitWindowsEx(EWX_REBOOT | EWX_FORCE, 0);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1000) {
    never_called();
    wprintf(L"%ls\n", msg_ko);
  }
  puts("tells scenario: wiper stand-in, prints and exits");
  return 0;
}
