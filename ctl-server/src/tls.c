// SPDX-License-Identifier: GPL-2.0-only
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "tls.h"

static void ssl_err(char *err, size_t errlen, const char *what, const char *file)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, file, buf);
}

/*
 * A key others may read is a key others may have: refused, as ssh does.
 * Its group may (Debian keeps keys 0640 in the ssl-cert group).
 */
static int key_exposed(const char *key, char *err, size_t errlen)
{
	struct stat st;

	if (stat(key, &st)) {
		snprintf(err, errlen, "cannot load key %s: %s", key, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IRWXO) {
		snprintf(err, errlen, "key %s is accessible to others (mode %04o): chmod o-rwx it",
			 key, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Every certificate of a chain is checked against the CRLs in @crl. */
static int load_crl(SSL_CTX *ctx, const char *crl, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());

	if (!lookup || X509_load_crl_file(lookup, crl, X509_FILETYPE_PEM) <= 0) {
		ssl_err(err, errlen, "cannot load CRL", crl);
		return -1;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ca, const char *crl,
			char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		ssl_err(err, errlen, "cannot create", "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/*
	 * TLS 1.2 only with forward secrecy and an AEAD (TLS 1.3 has nothing
	 * else): no static RSA key exchange, no CBC, no SHA-1.
	 */
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		ssl_err(err, errlen, "cannot set", "the TLS 1.2 ciphers");
		goto fail;
	}
	if (key_exposed(key, err, errlen))
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_err(err, errlen, "cannot load certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, "cannot load key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errlen, "key does not match certificate", cert);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		ssl_err(err, errlen, "cannot load CA", ca);
		goto fail;
	}
	if (crl && load_crl(ctx, crl, err, errlen))
		goto fail;
	/* Only clients with a certificate from ca get past the handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* A server-only certificate must not be usable as a client's. */
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static size_t add_name(char names[][TLS_NAME_MAX], size_t n, size_t max,
		       const unsigned char *data, int len)
{
	if (n >= max || len <= 0 || len >= TLS_NAME_MAX || memchr(data, 0, len))
		return n;
	memcpy(names[n], data, len);
	names[n][len] = '\0';
	return n + 1;
}

int64_t tls_cert_expiry(SSL_CTX *ctx)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	struct tm tm;

	if (!cert || !ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		return 0;
	return timegm(&tm);
}

size_t tls_peer_names(SSL *ssl, char names[][TLS_NAME_MAX], size_t max)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	GENERAL_NAMES *sans;
	X509_NAME *subject;
	size_t n = 0;
	int i;

	if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
		return 0;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_DNS)
			n = add_name(names, n, max, ASN1_STRING_get0_data(gn->d.dNSName),
				     ASN1_STRING_length(gn->d.dNSName));
	}
	GENERAL_NAMES_free(sans);
	/* The subject CN only when there is no DNS name (RFC 6125, 6.4.4). */
	if (n)
		return n;
	subject = X509_get_subject_name(cert);
	i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (i >= 0) {
		unsigned char *utf8;
		int len = ASN1_STRING_to_UTF8(&utf8,
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));

		if (len >= 0) {
			n = add_name(names, n, max, utf8, len);
			OPENSSL_free(utf8);
		}
	}
	return n;
}
