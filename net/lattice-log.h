/* lattice-log.h: log set-up shared by the programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every program calls lattice_log_init() first thing in main(). Logs then
 * go to stderr (stdout is lattice-peer's JSON lines), and G_MESSAGES_DEBUG
 * also takes glob patterns: G_MESSAGES_DEBUG=Lattice* turns on the debug
 * messages of every Lattice log domain (LatticeCall, LatticeMedia, …), which
 * GLib 2.74 alone does not, as it matches domains by substring.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void lattice_log_init (void);

G_END_DECLS
