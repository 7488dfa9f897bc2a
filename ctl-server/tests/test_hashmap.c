// SPDX-License-Identifier: GPL-2.0-only
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hashmap.h"
#include "tap.h"

#define N 20000

int main(void)
{
	struct hashmap m;
	uint64_t i;
	int ok = 1;

	hm_init_u64(&m);
	for (i = 0; i < N; i++)
		hm_put_u64(&m, i * 7919, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < N; i++)
		ok &= hm_get_u64(&m, i * 7919) == (void *)(uintptr_t)(i + 1);
	tap_ok(ok && m.len == N, "hashmap: %d integer keys stored and found", N);
	/* Deleting every other key must keep the rest reachable (backward shift). */
	for (i = 0; i < N; i += 2)
		ok &= hm_del_u64(&m, i * 7919) == (void *)(uintptr_t)(i + 1);
	for (i = 0; i < N; i++)
		ok &= hm_get_u64(&m, i * 7919) == (i % 2 ? (void *)(uintptr_t)(i + 1) : NULL);
	tap_ok(ok && m.len == N / 2, "hashmap: deletions keep other keys reachable");
	hm_free(&m);

	{
		static char keys[N][16];

		hm_init_str(&m);
		for (i = 0; i < N; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%llu", (unsigned long long)i);
			hm_put_str(&m, keys[i], keys[i]);
		}
		for (i = 0; i < N; i += 3)
			hm_del_str(&m, keys[i]);
		for (i = 0; i < N; i++)
			ok &= hm_get_str(&m, keys[i]) == (i % 3 ? keys[i] : NULL);
		tap_ok(ok, "hashmap: string keys with deletions");
		tap_ok(hm_put_str(&m, keys[1], NULL) == keys[1], "hashmap: put returns previous value");
		hm_free(&m);
	}
	return tap_done();
}
