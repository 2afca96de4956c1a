/* lattice-link.c: room links (pure: no I/O)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeNet"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "lattice-link.h"
#include "lattice-protocol.h"

#define TLS_PORT 443
#define PLAIN_PORT 80

/* Messages given for more than one case. */
#define NOT_A_LINK N_("This is not a Lattice link: it must start with lattice://, https:// or http://")
#define BAD_PORT   N_("The port in the link must be a number from 1 to 65535")
#define BAD_ROOM   N_("The room name in the link is not valid: use up to 64 letters, digits, dots, dashes or underscores")

/* Short, easy to say over the phone, and 64 of each: a whole number of
 * bits, so picking one is a plain mask. */
static const char * const adjectives[] = {
  "amber", "bold", "brave", "brisk", "calm", "clever", "cosy", "crisp",
  "daring", "deep", "eager", "early", "fair", "fancy", "fast", "fond",
  "gentle", "glad", "golden", "grand", "happy", "hardy", "hazel", "humble",
  "jolly", "keen", "kind", "lively", "lucky", "merry", "mighty", "misty",
  "modest", "neat", "nimble", "noble", "olive", "plain", "polite", "proud",
  "quick", "quiet", "rapid", "rosy", "royal", "rustic", "sandy", "shiny",
  "silent", "silver", "sleek", "smart", "snowy", "steady", "sunny", "swift",
  "tidy", "tiny", "vivid", "warm", "wild", "wise", "witty", "young",
};

static const char * const animals[] = {
  "alpaca", "badger", "beaver", "bison", "camel", "cheetah", "cobra", "condor",
  "crane", "dingo", "dolphin", "eagle", "falcon", "ferret", "finch", "fox",
  "gazelle", "gecko", "heron", "hippo", "ibis", "iguana", "jackal", "jaguar",
  "koala", "lemur", "leopard", "lion", "llama", "lynx", "marmot", "marten",
  "moose", "newt", "ocelot", "orca", "osprey", "otter", "owl", "panda",
  "parrot", "pelican", "penguin", "puffin", "quail", "rabbit", "raven", "robin",
  "salmon", "seal", "sparrow", "stork", "swan", "tapir", "tiger", "toucan",
  "turtle", "viper", "walrus", "weasel", "whale", "wombat", "yak", "zebra",
};
G_STATIC_ASSERT (G_N_ELEMENTS (adjectives) == 64);
G_STATIC_ASSERT (G_N_ELEMENTS (animals) == 64);

G_DEFINE_QUARK (lattice-link-error-quark, lattice_link_error)

G_DEFINE_BOXED_TYPE (LatticeLink, lattice_link, lattice_link_copy, lattice_link_free)

static guint
default_port (gboolean tls)
{
  return tls ? TLS_PORT : PLAIN_PORT;
}

/* The port goes into a URI only when it is not the scheme's default. */
static char *
join_uri (const char        *scheme,
          const LatticeLink *link,
          const char        *path,
          const char        *query)
{
  gint port = link->port == default_port (link->tls) ? -1 : (gint) link->port;
  g_auto(GStrv) pieces = g_strsplit (link->host, "%", -1);
  /* An IPv6 zone ("fe80::1%eth0") is written "%25" in a URI. */
  g_autofree char *host = g_strjoinv ("%25", pieces);

  return g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL, host, port, path, query, NULL);
}

static gboolean
host_is_valid (const char *host)
{
  gsize len = strlen (host);

  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (len == 0 || len > 253 || host[0] == '.' || host[0] == '-' || strstr (host, "..") != NULL)
    return FALSE;

  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;

  return TRUE;
}

static gboolean
set_error (GError           **error,
           LatticeLinkError   code,
           const char        *message)
{
  g_set_error_literal (error, LATTICE_LINK_ERROR, code, message);
  return FALSE;
}

/* Which scheme says what: TLS, and whether the room is the only path
 * segment (lattice, http, https) or the last one (ws, wss). */
static gboolean
read_scheme (const char  *scheme,
             const char  *query,
             gboolean    *out_tls,
             gboolean    *out_last_segment,
             GError     **error)
{
  *out_last_segment = FALSE;
  if (g_ascii_strcasecmp (scheme, "lattice") == 0)
    {
      g_autoptr(GHashTable) params = NULL;

      if (query != NULL)
        params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_CASE_INSENSITIVE, NULL);
      *out_tls = params == NULL ||
                 g_strcmp0 (g_hash_table_lookup (params, "tls"), "no") != 0;
      return TRUE;
    }

  if (g_ascii_strcasecmp (scheme, "https") == 0 || g_ascii_strcasecmp (scheme, "wss") == 0)
    *out_tls = TRUE;
  else if (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "ws") == 0)
    *out_tls = FALSE;
  else
    return set_error (error, LATTICE_LINK_ERROR_UNKNOWN_SCHEME,
                      _(NOT_A_LINK));

  *out_last_segment = g_ascii_strncasecmp (scheme, "ws", 2) == 0;
  return TRUE;
}

/* Strips one trailing '/', then takes the room from the path. */
static gboolean
read_room (const char  *path,
           gboolean     last_segment,
           char       **out_room,
           GError     **error)
{
  g_autofree char *trimmed = g_strdup (path[0] == '/' ? path + 1 : path);
  gsize len = strlen (trimmed);
  const char *room;

  if (len > 0 && trimmed[len - 1] == '/')
    trimmed[len - 1] = '\0';

  room = trimmed;
  if (last_segment && strrchr (trimmed, '/') != NULL)
    room = strrchr (trimmed, '/') + 1;

  if (room[0] == '\0')
    return set_error (error, LATTICE_LINK_ERROR_NO_ROOM,
                      _("The link does not name a room"));
  if (!lattice_room_name_is_valid (room))
    return set_error (error, LATTICE_LINK_ERROR_BAD_ROOM,
                      _(BAD_ROOM));

  *out_room = g_strdup (room);
  return TRUE;
}

static gboolean
map_uri_error (const GError  *uri_error,
               GError       **error)
{
  if (g_error_matches (uri_error, G_URI_ERROR, G_URI_ERROR_BAD_PORT))
    return set_error (error, LATTICE_LINK_ERROR_BAD_PORT,
                      _(BAD_PORT));
  if (g_error_matches (uri_error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME))
    return set_error (error, LATTICE_LINK_ERROR_UNKNOWN_SCHEME,
                      _(NOT_A_LINK));
  if (g_error_matches (uri_error, G_URI_ERROR, G_URI_ERROR_BAD_PATH))
    return set_error (error, LATTICE_LINK_ERROR_BAD_ROOM,
                      _(BAD_ROOM));

  return set_error (error, LATTICE_LINK_ERROR_BAD_HOST,
                    _("The server name in the link is not valid"));
}

/* Reads @count random bytes from the kernel's CSPRNG. */
static gboolean
read_urandom (guint8 *buffer,
              gsize   count)
{
  gsize done = 0;
  int fd;

  do
    fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return FALSE;

  while (done < count)
    {
      gssize n = read (fd, buffer + done, count - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }

  close (fd);
  return done == count;
}

static void
random_bytes (guint8 *buffer,
              gsize   count)
{
  if (read_urandom (buffer, count))
    return;

  /* Only without /dev/urandom (a broken sandbox): weaker, but still a name. */
  g_message ("No /dev/urandom: room names are easier to guess");
  for (gsize i = 0; i < count; i++)
    buffer[i] = (guint8) g_random_int_range (0, 256);
}

/* Public API */

gboolean
lattice_room_name_is_valid (const char *room)
{
  gsize len;

  if (room == NULL)
    return FALSE;

  len = strlen (room);
  if (len == 0 || len > LATTICE_PROTOCOL_MAX_ROOM_LENGTH)
    return FALSE;
  /* "." and ".." would vanish from a link's path. */
  if (strcmp (room, ".") == 0 || strcmp (room, "..") == 0)
    return FALSE;

  for (const char *p = room; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;

  return TRUE;
}

char *
lattice_room_name_generate (void)
{
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  guint8 bytes[10];
  guint64 number = 0;
  guint digits;
  char tail[5];

  random_bytes (bytes, sizeof bytes);

  /* Digits and letters come from one 64-bit number: taking remainders of
   * something that large leaves no bias worth counting. */
  for (guint i = 2; i < sizeof bytes; i++)
    number = number << 8 | bytes[i];
  digits = (guint) (number % 10000);
  number /= 10000;
  for (guint i = 0; i < 4; i++, number /= 36)
    tail[i] = alphabet[number % 36];
  tail[4] = '\0';

  return g_strdup_printf ("%s-%s-%04u-%s",
                          adjectives[bytes[0] & 63], animals[bytes[1] & 63],
                          digits, tail);
}

LatticeLink *
lattice_link_new (const char *host,
                  guint       port,
                  const char *room,
                  gboolean    tls)
{
  g_autofree char *ascii_host = NULL;
  LatticeLink *link;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail (lattice_room_name_is_valid (room), NULL);

  /* International names are kept in their DNS (punycode) form. */
  ascii_host = g_hostname_is_ip_address (host) ? g_strdup (host) : g_hostname_to_ascii (host);
  g_return_val_if_fail (ascii_host != NULL && host_is_valid (ascii_host), NULL);

  link = g_new0 (LatticeLink, 1);
  link->host = g_steal_pointer (&ascii_host);
  link->port = port != 0 ? port : default_port (tls);
  link->room = g_strdup (room);
  link->tls = !!tls;
  link->ws_uri = join_uri (tls ? "wss" : "ws", link, "/ws", NULL);
  return link;
}

LatticeLink *
lattice_link_copy (const LatticeLink *link)
{
  g_return_val_if_fail (link != NULL, NULL);

  return lattice_link_new (link->host, link->port, link->room, link->tls);
}

void
lattice_link_free (LatticeLink *link)
{
  if (link == NULL)
    return;

  g_free (link->host);
  g_free (link->room);
  g_free (link->ws_uri);
  g_free (link);
}

/* Splits @text and checks each part; the room and TLS come out. */
static gboolean
parse_parts (const char  *text,
             char       **out_host,
             gint        *out_port,
             char       **out_room,
             gboolean    *out_tls,
             GError     **error)
{
  g_autoptr(GError) uri_error = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;
  gboolean last_segment;

  if (text[0] == '\0')
    return set_error (error, LATTICE_LINK_ERROR_EMPTY, _("The link is empty"));
  if (g_uri_peek_scheme (text) == NULL)
    return set_error (error, LATTICE_LINK_ERROR_UNKNOWN_SCHEME, _(NOT_A_LINK));
  if (!g_uri_split (text, G_URI_FLAGS_ENCODED, &scheme, NULL, out_host, out_port,
                    &path, &query, NULL, &uri_error))
    return map_uri_error (uri_error, error);

  if (!read_scheme (scheme, query, out_tls, &last_segment, error))
    return FALSE;
  if (*out_host == NULL || !host_is_valid (*out_host))
    return set_error (error, LATTICE_LINK_ERROR_BAD_HOST,
                      _("The link does not name a valid server"));
  if (*out_port == 0 || *out_port > 65535)
    return set_error (error, LATTICE_LINK_ERROR_BAD_PORT, _(BAD_PORT));

  return read_room (path, last_segment, out_room, error);
}

LatticeLink *
lattice_link_parse (const char  *text,
                    GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *host = NULL;
  g_autofree char *room = NULL;
  gboolean tls = TRUE;
  gint port = -1;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Links pasted from a chat often carry spaces or a newline. */
  trimmed = g_strstrip (g_strdup (text));
  if (!parse_parts (trimmed, &host, &port, &room, &tls, error))
    return NULL;

  return lattice_link_new (host, port > 0 ? (guint) port : 0, room, tls);
}

char *
lattice_link_to_string (const LatticeLink *link)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (link != NULL, NULL);

  path = g_strconcat ("/", link->room, NULL);
  return join_uri ("lattice", link, path, link->tls ? NULL : "tls=no");
}

char *
lattice_link_to_web_uri (const LatticeLink *link)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (link != NULL, NULL);

  path = g_strconcat ("/", link->room, NULL);
  return join_uri (link->tls ? "https" : "http", link, path, NULL);
}
