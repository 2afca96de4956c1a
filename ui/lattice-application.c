/* lattice-application.c: the desktop app: windows, actions, links, hosting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Links arrive three ways and end in lattice_window_open_link():
 *   lattice LINK              command line, any link form (http/https too)
 *   lattice://… from a browser or the desktop file (%U) → command line
 *   D-Bus activation          → "open" with GFiles (their URIs are the links)
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "lattice-application.h"
#include "lattice-certificate.h"
#include "lattice-debug-report.h"
#include "lattice-lan-address.h"
#include "lattice-media-engine.h"
#include "lattice-preferences-window.h"
#include "lattice-settings.h"
#include "lattice-signal-server.h"
#include "lattice-window.h"

/* Time for the "leave" message to reach the server before the process goes. */
#define QUIT_GRACE_MS 300

struct _LatticeApplication
{
  AdwApplication parent_instance;

  LatticeMediaSource video_source;
  LatticeMediaSource audio_source;
  LatticeSignalServer *server;
  char *server_fingerprint;  /* the hosted server's certificate, NULL: plain ws */
  LatticeDebugReport *debug_report;
  guint sigterm_id;
  guint sigint_id;
  guint sigusr1_id;
  guint quit_after_id;
  guint quit_id;
};

G_DEFINE_FINAL_TYPE (LatticeApplication, lattice_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  /* Development and tests: "test" sends videotestsrc/audiotestsrc. */
  { "video", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, NULL, "Video source: device, test or none", "SOURCE" },
  { "audio", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, NULL, "Audio source: device, test or none", "SOURCE" },
  { "host", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Host a room on this computer and join it"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, N_("[LINK…]") },
  { NULL }
};

static LatticeWindow *
ensure_window (LatticeApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (lattice_window_new (ADW_APPLICATION (self)));
  gtk_window_present (window);
  return LATTICE_WINDOW (window);
}

static gboolean
parse_source (const char         *text,
              LatticeMediaSource *source)
{
  if (text == NULL)
    return TRUE;
  if (g_str_equal (text, "test"))
    *source = LATTICE_MEDIA_SOURCE_TEST;
  else if (g_str_equal (text, "none"))
    *source = LATTICE_MEDIA_SOURCE_NONE;
  else if (g_str_equal (text, "device"))
    *source = LATTICE_MEDIA_SOURCE_DEVICE;
  else
    return FALSE;
  return TRUE;
}

static int
lattice_application_command_line (GApplication            *application,
                                  GApplicationCommandLine *command_line)
{
  LatticeApplication *self = LATTICE_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *video = NULL, *audio = NULL;
  g_autofree const char **links = NULL;
  gboolean host = FALSE;
  LatticeWindow *window;

  g_variant_dict_lookup (options, "video", "&s", &video);
  g_variant_dict_lookup (options, "audio", "&s", &audio);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &links);
  g_variant_dict_lookup (options, "host", "b", &host);
  if (!parse_source (video, &self->video_source) || !parse_source (audio, &self->audio_source))
    {
      g_application_command_line_printerr (command_line, "%s\n", _("A source is one of: device, test, none"));
      return EXIT_FAILURE;
    }

  window = ensure_window (self);
  /* Several links: the last one wins, as each asks to leave the previous. */
  for (guint i = 0; links != NULL && links[i] != NULL; i++)
    lattice_window_open_link (window, links[i]);
  if (host && !lattice_window_get_in_call (window))
    lattice_window_host (window);
  return EXIT_SUCCESS;
}

static void
lattice_application_open (GApplication  *application,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  LatticeWindow *window = ensure_window (LATTICE_APPLICATION (application));

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      lattice_window_open_link (window, uri);
    }
}

static void
lattice_application_activate (GApplication *application)
{
  ensure_window (LATTICE_APPLICATION (application));
}

/* --- leaving and quitting ---------------------------------------------- */

static gboolean
quit_now (gpointer data)
{
  LatticeApplication *self = data;

  self->quit_id = 0;
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* Leaves every call, then quits a moment later. */
static void
leave_and_quit (LatticeApplication *self)
{
  gboolean was_in_call = FALSE;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (LATTICE_IS_WINDOW (l->data) && lattice_window_get_in_call (l->data))
      {
        lattice_window_leave (l->data);
        was_in_call = TRUE;
      }
  if (self->quit_id == 0)
    self->quit_id = g_timeout_add (was_in_call ? QUIT_GRACE_MS : 0, quit_now, self);
}

static gboolean
on_quit_signal (gpointer data)
{
  g_message ("Signal received: leaving and quitting");
  leave_and_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_after (gpointer data)
{
  LatticeApplication *self = data;

  self->quit_after_id = 0;
  leave_and_quit (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_snapshot_signal (gpointer data)
{
  LatticeApplication *self = data;

  if (self->debug_report != NULL)
    lattice_debug_report_request_snapshot (self->debug_report);
  return G_SOURCE_CONTINUE;
}

/* --- actions ----------------------------------------------------------- */

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  leave_and_quit (user_data);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (user_data);

  gtk_window_present (GTK_WINDOW (lattice_preferences_window_new (parent)));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  static const char *developers[] = { "The Lattice developers", NULL };
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "transient-for", gtk_application_get_active_window (user_data),
                "application-name", _("Lattice"),
                "application-icon", APP_ID,
                "version", VERSION,
                "comments", _("Small video meetings, peer to peer"),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "website", "https://github.com/latticecall/lattice",
                /* Translators: your name, shown in the About window */
                "translator-credits", _("translator-credits"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
};

static void
set_accels (GtkApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.microphone", { "<Control>d", NULL } },
    { "win.camera", { "<Control>e", NULL } },
    { "win.copy-invite", { "<Control><Shift>c", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

/* Debug hook for tests, see lattice-debug-report.h: LATTICE_DEBUG_REPORT
 * writes reports and SIGUSR1 snapshots; LATTICE_DEBUG_QUIT_AFTER=SECONDS
 * leaves and quits by itself. SIGTERM and SIGINT always leave, then quit. */
static void
setup_debug_hooks (LatticeApplication *self)
{
  const char *prefix = g_getenv ("LATTICE_DEBUG_REPORT");
  const char *quit_after = g_getenv ("LATTICE_DEBUG_QUIT_AFTER");

  if (prefix != NULL && prefix[0] != '\0')
    {
      self->debug_report = lattice_debug_report_new (GTK_APPLICATION (self), prefix);
      self->sigusr1_id = g_unix_signal_add (SIGUSR1, on_snapshot_signal, self);
    }
  if (quit_after != NULL && g_ascii_strtoull (quit_after, NULL, 10) > 0)
    self->quit_after_id = g_timeout_add_seconds (g_ascii_strtoull (quit_after, NULL, 10), on_quit_after, self);
}

static void
lattice_application_startup (GApplication *application)
{
  LatticeApplication *self = LATTICE_APPLICATION (application);

  G_APPLICATION_CLASS (lattice_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  set_accels (GTK_APPLICATION (self));
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, self);
  self->sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, self);
  setup_debug_hooks (self);
  /* The DTLS key takes a quarter of a second or more: made now, it is
   * ready long before the first call connects. */
  lattice_media_prepare ();
}

static void
lattice_application_shutdown (GApplication *application)
{
  LatticeApplication *self = LATTICE_APPLICATION (application);

  /* The DTLS key's thread (made at startup) must not run into exit(). */
  lattice_media_wait_prepared ();
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigusr1_id, g_source_remove);
  g_clear_handle_id (&self->quit_after_id, g_source_remove);
  g_clear_handle_id (&self->quit_id, g_source_remove);
  g_clear_object (&self->debug_report);
  if (self->server != NULL)
    lattice_signal_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->server_fingerprint, g_free);

  G_APPLICATION_CLASS (lattice_application_parent_class)->shutdown (application);
}

static void
lattice_application_class_init (LatticeApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = lattice_application_startup;
  app_class->shutdown = lattice_application_shutdown;
  app_class->activate = lattice_application_activate;
  app_class->open = lattice_application_open;
  app_class->command_line = lattice_application_command_line;
}

static void
lattice_application_init (LatticeApplication *self)
{
  const char *test_sources = g_getenv ("LATTICE_TEST_SOURCES");

  self->video_source = LATTICE_MEDIA_SOURCE_DEVICE;
  self->audio_source = LATTICE_MEDIA_SOURCE_DEVICE;
  if (test_sources != NULL && g_str_equal (test_sources, "1"))
    self->video_source = self->audio_source = LATTICE_MEDIA_SOURCE_TEST;

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

LatticeApplication *
lattice_application_new (void)
{
  /* One resource path for both profiles, not one derived from the .Devel id. */
  return g_object_new (LATTICE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/latticecall/Lattice",
                       NULL);
}

LatticeMediaSource
lattice_application_get_video_source (LatticeApplication *self)
{
  g_return_val_if_fail (LATTICE_IS_APPLICATION (self), LATTICE_MEDIA_SOURCE_NONE);

  return self->video_source;
}

LatticeMediaSource
lattice_application_get_audio_source (LatticeApplication *self)
{
  g_return_val_if_fail (LATTICE_IS_APPLICATION (self), LATTICE_MEDIA_SOURCE_NONE);

  return self->audio_source;
}

/* The certificate is kept between runs so the links already shared stay
 * valid. Without one the room is still hosted, over plain ws: hosting must
 * not fail for lack of encryption, and the window tells the user. */
static void
use_certificate (LatticeApplication  *self,
                 LatticeSignalServer *server)
{
  g_autofree char *directory = g_build_filename (g_get_user_data_dir (), "lattice", NULL);
  g_autofree char *lan = lattice_lan_address_dup ();
  const char *lan_ips[] = { lan, NULL };
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;

  certificate = lattice_certificate_load_or_create (directory, NULL, lan != NULL ? lan_ips : NULL, &error);
  if (certificate == NULL)
    {
      g_message ("Hosting without TLS, the invite link is unencrypted: %s", error->message);
      return;
    }
  g_object_set (server, "tls-certificate", certificate, NULL);
  g_free (self->server_fingerprint);
  self->server_fingerprint = lattice_certificate_get_fingerprint (certificate);
}

guint
lattice_application_ensure_server (LatticeApplication  *self,
                                   GError             **error)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(LatticeSignalServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  guint port;

  g_return_val_if_fail (LATTICE_IS_APPLICATION (self), 0);

  if (self->server != NULL)
    return lattice_signal_server_get_port (self->server);

  settings = g_settings_new (LATTICE_SETTINGS_SCHEMA);
  port = g_settings_get_uint (settings, "host-port");
  server = lattice_signal_server_new ();
  use_certificate (self, server);
  /* Every interface, so others on the LAN reach it; a busy port is no reason to fail. */
  if (!lattice_signal_server_listen (server, "0.0.0.0", port, &local_error))
    {
      g_message ("Port %u is not free (%s); hosting on another one", port, local_error->message);
      if (!lattice_signal_server_listen (server, "0.0.0.0", 0, error))
        return 0;
    }
  self->server = g_steal_pointer (&server);
  return lattice_signal_server_get_port (self->server);
}

const char *
lattice_application_get_server_fingerprint (LatticeApplication *self)
{
  g_return_val_if_fail (LATTICE_IS_APPLICATION (self), NULL);

  return self->server != NULL ? self->server_fingerprint : NULL;
}
