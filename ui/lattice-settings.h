/* lattice-settings.h: the GSettings schema of the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

/* The same schema for both profiles: only the app id gets ".Devel". */
#define LATTICE_SETTINGS_SCHEMA "io.github.latticecall.Lattice"
