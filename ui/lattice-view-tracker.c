/* lattice-view-tracker.c: tells the call how large each participant is shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include "lattice-view-tracker.h"

struct _LatticeViewTracker
{
  GObject parent_instance;

  GtkWindow   *window;    /* weak */
  LatticeGrid *grid;      /* weak */
  LatticeCall *call;
  GdkSurface  *surface;   /* the window's, while realized */
  gboolean     hidden;
};

G_DEFINE_FINAL_TYPE (LatticeViewTracker, lattice_view_tracker, G_TYPE_OBJECT)

static void
on_tile_view (LatticeGrid        *grid,
              LatticeParticipant *participant,
              guint               width,
              guint               height,
              LatticeViewTracker *self)
{
  if (self->call == NULL || lattice_participant_get_is_self (participant))
    return;
  lattice_call_set_view (self->call, lattice_participant_get_id (participant), width, height);
}

static gboolean
surface_hidden (GdkSurface *surface)
{
  GdkToplevelState state;

  if (surface == NULL || !GDK_IS_TOPLEVEL (surface))
    return FALSE;
  state = gdk_toplevel_get_state (GDK_TOPLEVEL (surface));
#if GTK_CHECK_VERSION (4, 12, 0)
  /* the compositor says nothing of it is visible (another workspace, covered) */
  if (state & GDK_TOPLEVEL_STATE_SUSPENDED)
    return TRUE;
#endif
  return (state & GDK_TOPLEVEL_STATE_MINIMIZED) != 0;
}

static void
update_hidden (LatticeViewTracker *self)
{
  gboolean hidden = self->window == NULL ||
                    !gtk_widget_get_mapped (GTK_WIDGET (self->window)) ||
                    surface_hidden (self->surface);

  if (hidden != self->hidden)
    {
      self->hidden = hidden;
      g_debug ("Window %s", hidden ? "out of sight: no video wanted" : "in sight again");
    }
  if (self->call != NULL)
    lattice_call_set_video_hidden (self->call, hidden);
}

static void
watch_surface (LatticeViewTracker *self)
{
  GdkSurface *surface = self->window ? gtk_native_get_surface (GTK_NATIVE (self->window)) : NULL;

  if (surface != self->surface)
    {
      if (self->surface != NULL)
        g_signal_handlers_disconnect_by_data (self->surface, self);
      g_set_object (&self->surface, surface);
      if (surface != NULL)
        g_signal_connect_object (surface, "notify::state", G_CALLBACK (update_hidden), self, G_CONNECT_SWAPPED);
    }
  update_hidden (self);
}

static void
lattice_view_tracker_dispose (GObject *object)
{
  LatticeViewTracker *self = LATTICE_VIEW_TRACKER (object);

  if (self->surface != NULL)
    g_signal_handlers_disconnect_by_data (self->surface, self);
  g_clear_object (&self->surface);
  g_clear_object (&self->call);
  g_clear_weak_pointer (&self->window);
  g_clear_weak_pointer (&self->grid);

  G_OBJECT_CLASS (lattice_view_tracker_parent_class)->dispose (object);
}

static void
lattice_view_tracker_class_init (LatticeViewTrackerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lattice_view_tracker_dispose;
}

static void
lattice_view_tracker_init (LatticeViewTracker *self)
{
}

LatticeViewTracker *
lattice_view_tracker_new (GtkWindow   *window,
                          LatticeGrid *grid)
{
  LatticeViewTracker *self = g_object_new (LATTICE_TYPE_VIEW_TRACKER, NULL);

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (LATTICE_IS_GRID (grid), NULL);

  g_set_weak_pointer (&self->window, window);
  g_set_weak_pointer (&self->grid, grid);
  g_signal_connect_object (grid, "tile-view", G_CALLBACK (on_tile_view), self, 0);
  g_signal_connect_object (window, "realize", G_CALLBACK (watch_surface), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (window, "map", G_CALLBACK (watch_surface), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (window, "unmap", G_CALLBACK (update_hidden), self, G_CONNECT_SWAPPED);
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    watch_surface (self);
  return self;
}

void
lattice_view_tracker_set_call (LatticeViewTracker *self,
                               LatticeCall        *call)
{
  g_return_if_fail (LATTICE_IS_VIEW_TRACKER (self));
  g_return_if_fail (call == NULL || LATTICE_IS_CALL (call));

  if (!g_set_object (&self->call, call))
    return;
  if (call != NULL)
    lattice_call_set_video_hidden (call, self->hidden);
}

gboolean
lattice_view_tracker_get_hidden (LatticeViewTracker *self)
{
  g_return_val_if_fail (LATTICE_IS_VIEW_TRACKER (self), FALSE);
  return self->hidden;
}
