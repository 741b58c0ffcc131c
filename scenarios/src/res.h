/* res.h -- resource ids shared by the scenario's C sources and .rc files. */
#define IDR_PAYLOAD 101
#define IDS_FIRST 1
