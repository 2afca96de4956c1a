/* lattice-media.c: what media/ shares: errors, plugin checks, the DTLS key, main-context hops
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/gst.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lattice-media.h"
#include "lattice-media-private.h"

G_DEFINE_QUARK (lattice-media-error-quark, lattice_media_error)

/* Plugins. */

static const LatticeMediaPlugin call_plugins[] = {
  { "webrtcbin", "gstreamer1.0-plugins-bad" },
  { "dtlssrtpenc", "gstreamer1.0-plugins-bad" },
  { "dtlssrtpdec", "gstreamer1.0-plugins-bad" },
  { "srtpenc", "gstreamer1.0-plugins-bad" },
  { "srtpdec", "gstreamer1.0-plugins-bad" },
  { "nicesrc", "gstreamer1.0-nice" },
  { "nicesink", "gstreamer1.0-nice" },
  { "rtpbin", "gstreamer1.0-plugins-good" },
  { "queue", "libgstreamer1.0-0" },
  { "tee", "libgstreamer1.0-0" },
  { "valve", "libgstreamer1.0-0" },
  { "fakesink", "libgstreamer1.0-0" },
};

static const LatticeMediaPlugin video_plugins[] = {
  { "vp8enc", "gstreamer1.0-plugins-good" },
  { "vp8dec", "gstreamer1.0-plugins-good" },
  { "rtpvp8pay", "gstreamer1.0-plugins-good" },
  { "rtpvp8depay", "gstreamer1.0-plugins-good" },
  { "videotestsrc", "gstreamer1.0-plugins-base" },
  { "videoconvert", "gstreamer1.0-plugins-base" },
  { "videoscale", "gstreamer1.0-plugins-base" },
  { "videorate", "gstreamer1.0-plugins-base" },
};

static const LatticeMediaPlugin audio_plugins[] = {
  { "opusenc", "gstreamer1.0-plugins-base" },
  { "opusdec", "gstreamer1.0-plugins-base" },
  { "rtpopuspay", "gstreamer1.0-plugins-good" },
  { "rtpopusdepay", "gstreamer1.0-plugins-good" },
  { "level", "gstreamer1.0-plugins-good" },
  { "audiotestsrc", "gstreamer1.0-plugins-base" },
  { "audioconvert", "gstreamer1.0-plugins-base" },
  { "audioresample", "gstreamer1.0-plugins-base" },
};

static const LatticeMediaPlugin echo_plugins[] = {
  { "webrtcdsp", "gstreamer1.0-plugins-bad" },
  { "webrtcechoprobe", "gstreamer1.0-plugins-bad" },
};

static void
collect_missing (const LatticeMediaPlugin *plugins, gsize n_plugins,
                 GString *elements, GPtrArray *packages)
{
  for (gsize i = 0; i < n_plugins; i++)
    {
      g_autoptr(GstElementFactory) factory = gst_element_factory_find (plugins[i].factory);

      if (factory != NULL)
        continue;
      g_string_append_printf (elements, "%s%s", elements->len ? ", " : "", plugins[i].factory);
      if (!g_ptr_array_find_with_equal_func (packages, plugins[i].package, g_str_equal, NULL))
        g_ptr_array_add (packages, (gpointer) plugins[i].package);
    }
}

gboolean
lattice_media_check_factories (const LatticeMediaPlugin *plugins,
                               gsize                     n_plugins,
                               GError                  **error)
{
  g_autoptr(GString) elements = g_string_new (NULL);
  g_autoptr(GPtrArray) packages = g_ptr_array_new ();
  g_autofree char *package_list = NULL;

  collect_missing (plugins, n_plugins, elements, packages);
  if (elements->len == 0)
    return TRUE;
  g_ptr_array_add (packages, NULL);
  package_list = g_strjoinv (" ", (char **) packages->pdata);
  g_set_error (error, LATTICE_MEDIA_ERROR, LATTICE_MEDIA_ERROR_MISSING_PLUGIN,
               _("Some GStreamer elements are missing (%s). Install these packages: %s"),
               elements->str, package_list);
  return FALSE;
}

void
lattice_media_invoke (GMainContext   *context,
                      GSourceFunc     func,
                      gpointer        data,
                      GDestroyNotify  destroy)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[lattice] media invoke");
  g_source_attach (source, context);
}

gboolean
lattice_media_check_plugins (gboolean   need_video,
                             gboolean   need_audio,
                             GError   **error)
{
  g_autoptr(GArray) plugins = g_array_new (FALSE, FALSE, sizeof (LatticeMediaPlugin));

  g_array_append_vals (plugins, call_plugins, G_N_ELEMENTS (call_plugins));
  if (need_video)
    g_array_append_vals (plugins, video_plugins, G_N_ELEMENTS (video_plugins));
  if (need_audio)
    g_array_append_vals (plugins, audio_plugins, G_N_ELEMENTS (audio_plugins));
  return lattice_media_check_factories ((LatticeMediaPlugin *) plugins->data, plugins->len, error);
}

static GMutex key_lock;
static GCond key_cond;
static gboolean key_ready;

static gpointer
make_certificate (gpointer data)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GstElement) dtls = gst_element_factory_make ("dtlsdec", NULL);

  /* dtlsdec makes its key when it is created and keeps it for the process. */
  if (dtls != NULL)
    g_debug ("DTLS certificate ready in %" G_GINT64_FORMAT " ms",
             (g_get_monotonic_time () - start) / 1000);
  g_mutex_lock (&key_lock);
  key_ready = TRUE;
  g_cond_broadcast (&key_cond);
  g_mutex_unlock (&key_lock);
  return NULL;
}

/* webrtcbin 1.22 uses one generated DTLS certificate (an RSA key) for every
 * connection of the process, made when the first connection is set up: a
 * quarter of a second or more, spent while a newcomer waits for everyone's
 * video. Made ahead, on its own thread, the first connection only picks it up. */
void
lattice_media_prepare (void)
{
  static gsize started = 0;

  if (g_once_init_enter (&started))
    {
#ifdef __GLIBC__
      /* Once per process too, before any peer: glibc raises its mmap
       * threshold to the size of any mapped block that is freed (up to
       * 32 MiB), so after a first peer has left, the next peers' large blocks
       * (codec frame buffers, hundreds of KiB) come from the arenas instead
       * and leave holes there when those peers leave in turn. Fixed at glibc's
       * initial 128 KiB, they keep their own mappings, returned whole on free.
       * The price, an mmap and munmap per such block, is paid when a peer
       * comes and goes: buffer pools reuse their buffers while media flows. */
      mallopt (M_MMAP_THRESHOLD, 128 * 1024);
#endif
      g_thread_unref (g_thread_new ("lattice-dtls-key", make_certificate, NULL));
      g_once_init_leave (&started, 1);
    }
}

void
lattice_media_wait_prepared (void)
{
  lattice_media_prepare ();
  g_mutex_lock (&key_lock);
  while (!key_ready)
    g_cond_wait (&key_cond, &key_lock);
  g_mutex_unlock (&key_lock);
}

gboolean
lattice_media_check_echo_plugins (GError **error)
{
  return lattice_media_check_factories (echo_plugins, G_N_ELEMENTS (echo_plugins), error);
}

GstElement *
lattice_media_make_element (const char *factory,
                            const char *name)
{
  GstElement *element = gst_element_factory_make (factory, name);

  /* lattice_media_check_plugins() ran before anything is built, so this
   * is a broken install. */
  g_assert (element != NULL);
  return element;
}

GstElement *
lattice_media_make_tee (const char *name)
{
  GstElement *tee = lattice_media_make_element ("tee", name);

  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  return tee;
}

gulong
lattice_media_add_probe (GstElement          *element,
                         const char          *pad_name,
                         GstPadProbeType      type,
                         GstPadProbeCallback  func,
                         gpointer             user_data)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);

  return gst_pad_add_probe (pad, type, func, user_data, NULL);
}
