/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus metrics as a text file for node_exporter's textfile
 * collector (metrics-file), replaced atomically; the same figures also go
 * to ctld in every report, which exports them on its own /metrics.
 */
#ifndef AG_METRICS_H
#define AG_METRICS_H

#include "agent.h"

/* Writes the file if one is configured; logs and returns -1 on failure. */
int ag_metrics_write(const struct ag_agent *a);

#endif /* AG_METRICS_H */
