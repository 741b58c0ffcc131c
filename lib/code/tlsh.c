/*
** tlsh.c -- TLSH digests: the streaming hash (init/update/final).
**
** The algorithm (Oliver, Cheng, Chen, "TLSH -- A Locality Sensitive Hash",
** 4th Cybercrime and Trustworthy Computing Workshop, 2013):
**
**  1. A window of 5 bytes slides over the input.  At every position from
**     the fifth byte on, with A the newest byte and B, C, D, E the four
**     before it, six triplets are hashed with Pearson's 8-bit hash, each
**     with its own salt, and the bucket of each result is counted:
**       salt 2: A B C    salt 3: A B D    salt 5: A C D
**       salt 7: A C E    salt 11: A B E   salt 13: A D E
**     The 1-byte checksum is the Pearson hash (salt 0) of A, B and the
**     previous checksum; the 3-byte variant chains bytes 1 and 2 with the
**     byte before as salt.
**  2. Of the first 128 (or 256) buckets, q1, q2, q3 are the counts at
**     sorted ranks 1/4, 2/4, 3/4 of the way (ranks 31, 63, 95 for 128).
**     Each bucket becomes a 2-bit code: 0 if count <= q1, 1 if <= q2,
**     2 if <= q3, else 3.
**  3. The header: checksum, L = a log-scale capture of the length (see
**     tlsh_ltab below), Q1 ratio = (q1*100/q3) mod 16, Q2 ratio likewise.
**
** The Pearson table is the sample permutation of Pearson's paper ("Fast
** Hashing of Variable-Length Text Strings", CACM 33(6), 1990), a published
** data table.  Text form, parsing and distance are in tlsh_digest.c.
**
** Speed: the inner loop looks the salted hashes up in two tables built from
** T on first use (see tables_build), one 8-byte load per input byte and one
** 64 KB table load per triplet instead of three dependent lookups; measured
** with `tlshgen speed` (docs/internals/tlsh.md, "Speed").
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tlsh.h"

static const uint8_t T[256] = {
  1, 87, 49, 12, 176, 178, 102, 166, 121, 193, 6, 84, 249, 230, 44, 163,
  14, 197, 213, 181, 161, 85, 218, 80, 64, 239, 24, 226, 236, 142, 38, 200,
  110, 177, 104, 103, 141, 253, 255, 50, 77, 101, 81, 18, 45, 96, 31, 222,
  25, 107, 190, 70, 86, 237, 240, 34, 72, 242, 20, 214, 244, 227, 149, 235,
  97, 234, 57, 22, 60, 250, 82, 175, 208, 5, 127, 199, 111, 62, 135, 248,
  174, 169, 211, 58, 66, 154, 106, 195, 245, 171, 17, 187, 182, 179, 0, 243,
  132, 56, 148, 75, 128, 133, 158, 100, 130, 126, 91, 13, 153, 246, 216, 219,
  119, 68, 223, 78, 83, 88, 201, 99, 122, 11, 92, 32, 136, 114, 52, 10,
  138, 30, 48, 183, 156, 35, 61, 26, 143, 74, 251, 94, 129, 162, 63, 152,
  170, 7, 115, 167, 241, 206, 3, 150, 55, 59, 151, 220, 90, 53, 23, 131,
  125, 173, 15, 238, 79, 95, 89, 16, 105, 137, 225, 224, 217, 160, 37, 123,
  118, 73, 2, 157, 46, 116, 9, 145, 134, 228, 207, 212, 202, 215, 69, 229,
  27, 188, 67, 124, 168, 252, 42, 4, 29, 108, 21, 247, 19, 205, 39, 203,
  233, 40, 186, 147, 198, 192, 155, 33, 164, 191, 98, 204, 165, 180, 117, 76,
  140, 36, 210, 172, 41, 54, 159, 8, 185, 232, 113, 196, 231, 47, 146, 120,
  51, 65, 28, 144, 254, 221, 93, 189, 194, 139, 112, 43, 71, 109, 184, 209
};

/* The first step of the salted hashes, T[salt], folded into constants. */
enum { S0 = 1 /* T[0] */, S2 = 49, S3 = 12, S5 = 178, S7 = 166, S11 = 84,
       S13 = 230 };

/* L-value: the smallest l with len <= tlsh_ltab[l] (255 beyond the end).
** The paper's capture function is
**     floor(log(len) / log(1.5))               len <= 656
**     floor(log(len) / log(1.3) - 8.72777)     len <= 3199
**     floor(log(len) / log(1.1) - 62.5472)     otherwise
** The reference tool uses a precomputed table whose entries from L = 64 on
** differ from the exact formula by a few bytes (more for larger L); the
** entries up to the L marked below were measured black-box on Debian's
** libtlsh 3.4.4 (package python3-tlsh) by hashing inputs of len and len+1
** bytes around each threshold.  Later entries (inputs of hundreds of MB and
** more) come from the formula in double precision and may be off by tens
** of bytes.  docs/internals/tlsh.md tells how to re-measure. */
static const uint64_t tlsh_ltab[256] = {
  /* L <= 155: measured on the reference (from L = 14 on; below, the
  ** formula is exact); L > 155: from the formula */
  1u, 2u, 3u, 5u, 7u,
  11u, 17u, 25u, 38u, 57u,
  86u, 129u, 194u, 291u, 437u,
  656u, 854u, 1110u, 1443u, 1876u,
  2439u, 3171u, 3475u, 3823u, 4205u,
  4626u, 5088u, 5597u, 6157u, 6772u,
  7450u, 8195u, 9014u, 9916u, 10907u,
  11998u, 13198u, 14518u, 15970u, 17567u,
  19323u, 21256u, 23382u, 25720u, 28292u,
  31121u, 34233u, 37656u, 41422u, 45564u,
  50121u, 55133u, 60646u, 66711u, 73382u,
  80721u, 88793u, 97672u, 107439u, 118183u,
  130002u, 143002u, 157302u, 173032u, 190335u,
  209369u, 230306u, 253337u, 278670u, 306538u,
  337191u, 370911u, 408002u, 448802u, 493682u,
  543050u, 597356u, 657091u, 722800u, 795081u,
  874589u, 962048u, 1058252u, 1164078u, 1280486u,
  1408534u, 1549388u, 1704327u, 1874759u, 2062236u,
  2268459u, 2495305u, 2744836u, 3019320u, 3321252u,
  3653374u, 4018711u, 4420582u, 4862641u, 5348905u,
  5883796u, 6472176u, 7119394u, 7831333u, 8614467u,
  9475909u, 10423501u, 11465851u, 12612437u, 13873681u,
  15261050u, 16787154u, 18465870u, 20312458u, 22343706u,
  24578077u, 27035886u, 29739474u, 32713425u, 35984770u,
  39583245u, 43541573u, 47895730u, 52685306u, 57953837u,
  63749221u, 70124148u, 77136564u, 84850228u, 93335252u,
  102668779u, 112935659u, 124229227u, 136652151u, 150317384u,
  165349128u, 181884040u, 200072456u, 220079703u, 242087671u,
  266296456u, 292926096u, 322218735u, 354440623u, 389884688u,
  428873168u, 471760495u, 518936559u, 570830240u, 627913311u,
  690704607u, 759775136u, 835752671u, 919327967u, 1011260767u,
  1112386880u, 1223624395u, 1345986835u, 1480585518u, 1628644070u,
  1791508477u, 1970659325u, 2167725257u, 2384497783u, 2622947561u,
  2885242318u, 3173766549u, 3491143204u, 3840257525u, 4224283277u,
  4646711605ULL, 5111382766ULL, 5622521042ULL, 6184773147ULL, 6803250461ULL,
  7483575508ULL, 8231933058ULL, 9055126364ULL, 9960639001ULL, 10956702901ULL,
  12052373191ULL, 13257610510ULL, 14583371561ULL, 16041708717ULL, 17645879589ULL,
  19410467548ULL, 21351514303ULL, 23486665733ULL, 25835332307ULL, 28418865537ULL,
  31260752091ULL, 34386827300ULL, 37825510030ULL, 41608061033ULL, 45768867137ULL,
  50345753851ULL, 55380329236ULL, 60918362159ULL, 67010198375ULL, 73711218213ULL,
  81082340034ULL, 89190574038ULL, 98109631441ULL, 107920594586ULL, 118712654044ULL,
  130583919449ULL, 143642311394ULL, 158006542533ULL, 173807196786ULL, 191187916465ULL,
  210306708112ULL, 231337378923ULL, 254471116815ULL, 279918228497ULL, 307910051347ULL,
  338701056481ULL, 372571162130ULL, 409828278343ULL, 450811106177ULL, 495892216795ULL,
  545481438474ULL, 600029582322ULL, 660032540554ULL, 726035794609ULL, 798639374070ULL,
  878503311477ULL, 966353642625ULL, 1062989006887ULL, 1169287907576ULL, 1286216698334ULL,
  1414838368167ULL, 1556322204984ULL, 1711954425483ULL, 1883149868031ULL, 2071464854834ULL,
  2278611340318ULL, 2506472474349ULL, 2757119721784ULL, 3032831693963ULL, 3336114863359ULL,
  3669726349695ULL, 4036698984665ULL, 4440368883131ULL, 4884405771445ULL, 5372846348589ULL,
  5910130983448ULL, 6501144081793ULL, 7151258489972ULL, 7866384338969ULL, 8653022772866ULL,
  9518325050153ULL, 10470157555168ULL, 11517173310685ULL, 12668890641754ULL, 13935779705929ULL,
  15329357676522ULL,
};

/* Two-level tables for the inner loop (built once, on first use).
**   TT[x << 8 | y] = T[T[x] ^ y]            (64 KB)
**   FIRST[a] = T[S ^ a] for the 7 salts S0, S2, ..., S13, one byte each
** so a salted triplet hash T[T[T[S ^ a] ^ b] ^ c] is TT[(T[S ^ a] ^ b) << 8
** | c]: one shared 8-byte load per input byte and one load per triplet
** instead of three dependent loads.  The checksum keeps the last step as
** T[... ^ ck], so its loop-carried chain stays one lookup long. */
static uint8_t TT[65536];
static uint64_t FIRST[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TLSH_VBMI 1
#include <immintrin.h>
static int g_simd = -1;        /* AVX-512 VBMI path: -1 not decided, 0 off, 1 on */
#endif

static void tables_build(void) {
  static const uint8_t salt[7] = {S0, S2, S3, S5, S7, S11, S13};
  unsigned x, y, k;
#ifdef TLSH_VBMI
  if (g_simd < 0) {
    __builtin_cpu_init();
    g_simd = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  }
#endif
  for (x = 0; x < 256; x++) {
    uint64_t v = 0;
    for (y = 0; y < 256; y++) TT[x << 8 | y] = T[T[x] ^ y];
    for (k = 0; k < 7; k++) v |= (uint64_t)T[salt[k] ^ x] << (8 * k);
    FIRST[x] = v;
  }
}

void tells_tlsh_init(tells_tlsh_ctx *c, unsigned opts) {
  pthread_once(&tables_once, tables_build);
  memset(c, 0, sizeof *c);
  c->opts = opts;
}

/* Byte k of a FIRST entry. */
#define F(v, k) ((unsigned)((v) >> (8 * (k))) & 255u)

int tells__tlsh_simd(int on) {
  pthread_once(&tables_once, tables_build);
#ifdef TLSH_VBMI
  if (on == 0) g_simd = 0;
  else if (on > 0) {
    __builtin_cpu_init();
    g_simd = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  }
  return g_simd;
#else
  (void)on;
  return 0;
#endif
}

#ifdef TLSH_VBMI
/* Positions i..: blocks of 64 positions, the six triplet hashes of each
** block computed 64 lanes at a time (a 256-entry table lookup is two
** two-register byte permutes and a blend on bit 7), then counted, with the
** checksum chain, in scalar code.  Needs i >= 4 (the window lies in s).
** Returns the first position not done. */
__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static size_t update_vbmi(const uint8_t *s, size_t i, size_t n, uint32_t *B, unsigned *ckp) {
  const __m512i t0 = _mm512_loadu_si512((const void *)T), t1 = _mm512_loadu_si512((const void *)(T + 64));
  const __m512i t2 = _mm512_loadu_si512((const void *)(T + 128)), t3 = _mm512_loadu_si512((const void *)(T + 192));
  const __m512i s2 = _mm512_set1_epi8((char)S2), s3 = _mm512_set1_epi8((char)S3);
  const __m512i s5 = _mm512_set1_epi8((char)S5), s7 = _mm512_set1_epi8((char)S7);
  const __m512i s11 = _mm512_set1_epi8((char)S11), s13 = _mm512_set1_epi8((char)S13);
  uint8_t h[6][64];
  unsigned ck = *ckp;
#define LK(x) _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), _mm512_permutex2var_epi8(t0, (x), t1), \
                                     _mm512_permutex2var_epi8(t2, (x), t3))
#define H3(sv, p, q) LK(_mm512_xor_si512(LK(_mm512_xor_si512(LK(_mm512_xor_si512((sv), a)), (p))), (q)))
  for (; i + 64 <= n; i += 64) {
    const __m512i a = _mm512_loadu_si512((const void *)(s + i));
    const __m512i b = _mm512_loadu_si512((const void *)(s + i - 1));
    const __m512i c = _mm512_loadu_si512((const void *)(s + i - 2));
    const __m512i d = _mm512_loadu_si512((const void *)(s + i - 3));
    const __m512i e = _mm512_loadu_si512((const void *)(s + i - 4));
    size_t j;
    _mm512_storeu_si512((void *)h[0], H3(s2, b, c));    /* A B C */
    _mm512_storeu_si512((void *)h[1], H3(s3, b, d));    /* A B D */
    _mm512_storeu_si512((void *)h[2], H3(s5, c, d));    /* A C D */
    _mm512_storeu_si512((void *)h[3], H3(s7, c, e));    /* A C E */
    _mm512_storeu_si512((void *)h[4], H3(s11, b, e));   /* A B E */
    _mm512_storeu_si512((void *)h[5], H3(s13, d, e));   /* A D E */
    for (j = 0; j < 64; j++) {
      ck = TT[(F(FIRST[s[i + j]], 0) ^ s[i + j - 1]) << 8 | ck];
      B[h[0][j]]++; B[h[1][j]]++; B[h[2][j]]++;
      B[h[3][j]]++; B[h[4][j]]++; B[h[5][j]]++;
    }
  }
#undef H3
#undef LK
  *ckp = ck;
  return i;
}
#endif

/* One window position: the six bucket triplets of the byte a (f = its
** first-level lookups) and the previous four, then the window moves on.
** A macro so the window stays in registers in every loop below. */
#define STEP_BUCKETS(f, a) do {                 \
    B[TT[(F(f, 1) ^ w1) << 8 | w2]]++;          \
    B[TT[(F(f, 2) ^ w1) << 8 | w3]]++;          \
    B[TT[(F(f, 3) ^ w2) << 8 | w3]]++;          \
    B[TT[(F(f, 4) ^ w2) << 8 | w4]]++;          \
    B[TT[(F(f, 5) ^ w1) << 8 | w4]]++;          \
    B[TT[(F(f, 6) ^ w3) << 8 | w4]]++;          \
    w4 = w3; w3 = w2; w2 = w1; w1 = (a);        \
  } while (0)

void tells_tlsh_update(tells_tlsh_ctx *c, const void *p, size_t n) {
  const uint8_t *s = p;
  uint32_t *B = c->bucket;
  unsigned w1, w2, w3, w4, ck;
  size_t i = 0;

  /* The first 4 bytes only fill the window. */
  while (i < n && c->len < 4) {
    c->win[3] = c->win[2]; c->win[2] = c->win[1]; c->win[1] = c->win[0];
    c->win[0] = s[i++];
    c->len++;
  }
  if (i == n) return;
  c->len += n - i;
  w1 = c->win[0]; w2 = c->win[1]; w3 = c->win[2]; w4 = c->win[3];
  ck = c->checksum[0];
  if (c->opts & TELLS_TLSH_CHECKSUM3) {
    unsigned ck1 = c->checksum[1], ck2 = c->checksum[2];
    for (; i < n; i++) {
      unsigned a = s[i];
      uint64_t f = FIRST[a];
      ck = TT[(F(f, 0) ^ w1) << 8 | ck];
      ck1 = T[TT[(T[ck] ^ a) << 8 | w1] ^ ck1];
      ck2 = T[TT[(T[ck1] ^ a) << 8 | w1] ^ ck2];
      STEP_BUCKETS(f, a);
    }
    c->checksum[1] = (uint8_t)ck1; c->checksum[2] = (uint8_t)ck2;
  } else {
#ifdef TLSH_VBMI
    if (g_simd > 0 && n - i >= 128) {
      for (; i < n && i < 4; i++) {      /* until the window lies in s */
        unsigned a = s[i];
        uint64_t f = FIRST[a];
        ck = TT[(F(f, 0) ^ w1) << 8 | ck];
        STEP_BUCKETS(f, a);
      }
      i = update_vbmi(s, i, n, B, &ck);
      w1 = s[i - 1]; w2 = s[i - 2]; w3 = s[i - 3]; w4 = s[i - 4];
    }
#endif
    for (; i < n; i++) {
      unsigned a = s[i];
      uint64_t f = FIRST[a];
      ck = TT[(F(f, 0) ^ w1) << 8 | ck];
      STEP_BUCKETS(f, a);
    }
  }
  c->checksum[0] = (uint8_t)ck;
  c->win[0] = (uint8_t)w1; c->win[1] = (uint8_t)w2;
  c->win[2] = (uint8_t)w3; c->win[3] = (uint8_t)w4;
}
#undef STEP_BUCKETS

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static uint8_t lvalue(uint64_t len) {
  unsigned lo = 0, hi = 255;
  if (len > tlsh_ltab[255]) return 255;
  while (lo < hi) {                      /* first l with len <= ltab[l] */
    unsigned mid = (lo + hi) / 2;
    if (len <= tlsh_ltab[mid]) hi = mid; else lo = mid + 1;
  }
  return (uint8_t)lo;
}

/* (q * 100 / q3) mod 16, in single precision as the reference tool does:
** for counts below 2^24 / 100 (inputs below about 7 MB) this equals the
** integer quotient. */
static uint8_t qratio(uint32_t q, uint32_t q3) {
  float r = ((float)q * 100.0f) / (float)q3;
  return (uint8_t)((uint32_t)r % 16u);
}

tells_err tells_tlsh_final(tells_tlsh_ctx *c, tells_tlsh *out) {
  unsigned nb = (c->opts & TELLS_TLSH_BUCKETS256) ? 256 : 128;
  unsigned quart = nb / 4, nz = 0, i, j;
  uint64_t minlen = (c->opts & TELLS_TLSH_CONSERVATIVE)
                        ? TELLS_TLSH_MIN_LEN_CONSERVATIVE : TELLS_TLSH_MIN_LEN;
  uint32_t sorted[256], q1, q2, q3;

  memset(out, 0, sizeof *out);
  if (c->len < minlen) return TELLS_ETRUNC;
  memcpy(sorted, c->bucket, nb * sizeof sorted[0]);
  qsort(sorted, nb, sizeof sorted[0], cmp_u32);
  q1 = sorted[quart - 1];
  q2 = sorted[2 * quart - 1];
  q3 = sorted[3 * quart - 1];
  for (i = 0; i < nb; i++) nz += c->bucket[i] != 0;
  if (q3 == 0 || nz <= nb / 2) return TELLS_EEMPTY;

  for (j = 0; j < nb / 4; j++) {         /* body[0] = buckets nb-1..nb-4 */
    const uint32_t *b = c->bucket + 4 * (nb / 4 - 1 - j);
    uint8_t v = 0;
    for (i = 0; i < 4; i++) {
      unsigned code = b[i] <= q1 ? 0 : b[i] <= q2 ? 1 : b[i] <= q3 ? 2 : 3;
      v = (uint8_t)(v | code << (2 * i));
    }
    out->body[j] = v;
  }
  out->nchecksum = (c->opts & TELLS_TLSH_CHECKSUM3) ? 3 : 1;
  if (!(c->opts & TELLS_TLSH_PRIVATE))
    memcpy(out->checksum, c->checksum, out->nchecksum);
  out->lvalue = lvalue(c->len);
  out->q1ratio = qratio(q1, q3);
  out->q2ratio = qratio(q2, q3);
  out->nbody = (uint8_t)(nb / 4);
  return TELLS_OK;
}

tells_err tells_tlsh_hash(const void *p, size_t n, unsigned opts,
                          tells_tlsh *out) {
  tells_tlsh_ctx c;
  tells_tlsh_init(&c, opts);
  tells_tlsh_update(&c, p, n);
  return tells_tlsh_final(&c, out);
}
