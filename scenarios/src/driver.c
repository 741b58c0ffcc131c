/*
** driver.c -- the tiny native-subsystem PE the wiper stand-in carries as
** RCDATA (the Sony wiper carried a commercial raw-disk driver).  Its entry
** point returns 0 (STATUS_SUCCESS) and does nothing else.
*/
long DriverEntry(void *driver_object, void *registry_path);

long DriverEntry(void *driver_object, void *registry_path) {
  (void)driver_object;
  (void)registry_path;
  return 0;
}
