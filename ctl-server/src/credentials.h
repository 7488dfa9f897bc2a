/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The server's TLS credentials (--cert, --key, --ca, --crl), loaded at
 * start and again on SIGHUP or when one of the files changes (checked
 * every few seconds), so that certificates, the CA and the CRL rotate
 * without a restart. A new context serves new connections; those open
 * keep theirs. A reload that fails keeps the credentials loaded before.
 */
#ifndef CTLD_CREDENTIALS_H
#define CTLD_CREDENTIALS_H

#include <stddef.h>

struct ctld;
struct credentials;

/* Load them into c->ssl and start watching; NULL on failure, reason in err. */
struct credentials *credentials_start(struct ctld *c, char *err, size_t errlen);
void credentials_reload(struct credentials *cr, const char *why);
void credentials_stop(struct credentials *cr);

#endif
