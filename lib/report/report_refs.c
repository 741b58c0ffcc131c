/*
** report_refs.c -- the flows findings refer to.  Network findings list
** their flows in details ("flows": [{"flow_id", "src_port", "dest_port"}])
** by the EVE flow_id of their capture, which is not the case's flow id; the
** flows are found again by evidence file, ports and flow_id in one scan of
** the flows (an automatic index on the small reference list), and findings
** with a ref_flow column are added.  The report links findings to these
** flows, keeps them in its capped flows table, and draws the exfiltration
** chart and the lateral movement edges from them.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "report_int.h"

static const char REFS_SQL[] =
  "WITH fr AS MATERIALIZED (SELECT f.id AS finding, f.evidence_id AS eid, f.tactic AS tactic,"
  "  CAST(json_extract(x.value, '$.flow_id') AS INTEGER) AS fid,"
  "  CAST(json_extract(x.value, '$.src_port') AS INTEGER) AS sport,"
  "  CAST(json_extract(x.value, '$.dest_port') AS INTEGER) AS dport"
  "  FROM findings f, json_each(CASE WHEN json_valid(f.details) THEN f.details ELSE '{}' END, '$.flows') x"
  "  WHERE f.ref_flow IS NULL AND x.type = 'object' ORDER BY f.id, x.key LIMIT 20000)"
  " SELECT fr.finding, fl.id, fr.tactic, fl.src_ip, fl.dest_ip, CASE WHEN json_valid(fl.details)"
  "  THEN json_extract(fl.details, '$.dest_geo.country') END FROM flows fl CROSS JOIN fr"
  "  ON fr.eid = fl.evidence_id AND fr.sport = fl.src_port AND fr.dport = fl.dest_port"
  "  WHERE CASE WHEN json_valid(fl.details) THEN json_extract(fl.details, '$.flow_id') END = +fr.fid"
  " UNION ALL SELECT f.id, fl.id, f.tactic, fl.src_ip, fl.dest_ip,"
  "  CASE WHEN json_valid(fl.details) THEN json_extract(fl.details, '$.dest_geo.country') END"
  "  FROM findings f JOIN flows fl ON fl.id = f.ref_flow"
  " ORDER BY 1, 2 LIMIT 20000";

static int ref_row(void *ud, const tells_row *row) {
  rep *r = ud;
  rep_ref *k;
  if (r->nrefs == REP_MAX_REFS) return 1;
  k = &r->refs[r->nrefs++];
  k->finding = tells__report_i64(row->text[0]);
  k->flow = tells__report_i64(row->text[1]);
  snprintf(k->tactic, sizeof k->tactic, "%s", row->text[2] ? row->text[2] : "");
  snprintf(k->src, sizeof k->src, "%s", row->text[3] ? row->text[3] : "");
  snprintf(k->dst, sizeof k->dst, "%s", row->text[4] ? row->text[4] : "");
  snprintf(k->cc, sizeof k->cc, "%s", row->text[5] ? row->text[5] : "");
  return 0;
}

tells_err tells__report_refs_load(rep *r) {
  if (!(r->refs = tells_calloc(REP_MAX_REFS, sizeof *r->refs))) return TELLS_ENOMEM;
  return tells__report_query(r, REFS_SQL, ref_row, r);
}

int64_t tells__report_refs_first(const rep *r, int64_t finding) {
  size_t lo = 0, hi = r->nrefs;
  while (lo < hi) {                 /* first index with finding >= id */
    size_t mid = lo + (hi - lo) / 2;
    if (r->refs[mid].finding < finding) lo = mid + 1; else hi = mid;
  }
  return lo < r->nrefs && r->refs[lo].finding == finding ? r->refs[lo].flow : 0;
}

char *tells__report_refs_list(const rep *r) {
  size_t i, n = 0, cap = r->nrefs * 22 + 4;
  char *s;
  if (!r->nrefs || !(s = tells_malloc(cap))) return NULL;
  for (i = 0; i < r->nrefs; i++)
    n += (size_t)snprintf(s + n, cap - n, "%c%lld", i ? ',' : '(', (long long)r->refs[i].flow);
  snprintf(s + n, cap - n, ")");
  return s;
}
