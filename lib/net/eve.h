/*
** eve.h -- network records in the shape of Suricata's EVE JSON.
**
** Field names follow EVE (event_type, src_ip, src_port, dest_ip, dest_port,
** proto, app_proto, flow.pkts_toserver, flow.bytes_toclient, flow.start,
** tcp.tcp_flags, ...) so that tools that read EVE can read tells' output.
** docs/eve.md lists the fields tells writes.
*/
#ifndef TELLS_NET_EVE_H
#define TELLS_NET_EVE_H

#include "flow.h"
#include "json.h"

/* Options of the EVE writer (Suricata's eve-log settings of the same names). */
typedef struct tells_eve_cfg {
  int community_id;            /* write "community_id" on every record */
  uint16_t community_id_seed;
  int ipv6_compress;           /* IPv6 addresses in RFC 5952 form, not padded */
} tells_eve_cfg;

/* Community ID v1 (commid.c): "1:" and 28 base64 characters; "" on failure.
** Ports are those of endpoints a and b (ignored for port-less protocols). */
#define TELLS_COMMID_LEN 32
void tells_commid(uint8_t l3, uint8_t proto, const uint8_t a[16], uint16_t pa,
                  const uint8_t b[16], uint16_t pb, uint16_t seed, char out[TELLS_COMMID_LEN]);
/* The Community ID of a flow (ICMP type/code mapped as the spec says). */
void tells_commid_flow(const tells_flow *f, uint16_t seed, char out[TELLS_COMMID_LEN]);

/* EVE's time format: 2014-11-24T09:00:00.000000+0000 (microseconds, UTC). */
void tells_eve_time(int64_t ns, char out[64]);
/* Name of an IP protocol as EVE writes it ("TCP", "UDP", "ICMP", "IPV6-ICMP"
** or the number). */
const char *tells_eve_proto(uint8_t proto, char tmp[8]);
/* An IPv6 address as Suricata writes it: eight groups of four hex digits,
** not compressed ("2001:0db8:0000:...:0001"). */
void tells_eve_ip6(const uint8_t ip[16], char out[46]);
/* An address of a flow key in that form (IPv4 dotted). */
void tells_eve_ip(uint8_t l3, const uint8_t ip[16], char out[46]);
/* Writes the common head of a record: timestamp, flow_id, event_type,
** src/dest ip and port (client first), proto, app_proto.  Leaves the
** object open. */
void tells_eve_head(tells_json *j, const tells_flow *f, int64_t ts_ns, const char *event_type);
/* The same with the server as src when `from_server` (records of one
** packet's direction, such as DNS version 3 responses). */
void tells_eve_head_dir(tells_json *j, const tells_flow *f, int64_t ts_ns,
                        const char *event_type, int from_server);
/* The same under the writer options `cfg` (NULL: defaults). */
void tells_eve_head_cfg(tells_json *j, const tells_flow *f, int64_t ts_ns,
                        const char *event_type, int from_server, const tells_eve_cfg *cfg);
/* One complete "flow" record (object closed, no newline). */
void tells_eve_flow(tells_json *j, const tells_flow *f, tells_flow_end why);
/* The same with "src_geo"/"dest_geo" members from a run's GeoIP (detect_run.h;
** NULL: none). */
struct tells_detect_run;
void tells_eve_flow_geo(tells_json *j, const tells_flow *f, tells_flow_end why,
                        struct tells_detect_run *geo);
/* The same under the writer options `cfg` (NULL: defaults). */
void tells_eve_flow_cfg(tells_json *j, const tells_flow *f, tells_flow_end why,
                        struct tells_detect_run *geo, const tells_eve_cfg *cfg);
/* The TCP state EVE reports for a flow ("new", "established", "closed"...). */
const char *tells_flow_state(const tells_flow *f);

#endif
