/* lattice-lan-address.c: this computer's address on the local network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GNetworkMonitor says whether there is a network, not which address others
 * reach us at, so the interfaces are read with getifaddrs().
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "lattice-lan-address.h"

/* Docker, libvirt and VPN interfaces have addresses others on the LAN
 * cannot reach: use them only when nothing else is there. */
static gboolean
is_virtual (const char *name)
{
  static const char *const prefixes[] = { "docker", "br-", "veth", "virbr", "tun", "tap", "wg", "lxc", "vmnet", NULL };

  for (guint i = 0; prefixes[i] != NULL; i++)
    if (g_str_has_prefix (name, prefixes[i]))
      return TRUE;
  return FALSE;
}

char *
lattice_lan_address_dup (void)
{
  struct ifaddrs *addrs = NULL;
  char best[INET_ADDRSTRLEN] = "";
  gboolean best_is_virtual = TRUE;

  if (getifaddrs (&addrs) != 0)
    return g_strdup ("127.0.0.1");

  for (struct ifaddrs *ifa = addrs; ifa != NULL; ifa = ifa->ifa_next)
    {
      char text[INET_ADDRSTRLEN];
      gboolean virtual;

      if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
          !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
        continue;
      if (inet_ntop (AF_INET, &((struct sockaddr_in *) (gpointer) ifa->ifa_addr)->sin_addr,
                     text, sizeof text) == NULL)
        continue;
      virtual = is_virtual (ifa->ifa_name);
      if (best[0] == '\0' || (best_is_virtual && !virtual))
        {
          g_strlcpy (best, text, sizeof best);
          best_is_virtual = virtual;
        }
    }
  freeifaddrs (addrs);
  return g_strdup (best[0] != '\0' ? best : "127.0.0.1");
}
