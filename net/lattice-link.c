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
             GHashTable  *params,
             gboolean    *out_tls,
             gboolean    *out_last_segment,
             GError     **error)
{
  *out_last_segment = FALSE;
  if (g_ascii_strcasecmp (scheme, "lattice") == 0)
    {
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

/* A pin only means something when there is a certificate to check. */
static gboolean
read_fingerprint (GHashTable  *params,
                  gboolean     tls,
                  char       **out_fingerprint,
                  GError     **error)
{
  const char *fp = params ? g_hash_table_lookup (params, "fp") : NULL;

  if (fp == NULL)
    return TRUE;
  if (!lattice_fingerprint_is_valid (fp))
    return set_error (error, LATTICE_LINK_ERROR_BAD_FINGERPRINT,
                      _("The certificate fingerprint in the link is damaged: ask for the link again"));
  if (!tls)
    return set_error (error, LATTICE_LINK_ERROR_BAD_FINGERPRINT,
                      _("The link pins a certificate but does not use a secure connection"));

  *out_fingerprint = g_strdup (fp);
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
  LatticeLink *copy;

  g_return_val_if_fail (link != NULL, NULL);

  copy = lattice_link_new (link->host, link->port, link->room, link->tls);
  copy->fingerprint = g_strdup (link->fingerprint);
  return copy;
}

void
lattice_link_set_fingerprint (LatticeLink *link,
                              const char  *fingerprint)
{
  g_return_if_fail (link != NULL);
  g_return_if_fail (fingerprint == NULL || lattice_fingerprint_is_valid (fingerprint));
  g_return_if_fail (fingerprint == NULL || link->tls);

  g_free (link->fingerprint);
  link->fingerprint = g_strdup (fingerprint);
}

void
lattice_link_free (LatticeLink *link)
{
  if (link == NULL)
    return;

  g_free (link->host);
  g_free (link->room);
  g_free (link->ws_uri);
  g_free (link->fingerprint);
  g_free (link);
}

/* The parts of a link, as parse_parts() finds them. */
typedef struct {
  char     *host;
  gint      port;
  char     *room;
  gboolean  tls;
  char     *fingerprint;
} LinkParts;

static void
link_parts_clear (LinkParts *parts)
{
  g_free (parts->host);
  g_free (parts->room);
  g_free (parts->fingerprint);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LinkParts, link_parts_clear)

/* Splits @text and checks each part. */
static gboolean
parse_parts (const char  *text,
             LinkParts   *parts,
             GError     **error)
{
  g_autoptr(GError) uri_error = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;
  gboolean last_segment;

  if (text[0] == '\0')
    return set_error (error, LATTICE_LINK_ERROR_EMPTY, _("The link is empty"));
  if (g_uri_peek_scheme (text) == NULL)
    return set_error (error, LATTICE_LINK_ERROR_UNKNOWN_SCHEME, _(NOT_A_LINK));
  if (!g_uri_split (text, G_URI_FLAGS_ENCODED, &scheme, NULL, &parts->host, &parts->port,
                    &path, &query, NULL, &uri_error))
    return map_uri_error (uri_error, error);

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_CASE_INSENSITIVE, NULL);
  if (!read_scheme (scheme, params, &parts->tls, &last_segment, error))
    return FALSE;
  if (parts->host == NULL || !host_is_valid (parts->host))
    return set_error (error, LATTICE_LINK_ERROR_BAD_HOST,
                      _("The link does not name a valid server"));
  if (parts->port == 0 || parts->port > 65535)
    return set_error (error, LATTICE_LINK_ERROR_BAD_PORT, _(BAD_PORT));
  if (!read_room (path, last_segment, &parts->room, error))
    return FALSE;

  return read_fingerprint (params, parts->tls, &parts->fingerprint, error);
}

LatticeLink *
lattice_link_parse (const char  *text,
                    GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_auto(LinkParts) parts = { .tls = TRUE, .port = -1 };
  LatticeLink *link;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Links pasted from a chat often carry spaces or a newline. */
  trimmed = g_strstrip (g_strdup (text));
  if (!parse_parts (trimmed, &parts, error))
    return NULL;

  link = lattice_link_new (parts.host, parts.port > 0 ? (guint) parts.port : 0,
                           parts.room, parts.tls);
  link->fingerprint = g_steal_pointer (&parts.fingerprint);
  return link;
}

/* A pin needs TLS, so a link carries "tls=no" or "fp=…", never both. */
static char *
link_query (const LatticeLink *link,
            gboolean           with_tls)
{
  if (link->fingerprint != NULL)
    return g_strconcat ("fp=", link->fingerprint, NULL);
  return with_tls && !link->tls ? g_strdup ("tls=no") : NULL;
}

char *
lattice_link_to_string (const LatticeLink *link)
{
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;

  g_return_val_if_fail (link != NULL, NULL);

  path = g_strconcat ("/", link->room, NULL);
  query = link_query (link, TRUE);
  return join_uri ("lattice", link, path, query);
}

char *
lattice_link_to_web_uri (const LatticeLink *link)
{
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;

  g_return_val_if_fail (link != NULL, NULL);

  path = g_strconcat ("/", link->room, NULL);
  query = link_query (link, FALSE);
  return join_uri (link->tls ? "https" : "http", link, path, query);
}

/* base64url without padding: the link needs no escaping, and it is the
 * shortest common spelling of 32 bytes that a person can still compare. */
char *
lattice_fingerprint_from_digest (const guint8 *digest,
                                 gsize         length)
{
  g_autofree char *b64 = NULL;
  gsize len;

  g_return_val_if_fail (digest != NULL, NULL);
  g_return_val_if_fail (length == 32, NULL);

  b64 = g_base64_encode (digest, length);
  len = strlen (b64);
  while (len > 0 && b64[len - 1] == '=')
    b64[--len] = '\0';
  for (char *p = b64; *p != '\0'; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;

  return g_strconcat (LATTICE_FINGERPRINT_PREFIX, b64, NULL);
}

/* Decoding and encoding again rejects the spellings of the last character
 * that carry stray bits: each digest has exactly one fingerprint. */
gboolean
lattice_fingerprint_is_valid (const char *fingerprint)
{
  const char *b64url;
  g_autofree char *b64 = NULL;
  g_autofree guint8 *digest = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  if (fingerprint == NULL || strlen (fingerprint) != LATTICE_FINGERPRINT_LENGTH ||
      !g_str_has_prefix (fingerprint, LATTICE_FINGERPRINT_PREFIX))
    return FALSE;

  b64url = fingerprint + strlen (LATTICE_FINGERPRINT_PREFIX);
  for (const char *p = b64url; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  b64 = g_strconcat (b64url, "=", NULL);
  for (char *p = b64; *p != '\0'; p++)
    *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
  digest = g_base64_decode (b64, &length);
  if (length != 32)
    return FALSE;
  again = lattice_fingerprint_from_digest (digest, length);
  return g_str_equal (again, fingerprint);
}
