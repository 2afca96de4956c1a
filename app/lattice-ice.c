/* lattice-ice.c: ICE server URIs, from the protocol's form to webrtcbin's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol hands out RFC 7064/7065 URIs ("stun:host:port",
 * "turn:host:port?transport=udp") with separate credentials, as browsers
 * take them; webrtcbin wants "stun://host:port" and credentials inside a
 * "turn://user:pass@host:port" URI.
 */
#define G_LOG_DOMAIN "LatticeCall"

#include "config.h"

#include <string.h>

#include "lattice-ice.h"

static gboolean
split_scheme (const char  *uri,
              const char **scheme,
              const char **rest,
              guint       *default_port)
{
  static const struct {
    const char *prefix;
    const char *scheme;
    guint port;
  } schemes[] = {
    { "stun:", "stun", 3478 },
    { "stuns:", "stuns", 5349 },
    { "turn:", "turn", 3478 },
    { "turns:", "turns", 5349 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      if (g_str_has_prefix (uri, schemes[i].prefix))
        {
          *scheme = schemes[i].scheme;
          *rest = uri + strlen (schemes[i].prefix);
          *default_port = schemes[i].port;
          /* tolerate the "stun://" form too */
          if (g_str_has_prefix (*rest, "//"))
            *rest += 2;
          return TRUE;
        }
    }
  return FALSE;
}

/* "host:port?query" → host, port, query; IPv6 hosts come bracketed. */
static gboolean
split_host_port (const char  *hostport,
                 guint        default_port,
                 char       **host,
                 guint       *port,
                 const char **query)
{
  g_autofree char *authority = NULL;
  const char *q = strchr (hostport, '?');
  const char *colon;
  guint64 value;

  authority = q != NULL ? g_strndup (hostport, q - hostport) : g_strdup (hostport);
  *query = q;
  colon = strrchr (authority, ':');
  if (colon != NULL && strchr (authority, ']') != NULL && colon < strchr (authority, ']'))
    colon = NULL;
  *port = default_port;
  if (colon != NULL)
    {
      if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL))
        return FALSE;
      *port = (guint) value;
      authority[colon - authority] = '\0';
    }
  if (authority[0] == '\0' || strpbrk (authority, "@/ ") != NULL)
    return FALSE;
  *host = g_steal_pointer (&authority);
  return TRUE;
}

char *
lattice_ice_uri_to_gst (const char *uri,
                        const char *username,
                        const char *credential)
{
  const char *scheme, *rest, *query;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;
  guint default_port, port;

  g_return_val_if_fail (uri != NULL, NULL);

  if (!split_scheme (uri, &scheme, &rest, &default_port) ||
      !split_host_port (rest, default_port, &host, &port, &query))
    return NULL;

  if (g_str_has_prefix (scheme, "stun"))
    return g_strdup_printf ("%s://%s:%u", scheme, host, port);

  /* a TURN server is useless without credentials */
  if (username == NULL || credential == NULL)
    return NULL;
  user = g_uri_escape_string (username, NULL, FALSE);
  pass = g_uri_escape_string (credential, NULL, FALSE);
  return g_strdup_printf ("%s://%s:%s@%s:%u%s", scheme, user, pass, host, port,
                          query != NULL ? query : "");
}
