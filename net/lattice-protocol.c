/* lattice-protocol.c: the signaling protocol codec (pure: no I/O)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeNet"

#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "lattice-link.h"
#include "lattice-protocol.h"

/* Our messages nest four levels deep; anything much deeper is refused
 * before json-glib's recursive parser sees it. */
#define MAX_JSON_DEPTH 32
#define MAX_ID_LENGTH 64
#define MAX_REJECT_MESSAGE_LENGTH 256

typedef enum {
  FIELD_OPTIONAL,
  FIELD_REQUIRED,
} FieldNeed;

typedef gboolean (*ParseFunc) (JsonObject      *object,
                               LatticeOrigin    origin,
                               LatticeMessage  *message,
                               GError         **error);
typedef void     (*BuildFunc) (const LatticeMessage *message,
                               JsonBuilder          *builder);

/* Wire codes, in the order of LatticeProtocolError. */
static const char * const error_codes[] = {
  "bad-json",
  "unknown-type",
  "missing-field",
  "invalid-field",
  "wrong-password",
  "room-full",
  "unknown-target",
  "too-large",
  "rate-limited",
  "version-unsupported",
  "not-joined",
  "already-joined",
  "invalid-token",
  "handshake-required",
  "origin-not-allowed",
  "internal",
};
G_STATIC_ASSERT (G_N_ELEMENTS (error_codes) == LATTICE_PROTOCOL_ERROR_INTERNAL + 1);

/* English fallbacks for lattice_message_build_error() without a message. */
static const char * const error_messages[] = {
  "The message is not a JSON object",
  "Unknown message type",
  "A required field is missing",
  "A field has a wrong type or value",
  "The room password is wrong",
  "The room is full",
  "No such participant in this room",
  "The message is too large",
  "Too many messages",
  "This protocol version is not supported: upgrade Lattice",
  "Join a room first",
  "Already joined a room",
  "The resume token is not valid",
  "Say hello first",
  "This origin is not allowed",
  "Internal server error",
};
G_STATIC_ASSERT (G_N_ELEMENTS (error_messages) == LATTICE_PROTOCOL_ERROR_INTERNAL + 1);

G_DEFINE_QUARK (lattice-protocol-error-quark, lattice_protocol_error)

G_DEFINE_BOXED_TYPE (LatticeParticipantInfo, lattice_participant_info,
                     lattice_participant_info_copy, lattice_participant_info_free)
G_DEFINE_BOXED_TYPE (LatticeIceServer, lattice_ice_server,
                     lattice_ice_server_copy, lattice_ice_server_free)

/* Validation of values */

static gboolean
id_is_valid (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > MAX_ID_LENGTH)
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;

  return TRUE;
}

/* Display names are counted in characters, not bytes. */
static gboolean
name_is_valid (const char *name)
{
  glong n_chars = 0;

  if (!g_utf8_validate (name, -1, NULL))
    return FALSE;

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return FALSE;
      n_chars++;
    }

  return n_chars >= 1 && n_chars <= LATTICE_PROTOCOL_MAX_NAME_LENGTH;
}

static gboolean
ice_url_is_valid (const char *url)
{
  return (g_str_has_prefix (url, "stun:") ||
          g_str_has_prefix (url, "turn:") ||
          g_str_has_prefix (url, "turns:")) &&
         strchr (url, ':')[1] != '\0';
}

/* Strict JSON syntax, checked before json-glib sees the text: json-glib
 * takes single quotes and bare keys, and recurses without a depth limit. */

typedef enum {
  SCAN_VALUE,
  SCAN_KEY,
  SCAN_AFTER_VALUE,
} ScanState;

static const char *
skip_space (const char *p,
            const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* The code unit of "uXXXX" at @p, or -1. */
static gint
scan_unicode_escape (const char *p,
                     const char *end)
{
  gint value = 0;

  if ((gsize) (end - p) < 5 || *p != 'u')
    return -1;
  for (guint i = 1; i <= 4; i++)
    {
      if (!g_ascii_isxdigit (p[i]))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (p[i]);
    }
  return value;
}

static const char *
scan_string (const char *p,
             const char *end)
{
  for (p++; p < end; p++)
    {
      if (*p == '"')
        return p + 1;
      if ((guchar) *p < 0x20)
        return NULL;
      if (*p != '\\')
        continue;
      if (++p == end)
        return NULL;
      /* \u0000 would silently cut a C string short: "alice\u0000x"; a
       * surrogate out of its pair is no character, and json-glib 1.6
       * leaks memory on one. */
      if (*p == 'u')
        {
          gint c = scan_unicode_escape (p, end);

          if (c <= 0 || (c >= 0xdc00 && c <= 0xdfff))
            return NULL;
          p += 4;
          if (c >= 0xd800 && c <= 0xdbff)
            {
              gint low;

              if ((gsize) (end - p) < 7 || p[1] != '\\')
                return NULL;
              low = scan_unicode_escape (p + 2, end);
              if (low < 0xdc00 || low > 0xdfff)
                return NULL;
              p += 6;
            }
        }
      else if (*p == '\0' || strchr ("\"\\/bfnrt", *p) == NULL)
        return NULL;
    }

  return NULL;
}

static const char *
scan_digits (const char *p,
             const char *end)
{
  const char *start = p;

  while (p < end && g_ascii_isdigit (*p))
    p++;
  return p > start ? p : NULL;
}

static const char *
scan_number (const char *p,
             const char *end)
{
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if ((p = scan_digits (p, end)) == NULL)
    return NULL;
  if (p < end && *p == '.' && (p = scan_digits (p + 1, end)) == NULL)
    return NULL;
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      p = scan_digits (p, end);
    }
  return p;
}

static const char *
scan_literal (const char *p,
              const char *end)
{
  const char *literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize len = strlen (literals[i]);

      if ((gsize) (end - p) >= len && memcmp (p, literals[i], len) == 0)
        return p + len;
    }
  return NULL;
}

/* Opens a container, or scans a scalar; NULL on a syntax error. */
static const char *
scan_value (const char *p,
            const char *end,
            char       *stack,
            guint      *depth,
            ScanState  *state)
{
  *state = SCAN_AFTER_VALUE;
  if (p == end)
    return NULL;
  if (*p == '{' || *p == '[')
    {
      if (*depth == MAX_JSON_DEPTH)
        return NULL;
      stack[(*depth)++] = *p;
      p = skip_space (p + 1, end);
      if (p < end && *p == (stack[*depth - 1] == '{' ? '}' : ']'))
        {
          (*depth)--;
          return p + 1;
        }
      *state = stack[*depth - 1] == '{' ? SCAN_KEY : SCAN_VALUE;
      return p;
    }
  if (*p == '"')
    return scan_string (p, end);
  if (*p == 't' || *p == 'f' || *p == 'n')
    return scan_literal (p, end);

  return scan_number (p, end);
}

static gboolean
json_is_strict (const char *text,
                gsize       length)
{
  const char *p = text, *end = text + length;
  ScanState state = SCAN_VALUE;
  char stack[MAX_JSON_DEPTH];
  guint depth = 0;

  while (p != NULL)
    {
      p = skip_space (p, end);
      if (state == SCAN_VALUE)
        p = scan_value (p, end, stack, &depth, &state);
      else if (state == SCAN_KEY)
        {
          if (p == end || *p != '"' || (p = scan_string (p, end)) == NULL)
            return FALSE;
          p = skip_space (p, end);
          if (p == end || *p++ != ':')
            return FALSE;
          state = SCAN_VALUE;
        }
      else if (depth == 0)
        return p == end;
      else if (p < end && *p == ',')
        {
          state = stack[depth - 1] == '{' ? SCAN_KEY : SCAN_VALUE;
          p++;
        }
      else if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']'))
        {
          depth--;
          p++;
        }
      else
        return FALSE;
    }

  return FALSE;
}

/* Reading fields */

static gboolean
set_invalid (GError     **error,
             const char  *field,
             const char  *why)
{
  g_set_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_INVALID_FIELD,
               "Field \"%s\" %s", field, why);
  return FALSE;
}

/* A JSON null counts as absent for an optional field, as a wrong type for a
 * required one. */
static gboolean
lookup (JsonObject  *object,
        const char  *field,
        FieldNeed    need,
        JsonNode   **out_node,
        GError     **error)
{
  JsonNode *node = json_object_get_member (object, field);

  *out_node = NULL;
  if (node == NULL && need == FIELD_REQUIRED)
    {
      g_set_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_MISSING_FIELD,
                   "Field \"%s\" is missing", field);
      return FALSE;
    }
  if (node != NULL && !(JSON_NODE_HOLDS_NULL (node) && need == FIELD_OPTIONAL))
    *out_node = node;

  return TRUE;
}

static gboolean
node_holds (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
read_string_node (JsonNode    *node,
                  const char  *field,
                  char       **out,
                  GError     **error)
{
  const char *value;

  if (!node_holds (node, G_TYPE_STRING))
    return set_invalid (error, field, "must be a string");

  value = json_node_get_string (node);
  if (!g_utf8_validate (value, -1, NULL))
    return set_invalid (error, field, "is not valid UTF-8");
  /* Only the line breaks and tabs of SDP: json-glib writes other control
   * characters unescaped, which is no longer JSON (found by fuzz-protocol:
   * "candi\u001fashot0" parsed, and its serialization did not). */
  for (const char *p = value; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t')
      return set_invalid (error, field, "contains a control character");

  g_free (*out);
  *out = g_strdup (value);
  return TRUE;
}

static gboolean
read_string (JsonObject  *object,
             const char  *field,
             FieldNeed    need,
             char       **out,
             GError     **error)
{
  JsonNode *node;

  if (!lookup (object, field, need, &node, error))
    return FALSE;

  return node == NULL || read_string_node (node, field, out, error);
}

static gboolean
read_bool (JsonObject  *object,
           const char  *field,
           gboolean    *out,
           gboolean    *out_present,
           GError     **error)
{
  JsonNode *node;

  if (!lookup (object, field, FIELD_OPTIONAL, &node, error))
    return FALSE;
  if (out_present != NULL)
    *out_present = node != NULL;
  if (node == NULL)
    return TRUE;
  if (!node_holds (node, G_TYPE_BOOLEAN))
    return set_invalid (error, field, "must be true or false");

  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Only JSON integers count: 1.0 and 1e3 are refused like strings are. */
static gboolean
read_int (JsonObject  *object,
          const char  *field,
          FieldNeed    need,
          gint64       min,
          gint64       max,
          gint64      *out,
          GError     **error)
{
  JsonNode *node;
  gint64 value;

  if (!lookup (object, field, need, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!node_holds (node, G_TYPE_INT64))
    return set_invalid (error, field, "must be an integer");

  value = json_node_get_int (node);
  if (value < min || value > max)
    return set_invalid (error, field, "is out of range");

  *out = value;
  return TRUE;
}

static gboolean
read_id (JsonObject  *object,
         const char  *field,
         char       **out,
         GError     **error)
{
  if (!read_string (object, field, FIELD_REQUIRED, out, error))
    return FALSE;
  if (!id_is_valid (*out))
    return set_invalid (error, field, "is not a participant id");

  return TRUE;
}

static gboolean
read_name (JsonObject  *object,
           const char  *field,
           FieldNeed    need,
           char       **out,
           GError     **error)
{
  if (!read_string (object, field, need, out, error))
    return FALSE;
  if (*out != NULL && !name_is_valid (*out))
    return set_invalid (error, field,
                        "must be 1 to 64 characters without control characters");

  return TRUE;
}

static gboolean
read_participant_node (JsonNode                *node,
                       const char              *field,
                       LatticeParticipantInfo **out,
                       GError                 **error)
{
  g_autoptr(LatticeParticipantInfo) info = lattice_participant_info_new (NULL, NULL);
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (error, field, "must be an object");

  object = json_node_get_object (node);
  if (!read_id (object, "id", &info->id, error) ||
      !read_name (object, "name", FIELD_REQUIRED, &info->name, error) ||
      !read_bool (object, "audioMuted", &info->audio_muted, NULL, error) ||
      !read_bool (object, "videoOff", &info->video_off, NULL, error) ||
      !read_bool (object, "handRaised", &info->hand_raised, NULL, error))
    return FALSE;

  *out = g_steal_pointer (&info);
  return TRUE;
}

static gboolean
read_participant (JsonObject              *object,
                  const char              *field,
                  LatticeParticipantInfo **out,
                  GError                 **error)
{
  JsonNode *node;

  if (!lookup (object, field, FIELD_REQUIRED, &node, error))
    return FALSE;

  return read_participant_node (node, field, out, error);
}

/* "urls" may be one string or an array of them, as in RTCIceServer. */
static gboolean
read_ice_urls (JsonNode  *node,
               GStrv     *out,
               GError   **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GList) elements = NULL;

  if (JSON_NODE_HOLDS_ARRAY (node))
    elements = json_array_get_elements (json_node_get_array (node));
  else
    elements = g_list_prepend (NULL, node);

  if (elements == NULL)
    return set_invalid (error, "urls", "must not be empty");

  for (GList *l = elements; l != NULL; l = l->next)
    {
      g_autofree char *url = NULL;

      if (!read_string_node (l->data, "urls", &url, error))
        return FALSE;
      if (!ice_url_is_valid (url))
        return set_invalid (error, "urls", "must hold stun:, turn: or turns: URIs");
      g_strv_builder_add (builder, url);
    }

  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
read_ice_server_node (JsonNode          *node,
                      LatticeIceServer **out,
                      GError           **error)
{
  g_autoptr(LatticeIceServer) server = g_new0 (LatticeIceServer, 1);
  JsonObject *object;
  JsonNode *urls;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (error, "iceServers", "must hold objects");

  object = json_node_get_object (node);
  if (!lookup (object, "urls", FIELD_REQUIRED, &urls, error) ||
      !read_ice_urls (urls, &server->urls, error) ||
      !read_string (object, "username", FIELD_OPTIONAL, &server->username, error) ||
      !read_string (object, "credential", FIELD_OPTIONAL, &server->credential, error))
    return FALSE;

  *out = g_steal_pointer (&server);
  return TRUE;
}

/* Reads an optional array of objects; absent means empty. */
static gboolean
read_array (JsonObject  *object,
            const char  *field,
            GPtrArray   *out,
            gboolean   (*read_one) (JsonNode *, gpointer *, GError **),
            GError     **error)
{
  g_autoptr(GList) elements = NULL;
  JsonNode *node;

  if (!lookup (object, field, FIELD_OPTIONAL, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_invalid (error, field, "must be an array");

  elements = json_array_get_elements (json_node_get_array (node));
  for (GList *l = elements; l != NULL; l = l->next)
    {
      gpointer item = NULL;

      if (!read_one (l->data, &item, error))
        return FALSE;
      g_ptr_array_add (out, item);
    }

  return TRUE;
}

static gboolean
read_one_participant (JsonNode  *node,
                      gpointer  *out,
                      GError   **error)
{
  return read_participant_node (node, "participants",
                                (LatticeParticipantInfo **) out, error);
}

static gboolean
read_one_ice_server (JsonNode  *node,
                     gpointer  *out,
                     GError   **error)
{
  return read_ice_server_node (node, (LatticeIceServer **) out, error);
}

/* Parsing each type */

static gboolean
parse_version (JsonObject      *object,
               LatticeMessage  *message,
               GError         **error)
{
  gint64 version = 0;

  if (!read_int (object, "version", FIELD_REQUIRED, 0, G_MAXUINT32, &version, error) ||
      !read_string (object, "software", FIELD_OPTIONAL, &message->software, error))
    return FALSE;

  message->version = (guint) version;
  return TRUE;
}

static gboolean
parse_hello (JsonObject      *object,
             LatticeOrigin    origin,
             LatticeMessage  *message,
             GError         **error)
{
  return parse_version (object, message, error);
}

static gboolean
parse_welcome (JsonObject      *object,
               LatticeOrigin    origin,
               LatticeMessage  *message,
               GError         **error)
{
  gint64 heartbeat = 0;

  if (!parse_version (object, message, error) ||
      !read_int (object, "heartbeatMs", FIELD_REQUIRED, 1, G_MAXUINT32, &heartbeat, error))
    return FALSE;

  message->heartbeat_ms = (guint) heartbeat;
  return TRUE;
}

static gboolean
read_room (JsonObject      *object,
           LatticeMessage  *message,
           GError         **error)
{
  if (!read_string (object, "room", FIELD_REQUIRED, &message->room, error))
    return FALSE;
  if (!lattice_room_name_is_valid (message->room))
    return set_invalid (error, "room", "must be 1 to 64 of A-Z a-z 0-9 . _ -");

  return TRUE;
}

static gboolean
parse_join (JsonObject      *object,
            LatticeOrigin    origin,
            LatticeMessage  *message,
            GError         **error)
{
  return read_room (object, message, error) &&
         read_name (object, "name", FIELD_REQUIRED, &message->name, error) &&
         read_string (object, "password", FIELD_OPTIONAL, &message->password, error) &&
         read_string (object, "token", FIELD_OPTIONAL, &message->token, error);
}

static gboolean
parse_joined (JsonObject      *object,
              LatticeOrigin    origin,
              LatticeMessage  *message,
              GError         **error)
{
  return read_room (object, message, error) &&
         read_id (object, "id", &message->id, error) &&
         read_string (object, "token", FIELD_REQUIRED, &message->token, error) &&
         read_bool (object, "resumed", &message->resumed, NULL, error) &&
         read_array (object, "participants", message->participants,
                     read_one_participant, error) &&
         read_array (object, "iceServers", message->ice_servers,
                     read_one_ice_server, error);
}

static gboolean
parse_participant_message (JsonObject      *object,
                           LatticeOrigin    origin,
                           LatticeMessage  *message,
                           GError         **error)
{
  return read_participant (object, "participant", &message->participant, error);
}

static gboolean
parse_participant_left (JsonObject      *object,
                        LatticeOrigin    origin,
                        LatticeMessage  *message,
                        GError         **error)
{
  return read_id (object, "id", &message->id, error) &&
         read_string (object, "reason", FIELD_OPTIONAL, &message->reason, error);
}

/* A client's state carries only what changed, but at least one field. */
static gboolean
parse_state (JsonObject      *object,
             LatticeOrigin    origin,
             LatticeMessage  *message,
             GError         **error)
{
  LatticeParticipantInfo *info = lattice_participant_info_new (NULL, NULL);
  gboolean audio = FALSE, video = FALSE, hand = FALSE;

  message->participant = info;
  if (!read_bool (object, "audioMuted", &info->audio_muted, &audio, error) ||
      !read_bool (object, "videoOff", &info->video_off, &video, error) ||
      !read_bool (object, "handRaised", &info->hand_raised, &hand, error) ||
      !read_name (object, "name", FIELD_OPTIONAL, &info->name, error))
    return FALSE;

  message->state_fields = (audio ? LATTICE_STATE_FIELD_AUDIO_MUTED : 0) |
                          (video ? LATTICE_STATE_FIELD_VIDEO_OFF : 0) |
                          (hand ? LATTICE_STATE_FIELD_HAND_RAISED : 0) |
                          (info->name != NULL ? LATTICE_STATE_FIELD_NAME : 0);
  if (message->state_fields == LATTICE_STATE_FIELD_NONE)
    {
      g_set_error_literal (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_MISSING_FIELD,
                           "A state message needs audioMuted, videoOff, handRaised or name");
      return FALSE;
    }

  return TRUE;
}

/* The client names the receiver, the server the sender; whatever the other
 * field says is ignored, so a client cannot forge "from". */
static gboolean
read_peer (JsonObject      *object,
           LatticeOrigin    origin,
           LatticeMessage  *message,
           GError         **error)
{
  if (origin == LATTICE_ORIGIN_CLIENT)
    return read_id (object, "to", &message->to, error);

  return read_id (object, "from", &message->from, error);
}

static gboolean
parse_sdp (JsonObject      *object,
           LatticeOrigin    origin,
           LatticeMessage  *message,
           GError         **error)
{
  if (!read_peer (object, origin, message, error) ||
      !read_string (object, "sdp", FIELD_REQUIRED, &message->sdp, error))
    return FALSE;
  if (message->sdp[0] == '\0')
    return set_invalid (error, "sdp", "must not be empty");

  return TRUE;
}

static gboolean
parse_candidate (JsonObject      *object,
                 LatticeOrigin    origin,
                 LatticeMessage  *message,
                 GError         **error)
{
  gint64 mline = -1;

  if (!read_peer (object, origin, message, error) ||
      !read_string (object, "candidate", FIELD_REQUIRED, &message->candidate, error) ||
      !read_string (object, "sdpMid", FIELD_OPTIONAL, &message->sdp_mid, error) ||
      !read_int (object, "sdpMLineIndex", FIELD_REQUIRED, 0, G_MAXINT, &mline, error))
    return FALSE;

  message->sdp_mline_index = (gint) mline;
  return TRUE;
}

static gboolean
parse_nothing (JsonObject      *object,
               LatticeOrigin    origin,
               LatticeMessage  *message,
               GError         **error)
{
  return TRUE;
}

static gboolean
parse_ping (JsonObject      *object,
            LatticeOrigin    origin,
            LatticeMessage  *message,
            GError         **error)
{
  gint64 seq = 0;

  if (!read_int (object, "seq", FIELD_OPTIONAL, 0, G_MAXINT64, &seq, error))
    return FALSE;

  message->seq = (guint64) seq;
  return TRUE;
}

/* Codes a newer server invents are kept as they are: the client falls back
 * to the message. */
static gboolean
parse_error (JsonObject      *object,
             LatticeOrigin    origin,
             LatticeMessage  *message,
             GError         **error)
{
  if (!read_string (object, "code", FIELD_REQUIRED, &message->code, error) ||
      !read_string (object, "message", FIELD_REQUIRED, &message->message, error) ||
      !read_string (object, "ref", FIELD_OPTIONAL, &message->ref_type, error))
    return FALSE;
  if (message->code[0] == '\0')
    return set_invalid (error, "code", "must not be empty");
  if (json_object_has_member (object, "to") && !read_id (object, "to", &message->to, error))
    return FALSE;

  return TRUE;
}

/* A reject's code is a short token: [a-z0-9-], at most MAX_ID_LENGTH. */
static gboolean
is_reject_code (const char *code)
{
  gsize len = strlen (code);

  if (len == 0 || len > MAX_ID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (code[i]) && !g_ascii_isdigit (code[i]) && code[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
parse_reject (JsonObject      *object,
              LatticeOrigin    origin,
              LatticeMessage  *message,
              GError         **error)
{
  if (!read_peer (object, origin, message, error) ||
      !read_string (object, "code", FIELD_REQUIRED, &message->code, error) ||
      !read_string (object, "message", FIELD_REQUIRED, &message->message, error) ||
      !read_string (object, "ref", FIELD_OPTIONAL, &message->ref_type, error))
    return FALSE;
  if (!is_reject_code (message->code))
    return set_invalid (error, "code", "must be 1 to 64 of a-z, 0-9 and -");
  if (g_utf8_strlen (message->message, -1) > MAX_REJECT_MESSAGE_LENGTH)
    return set_invalid (error, "message", "is too long");

  return TRUE;
}

/* Building each type */

static void
add_string (JsonBuilder *builder,
            const char  *field,
            const char  *value)
{
  if (value == NULL)
    return;

  json_builder_set_member_name (builder, field);
  json_builder_add_string_value (builder, value);
}

static void
add_bool (JsonBuilder *builder,
          const char  *field,
          gboolean     value)
{
  json_builder_set_member_name (builder, field);
  json_builder_add_boolean_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *field,
         gint64       value)
{
  json_builder_set_member_name (builder, field);
  json_builder_add_int_value (builder, value);
}

static void
add_participant (JsonBuilder                  *builder,
                 const LatticeParticipantInfo *info)
{
  json_builder_begin_object (builder);
  add_string (builder, "id", info->id);
  add_string (builder, "name", info->name);
  add_bool (builder, "audioMuted", info->audio_muted);
  add_bool (builder, "videoOff", info->video_off);
  add_bool (builder, "handRaised", info->hand_raised);
  json_builder_end_object (builder);
}

static void
add_ice_server (JsonBuilder            *builder,
                const LatticeIceServer *server)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "urls");
  json_builder_begin_array (builder);
  for (guint i = 0; server->urls != NULL && server->urls[i] != NULL; i++)
    json_builder_add_string_value (builder, server->urls[i]);
  json_builder_end_array (builder);
  add_string (builder, "username", server->username);
  add_string (builder, "credential", server->credential);
  json_builder_end_object (builder);
}

static void
build_version (const LatticeMessage *message,
               JsonBuilder          *builder)
{
  add_int (builder, "version", message->version);
  add_string (builder, "software", message->software);
}

static void
build_welcome (const LatticeMessage *message,
               JsonBuilder          *builder)
{
  build_version (message, builder);
  add_int (builder, "heartbeatMs", message->heartbeat_ms);
}

static void
build_join (const LatticeMessage *message,
            JsonBuilder          *builder)
{
  add_string (builder, "room", message->room);
  add_string (builder, "name", message->name);
  add_string (builder, "password", message->password);
  add_string (builder, "token", message->token);
}

/* Both lists are always written, empty or not. */
static void
build_joined (const LatticeMessage *message,
              JsonBuilder          *builder)
{
  add_string (builder, "room", message->room);
  add_string (builder, "id", message->id);
  add_string (builder, "token", message->token);
  add_bool (builder, "resumed", message->resumed);

  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  for (guint i = 0; message->participants != NULL && i < message->participants->len; i++)
    add_participant (builder, g_ptr_array_index (message->participants, i));
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "iceServers");
  json_builder_begin_array (builder);
  for (guint i = 0; message->ice_servers != NULL && i < message->ice_servers->len; i++)
    add_ice_server (builder, g_ptr_array_index (message->ice_servers, i));
  json_builder_end_array (builder);
}

static void
build_participant_message (const LatticeMessage *message,
                           JsonBuilder          *builder)
{
  if (message->participant == NULL)
    return;

  json_builder_set_member_name (builder, "participant");
  add_participant (builder, message->participant);
}

static void
build_participant_left (const LatticeMessage *message,
                        JsonBuilder          *builder)
{
  add_string (builder, "id", message->id);
  add_string (builder, "reason", message->reason);
}

static void
build_state (const LatticeMessage *message,
             JsonBuilder          *builder)
{
  const LatticeParticipantInfo *info = message->participant;
  LatticeStateFields fields = message->state_fields;

  if (info == NULL)
    return;

  if (fields & LATTICE_STATE_FIELD_AUDIO_MUTED)
    add_bool (builder, "audioMuted", info->audio_muted);
  if (fields & LATTICE_STATE_FIELD_VIDEO_OFF)
    add_bool (builder, "videoOff", info->video_off);
  if (fields & LATTICE_STATE_FIELD_HAND_RAISED)
    add_bool (builder, "handRaised", info->hand_raised);
  if (fields & LATTICE_STATE_FIELD_NAME)
    add_string (builder, "name", info->name);
}

static void
build_sdp (const LatticeMessage *message,
           JsonBuilder          *builder)
{
  add_string (builder, "to", message->to);
  add_string (builder, "from", message->from);
  add_string (builder, "sdp", message->sdp);
}

static void
build_candidate (const LatticeMessage *message,
                 JsonBuilder          *builder)
{
  add_string (builder, "to", message->to);
  add_string (builder, "from", message->from);
  add_string (builder, "candidate", message->candidate);
  add_string (builder, "sdpMid", message->sdp_mid);
  if (message->sdp_mline_index >= 0)
    add_int (builder, "sdpMLineIndex", message->sdp_mline_index);
}

static void
build_nothing (const LatticeMessage *message,
               JsonBuilder          *builder)
{
}

static void
build_ping (const LatticeMessage *message,
            JsonBuilder          *builder)
{
  add_int (builder, "seq", (gint64) MIN (message->seq, (guint64) G_MAXINT64));
}

static void
build_error (const LatticeMessage *message,
             JsonBuilder          *builder)
{
  add_string (builder, "code", message->code);
  add_string (builder, "message", message->message);
  add_string (builder, "ref", message->ref_type);
  add_string (builder, "to", message->to);
}

static void
build_reject (const LatticeMessage *message,
              JsonBuilder          *builder)
{
  add_string (builder, "to", message->to);
  add_string (builder, "from", message->from);
  add_string (builder, "code", message->code);
  add_string (builder, "message", message->message);
  add_string (builder, "ref", message->ref_type);
}

/* Every type, in the order of LatticeMessageType. */
static const struct {
  const char *name;
  gboolean    from_client;
  gboolean    from_server;
  ParseFunc   parse;
  BuildFunc   build;
} message_types[] = {
  { "hello",              TRUE,  FALSE, parse_hello,               build_version },
  { "welcome",            FALSE, TRUE,  parse_welcome,             build_welcome },
  { "join",               TRUE,  FALSE, parse_join,                build_join },
  { "joined",             FALSE, TRUE,  parse_joined,              build_joined },
  { "participant-joined", FALSE, TRUE,  parse_participant_message, build_participant_message },
  { "participant-left",   FALSE, TRUE,  parse_participant_left,    build_participant_left },
  { "state",              TRUE,  FALSE, parse_state,               build_state },
  { "participant-state",  FALSE, TRUE,  parse_participant_message, build_participant_message },
  { "offer",              TRUE,  TRUE,  parse_sdp,                 build_sdp },
  { "answer",             TRUE,  TRUE,  parse_sdp,                 build_sdp },
  { "candidate",          TRUE,  TRUE,  parse_candidate,           build_candidate },
  { "leave",              TRUE,  FALSE, parse_nothing,             build_nothing },
  { "ping",               TRUE,  TRUE,  parse_ping,                build_ping },
  { "pong",               TRUE,  TRUE,  parse_ping,                build_ping },
  { "error",              FALSE, TRUE,  parse_error,               build_error },
  { "reject",             TRUE,  TRUE,  parse_reject,              build_reject },
};
G_STATIC_ASSERT (G_N_ELEMENTS (message_types) == LATTICE_MESSAGE_LAST + 1);

/* Parsing a whole message */

static JsonObject *
load_object (JsonParser  *parser,
             const char  *text,
             gssize       length,
             GError     **error)
{
  g_autoptr(GError) json_error = NULL;
  gsize size = length < 0 ? strlen (text) : (gsize) length;
  JsonNode *root;

  /* Explicit length: a NUL inside makes the text invalid here too. */
  if (!g_utf8_validate_len (text, size, NULL))
    {
      g_set_error_literal (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_BAD_JSON,
                           "The message is not valid UTF-8 text");
      return NULL;
    }
  if (!json_is_strict (text, size))
    {
      g_set_error_literal (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_BAD_JSON,
                           "The message is not JSON, or nested too deeply");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, (gssize) size, &json_error))
    {
      g_set_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_BAD_JSON,
                   "The message is not JSON: %s", json_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_BAD_JSON,
                           "The message is not a JSON object");
      return NULL;
    }

  return json_node_get_object (root);
}

/* A type the other side sends is as unknown here as a made-up one. */
static gboolean
lookup_type (JsonObject          *object,
             LatticeOrigin        origin,
             LatticeMessageType  *out_type,
             GError             **error)
{
  g_autofree char *name = NULL;

  if (!read_string (object, "type", FIELD_REQUIRED, &name, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (message_types); i++)
    {
      if (g_strcmp0 (message_types[i].name, name) != 0)
        continue;
      if (origin == LATTICE_ORIGIN_CLIENT ? !message_types[i].from_client
                                          : !message_types[i].from_server)
        break;
      *out_type = (LatticeMessageType) i;
      return TRUE;
    }

  g_set_error (error, LATTICE_PROTOCOL_ERROR, LATTICE_PROTOCOL_ERROR_UNKNOWN_TYPE,
               "Unknown message type \"%s\" from the %s", name,
               origin == LATTICE_ORIGIN_CLIENT ? "client" : "server");
  return FALSE;
}

/* Public API */

const char *
lattice_protocol_error_to_code (LatticeProtocolError error)
{
  if ((guint) error >= G_N_ELEMENTS (error_codes))
    return "internal";

  return error_codes[error];
}

gboolean
lattice_protocol_error_from_code (const char           *code,
                                  LatticeProtocolError *out_error)
{
  g_return_val_if_fail (code != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (error_codes); i++)
    {
      if (strcmp (error_codes[i], code) == 0)
        {
          if (out_error != NULL)
            *out_error = (LatticeProtocolError) i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
lattice_message_type_to_string (LatticeMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (message_types), NULL);

  return message_types[type].name;
}

LatticeParticipantInfo *
lattice_participant_info_new (const char *id,
                              const char *name)
{
  LatticeParticipantInfo *info = g_new0 (LatticeParticipantInfo, 1);

  info->id = g_strdup (id);
  info->name = g_strdup (name);
  return info;
}

LatticeParticipantInfo *
lattice_participant_info_copy (const LatticeParticipantInfo *info)
{
  LatticeParticipantInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = lattice_participant_info_new (info->id, info->name);
  copy->audio_muted = info->audio_muted;
  copy->video_off = info->video_off;
  copy->hand_raised = info->hand_raised;
  return copy;
}

void
lattice_participant_info_free (LatticeParticipantInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->id);
  g_free (info->name);
  g_free (info);
}

LatticeIceServer *
lattice_ice_server_new (const char *const *urls,
                        const char        *username,
                        const char        *credential)
{
  LatticeIceServer *server = g_new0 (LatticeIceServer, 1);

  server->urls = urls != NULL ? g_strdupv ((GStrv) urls) : g_new0 (char *, 1);
  server->username = g_strdup (username);
  server->credential = g_strdup (credential);
  return server;
}

LatticeIceServer *
lattice_ice_server_copy (const LatticeIceServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);

  return lattice_ice_server_new ((const char * const *) server->urls,
                                 server->username, server->credential);
}

void
lattice_ice_server_free (LatticeIceServer *server)
{
  if (server == NULL)
    return;

  g_strfreev (server->urls);
  g_free (server->username);
  g_free (server->credential);
  g_free (server);
}

LatticeMessage *
lattice_message_new (LatticeMessageType type)
{
  LatticeMessage *message;

  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (message_types), NULL);

  message = g_new0 (LatticeMessage, 1);
  message->type = type;
  message->sdp_mline_index = -1;

  /* Ready to fill: callers add to the lists instead of creating them. */
  if (type == LATTICE_MESSAGE_JOINED)
    {
      message->participants =
        g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_participant_info_free);
      message->ice_servers =
        g_ptr_array_new_with_free_func ((GDestroyNotify) lattice_ice_server_free);
    }

  return message;
}

void
lattice_message_free (LatticeMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->software);
  g_free (message->room);
  g_free (message->name);
  g_free (message->password);
  g_free (message->token);
  g_free (message->id);
  g_free (message->reason);
  g_clear_pointer (&message->participants, g_ptr_array_unref);
  g_clear_pointer (&message->ice_servers, g_ptr_array_unref);
  lattice_participant_info_free (message->participant);
  g_free (message->to);
  g_free (message->from);
  g_free (message->sdp);
  g_free (message->candidate);
  g_free (message->sdp_mid);
  g_free (message->code);
  g_free (message->message);
  g_free (message->ref_type);
  g_free (message);
}

LatticeMessage *
lattice_message_parse (const char     *text,
                       gssize          length,
                       LatticeOrigin   origin,
                       GError        **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(LatticeMessage) message = NULL;
  LatticeMessageType type;
  JsonObject *object;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (origin == LATTICE_ORIGIN_CLIENT || origin == LATTICE_ORIGIN_SERVER, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser = json_parser_new_immutable ();
  object = load_object (parser, text, length, error);
  if (object == NULL || !lookup_type (object, origin, &type, error))
    return NULL;

  message = lattice_message_new (type);
  if (!message_types[type].parse (object, origin, message, error))
    return NULL;

  return g_steal_pointer (&message);
}

char *
lattice_message_to_json (const LatticeMessage *message)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail ((guint) message->type < G_N_ELEMENTS (message_types), NULL);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string (builder, "type", message_types[message->type].name);
  message_types[message->type].build (message, builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

char *
lattice_message_build_error (LatticeProtocolError  code,
                             const char           *message,
                             const char           *ref_type)
{
  g_autoptr(LatticeMessage) error = lattice_message_new (LATTICE_MESSAGE_ERROR);

  if ((guint) code >= G_N_ELEMENTS (error_codes))
    code = LATTICE_PROTOCOL_ERROR_INTERNAL;

  error->code = g_strdup (error_codes[code]);
  error->message = g_strdup (message != NULL ? message : error_messages[code]);
  error->ref_type = g_strdup (ref_type);
  return lattice_message_to_json (error);
}

/* Errors from elsewhere (GIO, json-glib) are our bug, not the peer's. */
char *
lattice_message_build_error_from_gerror (const GError *error,
                                         const char   *ref_type)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != LATTICE_PROTOCOL_ERROR)
    return lattice_message_build_error (LATTICE_PROTOCOL_ERROR_INTERNAL, error->message,
                                        ref_type);

  return lattice_message_build_error ((LatticeProtocolError) error->code, error->message,
                                      ref_type);
}
