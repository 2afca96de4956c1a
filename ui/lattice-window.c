/* lattice-window.c: the main window: join page, progress, the call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window owns at most one LatticeCall and maps its "state" to a page:
 * IDLE → join page, JOINING → a spinner, IN_CALL/RECONNECTING → the call.
 * Failures become a dialog that says what to do, and the join page again.
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "lattice-application.h"
#include "lattice-audio-sink.h"
#include "lattice-call.h"
#include "lattice-camera-access.h"
#include "lattice-device-list.h"
#include "lattice-join-page.h"
#include "lattice-lan-address.h"
#include "lattice-link.h"
#include "lattice-trust-store.h"
#include "lattice-paintable-sink.h"
#include "lattice-settings.h"
#include "lattice-view-tracker.h"
#include "lattice-window.h"

#define MAX_RECENT_ROOMS 10

/* Without a camera (or microphone) a call still works: retry with less. */
typedef enum {
  FALLBACK_NONE,
  FALLBACK_NO_VIDEO,
  FALLBACK_NO_MEDIA,
} Fallback;

struct _LatticeWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  LatticeJoinPage *join_page;
  AdwStatusPage *joining_status;
  GtkSpinner *joining_spinner;
  LatticeCallPage *call_page;

  GSettings *settings;
  LatticeCameraAccess *camera_access;
  LatticeDeviceList *cameras;
  LatticeDeviceList *microphones;
  LatticeDeviceList *speakers;
  LatticeViewTracker *views;  /* tile sizes and a minimized window, to the call */

  LatticeCall *call;
  LatticeMediaEngine *engine;
  GdkPaintable *self_paintable;
  GPtrArray *audio_sinks;  /* LatticeAudioSink, to switch speakers during the call */
  char *link;              /* what we joined, for retries and recent rooms */
  char *name;
  char *password;
  char *invite_link;       /* hosted rooms: the LAN link instead of the call's */
  Fallback fallback;
  guint quiet_joins_id;    /* while set, joins are the people already there */
  gboolean waiting_for_camera;  /* joining as soon as the Camera portal answers */
  gboolean rejoin_with_camera;  /* the person asked for the camera again mid-call */
  gboolean hosting;
  gboolean was_in_call;
};

G_DEFINE_FINAL_TYPE (LatticeWindow, lattice_window, ADW_TYPE_APPLICATION_WINDOW)

static void start_call (LatticeWindow *self);
static void show_error (LatticeWindow *self, const GError *error);
static void show_error_later (LatticeWindow *self, GError *error);
static void switch_speakers (LatticeWindow *self);

static void
toast (LatticeWindow *self,
       const char    *title)
{
  AdwToast *t = adw_toast_new (title);

  adw_toast_set_timeout (t, 3);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
set_page (LatticeWindow *self,
          const char    *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  if (g_str_equal (name, "call"))
    gtk_widget_add_css_class (GTK_WIDGET (self->toast_overlay), "in-call");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->toast_overlay), "in-call");
  gtk_spinner_set_spinning (self->joining_spinner, g_str_equal (name, "joining"));
}

static void
set_action_enabled (LatticeWindow *self,
                    const char    *name,
                    gboolean       enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
set_action_state (LatticeWindow *self,
                  const char    *name,
                  gboolean       state)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (state));
}

/* The Camera portal refused (or has no camera) while a camera is wanted:
 * the call goes on without video, and the camera button asks again. */
static gboolean
camera_blocked (LatticeWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return app != NULL &&
         lattice_application_get_video_source (LATTICE_APPLICATION (app)) == LATTICE_MEDIA_SOURCE_DEVICE &&
         lattice_camera_access_video_source (self->camera_access, LATTICE_MEDIA_SOURCE_DEVICE) == LATTICE_MEDIA_SOURCE_NONE;
}

static void
update_actions (LatticeWindow *self)
{
  gboolean in_call = self->call != NULL;

  set_action_enabled (self, "microphone", in_call && self->fallback != FALLBACK_NO_MEDIA);
  set_action_enabled (self, "camera", in_call && (self->fallback == FALLBACK_NONE ||
                                                  (self->fallback == FALLBACK_NO_VIDEO && camera_blocked (self))));
  set_action_enabled (self, "copy-invite", in_call);
  set_action_enabled (self, "leave", in_call);
  /* Without a camera (or microphone) the button shows it off. */
  if (in_call)
    {
      set_action_state (self, "microphone", !lattice_call_get_audio_muted (self->call) &&
                                            self->fallback != FALLBACK_NO_MEDIA);
      set_action_state (self, "camera", lattice_call_get_video_enabled (self->call) &&
                                        self->fallback == FALLBACK_NONE);
    }
}

/* --- recent rooms ------------------------------------------------------ */

static void
remember_room (LatticeWindow *self)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "recent-rooms");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) rooms = NULL;
  guint n = 1;

  /* A hosted room lives as long as this app: not worth remembering. */
  if (self->hosting || self->link == NULL)
    return;
  g_strv_builder_add (builder, self->link);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT_ROOMS; i++)
    if (g_strcmp0 (old[i], self->link) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  rooms = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-rooms", (const char * const *) rooms);
}

/* --- media settings ---------------------------------------------------- */

static void
apply_quality (LatticeWindow      *self,
               LatticeMediaEngine *engine)
{
  g_autofree char *quality = g_settings_get_string (self->settings, "video-quality");
  guint width = LATTICE_MEDIA_DEFAULT_WIDTH;
  guint height = LATTICE_MEDIA_DEFAULT_HEIGHT;
  guint framerate = LATTICE_MEDIA_DEFAULT_FRAMERATE;

  if (g_str_equal (quality, "low"))
    width = 320, height = 180, framerate = 15;
  else if (g_str_equal (quality, "high"))
    width = 1280, height = 720, framerate = 30;
  g_object_set (engine, "width", width, "height", height, "framerate", framerate, NULL);
}

static void
apply_ice_servers (LatticeWindow      *self,
                   LatticeMediaEngine *engine)
{
  g_autofree char *stun = g_settings_get_string (self->settings, "stun-server");
  g_auto(GStrv) turn = g_settings_get_strv (self->settings, "turn-servers");
  g_autofree char *stun_uri = NULL;

  if (stun[0] != '\0')
    stun_uri = g_str_has_prefix (stun, "stun://") ? g_strdup (stun) : g_strconcat ("stun://", stun, NULL);
  if (stun_uri != NULL || turn[0] != NULL)
    lattice_media_engine_set_ice_servers (engine, stun_uri, (const char * const *) turn);
}

/* The engine switches devices while running; an unknown name (unplugged)
 * leaves the current device alone. */
static void
apply_device (LatticeWindow      *self,
              LatticeMediaEngine *engine,
              LatticeDeviceList  *list,
              const char         *key,
              const char         *property)
{
  g_autofree char *name = g_settings_get_string (self->settings, key);
  g_autoptr(GstDevice) device = lattice_device_list_lookup (list, name);

  if (device != NULL)
    gst_object_ref (device);
  /* In the sandbox the engine's own default (a GstDeviceMonitor) sees no
   * camera: the default is the portal's first. */
  else if (list == self->cameras && lattice_camera_access_get_fd (self->camera_access) >= 0 &&
           g_list_model_get_n_items (G_LIST_MODEL (list)) > 0)
    device = g_list_model_get_item (G_LIST_MODEL (list), 0);
  if (engine != NULL && device != NULL)
    g_object_set (engine, property, device, NULL);
}

static void
on_device_setting_changed (LatticeWindow *self,
                           const char    *key)
{
  if (g_str_equal (key, "camera-device"))
    apply_device (self, self->engine, self->cameras, key, "video-device");
  else if (g_str_equal (key, "microphone-device"))
    apply_device (self, self->engine, self->microphones, key, "audio-device");
  else if (g_str_equal (key, "speaker-device"))
    switch_speakers (self);
}

static LatticeMediaEngine *
create_engine (LatticeWindow *self)
{
  LatticeApplication *app = LATTICE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  LatticeMediaSource video = lattice_application_get_video_source (app);
  LatticeMediaSource audio = lattice_application_get_audio_source (app);
  LatticeMediaEngine *engine;
  GstElement *self_view;

  video = lattice_camera_access_video_source (self->camera_access, video);
  if (self->fallback >= FALLBACK_NO_VIDEO)
    video = LATTICE_MEDIA_SOURCE_NONE;
  if (self->fallback >= FALLBACK_NO_MEDIA)
    audio = LATTICE_MEDIA_SOURCE_NONE;
  engine = lattice_media_engine_new (video, audio);

  apply_quality (self, engine);
  apply_ice_servers (self, engine);
  apply_device (self, engine, self->cameras, "camera-device", "video-device");
  apply_device (self, engine, self->microphones, "microphone-device", "audio-device");
  g_object_set (engine,
                "latency", g_settings_get_uint (self->settings, "jitter-latency"),
                "echo-cancel", g_settings_get_boolean (self->settings, "echo-cancellation"),
                NULL);

  g_clear_object (&self->self_paintable);
  if (video != LATTICE_MEDIA_SOURCE_NONE)
    {
      self_view = lattice_video_sink_create (&self->self_paintable);
      g_object_set (engine, "self-view-sink", self_view, NULL);
    }
  return engine;
}

/* --- sinks ------------------------------------------------------------- */

static GstElement *
on_create_video_sink (LatticeCall        *call,
                      LatticeParticipant *participant,
                      LatticeWindow      *self)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  GstElement *sink = lattice_video_sink_create (&paintable);

  lattice_participant_set_paintable (participant, G_OBJECT (paintable));
  return sink;
}

/* Test runs have no sound card: their sound goes nowhere. */
static GstElement *
make_speaker_output (LatticeWindow *self)
{
  LatticeApplication *app = LATTICE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *name = g_settings_get_string (self->settings, "speaker-device");

  if (lattice_application_get_audio_source (app) == LATTICE_MEDIA_SOURCE_TEST)
    return gst_element_factory_make_full ("fakesink", "sync", TRUE, NULL);
  return lattice_audio_sink_make_output (lattice_device_list_lookup (self->speakers, name));
}

/* Sinks whose peer is gone (no parent any more) are forgotten. */
static void
prune_audio_sinks (LatticeWindow *self)
{
  for (guint i = self->audio_sinks->len; i > 0; i--)
    {
      GstObject *parent = gst_object_get_parent (g_ptr_array_index (self->audio_sinks, i - 1));

      if (parent == NULL)
        g_ptr_array_remove_index (self->audio_sinks, i - 1);
      else
        gst_object_unref (parent);
    }
}

static GstElement *
on_create_audio_sink (LatticeCall        *call,
                      LatticeParticipant *participant,
                      LatticeWindow      *self)
{
  GstElement *sink = lattice_audio_sink_new (make_speaker_output (self));

  prune_audio_sinks (self);
  g_ptr_array_add (self->audio_sinks, gst_object_ref_sink (sink));
  return sink;
}

/* New speakers: every remote voice moves there now, not at the next call. */
static void
switch_speakers (LatticeWindow *self)
{
  prune_audio_sinks (self);
  for (guint i = 0; i < self->audio_sinks->len; i++)
    lattice_audio_sink_set_sink (g_ptr_array_index (self->audio_sinks, i), make_speaker_output (self));
}

/* --- call state -------------------------------------------------------- */

static void
on_self_changed (LatticeWindow *self)
{
  LatticeParticipant *me = self->call ? lattice_call_get_self (self->call) : NULL;

  if (me == NULL)
    return;
  if (self->self_paintable != NULL &&
      lattice_participant_get_paintable (me) != G_OBJECT (self->self_paintable))
    lattice_participant_set_paintable (me, G_OBJECT (self->self_paintable));
  lattice_participant_set_video_notice (me, camera_blocked (self) || self->rejoin_with_camera
                                              ? lattice_camera_access_get_title (self->camera_access)
                                              : NULL);
}

static void
show_call (LatticeWindow *self)
{
  g_autofree char *invite = lattice_window_dup_invite_link (self);

  on_self_changed (self);
  lattice_call_page_set_participants (self->call_page, lattice_call_get_participants (self->call));
  lattice_call_page_set_room (self->call_page, lattice_call_get_room (self->call));
  lattice_call_page_set_invite_link (self->call_page, invite);
  set_page (self, "call");
  update_actions (self);
}

static gboolean
end_quiet_joins (gpointer data)
{
  LatticeWindow *self = data;

  self->quiet_joins_id = 0;
  return G_SOURCE_REMOVE;
}

/* The call lists the people already in the room right after it reaches
 * IN_CALL, in the same main-loop turn: no "X joined" toast for them. */
static void
start_quiet_joins (LatticeWindow *self)
{
  g_clear_handle_id (&self->quiet_joins_id, g_source_remove);
  self->quiet_joins_id = g_idle_add (end_quiet_joins, self);
}

static void
on_state_changed (LatticeWindow *self)
{
  LatticeCallState state = lattice_call_get_state (self->call);
  GError *error = NULL;

  switch (state)
    {
    case LATTICE_CALL_STATE_JOINING:
      if (!self->was_in_call)
        set_page (self, "joining");
      break;
    case LATTICE_CALL_STATE_IN_CALL:
      if (self->was_in_call)
        toast (self, _("Connected to the server again"));
      else
        remember_room (self);
      start_quiet_joins (self);
      self->was_in_call = TRUE;
      show_call (self);
      break;
    case LATTICE_CALL_STATE_RECONNECTING:
      toast (self, _("Lost the connection to the server; reconnecting…"));
      break;
    case LATTICE_CALL_STATE_FAILED:
      if (lattice_call_get_error (self->call) != NULL)
        error = g_error_copy (lattice_call_get_error (self->call));
      else
        error = g_error_new_literal (LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_FAILED, _("The call failed"));
      show_error_later (self, g_steal_pointer (&error));
      break;
    case LATTICE_CALL_STATE_IDLE:
    case LATTICE_CALL_STATE_LEFT:
    default:
      break;
    }
}

static void
on_participant_joined (LatticeCall        *call,
                       LatticeParticipant *participant,
                       LatticeWindow      *self)
{
  g_autofree char *text = NULL;

  if (self->quiet_joins_id != 0)
    return;
  text = g_strdup_printf (_("%s joined"), lattice_participant_get_name (participant));
  toast (self, text);
}

static void
on_participant_left (LatticeCall        *call,
                     LatticeParticipant *participant,
                     LatticeWindow      *self)
{
  g_autofree char *text = g_strdup_printf (_("%s left"), lattice_participant_get_name (participant));

  toast (self, text);
}

static void
on_audio_muted_changed (LatticeWindow *self)
{
  set_action_state (self, "microphone", !lattice_call_get_audio_muted (self->call));
}

static void
on_video_enabled_changed (LatticeWindow *self)
{
  set_action_state (self, "camera", lattice_call_get_video_enabled (self->call));
}

static void
connect_call (LatticeWindow *self)
{
  g_signal_connect_object (self->call, "notify::state", G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::self", G_CALLBACK (on_self_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::audio-muted", G_CALLBACK (on_audio_muted_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "notify::video-enabled", G_CALLBACK (on_video_enabled_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->call, "participant-joined", G_CALLBACK (on_participant_joined), self, 0);
  g_signal_connect_object (self->call, "participant-left", G_CALLBACK (on_participant_left), self, 0);
  g_signal_connect_object (self->call, "create-video-sink", G_CALLBACK (on_create_video_sink), self, 0);
  g_signal_connect_object (self->call, "create-audio-sink", G_CALLBACK (on_create_audio_sink), self, 0);
  lattice_view_tracker_set_call (self->views, self->call);
}

/* Drops the call without touching the page: callers decide what shows. */
static void
drop_call (LatticeWindow *self)
{
  if (self->call == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->call, self);
  lattice_call_leave (self->call);
  lattice_call_page_set_participants (self->call_page, NULL);
  lattice_view_tracker_set_call (self->views, NULL);
  g_clear_object (&self->call);
  g_clear_object (&self->engine);
  g_clear_object (&self->self_paintable);
  g_ptr_array_set_size (self->audio_sinks, 0);
  self->was_in_call = FALSE;
  self->waiting_for_camera = FALSE;
  self->rejoin_with_camera = FALSE;
  update_actions (self);
}

/* --- errors ------------------------------------------------------------ */

/* The engine says NO_DEVICE or DEVICE_BUSY when it starts; a camera that
 * fails only once playing reaches us as the call's MEDIA error. Either way,
 * before the call is up, it is worth one more try with less. */
static gboolean
is_device_error (LatticeWindow *self,
                 const GError  *error)
{
  LatticeApplication *app = LATTICE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (g_error_matches (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_NO_DEVICE) ||
      g_error_matches (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_DEVICE_BUSY))
    return TRUE;
  return g_error_matches (error, LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_MEDIA) &&
         !self->was_in_call &&
         lattice_application_get_video_source (app) == LATTICE_MEDIA_SOURCE_DEVICE;
}

static gboolean
try_fallback (LatticeWindow *self,
              const GError  *error)
{
  if (self->fallback == FALLBACK_NO_MEDIA || !is_device_error (self, error))
    return FALSE;
  g_message ("Joining with less media: %s", error->message);
  self->fallback++;
  toast (self, self->fallback == FALLBACK_NO_VIDEO
                 ? _("No camera available: joining without video")
                 : _("No microphone available: joining to watch and listen"));
  drop_call (self);
  start_call (self);
  return TRUE;
}

static void
on_password_response (AdwMessageDialog *dialog,
                      const char       *response,
                      LatticeWindow    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (!g_str_equal (response, "join"))
    return;
  g_free (self->password);
  self->password = g_strdup (gtk_editable_get_text (entry));
  start_call (self);
}

static void
ask_password (LatticeWindow *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
    adw_message_dialog_new (GTK_WINDOW (self), _("Password Required"),
                            self->password ? _("The password was not right. Try again.")
                                           : _("This room is protected by a password.")));
  GtkWidget *entry = gtk_password_entry_new ();

  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Password"), -1);
  g_object_set (entry, "activates-default", TRUE, NULL);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "join", _("_Join"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "join", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "join");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_password_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- trusting a server ------------------------------------------------ */

static void join (LatticeWindow *self, const char *link, const char *name, gboolean hosting);

static void
on_trust_response (AdwMessageDialog *dialog,
                   const char       *response,
                   LatticeWindow    *self)
{
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");
  const char *link = g_object_get_data (G_OBJECT (dialog), "link");
  g_autoptr(LatticeLink) parsed = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *name = NULL;

  if (!g_str_equal (response, "trust"))
    return;
  parsed = lattice_link_parse (link, NULL);
  g_return_if_fail (parsed != NULL && parsed->tls);
  lattice_trust_store_remember (self->settings, parsed->host, parsed->port, fingerprint);
  lattice_link_set_fingerprint (parsed, fingerprint);
  pinned = lattice_link_to_string (parsed);
  name = g_strdup (self->name);
  join (self, pinned, name, FALSE);
}

/* No authority vouches for the server: only the person can, by comparing
 * the fingerprint with what the host sees (docs/PROTOCOL.md, "Trust"). */
static gboolean
ask_trust (LatticeWindow *self,
           const char    *fingerprint)
{
  g_autoptr(LatticeLink) parsed = lattice_link_parse (self->link, NULL);
  g_autofree char *server = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  if (parsed == NULL || !parsed->tls || !lattice_fingerprint_is_valid (fingerprint))
    return FALSE;
  server = lattice_trust_store_key (parsed->host, parsed->port);
  /* Translators: %s is the server, as "host:port" */
  body = g_strdup_printf (_("No authority vouches for the certificate of %s. Compare its fingerprint, below, with the one the host of the call sees; trust the server only if they are the same."), server);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Trust This Server?"), body));
  label = gtk_label_new (fingerprint);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (label, "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Certificate fingerprint"), -1);
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "trust", _("_Trust and Join"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "trust", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (fingerprint), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "link", g_strdup (self->link), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_trust_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

/* A heading and what to do, for the errors a person can act on. */
static void
describe_error (const GError  *error,
                const char   **heading,
                const char   **advice)
{
  *heading = _("Could Not Join the Call");
  *advice = NULL;
  if (error->domain == LATTICE_CALL_ERROR)
    switch ((LatticeCallError) error->code)
      {
      case LATTICE_CALL_ERROR_UNREACHABLE:
        *heading = _("Cannot Reach the Server");
        *advice = _("Check the link and your network connection, then try again.");
        break;
      case LATTICE_CALL_ERROR_ROOM_FULL:
        *heading = _("The Room Is Full");
        *advice = _("Try again when someone has left.");
        break;
      case LATTICE_CALL_ERROR_VERSION:
        *heading = _("Lattice Needs an Update");
        *advice = _("The server speaks a different version of the protocol. Update Lattice or ask the host to update the server.");
        break;
      case LATTICE_CALL_ERROR_BAD_LINK:
        *heading = _("Invalid Room Link");
        *advice = _("Ask for the link again: it should look like lattice://example.org/room.");
        break;
      case LATTICE_CALL_ERROR_CERTIFICATE_MISMATCH:
        *heading = _("The Server’s Certificate Does Not Match");
        *advice = _("The server did not present the certificate this link or your earlier decision expects. Someone may be intercepting the connection: do not join, and ask the host for a new link.");
        break;
      case LATTICE_CALL_ERROR_CERTIFICATE_UNTRUSTED:
        *heading = _("The Server Is Not Trusted");
        *advice = _("Ask the host for a link that includes the server’s fingerprint.");
        break;
      case LATTICE_CALL_ERROR_WRONG_PASSWORD:
      case LATTICE_CALL_ERROR_MEDIA:
      case LATTICE_CALL_ERROR_FAILED:
      default:
        break;
      }
  else if (error->domain == LATTICE_MEDIA_ERROR)
    switch ((LatticeMediaError) error->code)
      {
      case LATTICE_MEDIA_ERROR_MISSING_PLUGIN:
        *heading = _("A Component Is Missing");
        *advice = _("Install the package named above, then try again.");
        break;
      case LATTICE_MEDIA_ERROR_DEVICE_BUSY:
        *heading = _("The Camera Is Busy");
        *advice = _("Close other apps that use the camera, then try again.");
        break;
      case LATTICE_MEDIA_ERROR_NO_DEVICE:
        *heading = _("No Camera or Microphone");
        *advice = _("Connect a camera or microphone, then try again.");
        break;
      case LATTICE_MEDIA_ERROR_PIPELINE:
      default:
        break;
      }
}

static void
show_error (LatticeWindow *self,
            const GError  *error)
{
  const char *heading, *advice;
  g_autofree char *body = NULL;
  g_autofree char *link = g_strdup (self->link);
  g_autofree char *fingerprint = NULL;
  GtkWidget *dialog;

  if (try_fallback (self, error))
    return;
  g_message ("Call failed: %s (%s %d)", error->message, g_quark_to_string (error->domain), error->code);
  /* the call goes with drop_call(), and with it what the server presented */
  if (self->call != NULL)
    fingerprint = lattice_call_dup_server_fingerprint (self->call);
  drop_call (self);
  set_page (self, "join");
  lattice_join_page_set_link (self->join_page, link);
  if (g_error_matches (error, LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_WRONG_PASSWORD))
    {
      ask_password (self);
      return;
    }
  if (g_error_matches (error, LATTICE_CALL_ERROR, LATTICE_CALL_ERROR_CERTIFICATE_UNTRUSTED) &&
      ask_trust (self, fingerprint))
    return;
  describe_error (error, &heading, &advice);
  body = advice ? g_strdup_printf ("%s\n\n%s", error->message, advice) : g_strdup (error->message);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  LatticeWindow *window;
  LatticeCall *call;
  GError *error;
} PendingError;

static gboolean
show_pending_error (gpointer data)
{
  PendingError *pending = data;

  /* Left or joined elsewhere meanwhile: that failure is old news. */
  if (pending->window->call == pending->call)
    show_error (pending->window, pending->error);
  return G_SOURCE_REMOVE;
}

static void
pending_error_free (gpointer data)
{
  PendingError *pending = data;

  g_object_unref (pending->window);
  g_object_unref (pending->call);
  g_error_free (pending->error);
  g_free (pending);
}

/* The call reports failure from inside its own notify::state; leaving and
 * dropping it (or retrying) is safer once that emission is over. */
static void
show_error_later (LatticeWindow *self,
                  GError        *error)
{
  PendingError *pending = g_new0 (PendingError, 1);

  pending->window = g_object_ref (self);
  pending->call = g_object_ref (self->call);
  pending->error = error;
  g_idle_add_full (G_PRIORITY_DEFAULT, show_pending_error, pending, pending_error_free);
}

/* --- joining ----------------------------------------------------------- */

/* In the sandbox the first call asks the Camera portal, and joins once it
 * answers, with or without the camera. */
static gboolean
wait_for_camera (LatticeWindow *self)
{
  LatticeApplication *app = LATTICE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (lattice_application_get_video_source (app) != LATTICE_MEDIA_SOURCE_DEVICE)
    return FALSE;
  lattice_camera_access_request (self->camera_access, GTK_WINDOW (self), FALSE);
  if (lattice_camera_access_get_state (self->camera_access) != LATTICE_CAMERA_ACCESS_ASKING)
    return FALSE;
  self->waiting_for_camera = TRUE;
  adw_status_page_set_description (self->joining_status, self->link);
  set_page (self, "joining");
  return TRUE;
}

static void
start_call (LatticeWindow *self)
{
  g_autoptr(GError) error = NULL;

  drop_call (self);
  if (wait_for_camera (self))
    return;
  if (camera_blocked (self) && self->fallback == FALLBACK_NONE)
    {
      self->fallback = FALLBACK_NO_VIDEO;
      if (lattice_camera_access_get_state (self->camera_access) == LATTICE_CAMERA_ACCESS_REFUSED)
        toast (self, _("Camera access was refused: joining without video"));
    }
  self->engine = create_engine (self);
  self->call = lattice_call_new (self->engine);
  connect_call (self);
  adw_status_page_set_description (self->joining_status, self->link);
  set_page (self, "joining");
  update_actions (self);

  if (!lattice_call_join (self->call, self->link, self->name, self->password, &error))
    {
      show_error (self, error);
      return;
    }
  on_self_changed (self);
  if (lattice_call_get_state (self->call) == LATTICE_CALL_STATE_IN_CALL && !self->was_in_call)
    on_state_changed (self);
}

/* A link without a pin to a server the user trusted earlier gets that
 * pin: the decision holds until the server's certificate changes. */
static char *
pin_trusted (LatticeWindow *self,
             const char    *link)
{
  g_autoptr(LatticeLink) parsed = lattice_link_parse (link, NULL);

  if (parsed == NULL || !lattice_trust_store_pin_link (self->settings, parsed))
    return g_strdup (link);
  g_debug ("Pinned %s to the certificate trusted earlier", link);
  return lattice_link_to_string (parsed);
}

static void
join (LatticeWindow *self,
      const char    *link,
      const char    *name,
      gboolean       hosting)
{
  g_free (self->link);
  self->link = pin_trusted (self, link);
  g_free (self->name);
  self->name = g_strdup (name);
  g_clear_pointer (&self->password, g_free);
  if (!hosting)
    g_clear_pointer (&self->invite_link, g_free);
  self->hosting = hosting;
  self->fallback = FALLBACK_NONE;
  start_call (self);
}

static void
on_join_requested (LatticeWindow *self,
                   const char    *link,
                   const char    *name)
{
  join (self, link, name, FALSE);
}

/* A link to the hosted room, pinned to its certificate (without one, the
 * server speaks plain ws); @web_link: the https:// (http://) form. */
static char *
hosted_link (const char  *host,
             guint        port,
             const char  *room,
             const char  *fingerprint,
             char       **web_link)
{
  g_autoptr(LatticeLink) link = lattice_link_new (host, port, room, fingerprint != NULL);

  if (fingerprint != NULL)
    lattice_link_set_fingerprint (link, fingerprint);
  if (web_link != NULL)
    *web_link = lattice_link_to_web_uri (link);
  return lattice_link_to_string (link);
}

/* With a default server, new rooms go there; otherwise this computer
 * hosts them and the invite carries its LAN address. */
static void
on_host_requested (LatticeWindow *self,
                   const char    *name)
{
  LatticeApplication *app = LATTICE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *server = g_strstrip (g_settings_get_string (self->settings, "default-server"));
  g_autofree char *room = lattice_room_name_generate ();
  g_autofree char *link = NULL;
  g_autofree char *lan = NULL;
  g_autofree char *web_link = NULL;
  g_autoptr(GError) error = NULL;
  const char *fingerprint;
  guint port;

  if (server[0] != '\0')
    {
      g_autofree char *base = g_str_has_suffix (server, "/") ? g_strndup (server, strlen (server) - 1) : g_strdup (server);

      link = g_strdup_printf ("%s/%s", base, room);
      join (self, link, name, FALSE);
      return;
    }
  if ((port = lattice_application_ensure_server (app, &error)) == 0)
    {
      show_error (self, error);
      return;
    }
  fingerprint = lattice_application_get_server_fingerprint (app);
  lan = lattice_lan_address_dup ();
  g_free (self->invite_link);
  self->invite_link = hosted_link (lan, port, room, fingerprint, &web_link);
  g_message ("Hosting room %s; invite: %s or %s", room, self->invite_link, web_link);
  /* the pin, not the name, identifies the server: 127.0.0.1 is fine */
  link = hosted_link ("127.0.0.1", port, room, fingerprint, NULL);
  join (self, link, name, TRUE);
  if (fingerprint == NULL)
    toast (self, _("The invite link is unencrypted"));
}

static void
on_switch_response (AdwMessageDialog *dialog,
                    const char       *response,
                    LatticeWindow    *self)
{
  const char *link = g_object_get_data (G_OBJECT (dialog), "link");
  g_autofree char *name = NULL;

  if (!g_str_equal (response, "leave"))
    return;
  name = lattice_join_page_dup_name (self->join_page);
  join (self, link, name, FALSE);
}

/* --- camera access ----------------------------------------------------- */

/* Once the portal has answered and, granted, its cameras are listed: join,
 * or rejoin with video if the person asked for it mid-call. */
static void
on_cameras_ready (LatticeWindow *self)
{
  LatticeCameraAccessState state = lattice_camera_access_get_state (self->camera_access);

  if (state == LATTICE_CAMERA_ACCESS_ASKING || lattice_device_list_get_loading (self->cameras))
    return;
  if (self->waiting_for_camera)
    {
      self->waiting_for_camera = FALSE;
      start_call (self);
    }
  /* Granted mid-call: rejoin, as the engine builds its video branch when it starts. */
  else if (self->rejoin_with_camera)
    {
      self->rejoin_with_camera = FALSE;
      on_self_changed (self);
      if (state != LATTICE_CAMERA_ACCESS_GRANTED || self->call == NULL)
        return;
      toast (self, _("Camera allowed: joining again with video"));
      self->fallback = FALLBACK_NONE;
      start_call (self);
    }
}

static void
on_camera_access_changed (LatticeWindow *self)
{
  LatticeCameraAccessState state = lattice_camera_access_get_state (self->camera_access);
  LatticeControls *controls = lattice_call_page_get_controls (self->call_page);

  /* Granted: the cameras are those of the portal's PipeWire remote. */
  if (state == LATTICE_CAMERA_ACCESS_GRANTED)
    {
      g_clear_object (&self->cameras);
      self->cameras = lattice_device_list_new_for_pipewire ("Video/Source",
                                                            lattice_camera_access_get_fd (self->camera_access));
      g_signal_connect_object (self->cameras, "notify::loading", G_CALLBACK (on_cameras_ready), self, G_CONNECT_SWAPPED);
      lattice_controls_set_devices (controls, G_LIST_MODEL (self->cameras),
                                    G_LIST_MODEL (self->microphones), G_LIST_MODEL (self->speakers));
    }
  lattice_controls_set_camera_notice (controls, lattice_camera_access_describe (self->camera_access));
  on_self_changed (self);
  update_actions (self);
  on_cameras_ready (self);
}

/* --- actions ----------------------------------------------------------- */

static void
microphone_change_state (GSimpleAction *action,
                         GVariant      *state,
                         gpointer       user_data)
{
  LatticeWindow *self = user_data;

  g_simple_action_set_state (action, state);
  if (self->call != NULL)
    lattice_call_set_audio_muted (self->call, !g_variant_get_boolean (state));
}

static void
camera_change_state (GSimpleAction *action,
                     GVariant      *state,
                     gpointer       user_data)
{
  LatticeWindow *self = user_data;

  /* Pressed while the portal says no: the one time we ask again. */
  if (g_variant_get_boolean (state) && self->fallback == FALLBACK_NO_VIDEO && camera_blocked (self))
    {
      self->rejoin_with_camera = TRUE;
      lattice_camera_access_request (self->camera_access, GTK_WINDOW (self), TRUE);
      return;
    }
  g_simple_action_set_state (action, state);
  if (self->call != NULL)
    lattice_call_set_video_enabled (self->call, g_variant_get_boolean (state));
}

static void
copy_invite_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  LatticeWindow *self = user_data;
  g_autofree char *link = lattice_window_dup_invite_link (self);

  if (link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), link);
  toast (self, _("Invite link copied"));
}

static void
leave_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  lattice_window_leave (user_data);
}

static const GActionEntry win_actions[] = {
  { "microphone", NULL, NULL, "true", microphone_change_state },
  { "camera", NULL, NULL, "true", camera_change_state },
  { "copy-invite", copy_invite_activated },
  { "leave", leave_activated },
};

/* --- window state ------------------------------------------------------ */

static void
restore_size (LatticeWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
lattice_window_close_request (GtkWindow *window)
{
  LatticeWindow *self = LATTICE_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  drop_call (self);

  return GTK_WINDOW_CLASS (lattice_window_parent_class)->close_request (window);
}

static void
lattice_window_dispose (GObject *object)
{
  LatticeWindow *self = LATTICE_WINDOW (object);

  drop_call (self);
  g_clear_object (&self->views);
  g_clear_handle_id (&self->quiet_joins_id, g_source_remove);
  g_clear_object (&self->cameras);
  g_clear_object (&self->camera_access);   /* after the cameras: it owns their fd */
  g_clear_object (&self->microphones);
  g_clear_object (&self->speakers);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), LATTICE_TYPE_WINDOW);

  G_OBJECT_CLASS (lattice_window_parent_class)->dispose (object);
}

static void
lattice_window_finalize (GObject *object)
{
  LatticeWindow *self = LATTICE_WINDOW (object);

  g_free (self->link);
  g_free (self->name);
  g_free (self->password);
  g_free (self->invite_link);
  g_ptr_array_unref (self->audio_sinks);

  G_OBJECT_CLASS (lattice_window_parent_class)->finalize (object);
}

static void
lattice_window_class_init (LatticeWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = lattice_window_dispose;
  object_class->finalize = lattice_window_finalize;
  window_class->close_request = lattice_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/latticecall/Lattice/lattice-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, join_page);
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, joining_status);
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, joining_spinner);
  gtk_widget_class_bind_template_child (widget_class, LatticeWindow, call_page);
  gtk_widget_class_bind_template_callback (widget_class, on_join_requested);
  gtk_widget_class_bind_template_callback (widget_class, on_host_requested);
}

static void
lattice_window_init (LatticeWindow *self)
{
  g_type_ensure (LATTICE_TYPE_JOIN_PAGE);
  g_type_ensure (LATTICE_TYPE_CALL_PAGE);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->audio_sinks = g_ptr_array_new_with_free_func (gst_object_unref);
  self->views = lattice_view_tracker_new (GTK_WINDOW (self), lattice_call_page_get_grid (self->call_page));

  if (g_str_has_suffix (APP_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  self->settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  restore_size (self);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_device_setting_changed), self, G_CONNECT_SWAPPED);

  self->camera_access = lattice_camera_access_new (lattice_camera_access_in_sandbox ());
  g_signal_connect_object (self->camera_access, "notify::state", G_CALLBACK (on_camera_access_changed), self, G_CONNECT_SWAPPED);
  self->cameras = lattice_device_list_new ("Video/Source");
  self->microphones = lattice_device_list_new ("Audio/Source");
  self->speakers = lattice_device_list_new ("Audio/Sink");
  lattice_controls_set_devices (lattice_call_page_get_controls (self->call_page),
                                G_LIST_MODEL (self->cameras),
                                G_LIST_MODEL (self->microphones),
                                G_LIST_MODEL (self->speakers));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  update_actions (self);
  set_page (self, "join");
}

LatticeWindow *
lattice_window_new (AdwApplication *application)
{
  return g_object_new (LATTICE_TYPE_WINDOW, "application", application, NULL);
}

void
lattice_window_open_link (LatticeWindow *self,
                          const char    *link)
{
  AdwMessageDialog *dialog;
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;

  g_return_if_fail (LATTICE_IS_WINDOW (self));
  g_return_if_fail (link != NULL);

  if (self->call == NULL)
    {
      lattice_join_page_set_link (self->join_page, link);
      name = lattice_join_page_dup_name (self->join_page);
      join (self, link, name, FALSE);
      return;
    }
  body = g_strdup_printf (_("Joining %s ends the call you are in."), link);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Leave the Current Call?"), body));
  adw_message_dialog_add_responses (dialog, "stay", _("_Stay"), "leave", _("_Leave and Join"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (dialog, "stay");
  g_object_set_data_full (G_OBJECT (dialog), "link", g_strdup (link), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_switch_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
lattice_window_host (LatticeWindow *self)
{
  g_autofree char *name = NULL;

  g_return_if_fail (LATTICE_IS_WINDOW (self));

  name = lattice_join_page_dup_name (self->join_page);
  on_host_requested (self, name);
}

void
lattice_window_leave (LatticeWindow *self)
{
  g_return_if_fail (LATTICE_IS_WINDOW (self));

  if (self->call == NULL)
    return;
  drop_call (self);
  lattice_join_page_set_link (self->join_page, self->hosting ? "" : self->link);
  set_page (self, "join");
  toast (self, _("You left the call"));
}

gboolean
lattice_window_get_in_call (LatticeWindow *self)
{
  g_return_val_if_fail (LATTICE_IS_WINDOW (self), FALSE);

  return self->call != NULL;
}

const char *
lattice_window_get_page_name (LatticeWindow *self)
{
  g_return_val_if_fail (LATTICE_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

LatticeCallPage *
lattice_window_get_call_page (LatticeWindow *self)
{
  g_return_val_if_fail (LATTICE_IS_WINDOW (self), NULL);

  return self->call_page;
}

char *
lattice_window_dup_invite_link (LatticeWindow *self)
{
  g_return_val_if_fail (LATTICE_IS_WINDOW (self), NULL);

  if (self->call == NULL)
    return NULL;
  if (self->invite_link != NULL)
    return g_strdup (self->invite_link);
  return lattice_call_dup_invite_link (self->call);
}
