/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_CONFIG_H
#define CTLD_CONFIG_H

#include "model.h"

/*
 * Load every *.yaml and *.yml file of the given directories (hidden files
 * skipped) and the given plain files. Returns NULL when anything is wrong;
 * diags then holds every problem found.
 */
struct config *config_load(const char *const paths[], size_t n_paths, struct diags *diags);

/* The two phases config_load runs, exposed for the fuzzer and the tests. */
struct config *config_new(void);
void config_parse_buffer(struct config *cfg, const char *file, const char *data,
			 size_t len, struct diags *diags);
bool config_resolve(struct config *cfg, struct diags *diags);

void config_free(struct config *cfg);

const struct principal *config_principal(const struct config *cfg, const char *identity);
struct network *config_network(const struct config *cfg, const char *name);
struct relay *config_relay(const struct config *cfg, const char *name);

/* The pool of relay serving network (NULL for any) that holds port, or NULL. */
const struct pool *relay_pool_for(const struct relay *r, uint16_t port);
bool pool_serves(const struct pool *p, const struct network *net);

#endif
