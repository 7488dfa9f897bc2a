/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_TLS_H
#define CTLD_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_NAME_MAX 256
#define TLS_NAMES_MAX 16

/*
 * A server context that requires a client certificate chaining to ca,
 * revoked by none of the CRLs in crl (a PEM file, or NULL) and valid for
 * TLS client authentication. NULL on failure, reason in err.
 */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ca, const char *crl,
			char *err, size_t errlen);

/* When the context's own certificate expires, Unix seconds (0: unknown). */
int64_t tls_cert_expiry(SSL_CTX *ctx);

/*
 * The identities of the verified peer: its DNS subjectAltNames, or its
 * subject CN if it has none. Returns how many were stored in names; 0 if
 * unverified.
 */
size_t tls_peer_names(SSL *ssl, char names[][TLS_NAME_MAX], size_t max);

#endif
