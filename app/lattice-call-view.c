/* lattice-call-view.c: how large this end shows each participant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The UI (its tiles) or lattice-peer (its --view grid) says how large each
 * remote participant is shown; the call passes it to that participant's
 * connection, which asks the sender for no more than that
 * (lattice_peer_connection_set_view()). Sizes settle for VIEW_SETTLE_MS
 * first: a window being resized crosses a layer's threshold many times,
 * and each switch up costs the sender a keyframe. A hidden window
 * (minimized) shows nobody: every view is 0×0 until it is back.
 */
#define G_LOG_DOMAIN "LatticeApp"

#include "config.h"

#include "lattice-call-private.h"

#define VIEW_SETTLE_MS 150

static guint
pack (guint width, guint height)
{
  return MIN (width, 0xffff) << 16 | MIN (height, 0xffff);
}

static void
apply_view (LatticeCall *self, const char *id, LatticePeerConnection *peer)
{
  gpointer packed = GUINT_TO_POINTER (0);

  if (!self->video_hidden && !g_hash_table_lookup_extended (self->views, id, NULL, &packed))
    return;   /* never said: the sender sends what the link allows */
  lattice_peer_connection_set_view (peer, GPOINTER_TO_UINT (packed) >> 16,
                                    GPOINTER_TO_UINT (packed) & 0xffff);
}

static gboolean
settle_cb (gpointer data)
{
  LatticeCall *self = data;
  g_autoptr(GList) peers = NULL;

  g_clear_pointer (&self->view_settle, g_source_unref);
  if (self->engine == NULL)
    return G_SOURCE_REMOVE;
  peers = lattice_media_engine_get_peers (self->engine);
  for (GList *l = peers; l != NULL; l = l->next)
    apply_view (self, lattice_peer_connection_get_id (l->data), l->data);
  return G_SOURCE_REMOVE;
}

static void
schedule_settle (LatticeCall *self, guint delay_ms)
{
  if (self->view_settle != NULL)
    {
      /* a new change restarts the wait */
      g_source_destroy (self->view_settle);
      g_clear_pointer (&self->view_settle, g_source_unref);
    }
  self->view_settle = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->view_settle, settle_cb, self, NULL);
  g_source_set_static_name (self->view_settle, "[lattice] view settle");
  g_source_attach (self->view_settle, g_main_context_get_thread_default ());
}

void
lattice_call_view_init (LatticeCall *self)
{
  self->views = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
lattice_call_view_clear (LatticeCall *self)
{
  if (self->view_settle != NULL)
    g_source_destroy (self->view_settle);
  g_clear_pointer (&self->view_settle, g_source_unref);
  g_clear_pointer (&self->views, g_hash_table_unref);
}

void
lattice_call_view_peer_added (LatticeCall           *self,
                              LatticePeerConnection *peer)
{
  /* before the first offer: the first RTCP already carries it */
  apply_view (self, lattice_peer_connection_get_id (peer), peer);
}

void
lattice_call_view_forget (LatticeCall *self,
                          const char  *id)
{
  g_hash_table_remove (self->views, id);
}

void
lattice_call_set_view (LatticeCall *self,
                       const char  *participant_id,
                       guint        width,
                       guint        height)
{
  guint packed;
  gpointer old;

  g_return_if_fail (LATTICE_IS_CALL (self));
  g_return_if_fail (participant_id != NULL);

  if (width == 0 || height == 0)
    width = height = 0;
  packed = pack (width, height);
  if (g_hash_table_lookup_extended (self->views, participant_id, NULL, &old) &&
      GPOINTER_TO_UINT (old) == packed)
    return;
  g_hash_table_insert (self->views, g_strdup (participant_id), GUINT_TO_POINTER (packed));
  schedule_settle (self, VIEW_SETTLE_MS);
}

void
lattice_call_set_video_hidden (LatticeCall *self,
                               gboolean     hidden)
{
  g_return_if_fail (LATTICE_IS_CALL (self));

  hidden = !!hidden;
  if (self->video_hidden == (guint) hidden)
    return;
  self->video_hidden = hidden;
  g_debug ("Video %s", hidden ? "hidden: asking for none" : "shown again");
  /* at once: minimizing and restoring are no resize in progress */
  schedule_settle (self, 0);
}

gboolean
lattice_call_get_video_hidden (LatticeCall *self)
{
  g_return_val_if_fail (LATTICE_IS_CALL (self), FALSE);
  return self->video_hidden;
}
