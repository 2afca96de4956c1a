/* test-link.c: room links and room names
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeTest"

#include "config.h"

#include <string.h>
#include <glib-object.h>

#include "lattice-link.h"
#include "lattice-protocol.h"

typedef struct {
  const char *text;
  const char *host;
  guint       port;
  const char *room;
  gboolean    tls;
  const char *ws_uri;
  const char *fingerprint;
} GoodLink;

/* SHA-256 of the empty string, the way links spell fingerprints. */
#define FP "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"

static const GoodLink good_links[] = {
  /* lattice:// */
  { "lattice://example.org/team-standup", "example.org", 443, "team-standup", TRUE,
    "wss://example.org/ws" },
  { "lattice://example.org:8787/team", "example.org", 8787, "team", TRUE,
    "wss://example.org:8787/ws" },
  { "lattice://example.org/team?tls=no", "example.org", 80, "team", FALSE,
    "ws://example.org/ws" },
  { "lattice://127.0.0.1:8787/demo?tls=no", "127.0.0.1", 8787, "demo", FALSE,
    "ws://127.0.0.1:8787/ws" },
  { "lattice://example.org/team?tls=yes", "example.org", 443, "team", TRUE,
    "wss://example.org/ws" },
  { "lattice://example.org/team?foo=bar&tls=no#x", "example.org", 80, "team", FALSE,
    "ws://example.org/ws" },
  { "LATTICE://example.org/Team.2_b", "example.org", 443, "Team.2_b", TRUE,
    "wss://example.org/ws" },
  /* https://, http:// */
  { "https://meet.example.org/brisk-otter-4821-9xq2", "meet.example.org", 443,
    "brisk-otter-4821-9xq2", TRUE, "wss://meet.example.org/ws" },
  { "https://meet.example.org:8443/r", "meet.example.org", 8443, "r", TRUE,
    "wss://meet.example.org:8443/ws" },
  { "http://localhost:8787/demo", "localhost", 8787, "demo", FALSE,
    "ws://localhost:8787/ws" },
  { "http://localhost/demo", "localhost", 80, "demo", FALSE, "ws://localhost/ws" },
  { "https://example.org:443/demo", "example.org", 443, "demo", TRUE, "wss://example.org/ws" },
  { "http://example.org:443/demo", "example.org", 443, "demo", FALSE,
    "ws://example.org:443/ws" },
  /* ws://, wss://: the last path segment */
  { "ws://127.0.0.1:8787/demo", "127.0.0.1", 8787, "demo", FALSE, "ws://127.0.0.1:8787/ws" },
  { "wss://example.org/rooms/demo", "example.org", 443, "demo", TRUE, "wss://example.org/ws" },
  { "wss://example.org:9000/a/b/c/", "example.org", 9000, "c", TRUE,
    "wss://example.org:9000/ws" },
  /* IPv6 */
  { "lattice://[::1]:8787/demo?tls=no", "::1", 8787, "demo", FALSE, "ws://[::1]:8787/ws" },
  { "https://[2001:db8::42]/demo", "2001:db8::42", 443, "demo", TRUE,
    "wss://[2001:db8::42]/ws" },
  { "http://[::1]/x", "::1", 80, "x", FALSE, "ws://[::1]/ws" },
  { "https://[fe80::1%25eth0]:8787/r", "fe80::1%eth0", 8787, "r", TRUE,
    "wss://[fe80::1%25eth0]:8787/ws" },
  /* International names travel in their DNS form */
  { "https://b\xc3\xbc" "cher.example/r", "xn--bcher-kva.example", 443, "r", TRUE,
    "wss://xn--bcher-kva.example/ws" },
  /* A trailing slash and surrounding blanks are ignored */
  { "lattice://example.org/team/", "example.org", 443, "team", TRUE, "wss://example.org/ws" },
  { "https://example.org/team/?tls=no", "example.org", 443, "team", TRUE,
    "wss://example.org/ws" },
  { "  http://example.org/team\n", "example.org", 80, "team", FALSE, "ws://example.org/ws" },
  { "lattice://example.org:1/t", "example.org", 1, "t", TRUE, "wss://example.org:1/ws" },
  { "lattice://example.org:65535/t", "example.org", 65535, "t", TRUE,
    "wss://example.org:65535/ws" },
  /* A certificate pin, on every TLS scheme */
  { "lattice://192.168.1.20:8787/team?fp=" FP, "192.168.1.20", 8787, "team", TRUE,
    "wss://192.168.1.20:8787/ws", FP },
  { "lattice://example.org/team?tls=yes&fp=" FP "#x", "example.org", 443, "team", TRUE,
    "wss://example.org/ws", FP },
  { "https://example.org:8787/team?FP=" FP, "example.org", 8787, "team", TRUE,
    "wss://example.org:8787/ws", FP },
  { "wss://example.org/rooms/team/?fp=" FP, "example.org", 443, "team", TRUE,
    "wss://example.org/ws", FP },
  /* … which is not the fragment */
  { "https://example.org/team#fp=sha256:x", "example.org", 443, "team", TRUE,
    "wss://example.org/ws", NULL },
};

static void
test_good_links (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good_links); i++)
    {
      const GoodLink *g = &good_links[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(LatticeLink) link = NULL;

      g_test_message ("link %u: %s", i, g->text);
      link = lattice_link_parse (g->text, &error);
      g_assert_no_error (error);
      g_assert_nonnull (link);
      g_assert_cmpstr (link->host, ==, g->host);
      g_assert_cmpuint (link->port, ==, g->port);
      g_assert_cmpstr (link->room, ==, g->room);
      g_assert_cmpint (link->tls, ==, g->tls);
      g_assert_cmpstr (link->ws_uri, ==, g->ws_uri);
      g_assert_cmpstr (link->fingerprint, ==, g->fingerprint);
    }
}

typedef struct {
  const char       *text;
  LatticeLinkError  code;
} BadLink;

static const BadLink bad_links[] = {
  { "", LATTICE_LINK_ERROR_EMPTY },
  { "   \n\t", LATTICE_LINK_ERROR_EMPTY },
  { "example.org/team", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "team-standup", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "ftp://example.org/team", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "mailto:ada@example.org", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "file:///tmp/team", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "://example.org/team", LATTICE_LINK_ERROR_UNKNOWN_SCHEME },
  { "lattice:team", LATTICE_LINK_ERROR_BAD_HOST },
  { "lattice:///team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://:8787/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://exa mple.org/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://exa..mple.org/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://[::1/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://[not:an:ip]/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "https://ex%2Fample.org/team", LATTICE_LINK_ERROR_BAD_HOST },
  { "lattice://example.org:0/team", LATTICE_LINK_ERROR_BAD_PORT },
  { "lattice://example.org:65536/team", LATTICE_LINK_ERROR_BAD_PORT },
  { "lattice://example.org:99999999999/team", LATTICE_LINK_ERROR_BAD_PORT },
  { "lattice://example.org:-1/team", LATTICE_LINK_ERROR_BAD_PORT },
  { "lattice://example.org:http/team", LATTICE_LINK_ERROR_BAD_PORT },
  { "lattice://example.org", LATTICE_LINK_ERROR_NO_ROOM },
  { "lattice://example.org/", LATTICE_LINK_ERROR_NO_ROOM },
  { "https://example.org:8443", LATTICE_LINK_ERROR_NO_ROOM },
  { "https://example.org//", LATTICE_LINK_ERROR_NO_ROOM },
  { "lattice://example.org/?tls=no", LATTICE_LINK_ERROR_NO_ROOM },
  { "ws://example.org", LATTICE_LINK_ERROR_NO_ROOM },
  { "lattice://example.org/team standup", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/team%20standup", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/caf%C3%A9", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/a/b", LATTICE_LINK_ERROR_BAD_ROOM },
  { "https://example.org/rooms/team", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/..", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/team!", LATTICE_LINK_ERROR_BAD_ROOM },
  { "ws://example.org/ws/caf\xc3\xa9", LATTICE_LINK_ERROR_BAD_ROOM },
  { "lattice://example.org/"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", LATTICE_LINK_ERROR_BAD_ROOM },
  /* Pins: malformed, or without TLS to check them against */
  { "lattice://example.org/team?fp=", LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=sha1:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=SHA256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=" FP "=", LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  /* Stray bits in the last character: another spelling of the same digest */
  { "lattice://example.org/team?fp=sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFV",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?fp=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "lattice://example.org/team?tls=no&fp=" FP, LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "http://example.org/team?fp=" FP, LATTICE_LINK_ERROR_BAD_FINGERPRINT },
  { "ws://example.org/ws/team?fp=" FP, LATTICE_LINK_ERROR_BAD_FINGERPRINT },
};

static void
test_bad_links (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_links); i++)
    {
      const BadLink *b = &bad_links[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(LatticeLink) link = NULL;

      g_test_message ("link %u: %s", i, b->text);
      link = lattice_link_parse (b->text, &error);
      g_assert_null (link);
      g_assert_error (error, LATTICE_LINK_ERROR, (gint) b->code);
      g_assert_cmpstr (error->message, !=, "");
    }
}

/* Built links print in the forms PROTOCOL.md shows, and parse back. */
static void
test_round_trip (void)
{
  const struct {
    const char *host;
    guint       port;
    gboolean    tls;
    const char *string;
    const char *web;
  } cases[] = {
    { "example.org", 0, TRUE, "lattice://example.org/room-1", "https://example.org/room-1" },
    { "example.org", 443, TRUE, "lattice://example.org/room-1", "https://example.org/room-1" },
    { "example.org", 8787, TRUE, "lattice://example.org:8787/room-1",
      "https://example.org:8787/room-1" },
    { "example.org", 0, FALSE, "lattice://example.org/room-1?tls=no",
      "http://example.org/room-1" },
    { "127.0.0.1", 8787, FALSE, "lattice://127.0.0.1:8787/room-1?tls=no",
      "http://127.0.0.1:8787/room-1" },
    { "::1", 8787, FALSE, "lattice://[::1]:8787/room-1?tls=no", "http://[::1]:8787/room-1" },
    { "2001:db8::1", 0, TRUE, "lattice://[2001:db8::1]/room-1", "https://[2001:db8::1]/room-1" },
    { "fe80::1%eth0", 0, TRUE, "lattice://[fe80::1%25eth0]/room-1",
      "https://[fe80::1%25eth0]/room-1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LatticeLink) link = lattice_link_new (cases[i].host, cases[i].port,
                                                      "room-1", cases[i].tls);
      g_autoptr(LatticeLink) copy = lattice_link_copy (link);
      g_autofree char *string = lattice_link_to_string (link);
      g_autofree char *web = lattice_link_to_web_uri (link);
      g_autoptr(LatticeLink) from_string = NULL;
      g_autoptr(LatticeLink) from_web = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (string, ==, cases[i].string);
      g_assert_cmpstr (web, ==, cases[i].web);

      from_string = lattice_link_parse (string, &error);
      g_assert_no_error (error);
      from_web = lattice_link_parse (web, &error);
      g_assert_no_error (error);

      for (guint j = 0; j < 3; j++)
        {
          const LatticeLink *other = j == 0 ? copy : j == 1 ? from_string : from_web;

          g_assert_cmpstr (other->host, ==, link->host);
          g_assert_cmpuint (other->port, ==, link->port);
          g_assert_cmpstr (other->room, ==, link->room);
          g_assert_cmpint (other->tls, ==, link->tls);
          g_assert_cmpstr (other->ws_uri, ==, link->ws_uri);
        }
    }
}

/* A pinned link keeps its pin through every form. */
static void
test_pinned_round_trip (void)
{
  g_autoptr(LatticeLink) link = lattice_link_new ("192.168.1.20", 8787, "room-1", TRUE);
  g_autoptr(LatticeLink) copy = NULL;
  g_autoptr(LatticeLink) from_string = NULL;
  g_autoptr(LatticeLink) from_web = NULL;
  g_autofree char *string = NULL;
  g_autofree char *web = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (link->fingerprint);
  lattice_link_set_fingerprint (link, FP);
  copy = lattice_link_copy (link);
  string = lattice_link_to_string (link);
  web = lattice_link_to_web_uri (link);
  g_assert_cmpstr (string, ==, "lattice://192.168.1.20:8787/room-1?fp=" FP);
  g_assert_cmpstr (web, ==, "https://192.168.1.20:8787/room-1?fp=" FP);
  /* The websocket URI never carries it: the server has no use for it. */
  g_assert_cmpstr (link->ws_uri, ==, "wss://192.168.1.20:8787/ws");

  from_string = lattice_link_parse (string, &error);
  g_assert_no_error (error);
  from_web = lattice_link_parse (web, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->fingerprint, ==, FP);
  g_assert_cmpstr (from_string->fingerprint, ==, FP);
  g_assert_cmpstr (from_web->fingerprint, ==, FP);
  g_assert_cmpstr (from_web->ws_uri, ==, link->ws_uri);

  lattice_link_set_fingerprint (link, NULL);
  g_clear_pointer (&string, g_free);
  string = lattice_link_to_string (link);
  g_assert_cmpstr (string, ==, "lattice://192.168.1.20:8787/room-1");
}

static char *
fingerprint_of_nothing (void)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_get_digest (checksum, digest, &len);
  return lattice_fingerprint_from_digest (digest, len);
}

static void
test_fingerprint (void)
{
  g_autofree char *empty = fingerprint_of_nothing ();
  guint8 digest[32];
  const char *invalid[] = { NULL, "", "sha256:", FP "A", "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFV",
                            "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSu=U", " " FP,
                            "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF." };

  g_assert_true (lattice_fingerprint_is_valid (FP));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (lattice_fingerprint_is_valid (invalid[i]));

  /* The SHA-256 of nothing, a well-known value. */
  g_assert_cmpstr (empty, ==, FP);
  g_assert_cmpuint (strlen (empty), ==, LATTICE_FINGERPRINT_LENGTH);

  /* Every digest gives a valid fingerprint, and a different one. */
  for (guint i = 0; i < 256; i++)
    {
      g_autofree char *fp = NULL;

      memset (digest, (int) i, sizeof digest);
      digest[31] = (guint8) (255 - i);
      fp = lattice_fingerprint_from_digest (digest, sizeof digest);
      g_assert_true (lattice_fingerprint_is_valid (fp));
      g_assert_cmpstr (fp, !=, FP);
    }
}

/* Every good link prints to a string that parses to the same link. */
static void
test_parse_print_parse (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good_links); i++)
    {
      g_autoptr(LatticeLink) link = lattice_link_parse (good_links[i].text, NULL);
      g_autofree char *string = lattice_link_to_string (link);
      g_autoptr(LatticeLink) again = lattice_link_parse (string, NULL);

      g_assert_nonnull (again);
      g_assert_cmpstr (again->ws_uri, ==, link->ws_uri);
      g_assert_cmpstr (again->room, ==, link->room);
      g_assert_cmpstr (again->fingerprint, ==, link->fingerprint);
    }
}

static void
test_boxed (void)
{
  g_autoptr(LatticeLink) link = lattice_link_new ("example.org", 1234, "r", TRUE);
  g_autoptr(LatticeLink) copy = g_boxed_copy (LATTICE_TYPE_LINK, link);

  g_assert_true (G_TYPE_IS_BOXED (LATTICE_TYPE_LINK));
  g_assert_true (copy != link);
  g_assert_true (copy->host != link->host);
  g_assert_cmpstr (copy->ws_uri, ==, "wss://example.org:1234/ws");
}

static void
test_room_name_rules (void)
{
  const char *valid[] = { "a", "Z", "0", "team-standup", "a.b_c-D", "...", "-", "_",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
  const char *invalid[] = { NULL, "", ".", "..", "a b", "a/b", "a?b", "a#b", "a%20", "caf\xc3\xa9",
                            "tab\t", "a:b", "a@b",
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

  g_assert_cmpuint (strlen (valid[G_N_ELEMENTS (valid) - 1]), ==, LATTICE_PROTOCOL_MAX_ROOM_LENGTH);
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (lattice_room_name_is_valid (valid[i]));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (lattice_room_name_is_valid (invalid[i]));
}

static void
test_room_name_generate (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) first_words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 2000; i++)
    {
      char *room = lattice_room_name_generate ();
      g_auto(GStrv) parts = g_strsplit (room, "-", -1);

      g_assert_true (lattice_room_name_is_valid (room));
      g_assert_cmpuint (g_strv_length (parts), ==, 4);
      g_assert_cmpuint (strlen (parts[2]), ==, 4);
      g_assert_cmpuint (strspn (parts[2], "0123456789"), ==, 4);
      g_assert_cmpuint (strlen (parts[3]), ==, 4);
      g_assert_cmpuint (strspn (parts[3], "0123456789abcdefghijklmnopqrstuvwxyz"), ==, 4);
      g_hash_table_add (first_words, g_strdup (parts[0]));

      g_assert_false (g_hash_table_contains (seen, room));
      g_hash_table_add (seen, room);
    }

  /* 2000 draws from 64 words miss one with odds of about 1e-12. */
  g_assert_cmpuint (g_hash_table_size (first_words), ==, 64);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/link/good", test_good_links);
  g_test_add_func ("/link/bad", test_bad_links);
  g_test_add_func ("/link/round-trip", test_round_trip);
  g_test_add_func ("/link/pinned-round-trip", test_pinned_round_trip);
  g_test_add_func ("/link/fingerprint", test_fingerprint);
  g_test_add_func ("/link/parse-print-parse", test_parse_print_parse);
  g_test_add_func ("/link/boxed", test_boxed);
  g_test_add_func ("/link/room-name-rules", test_room_name_rules);
  g_test_add_func ("/link/room-name-generate", test_room_name_generate);

  return g_test_run ();
}
