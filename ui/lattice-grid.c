/* lattice-grid.c: the tiles of a call, in equal 16:9 cells
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "LatticeUi"

#include "config.h"

#include "lattice-grid.h"
#include "lattice-grid-layout.h"
#include "lattice-tile.h"

#define SPACING LATTICE_GRID_SPACING
#define MIN_TILE_WIDTH 160
#define NAT_TILE_WIDTH 480

struct _LatticeGrid
{
  GtkWidget parent_instance;

  GListModel *model;
  GPtrArray *tiles;   /* LatticeTile, in the model's order */
};

G_DEFINE_FINAL_TYPE (LatticeGrid, lattice_grid, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_TILE_VIEW,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The size a tile was last reported at, packed (see report_view()). */
#define VIEW_KEY "lattice-grid-view"

/* Tells whoever listens how large a tile's participant is shown now, in
 * device pixels, when that changed. */
static void
report_view (LatticeGrid *self, GtkWidget *tile, int width, int height)
{
  LatticeParticipant *participant = lattice_tile_get_participant (LATTICE_TILE (tile));
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  guint w, h, packed;

#if GTK_CHECK_VERSION (4, 12, 0)
  {
    GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
    GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;

    /* fractional scaling: the surface knows the real factor */
    if (surface != NULL)
      scale = gdk_surface_get_scale (surface);
  }
#endif
  w = (guint) CLAMP (width * scale + 0.5, 0, 0xffff);
  h = (guint) CLAMP (height * scale + 0.5, 0, 0xffff);
  packed = w << 16 | h;
  if (participant == NULL ||
      GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (tile), VIEW_KEY)) == packed)
    return;
  g_object_set_data (G_OBJECT (tile), VIEW_KEY, GUINT_TO_POINTER (packed));
  g_signal_emit (self, signals[SIGNAL_TILE_VIEW], 0, participant, w, h);
}

static void
on_items_changed (LatticeGrid *self,
                  guint        position,
                  guint        removed,
                  guint        added)
{
  for (guint i = 0; i < removed; i++)
    gtk_widget_unparent (g_ptr_array_index (self->tiles, position + i));
  g_ptr_array_remove_range (self->tiles, position, removed);

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (self->model, position + i);
      GtkWidget *tile = lattice_tile_new ((LatticeParticipant *) item);
      GtkWidget *sibling = position + i > 0 ? g_ptr_array_index (self->tiles, position + i - 1) : NULL;

      gtk_widget_insert_after (tile, GTK_WIDGET (self), sibling);
      g_ptr_array_insert (self->tiles, position + i, tile);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
lattice_grid_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  LatticeGrid *self = LATTICE_GRID (widget);
  guint columns, rows;
  guint count;

  lattice_grid_layout_shape (MAX (self->tiles->len, 1), TRUE, &columns, &rows);
  count = orientation == GTK_ORIENTATION_HORIZONTAL ? columns : rows;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MIN_TILE_WIDTH;
      *natural = count * NAT_TILE_WIDTH + (count - 1) * SPACING;
    }
  else
    {
      *minimum = MIN_TILE_WIDTH * 9 / 16;
      *natural = count * NAT_TILE_WIDTH * 9 / 16 + (count - 1) * SPACING;
    }
}

/* Equal cells as large as fit while keeping 16:9; a short last row is centred. */
static void
lattice_grid_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  LatticeGrid *self = LATTICE_GRID (widget);
  guint n = self->tiles->len;
  g_autofree LatticeGridCell *cells = g_new (LatticeGridCell, MAX (n, 1));

  lattice_grid_layout_cells (n, width, height, cells);
  for (guint i = 0; i < n; i++)
    {
      GtkAllocation alloc = { cells[i].x, cells[i].y, cells[i].width, cells[i].height };

      gtk_widget_size_allocate (g_ptr_array_index (self->tiles, i), &alloc, -1);
      report_view (self, g_ptr_array_index (self->tiles, i), alloc.width, alloc.height);
    }
}

static void
clear_model (LatticeGrid *self)
{
  if (self->model == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->model, self);
  on_items_changed (self, 0, self->tiles->len, 0);
  g_clear_object (&self->model);
}

static void
lattice_grid_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LatticeGrid *self = LATTICE_GRID (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_grid_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LatticeGrid *self = LATTICE_GRID (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      lattice_grid_set_model (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_grid_dispose (GObject *object)
{
  LatticeGrid *self = LATTICE_GRID (object);

  clear_model (self);

  G_OBJECT_CLASS (lattice_grid_parent_class)->dispose (object);
}

static void
lattice_grid_finalize (GObject *object)
{
  LatticeGrid *self = LATTICE_GRID (object);

  g_clear_pointer (&self->tiles, g_ptr_array_unref);

  G_OBJECT_CLASS (lattice_grid_parent_class)->finalize (object);
}

static void
lattice_grid_class_init (LatticeGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lattice_grid_get_property;
  object_class->set_property = lattice_grid_set_property;
  object_class->dispose = lattice_grid_dispose;
  object_class->finalize = lattice_grid_finalize;
  widget_class->measure = lattice_grid_measure;
  widget_class->size_allocate = lattice_grid_size_allocate;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* tile-view (LatticeParticipant *participant, guint width, guint height):
   * a tile's size changed, in device pixels. */
  signals[SIGNAL_TILE_VIEW] =
    g_signal_new ("tile-view", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, LATTICE_TYPE_PARTICIPANT, G_TYPE_UINT, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "grid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lattice_grid_init (LatticeGrid *self)
{
  self->tiles = g_ptr_array_new ();
}

GtkWidget *
lattice_grid_new (void)
{
  return g_object_new (LATTICE_TYPE_GRID, NULL);
}

GListModel *
lattice_grid_get_model (LatticeGrid *self)
{
  g_return_val_if_fail (LATTICE_IS_GRID (self), NULL);

  return self->model;
}

void
lattice_grid_set_model (LatticeGrid *self,
                        GListModel  *model)
{
  g_return_if_fail (LATTICE_IS_GRID (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  clear_model (self);
  if (model != NULL)
    {
      self->model = g_object_ref (model);
      g_signal_connect_object (model, "items-changed",
                               G_CALLBACK (on_items_changed), self, G_CONNECT_SWAPPED);
      on_items_changed (self, 0, 0, g_list_model_get_n_items (model));
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

guint
lattice_grid_get_n_tiles (LatticeGrid *self)
{
  g_return_val_if_fail (LATTICE_IS_GRID (self), 0);

  return self->tiles->len;
}

GtkWidget *
lattice_grid_get_tile (LatticeGrid *self,
                       guint        position)
{
  g_return_val_if_fail (LATTICE_IS_GRID (self), NULL);
  g_return_val_if_fail (position < self->tiles->len, NULL);

  return g_ptr_array_index (self->tiles, position);
}
