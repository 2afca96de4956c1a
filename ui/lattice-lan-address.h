/* lattice-lan-address.h: this computer's address on the local network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A non-loopback IPv4 address of an interface that is up, preferring real
 * network cards over container and VPN bridges; "127.0.0.1" when there is none. */
char *lattice_lan_address_dup (void);

G_END_DECLS
