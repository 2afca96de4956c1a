/* lattice-join-page.h: where a call starts: your name, a room link, recent rooms
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_JOIN_PAGE (lattice_join_page_get_type ())
G_DECLARE_FINAL_TYPE (LatticeJoinPage, lattice_join_page, LATTICE, JOIN_PAGE, GtkWidget)

/* Signals:
 *   join (const char *link, const char *name)   the Join button, Enter, or a recent room
 *   host (const char *name)                     "Host a Room on This Computer"
 * The name is saved to the display-name setting before either is emitted. */
GtkWidget  *lattice_join_page_new      (void);
void        lattice_join_page_set_link (LatticeJoinPage *self,
                                        const char      *link);
const char *lattice_join_page_get_link (LatticeJoinPage *self);
/* The name to join with: what the entry holds, or the real name when empty. */
char       *lattice_join_page_dup_name (LatticeJoinPage *self);
/* Whether the link is valid (and so Join is sensitive). */
gboolean    lattice_join_page_get_can_join (LatticeJoinPage *self);

/* The display-name setting, or the user's real name on first run. */
char       *lattice_default_display_name (GSettings *settings);

G_END_DECLS
