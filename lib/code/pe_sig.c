/*
** pe_sig.c -- Authenticode: the attribute certificate table (security data
** directory) and the signer of its PKCS#7 SignedData, via libcrypto.
**
** The security directory (data directory 4) holds a FILE offset, not an
** RVA, and the table is not mapped into memory.  It is a sequence of
** WIN_CERTIFICATE records, each starting on an 8-byte boundary
** (PE/COFF spec 5.9, "Windows Authenticode Portable Executable Signature
** Format"):
**   OFFSET  SIZE  DESCRIPTION
**   0       4     dwLength, bytes of the record including this header
**   4       2     wRevision (0x0100 or 0x0200)
**   6       2     wCertificateType (2 = WIN_CERT_TYPE_PKCS_SIGNED_DATA)
**   8       ..    bCertificate: for type 2, a DER PKCS#7 SignedData whose
**                 content is SpcIndirectDataContent (the image hash)
** tells decodes the SignedData and reports the first signer's certificate
** subject and issuer; it does not verify the signature or the image hash.
*/
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include "pe_int.h"

static const char *name_str(tells__pe_ctx *c, X509_NAME *nm) {
  BIO *b;
  char *p = NULL;
  long n;
  const char *s = NULL;
  if (!nm) return NULL;
  b = BIO_new(BIO_s_mem());
  if (!b) return NULL;
  if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
    n = BIO_get_mem_data(b, &p);
    if (n > 0 && p) {
      s = tells_arena_strndup(c->arena, p, (size_t)(n > 4096 ? 4096 : n));
      if (!s) c->nomem = 1;
    }
  }
  BIO_free(b);
  return s;
}

static void signer(tells__pe_ctx *c, tells_pe_cert *ct, const uint8_t *der, size_t n) {
  const unsigned char *pp = der;
  PKCS7 *p7;
  STACK_OF(X509) *signers;
  if (n > 0x7fffffff) return;
  p7 = d2i_PKCS7(NULL, &pp, (long)n);
  if (!p7) {
    tells_anom_add(c->anoms, ct->off + 8, "pe.sig.pkcs7", "certificate is not a DER PKCS#7 structure");
    ERR_clear_error();
    return;
  }
  if (!PKCS7_type_is_signed(p7)) {
    tells_anom_add(c->anoms, ct->off + 8, "pe.sig.not_signed", "PKCS#7 is not SignedData");
    PKCS7_free(p7);
    return;
  }
  signers = PKCS7_get0_signers(p7, NULL, 0);
  if (signers && sk_X509_num(signers) > 0) {
    X509 *x = sk_X509_value(signers, 0);
    ct->subject = name_str(c, X509_get_subject_name(x));
    ct->issuer = name_str(c, X509_get_issuer_name(x));
  } else {
    STACK_OF(PKCS7_SIGNER_INFO) *si = PKCS7_get_signer_info(p7);
    ERR_clear_error();
    tells_anom_add(c->anoms, ct->off + 8, "pe.sig.no_signer_cert",
                   "SignedData does not carry its signer's certificate");
    if (si && sk_PKCS7_SIGNER_INFO_num(si) > 0) {
      PKCS7_SIGNER_INFO *s = sk_PKCS7_SIGNER_INFO_value(si, 0);
      if (s && s->issuer_and_serial) ct->issuer = name_str(c, s->issuer_and_serial->issuer);
    }
  }
  sk_X509_free(signers);
  PKCS7_free(p7);
}

void tells__pe_sig(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_SECURITY];
  uint64_t off = d.rva, end;
  size_t n = 0;
  if (!d.rva || !d.size) return;
  if (!tells_fits(c->file.len, d.rva, d.size)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_SECURITY), "pe.sig.outside",
                   "certificate table [0x%x, +0x%x) is outside the file", d.rva, d.size);
    if (d.rva >= c->file.len) return;
    end = c->file.len;
  } else end = (uint64_t)d.rva + d.size;
  pe->certs = tells__pe_alloc(c, TELLS_MAX_PE_CERTS * sizeof *pe->certs);
  if (!pe->certs) return;
  while (off + 8 <= end) {
    tells_rd r = tells__pe_at(c, off, 8, 0);
    tells_pe_cert *ct;
    uint32_t len = tells_rd_u32le(&r);
    if (n == TELLS_MAX_PE_CERTS) {
      tells_anom_add(c->anoms, off, "pe.sig.cap", "more than %d certificates", TELLS_MAX_PE_CERTS);
      break;
    }
    ct = &pe->certs[n++];
    pe->n_certs = n;
    ct->off = off;
    ct->length = len;
    ct->revision = tells_rd_u16le(&r);
    ct->type = tells_rd_u16le(&r);
    if (len < 8 || len > end - off) {
      tells_anom_add(c->anoms, off, "pe.sig.length",
                     "WIN_CERTIFICATE length %u does not fit the table", len);
      if (len < 8) break;
      len = (uint32_t)(end - off);
    }
    if (ct->type == 2 && len - 8 <= TELLS_MAX_PE_CERT_SIZE) {
      const uint8_t *p = tells__pe_ptr(c, off + 8, len - 8);
      if (p) signer(c, ct, p, len - 8);
    } else if (ct->type != 2) {
      tells_anom_add(c->anoms, off + 6, "pe.sig.type", "certificate type %u is not PKCS#7", ct->type);
    }
    off += ((uint64_t)len + 7) & ~(uint64_t)7;
  }
  if ((uint64_t)d.rva + d.size < c->file.len)
    tells_anom_add(c->anoms, (uint64_t)d.rva + d.size, "pe.sig.not_last",
                   "data follows the certificate table");
}
