/* lattice-connection-quality.h: how good the link to a participant is, in one word
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LatticeCall's monitor rates each participant's connection once a second
 * from what the media engine measures (lattice-peer-connection.h,
 * lattice-peer-sender.h) into LatticeParticipant's "connection-quality",
 * which the tiles show. The rating is a pure function, so the thresholds
 * can be tested alone.
 */
#pragma once

#include <gio/gio.h>

#include "lattice-media-engine.h"

G_BEGIN_DECLS

typedef enum {
  LATTICE_CONNECTION_QUALITY_UNKNOWN,  /* not connected, or nothing measured yet */
  LATTICE_CONNECTION_QUALITY_GOOD,
  LATTICE_CONNECTION_QUALITY_FAIR,     /* noticeable: repairs, a smaller picture, a long round trip */
  LATTICE_CONNECTION_QUALITY_POOR,     /* video stutters or stops */
} LatticeConnectionQuality;

typedef struct {
  double rtt_ms;           /* round trip; < 0 unknown */
  double loss_sent;        /* 0–1: of what we send, on the way, before repairs; < 0 unknown */
  double loss_received;    /* 0–1: of what we receive, likewise */
  double video_share;      /* the video layer the link lets us send them, as a share of
                            * the full one (1: full; about 1/3: the low one); < 0
                            * unknown (no video sent) */
} LatticeLinkMeasures;

/* The worse of what each measure says (see the .c for the thresholds). */
LatticeConnectionQuality lattice_connection_quality_rate (const LatticeLinkMeasures *measures);

/* Rates every participant of @participants (a GListModel of
 * LatticeParticipant) that has a connection in @engine, once a second on
 * the thread-default main context; a new rating takes effect once it held
 * for two seconds running, so that a tile does not flicker. */
typedef struct _LatticeQualityMonitor LatticeQualityMonitor;

LatticeQualityMonitor   *lattice_quality_monitor_new     (LatticeMediaEngine    *engine,
                                                          GListModel            *participants);
void                     lattice_quality_monitor_free    (LatticeQualityMonitor *self);

G_END_DECLS
