/* lattice-preferences-window.h: name, servers, network and media settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LATTICE_TYPE_PREFERENCES_WINDOW (lattice_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (LatticePreferencesWindow, lattice_preferences_window, LATTICE, PREFERENCES_WINDOW, AdwPreferencesWindow)

LatticePreferencesWindow *lattice_preferences_window_new (GtkWindow *parent);

G_END_DECLS
