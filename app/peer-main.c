/* peer-main.c: lattice-peer, a headless participant that reports JSON lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Joins a room with test sources (or real devices) and prints one JSON
 * object per line on stdout, each with "event" and "t" (monotonic clock,
 * ms). Logs go to stderr. docs/ARCHITECTURE.md lists the events.
 */
#define G_LOG_DOMAIN "LatticePeerConnection"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>

#include "lattice-call.h"
#include "lattice-grid-layout.h"
#include "lattice-log.h"
#include "lattice-app-enums.h"
#include "lattice-media-enums.h"

typedef struct {
  char      *name;
  char      *password;
  char      *video;
  char      *audio;
  char      *size;
  char      *view;
  int        fps;
  int        latency;
  int        duration;
  char      *stun;
  char     **turn;
  gboolean   relay_only;
  gboolean   muted;
  gboolean   video_off;
  gboolean   encode_per_peer;
  gboolean   stamp_time;
  gboolean   version;
} Options;

typedef struct {
  LatticeCall *call;
  GMainLoop   *loop;
  gint64       join_started_us;
  guint        stats_id;
  guint        gaps_id;
  GHashTable  *last_frames;  /* peer id → VideoProgress */
  guint        duration_id;
  guint        quit_id;
  int          exit_code;
  gboolean     leaving;
  gboolean     stamp_time;
  int          view_width;   /* --view: the window the grid is laid out in; 0: none */
  int          view_height;
  guint        view_tiles;   /* tiles in the last layout */
} Peer;

/* ------------------------------------------------------------------ */
/* Output                                                              */

static JsonBuilder *
begin_event (const char *event)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  json_builder_set_member_name (builder, "t");
  json_builder_add_int_value (builder, g_get_monotonic_time () / 1000);
  return builder;
}

static void
end_event (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
  g_object_unref (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  return v != NULL ? v->value_nick : "unknown";
}

/* ------------------------------------------------------------------ */
/* Call events                                                          */

static void
print_error (Peer         *self,
             const char   *code,
             const GError *error)
{
  JsonBuilder *builder = begin_event ("error");

  add_string (builder, "code", code);
  add_string (builder, "message", error->message);
  end_event (builder);
  g_printerr ("lattice-peer: %s\n", error->message);
}

static void
quit_soon (Peer *self,
           int   exit_code)
{
  self->exit_code = exit_code;
  g_main_loop_quit (self->loop);
}

static void
on_participant_notify_state (LatticeParticipant *participant,
                             GParamSpec         *pspec,
                             Peer               *self)
{
  JsonBuilder *builder = begin_event ("peer-state");

  add_string (builder, "id", lattice_participant_get_id (participant));
  add_string (builder, "state", enum_nick (LATTICE_TYPE_CONNECTION_STATE,
                                           lattice_participant_get_connection_state (participant)));
  end_event (builder);
}

/* The code to compare with the other end's, once the connection has one. */
static void
on_participant_notify_verification (LatticeParticipant *participant,
                                    GParamSpec         *pspec,
                                    Peer               *self)
{
  const char *code = lattice_participant_get_verification_code (participant);
  JsonBuilder *builder;

  if (code == NULL)
    return;
  builder = begin_event ("verification");
  add_string (builder, "id", lattice_participant_get_id (participant));
  add_string (builder, "code", code);
  end_event (builder);
}

/* The link to a participant, in one word (lattice-connection-quality.h). */
static void
on_participant_notify_quality (LatticeParticipant *participant,
                               GParamSpec         *pspec,
                               Peer               *self)
{
  JsonBuilder *builder = begin_event ("quality");

  add_string (builder, "id", lattice_participant_get_id (participant));
  add_string (builder, "quality", enum_nick (LATTICE_TYPE_CONNECTION_QUALITY,
                                             lattice_participant_get_connection_quality (participant)));
  end_event (builder);
}

/* Why a participant has no picture (a security check failed, say), or
 * null once that is over: what the app's tile shows over the video. */
static void
on_participant_notify_notice (LatticeParticipant *participant,
                              GParamSpec         *pspec,
                              Peer               *self)
{
  JsonBuilder *builder = begin_event ("notice");

  add_string (builder, "id", lattice_participant_get_id (participant));
  json_builder_set_member_name (builder, "notice");
  if (lattice_participant_get_video_notice (participant) != NULL)
    json_builder_add_string_value (builder, lattice_participant_get_video_notice (participant));
  else
    json_builder_add_null_value (builder);
  end_event (builder);
}

static void
on_participant_joined (LatticeCall        *call,
                       LatticeParticipant *participant,
                       Peer               *self)
{
  JsonBuilder *builder = begin_event ("participant-joined");

  add_string (builder, "id", lattice_participant_get_id (participant));
  add_string (builder, "name", lattice_participant_get_name (participant));
  end_event (builder);
  /* participants live no longer than the call, and the call no longer than self */
  g_signal_connect (participant, "notify::connection-state",
                    G_CALLBACK (on_participant_notify_state), self);
  g_signal_connect (participant, "notify::verification-code",
                    G_CALLBACK (on_participant_notify_verification), self);
  g_signal_connect (participant, "notify::connection-quality",
                    G_CALLBACK (on_participant_notify_quality), self);
  g_signal_connect (participant, "notify::video-notice",
                    G_CALLBACK (on_participant_notify_notice), self);
}

static void
on_participant_left (LatticeCall        *call,
                     LatticeParticipant *participant,
                     Peer               *self)
{
  JsonBuilder *builder = begin_event ("participant-left");

  add_string (builder, "id", lattice_participant_get_id (participant));
  end_event (builder);
}

/* --view: the app's grid for everyone in the room, in a window of the
 * given size; each remote participant is asked for their cell's size. */
static void
lay_out_view (GListModel *participants,
              guint       position,
              guint       removed,
              guint       added,
              Peer       *self)
{
  guint n = g_list_model_get_n_items (participants);
  g_autofree LatticeGridCell *cells = g_new0 (LatticeGridCell, MAX (n, 1));
  JsonBuilder *builder;

  if (n == self->view_tiles)
    return;
  self->view_tiles = n;
  lattice_grid_layout_cells (n, self->view_width, self->view_height, cells);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LatticeParticipant) participant = g_list_model_get_item (participants, i);

      if (!lattice_participant_get_is_self (participant))
        lattice_call_set_view (self->call, lattice_participant_get_id (participant),
                               cells[i].width, cells[i].height);
    }
  builder = begin_event ("view");
  add_int (builder, "tiles", n);
  add_int (builder, "width", n > 0 ? cells[0].width : 0);
  add_int (builder, "height", n > 0 ? cells[0].height : 0);
  end_event (builder);
}

static void
on_first_frame (LatticeCall        *call,
                LatticeParticipant *participant,
                const char         *kind,
                Peer               *self)
{
  JsonBuilder *builder = begin_event ("first-frame");

  add_string (builder, "from", lattice_participant_get_id (participant));
  add_string (builder, "kind", kind);
  add_int (builder, "sinceJoin", (g_get_monotonic_time () - self->join_started_us) / 1000);
  end_event (builder);
}

/* Glass-to-glass samples of the frames decoded since the last stats line. */
static void
add_latency (JsonBuilder *builder,
             LatticePeerConnection *peer)
{
  g_autoptr(GArray) samples = lattice_peer_connection_take_latency_samples (peer);

  json_builder_set_member_name (builder, "latency");
  json_builder_begin_array (builder);
  for (guint i = 0; i < samples->len; i++)
    json_builder_add_double_value (builder, g_array_index (samples, double, i));
  json_builder_end_array (builder);
}

static void
add_double (JsonBuilder *builder,
            const char  *member,
            double       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_double_value (builder, value);
}

/* What this end sends the peer: its estimate of the link, the layer. */
static void
add_send_stats (JsonBuilder *builder,
                Peer        *self,
                const char  *id)
{
  LatticeMediaEngine *engine = lattice_call_get_engine (self->call);
  LatticePeerSenderStats send;

  if (!lattice_media_engine_get_sender_stats (engine, id, &send))
    return;
  json_builder_set_member_name (builder, "send");
  json_builder_begin_object (builder);
  add_int (builder, "estimate", send.estimate_bps);
  add_int (builder, "acked", send.acked_bps);
  add_string (builder, "layer", lattice_video_layer_to_string (send.layer));
  add_string (builder, "target", lattice_video_layer_to_string (send.target));
  add_int (builder, "bytes", send.sent_bytes);
  /* the transport's loss (transport-wide feedback, before repairs) */
  add_double (builder, "loss", send.loss * 100);
  add_int (builder, "keyframeRequests", send.keyframe_requests);
  json_builder_end_object (builder);
}

/* Loss, round trip, repairs: RTCP's view of the connection. */
static void
add_rtcp_stats (JsonBuilder                      *builder,
                const LatticePeerConnectionStats *stats)
{
  json_builder_set_member_name (builder, "rtcp");
  json_builder_begin_object (builder);
  add_double (builder, "lossSent", stats->video_reports > 0 ? stats->video_loss_sent * 100 : 0);
  add_double (builder, "lossReceived", stats->video_loss_received * 100);
  add_double (builder, "rtt", stats->rtt_us / 1000.0);
  add_int (builder, "nacksSent", stats->nacks_sent);
  add_int (builder, "nacksReceived", stats->nacks_received);
  add_int (builder, "retransmitted", stats->retransmitted);
  add_int (builder, "repaired", stats->repaired);
  add_int (builder, "keyframeRequestsSent", stats->keyframe_requests_sent);
  json_builder_end_object (builder);
}

static void
add_peer_stats (Peer                  *self,
                JsonBuilder           *builder,
                LatticePeerConnection *peer)
{
  LatticePeerConnectionStats stats;
  const char *id = lattice_peer_connection_get_id (peer);

  lattice_peer_connection_get_stats (peer, &stats);

  json_builder_begin_object (builder);
  add_string (builder, "id", id);
  add_string (builder, "state", enum_nick (LATTICE_TYPE_PEER_CONNECTION_STATE, lattice_peer_connection_get_state (peer)));
  /* the path of the media: host, srflx, prflx or relay (null until known) */
  add_string (builder, "candidate", lattice_peer_connection_get_candidate_type (peer));
  json_builder_set_member_name (builder, "video");
  json_builder_begin_object (builder);
  add_int (builder, "frames", stats.video_frames);
  add_int (builder, "bytes", stats.video_bytes);
  add_double (builder, "fps", stats.video_fps);
  /* the size that arrives tells which of the sender's layers it is */
  add_int (builder, "width", stats.video_width);
  add_int (builder, "height", stats.video_height);
  add_int (builder, "heldBack", stats.frames_held_back);
  if (self->stamp_time)
    add_int (builder, "stamped", stats.stamped_frames);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "audio");
  json_builder_begin_object (builder);
  add_int (builder, "buffers", stats.audio_buffers);
  add_int (builder, "bytes", stats.audio_bytes);
  add_double (builder, "rate", stats.audio_rate);
  json_builder_end_object (builder);
  add_send_stats (builder, self, id);
  add_rtcp_stats (builder, &stats);
  if (self->stamp_time)
    add_latency (builder, peer);
  json_builder_end_object (builder);
}

/* Video gaps: when a peer's video comes back after stopping for a while
 * (a broken link, a lost reference frame), how long it was away. Every
 * frame that comes out of the decoder is intact (the VP8 guard holds back
 * the others), so this is also how long until an intact picture. */
#define GAP_POLL_MS      50
#define GAP_MIN_MS      500

typedef struct {
  guint64 frames;
  gint64  changed_us;
} VideoProgress;

static gboolean
on_gaps_tick (gpointer user_data)
{
  Peer *self = user_data;
  g_autoptr(GList) peers = lattice_media_engine_get_peers (lattice_call_get_engine (self->call));
  gint64 now = g_get_monotonic_time ();

  for (GList *l = peers; l != NULL; l = l->next)
    {
      const char *id = lattice_peer_connection_get_id (l->data);
      VideoProgress *progress = g_hash_table_lookup (self->last_frames, id);
      LatticePeerConnectionStats stats;

      lattice_peer_connection_get_stats (l->data, &stats);
      if (progress == NULL)
        {
          progress = g_new0 (VideoProgress, 1);
          progress->frames = stats.video_frames;
          progress->changed_us = now;
          g_hash_table_insert (self->last_frames, g_strdup (id), progress);
          continue;
        }
      if (stats.video_frames == progress->frames)
        continue;
      /* a new connection counts from zero again */
      if (stats.video_frames > progress->frames && progress->frames > 0 &&
          now - progress->changed_us >= GAP_MIN_MS * 1000)
        {
          JsonBuilder *builder = begin_event ("video-resumed");

          add_string (builder, "from", id);
          add_int (builder, "gap", (now - progress->changed_us) / 1000);
          end_event (builder);
        }
      progress->frames = stats.video_frames;
      progress->changed_us = now;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stats_tick (gpointer user_data)
{
  Peer *self = user_data;
  LatticeMediaEngine *engine = lattice_call_get_engine (self->call);
  g_autoptr(GList) peers = lattice_media_engine_get_peers (engine);
  JsonBuilder *builder = begin_event ("stats");
  LatticeEncoderRates rates;
  guint n_video, n_audio;
  gboolean full_active, low_active;

  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  for (GList *l = peers; l != NULL; l = l->next)
    add_peer_stats (self, builder, l->data);
  json_builder_end_array (builder);
  lattice_media_engine_count_encoders (engine, &n_video, &n_audio);
  lattice_media_engine_get_encoder_rates (engine, &rates);
  json_builder_set_member_name (builder, "encoders");
  json_builder_begin_object (builder);
  add_int (builder, "video", n_video);
  add_int (builder, "audio", n_audio);
  /* the bitrates the shared video encoders run at: full and low layer */
  add_int (builder, "fullBitrate", rates.full_bps);
  add_int (builder, "lowBitrate", rates.low_bps);
  /* a layer nobody receives is not encoded */
  lattice_media_engine_get_encoders_active (engine, &full_active, &low_active);
  json_builder_set_member_name (builder, "fullActive");
  json_builder_add_boolean_value (builder, full_active);
  json_builder_set_member_name (builder, "lowActive");
  json_builder_add_boolean_value (builder, low_active);
  json_builder_end_object (builder);
  end_event (builder);
  return G_SOURCE_CONTINUE;
}

static void
on_call_notify_state (LatticeCall *call,
                      GParamSpec  *pspec,
                      Peer        *self)
{
  LatticeCallState state = lattice_call_get_state (call);
  JsonBuilder *builder;

  switch (state)
    {
    case LATTICE_CALL_STATE_IN_CALL:
      if (self->stats_id == 0)
        {
          builder = begin_event ("joined");
          add_string (builder, "id", lattice_participant_get_id (lattice_call_get_self (call)));
          add_string (builder, "room", lattice_call_get_room (call));
          end_event (builder);
          self->stats_id = g_timeout_add_seconds (1, on_stats_tick, self);
          self->gaps_id = g_timeout_add (GAP_POLL_MS, on_gaps_tick, self);
        }
      else
        {
          builder = begin_event ("signaling");
          add_string (builder, "state", "joined");
          end_event (builder);
        }
      break;
    case LATTICE_CALL_STATE_RECONNECTING:
      builder = begin_event ("signaling");
      add_string (builder, "state", "reconnecting");
      end_event (builder);
      break;
    case LATTICE_CALL_STATE_FAILED:
      {
        const GError *error = lattice_call_get_error (call);

        print_error (self, enum_nick (LATTICE_TYPE_CALL_ERROR, error->code), error);
        quit_soon (self, 1);
      }
      break;
    case LATTICE_CALL_STATE_IDLE:
    case LATTICE_CALL_STATE_JOINING:
    case LATTICE_CALL_STATE_LEFT:
    default:
      break;
    }
}

/* ------------------------------------------------------------------ */
/* Leaving                                                              */

static gboolean
on_leave_flushed (gpointer user_data)
{
  Peer *self = user_data;

  self->quit_id = 0;
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static void
leave (Peer *self)
{
  if (self->leaving)
    return;
  self->leaving = TRUE;
  g_clear_handle_id (&self->stats_id, g_source_remove);
  g_clear_handle_id (&self->gaps_id, g_source_remove);
  lattice_call_leave (self->call);
  end_event (begin_event ("left"));
  /* give the websocket a moment to carry "leave" and the close frame */
  self->quit_id = g_timeout_add (300, on_leave_flushed, self);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  leave (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration_elapsed (gpointer user_data)
{
  Peer *self = user_data;

  self->duration_id = 0;
  leave (self);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                               */

static gboolean
parse_source (const char          *value,
              const char          *device_word,
              LatticeMediaSource  *source,
              GError             **error)
{
  if (value == NULL || g_str_equal (value, "test"))
    *source = LATTICE_MEDIA_SOURCE_TEST;
  else if (g_str_equal (value, "none"))
    *source = LATTICE_MEDIA_SOURCE_NONE;
  else if (g_str_equal (value, device_word))
    *source = LATTICE_MEDIA_SOURCE_DEVICE;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not one of test, %s or none"), value, device_word);
      return FALSE;
    }
  return TRUE;
}

/* --audio: "test" is a steady tone; "talk" speaks in bursts and pauses,
 * as people in a meeting do, so that Opus's DTX works as in real calls. */
static gboolean
parse_audio_source (const char          *value,
                    LatticeMediaSource  *source,
                    LatticeTestAudio    *pattern,
                    GError             **error)
{
  *pattern = LATTICE_TEST_AUDIO_TONE;
  if (g_strcmp0 (value, "talk") == 0)
    {
      *source = LATTICE_MEDIA_SOURCE_TEST;
      *pattern = LATTICE_TEST_AUDIO_TALK;
      return TRUE;
    }
  return parse_source (value, "mic", source, error);
}

/* --video: "test" is the synthetic camera; "ball", the old bouncing ball,
 * far cheaper to encode, stays as an explicit choice. */
static gboolean
parse_video_source (const char          *value,
                    LatticeMediaSource  *source,
                    LatticeTestPattern  *pattern,
                    GError             **error)
{
  *pattern = LATTICE_TEST_PATTERN_CAMERA;
  if (g_strcmp0 (value, "ball") == 0)
    {
      *source = LATTICE_MEDIA_SOURCE_TEST;
      *pattern = LATTICE_TEST_PATTERN_BALL;
      return TRUE;
    }
  return parse_source (value, "camera", source, error);
}

static gboolean
parse_size (const char  *value,
            int         *width,
            int         *height,
            GError     **error)
{
  if (value == NULL)
    return TRUE;
  if (sscanf (value, "%dx%d", width, height) != 2 ||
      *width < 16 || *height < 16 || *width > 3840 || *height > 2160)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a size like 640x360"), value);
      return FALSE;
    }
  return TRUE;
}

static LatticeMediaEngine *
create_engine (const Options  *options,
               GError        **error)
{
  LatticeMediaSource video, audio;
  LatticeTestPattern pattern;
  LatticeTestAudio talk;
  int width = LATTICE_MEDIA_DEFAULT_WIDTH;
  int height = LATTICE_MEDIA_DEFAULT_HEIGHT;
  LatticeMediaEngine *engine;

  if (!parse_video_source (options->video, &video, &pattern, error) ||
      !parse_audio_source (options->audio, &audio, &talk, error) ||
      !parse_size (options->size, &width, &height, error))
    return NULL;
  if (options->fps < 1 || options->fps > 120)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The frame rate must be between 1 and 120"));
      return NULL;
    }

  engine = lattice_media_engine_new (video, audio);
  g_object_set (engine,
                "width", width,
                "height", height,
                "framerate", options->fps,
                "latency", options->latency,
                "encode-per-peer", options->encode_per_peer,
                "stamp-time", options->stamp_time,
                "test-pattern", pattern,
                "test-audio", talk,
                NULL);
  lattice_media_engine_set_relay_only (engine, options->relay_only);
  g_object_set (engine, "audio-muted", options->muted, "video-enabled", !options->video_off, NULL);
  return engine;
}

static gboolean
parse_options (int       *argc,
               char    ***argv,
               Options   *options,
               GError   **error)
{
  const GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &options->name, N_("Display name"), N_("NAME") },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &options->password, N_("Room password"), N_("PASSWORD") },
    { "video", 0, 0, G_OPTION_ARG_STRING, &options->video, N_("Video source: test, ball, camera or none (default: test)"), N_("SOURCE") },
    { "audio", 0, 0, G_OPTION_ARG_STRING, &options->audio, N_("Audio source: test (a steady tone), talk (bursts and pauses, like speech), mic or none (default: test)"), N_("SOURCE") },
    { "size", 0, 0, G_OPTION_ARG_STRING, &options->size, N_("Video size (default: 640x360)"), N_("WxH") },
    { "view", 0, 0, G_OPTION_ARG_STRING, &options->view, N_("Lay the grid out in a window of this size, as the app does, and ask each sender for no more than its tile needs (default: ask nothing)"), N_("WxH") },
    { "fps", 0, 0, G_OPTION_ARG_INT, &options->fps, N_("Video frame rate (default: 30)"), N_("N") },
    { "latency", 0, 0, G_OPTION_ARG_INT, &options->latency, N_("Jitter buffer latency in ms (default: 50)"), N_("MS") },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &options->duration, N_("Leave after this many seconds (default: stay until interrupted)"), N_("SECS") },
    { "stun", 0, 0, G_OPTION_ARG_STRING, &options->stun, N_("STUN server, replacing the server’s (stun://HOST:PORT)"), N_("URI") },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->turn, N_("TURN server, replacing the server’s (turn://USER:PASS@HOST:PORT); repeatable"), N_("URI") },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &options->relay_only, N_("Use only TURN relay candidates"), NULL },
    { "muted", 0, 0, G_OPTION_ARG_NONE, &options->muted, N_("Join with the microphone muted"), NULL },
    { "video-off", 0, 0, G_OPTION_ARG_NONE, &options->video_off, N_("Join with the camera off"), NULL },
    { "encode-per-peer", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &options->encode_per_peer, "Development: one encoder per peer, as a browser does", NULL },
    { "stamp-time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &options->stamp_time, "Benchmarks: stamp sent frames, report glass-to-glass latency in stats", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("LINK — join a Lattice room headless"));

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Joins the room of LINK (lattice://, https://, http:// or ws:// link) with test\n"
      "sources and prints what it receives as one JSON object per line."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return g_option_context_parse (context, argc, argv, error);
}

static void
options_clear (Options *options)
{
  g_clear_pointer (&options->name, g_free);
  g_clear_pointer (&options->password, g_free);
  g_clear_pointer (&options->video, g_free);
  g_clear_pointer (&options->audio, g_free);
  g_clear_pointer (&options->size, g_free);
  g_clear_pointer (&options->view, g_free);
  g_clear_pointer (&options->stun, g_free);
  g_clear_pointer (&options->turn, g_strfreev);
}

static void
connect_call (Peer *self)
{
  g_signal_connect (self->call, "notify::state", G_CALLBACK (on_call_notify_state), self);
  g_signal_connect (self->call, "participant-joined", G_CALLBACK (on_participant_joined), self);
  g_signal_connect (self->call, "participant-left", G_CALLBACK (on_participant_left), self);
  g_signal_connect (self->call, "first-frame", G_CALLBACK (on_first_frame), self);
}

static int
run (Options *options,
     const char *link)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LatticeMediaEngine) engine = NULL;
  Peer self = { 0 };

  engine = create_engine (options, &error);
  if (engine == NULL)
    {
      g_printerr ("lattice-peer: %s\n", error->message);
      return 2;
    }

  self.loop = g_main_loop_new (NULL, FALSE);
  self.last_frames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self.stamp_time = options->stamp_time;
  self.call = lattice_call_new (engine);
  if (options->view != NULL)
    {
      if (!parse_size (options->view, &self.view_width, &self.view_height, &error))
        {
          g_printerr ("lattice-peer: %s\n", error->message);
          g_clear_object (&self.call);
          g_clear_pointer (&self.loop, g_main_loop_unref);
          g_clear_pointer (&self.last_frames, g_hash_table_unref);
          return 2;
        }
      g_signal_connect (lattice_call_get_participants (self.call), "items-changed",
                        G_CALLBACK (lay_out_view), &self);
    }
  if (options->stun != NULL || options->turn != NULL)
    lattice_call_set_ice_servers (self.call, options->stun, (const char *const *) options->turn);
  connect_call (&self);

  /* The app makes its DTLS key when it starts, long before anyone presses
   * Join; lattice-peer joins at once, so it waits for the key here and its
   * join times are those of the app (docs/BENCHMARKS.md, join time). */
  lattice_media_wait_prepared ();
  self.join_started_us = g_get_monotonic_time ();
  if (!lattice_call_join (self.call, link, options->name ? options->name : "lattice-peer",
                          options->password, &error))
    {
      const char *code = error->domain == LATTICE_CALL_ERROR
                           ? enum_nick (LATTICE_TYPE_CALL_ERROR, error->code)
                           : "media";

      print_error (&self, code, error);
      self.exit_code = 1;
    }
  else
    {
      g_unix_signal_add (SIGINT, on_unix_signal, &self);
      g_unix_signal_add (SIGTERM, on_unix_signal, &self);
      if (options->duration > 0)
        self.duration_id = g_timeout_add_seconds (options->duration, on_duration_elapsed, &self);
      g_main_loop_run (self.loop);
    }

  g_clear_handle_id (&self.stats_id, g_source_remove);
  g_clear_handle_id (&self.gaps_id, g_source_remove);
  g_clear_pointer (&self.last_frames, g_hash_table_unref);
  g_clear_handle_id (&self.duration_id, g_source_remove);
  g_clear_handle_id (&self.quit_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (lattice_call_get_participants (self.call), &self);
  g_signal_handlers_disconnect_by_data (self.call, &self);
  g_clear_object (&self.call);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  return self.exit_code;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  Options options = { .fps = LATTICE_MEDIA_DEFAULT_FRAMERATE, .latency = LATTICE_MEDIA_DEFAULT_LATENCY_MS };
  int status;

  lattice_log_init ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  gst_init (&argc, &argv);

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("lattice-peer: %s\n", error->message);
      options_clear (&options);
      return 2;
    }
  if (options.version)
    {
      g_print ("lattice-peer %s\n", PACKAGE_VERSION);
      options_clear (&options);
      return 0;
    }
  if (argc != 2)
    {
      g_printerr ("lattice-peer: %s\n", _("Give exactly one room link (see --help)"));
      options_clear (&options);
      return 2;
    }

  status = run (&options, argv[1]);
  options_clear (&options);
  gst_deinit ();
  return status;
}
