/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_TLS_H
#define CTLD_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#define TLS_NAME_MAX 256
#define TLS_NAMES_MAX 16

/*
 * A server context that requires a client certificate chaining to ca and
 * valid for TLS client authentication. NULL on failure, reason in err.
 */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ca,
			char *err, size_t errlen);

/*
 * The identities of the verified peer: its DNS subjectAltNames and its
 * subject CN. Returns how many were stored in names; 0 if unverified.
 */
size_t tls_peer_names(SSL *ssl, char names[][TLS_NAME_MAX], size_t max);

#endif
