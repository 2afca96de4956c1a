/* lattice-test-source.c: a synthetic camera for tests and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * videotestsrc does what it does well here: it is live (or not), follows the
 * clock, negotiates any size and rate, and numbers its frames. Its patterns
 * are no camera, though: flat ones cost an encoder nothing, and the busy
 * ones (snow, zone plates) are either noise or one global chirp. So it makes
 * black I420 frames (a copy of a cached one, nearly free) and a pad probe
 * paints the scene over each; a videoconvert after it makes other formats.
 *
 * The scene lives in world units (the frame's height is 1) and is rendered
 * once per negotiation, at the negotiated resolution, into layers: the
 * background (wall, bookshelf, a picture, a window with blinds), a torso, a
 * head and a hand, each with its own alpha. Every frame then resamples the
 * layers bilinearly through a camera that pans and zooms slowly while the
 * figure sways, nods and gestures, draws a talking mouth and blinking eyes,
 * and adds drifting light and sensor noise. Nothing is ever upscaled: layers
 * have the resolution the most zoomed-in view needs, and texture reaches
 * down to a few pixels at any size, as a camera's does.
 *
 * All randomness comes from hashes of fixed seeds, the frame number and
 * pixel positions, so frame N is the same in every run and every process.
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "lattice-test-source.h"

#define GENERATOR_NAME "generator"

/* Sensor noise is read from a table at a random offset per row and frame:
 * cheaper than hashing every pixel, and just as unpredictable to an encoder. */
#define NOISE_LENGTH 65536

/* Inner loops of this many pixels (see lerp_rows), and the padding after
 * every plane and scratch row that lets the last one overrun. */
#define BLOCK 16

/* ------------------------------------------------------------------ */
/* Deterministic randomness                                           */

static inline guint32
hash32 (guint32 x)
{
  /* lowbias32 (Chris Wellons): good avalanche for two multiplications */
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static inline guint32
hash3 (guint32 a,
       guint32 b,
       guint32 c)
{
  return hash32 (a ^ hash32 (b ^ hash32 (c)));
}

/* Uniform in [0, 1). */
static inline double
unit3 (guint32 a,
       guint32 b,
       guint32 c)
{
  return hash3 (a, b, c) / 4294967296.0;
}

/* A sequence of uniform numbers in [0, 1) from one seed. */
typedef struct {
  guint32 seed;
  guint32 index;
} Dice;

static double
dice_roll (Dice *dice)
{
  return unit3 (dice->seed, dice->index++, 0x5eed);
}

static double
dice_range (Dice   *dice,
            double  low,
            double  high)
{
  return low + (high - low) * dice_roll (dice);
}

/* Uniform in [0, 1) at a lattice point: one hash, not three, since the
 * textures call it millions of times per negotiation. */
static inline double
lattice (guint32 seed,
         guint32 x,
         guint32 y)
{
  return hash32 (x * 0x8da6b343u + y * 0xd8163841u + seed * 0xcb1ab31fu) / 4294967296.0;
}

/* Value noise in [-1, 1]: random values on the integer lattice, smoothly
 * interpolated. */
static double
value_noise (guint32 seed,
             double  x,
             double  y)
{
  double fx = floor (x), fy = floor (y);
  guint32 ix = (guint32) (gint32) fx, iy = (guint32) (gint32) fy;
  double tx = x - fx, ty = y - fy;
  double a = lattice (seed, ix, iy), b = lattice (seed, ix + 1, iy);
  double c = lattice (seed, ix, iy + 1), d = lattice (seed, ix + 1, iy + 1);

  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  return 2 * (a + (b - a) * tx + (c - a + (a - b - c + d) * tx) * ty) - 1;
}

/* Octaves of value noise from @wavelength down to @finest (world units),
 * each half as strong as the one before; roughly in [-1, 1]. */
static double
fractal_noise (guint32 seed,
               double  x,
               double  y,
               double  wavelength,
               double  finest)
{
  double sum = 0, amplitude = 1, total = 0;

  for (guint octave = 0; wavelength >= finest && octave < 8; octave++)
    {
      sum += amplitude * value_noise (seed + octave, x / wavelength, y / wavelength);
      total += amplitude;
      amplitude /= 2;
      wavelength /= 2;
    }
  return total > 0 ? sum / total : 0;
}

static double
wave (double t,
      double period,
      double phase)
{
  return sin (2 * G_PI * t / period + phase);
}

/* ------------------------------------------------------------------ */
/* Rendering the layers, once per negotiation                         */

typedef struct {
  double y, u, v;
  double alpha;  /* opacity of what the shader paints, 0 to 1 */
} Color;

/* What a shape looks like at world point (x, y). */
typedef Color (*Shader) (gconstpointer data,
                         double        x,
                         double        y);

/* Full-resolution Y, U, V and alpha while shapes are painted in. */
typedef struct {
  guint8 *y, *u, *v, *alpha;
  int width, height;         /* even, so that chroma halves exactly */
  double origin_x, origin_y; /* world position of the top-left corner */
  double density;            /* pixels per world unit */
  double pixel;              /* one pixel in world units */
} Canvas;

typedef struct {
  guint8 *data;
  int width, height;  /* the stride is the width */
} Plane;

/* What a frame samples: premultiplied Y, U and V (chroma at half
 * resolution), and alpha at both resolutions unless the layer is opaque. */
typedef struct {
  Plane y, u, v, alpha, alpha_half;
  double origin_x, origin_y, density;
} Layer;

static void
canvas_init (Canvas *canvas,
             double  x0,
             double  y0,
             double  x1,
             double  y1,
             double  density,
             guint8  alpha)
{
  gsize size;

  canvas->density = density;
  canvas->pixel = 1 / density;
  canvas->width = 2 * (int) ceil ((x1 - x0) * density / 2 + 1);
  canvas->height = 2 * (int) ceil ((y1 - y0) * density / 2 + 1);
  /* centred on the requested area, which it may exceed by a pixel or two */
  canvas->origin_x = (x0 + x1) / 2 - canvas->width / (2 * density);
  canvas->origin_y = (y0 + y1) / 2 - canvas->height / (2 * density);
  size = (gsize) canvas->width * canvas->height;
  /* Y and alpha become a layer's planes, padded */
  canvas->y = g_malloc0 (size + BLOCK);
  canvas->u = g_malloc (size);
  canvas->v = g_malloc (size);
  canvas->alpha = g_malloc0 (size + BLOCK);
  memset (canvas->u, 128, size);
  memset (canvas->v, 128, size);
  memset (canvas->alpha, alpha, size);
}

static void
canvas_blend (Canvas      *canvas,
              gsize        i,
              double       coverage,
              const Color *color)
{
  double a = coverage * color->alpha;

  /* all in [0, 255]: adding a half rounds */
  canvas->y[i] = (guint8) (canvas->y[i] + (CLAMP (color->y, 0, 255) - canvas->y[i]) * a + 0.5);
  canvas->u[i] = (guint8) (canvas->u[i] + (CLAMP (color->u, 0, 255) - canvas->u[i]) * a + 0.5);
  canvas->v[i] = (guint8) (canvas->v[i] + (CLAMP (color->v, 0, 255) - canvas->v[i]) * a + 0.5);
  canvas->alpha[i] = (guint8) (canvas->alpha[i] + (255 - canvas->alpha[i]) * a + 0.5);
}

/* Overlap of pixel [p, p + 1) with [low, high), in canvas pixels. */
static double
overlap (int    p,
         double low,
         double high)
{
  return CLAMP (MIN (p + 1, high) - MAX (p, low), 0, 1);
}

/* An axis-aligned rectangle, its edges antialiased exactly. */
static void
paint_rect (Canvas        *canvas,
            double         x0,
            double         y0,
            double         x1,
            double         y1,
            Shader         shader,
            gconstpointer  data)
{
  double left = (x0 - canvas->origin_x) * canvas->density;
  double right = (x1 - canvas->origin_x) * canvas->density;
  double top = (y0 - canvas->origin_y) * canvas->density;
  double bottom = (y1 - canvas->origin_y) * canvas->density;
  int first_x = MAX (0, (int) floor (left)), last_x = MIN (canvas->width, (int) ceil (right));
  int first_y = MAX (0, (int) floor (top)), last_y = MIN (canvas->height, (int) ceil (bottom));

  for (int py = first_y; py < last_y; py++)
    {
      double cover_y = overlap (py, top, bottom);
      double wy = canvas->origin_y + (py + 0.5) * canvas->pixel;

      for (int px = first_x; px < last_x; px++)
        {
          double wx = canvas->origin_x + (px + 0.5) * canvas->pixel;
          Color color = shader (data, wx, wy);

          canvas_blend (canvas, (gsize) py * canvas->width + px, cover_y * overlap (px, left, right), &color);
        }
    }
}

/* An ellipse, antialiased over about a pixel from its distance estimate. */
static void
paint_ellipse (Canvas        *canvas,
               double         cx,
               double         cy,
               double         rx,
               double         ry,
               Shader         shader,
               gconstpointer  data)
{
  int first_x = MAX (0, (int) floor ((cx - rx - canvas->origin_x) * canvas->density) - 1);
  int last_x = MIN (canvas->width, (int) ceil ((cx + rx - canvas->origin_x) * canvas->density) + 1);
  int first_y = MAX (0, (int) floor ((cy - ry - canvas->origin_y) * canvas->density) - 1);
  int last_y = MIN (canvas->height, (int) ceil ((cy + ry - canvas->origin_y) * canvas->density) + 1);

  for (int py = first_y; py < last_y; py++)
    for (int px = first_x; px < last_x; px++)
      {
        double wx = canvas->origin_x + (px + 0.5) * canvas->pixel;
        double wy = canvas->origin_y + (py + 0.5) * canvas->pixel;
        double nx = (wx - cx) / rx, ny = (wy - cy) / ry;
        double gx = nx / rx, gy = ny / ry;
        /* (n² - 1) over its gradient: distance to the edge, in world units */
        double distance = (nx * nx + ny * ny - 1) / (2 * sqrt (gx * gx + gy * gy) + 1e-9);
        double coverage = CLAMP (0.5 - distance * canvas->density, 0, 1);
        Color color;

        if (coverage <= 0)
          continue;
        color = shader (data, wx, wy);
        canvas_blend (canvas, (gsize) py * canvas->width + px, coverage, &color);
      }
}

static Plane
plane_new (int width,
           int height)
{
  return (Plane) { g_malloc0 ((gsize) width * height + BLOCK), width, height };
}

static void
plane_clear (Plane *plane)
{
  g_clear_pointer (&plane->data, g_free);
}

/* Mean of each 2×2 block. */
static Plane
plane_halve (const guint8 *data,
             int           width,
             int           height)
{
  Plane half = plane_new (width / 2, height / 2);

  for (int y = 0; y < half.height; y++)
    for (int x = 0; x < half.width; x++)
      {
        const guint8 *p = data + (gsize) 2 * y * width + 2 * x;

        half.data[(gsize) y * half.width + x] = (guint8) ((p[0] + p[1] + p[width] + p[width + 1] + 2) / 4);
      }
  return half;
}

static void
premultiply (Plane       *plane,
             const Plane *alpha)
{
  gsize n = (gsize) plane->width * plane->height;

  for (gsize i = 0; i < n; i++)
    plane->data[i] = (guint8) ((plane->data[i] * alpha->data[i] + 127) / 255);
}

/* Turns a painted canvas into a layer, freeing the canvas. */
static void
layer_from_canvas (Layer    *layer,
                   Canvas   *canvas,
                   gboolean  opaque)
{
  int width = canvas->width, height = canvas->height;

  layer->origin_x = canvas->origin_x;
  layer->origin_y = canvas->origin_y;
  layer->density = canvas->density;
  layer->y = (Plane) { canvas->y, width, height };
  layer->u = plane_halve (canvas->u, width, height);
  layer->v = plane_halve (canvas->v, width, height);
  if (!opaque)
    {
      layer->alpha = (Plane) { canvas->alpha, width, height };
      layer->alpha_half = plane_halve (canvas->alpha, width, height);
      premultiply (&layer->y, &layer->alpha);
      premultiply (&layer->u, &layer->alpha_half);
      premultiply (&layer->v, &layer->alpha_half);
      canvas->alpha = NULL;
    }
  g_free (canvas->u);
  g_free (canvas->v);
  g_free (canvas->alpha);
  memset (canvas, 0, sizeof *canvas);
}

static void
layer_clear (Layer *layer)
{
  plane_clear (&layer->y);
  plane_clear (&layer->u);
  plane_clear (&layer->v);
  plane_clear (&layer->alpha);
  plane_clear (&layer->alpha_half);
}

/* ------------------------------------------------------------------ */
/* Shaders                                                            */

/* Fine texture stops at about this many pixels a period: what the optics
 * and demosaicing of a camera leave. */
#define FINEST_PIXELS 2.5

typedef struct {
  double pixel;  /* world units */
} Fine;

static double
fine_limit (const Fine *fine)
{
  return FINEST_PIXELS * fine->pixel;
}

static Color
shade_wall (gconstpointer data,
            double        x,
            double        y)
{
  const Fine *fine = data;
  double broad = fractal_noise (11, x, y, 0.4, 0.09);
  double grain = fractal_noise (12, x, y, 0.03, fine_limit (fine));

  /* light falls off towards the ceiling */
  return (Color) { 150 + 14 * broad + 6 * grain - 14 * CLAMP (-y, 0, 1), 123 + 3 * broad, 135 - 2 * broad, 1 };
}

typedef struct {
  Fine fine;
  gboolean vertical;  /* grain along y (the sides) rather than x (the shelves) */
} Wood;

static Color
shade_wood (gconstpointer data,
            double        x,
            double        y)
{
  const Wood *wood = data;
  double along = wood->vertical ? y : x, across = wood->vertical ? x : y;
  double grain = value_noise (21, along * 4, across * 90) + 0.5 * value_noise (22, along * 15, across * 260);

  return (Color) { 92 + 16 * grain + 4 * fractal_noise (23, x, y, 0.02, fine_limit (&wood->fine)),
                   112 - 3 * grain, 148 + 4 * grain, 1 };
}

/* Darkness under a shelf, fading downwards over the gap. */
typedef struct {
  double top, height;
} Shadow;

static Color
shade_shadow (gconstpointer data,
              double        x,
              double        y)
{
  const Shadow *shadow = data;
  double v = CLAMP ((y - shadow->top) / shadow->height, 0, 1);

  return (Color) { 10, 128, 128, 0.55 * (1 - v) * (1 - v) };
}

typedef struct {
  Fine fine;
  double x0, y0, x1, y1;
  Color color, accent;
  gboolean light;  /* dark lettering on a light spine */
  guint32 seed;
} Book;

static Color
shade_book (gconstpointer data,
            double        x,
            double        y)
{
  const Book *book = data;
  double u = (x - book->x0) / (book->x1 - book->x0);
  double v = (y - book->y0) / (book->y1 - book->y0);
  double round = 0.7 + 0.3 * sin (G_PI * CLAMP (u, 0, 1));  /* a spine is a curve */
  double paper = 5 * fractal_noise (book->seed, x, y, 0.02, fine_limit (&book->fine));
  Color color = book->color;

  if ((v > 0.05 && v < 0.09) || (v > 0.9 && v < 0.94))
    color = book->accent;
  else if (v > 0.2 && v < 0.75 && u > 0.25 && u < 0.75)
    {
      /* a title: glyphs of 3×3 dots on a line of cells, with spaces */
      double cell = 0.0125;
      double along = (y - book->y0) / cell;
      guint32 row = (guint32) along;
      guint32 column = (guint32) ((u - 0.25) * 2 * 3);
      guint32 dot = (guint32) ((along - row) * 4);

      if (row % 5 != 4 && dot < 3 &&
          (hash3 (book->seed, row, 7) >> (dot * 3 + MIN (column, 2))) & 1)
        color = book->light ? (Color) { 40, 128, 128, 1 } : book->accent;
    }
  color.y = color.y * round + paper;
  return color;
}

typedef struct {
  Fine fine;
  double x0, x1;  /* for the cords */
} Blinds;

static Color
shade_blinds (gconstpointer data,
              double        x,
              double        y)
{
  const Blinds *blinds = data;
  double period = 0.032, position = y / period - floor (y / period);
  double u = (x - blinds->x0) / (blinds->x1 - blinds->x0);
  Color color = { 195 + 35 * position, 131, 125, 1 };

  if (position > 0.86)
    color.y = 120;  /* the gap between slats, facing the room's dim side */
  if (fabs (u - 0.25) < 0.006 || fabs (u - 0.75) < 0.006)
    color.y -= 50;
  color.y += 3 * fractal_noise (31, x, y, 0.05, fine_limit (&blinds->fine));
  return color;
}

/* An abstract painting: soft blobs of strong colour with brush strokes. */
static Color
shade_painting (gconstpointer data,
                double        x,
                double        y)
{
  const Fine *fine = data;
  double strokes = value_noise (41, x * 70, y * 25);

  return (Color) { 120 + 60 * fractal_noise (42, x, y, 0.12, 0.01) + 12 * strokes,
                   128 + 60 * fractal_noise (43, x, y, 0.15, 0.02),
                   128 + 60 * fractal_noise (44, x, y, 0.1, 0.02) + 4 * fractal_noise (45, x, y, 0.01, fine_limit (fine)),
                   1 };
}

static Color
shade_flat (gconstpointer data,
            double        x,
            double        y)
{
  return *(const Color *) data;
}

typedef struct {
  Fine fine;
  double cx, cy, rx, ry;
  double y;  /* lightness at the middle */
} Skin;

static Color
shade_skin (gconstpointer data,
            double        x,
            double        y)
{
  const Skin *skin = data;
  double nx = (x - skin->cx) / skin->rx, ny = (y - skin->cy) / skin->ry;
  /* rounder than flat: lit from the front and a little from the right */
  double light = 1 - 0.35 * (nx * nx + ny * ny) + 0.08 * nx;

  return (Color) { skin->y * light + 5 * fractal_noise (51, x, y, 0.05, fine_limit (&skin->fine)),
                   108 + 2 * ny, 154 - 3 * ny, 1 };
}

static Color
shade_hair (gconstpointer data,
            double        x,
            double        y)
{
  const Fine *fine = data;
  double strands = value_noise (61, x * 260, y * 14) + 0.6 * value_noise (62, x * 90, y * 40);

  return (Color) { 48 + 14 * strands + 4 * fractal_noise (63, x, y, 0.01, fine_limit (fine)), 124, 134, 1 };
}

static Color
shade_sweater (gconstpointer data,
               double        x,
               double        y)
{
  const Fine *fine = data;
  double ribs = cos (2 * G_PI * x / 0.011);
  double folds = fractal_noise (71, x, y, 0.2, 0.03);
  Color color = { 82 + 9 * ribs + 22 * folds + 5 * fractal_noise (72, x, y, 0.01, fine_limit (fine)), 150, 113, 1 };

  if (y > 0.36 && y < 0.39)
    color = (Color) { 205 + 8 * ribs, 126, 130, 1 };  /* a white stripe across the chest */
  return color;
}

/* ------------------------------------------------------------------ */
/* The scene                                                          */

/* How a moving object is placed: a point p of the object at rest is drawn
 * at anchor + offset + (p - anchor) · scale. */
typedef struct {
  double anchor_x, anchor_y;
  double offset_x, offset_y;
  double scale;
} Pose;

/* Where the camera looks at time t: its centre and zoom. */
typedef struct {
  double x, y, zoom;
} View;

/* Extremes of the motion below, for the extent and density of the layers:
 * layers have as many pixels per world unit as the most zoomed-in camera
 * and the nearest pose show on screen, so that nothing is ever upscaled. */
#define PAN_X           0.075
#define PAN_Y           0.035
#define ZOOM_MIN        1.0
#define ZOOM_MAX        1.08
#define POSE_SCALE_MAX  1.1

/* The figure, at rest (world units, y down). */
#define HEAD_X      0.06
#define HEAD_Y     -0.05
#define HEAD_RX     0.1
#define HEAD_RY     0.13
#define MOUTH_Y     0.075  /* below the head's centre */
#define EYE_DX      0.038
#define EYE_Y      -0.015
#define HAND_X      0.36
#define HAND_Y      0.3

typedef struct {
  int width, height;  /* luma */
  int fps_n, fps_d;
  Layer background, torso, head, hand;
  gint8 *luma_noise, *chroma_noise;  /* NOISE_LENGTH + width entries */
  /* scratch rows for sampling */
  guint16 *rows, *alpha_rows, *gains;
  gint32 *columns;
  guint16 *fractions;
  guint64 painted;  /* frames, for buffers without an offset */
} Scene;

static View
view_at (double t)
{
  return (View) {
    0.05 * wave (t, 13, 0) + 0.018 * wave (t, 4.1, 1) + 0.002 * wave (t, 0.61, 2),
    0.025 * wave (t, 9.3, 0.5) + 0.002 * wave (t, 0.47, 0),
    1.04 + 0.04 * wave (t, 17, 3),
  };
}

static Pose
torso_pose (double t)
{
  return (Pose) { HEAD_X, 0.5, 0.04 * wave (t, 6.3, 0), 0.01 * wave (t, 3.1, 1),
                  1 + 0.02 * wave (t, 8.7, 2) };
}

static Pose
head_pose (double t)
{
  Pose pose = torso_pose (t);

  /* the head moves on the torso: nods, turns, leans */
  pose.offset_x += 0.022 * wave (t, 4.3, 0.3) + 0.006 * wave (t, 1.3, 0);
  pose.offset_y += 0.012 * wave (t, 2.6, 1.2) + 0.004 * wave (t, 0.9, 0);
  pose.scale *= 1 + 0.015 * wave (t, 5.5, 0.7);
  return pose;
}

static Pose
hand_pose (double t)
{
  /* gestures in a loop that changes speed, in and out of the frame's corner */
  double phase = t + 0.6 * wave (t, 11, 0);

  return (Pose) { HAND_X, HAND_Y, 0.09 * wave (phase, 2.3, 0) + 0.04 * wave (t, 7, 0),
                  0.07 * wave (phase, 1.7, 1) + 0.05, 1 + 0.08 * wave (phase, 3.1, 0) };
}

static const Color book_colors[] = {
  { 70, 110, 175, 1 }, { 45, 150, 120, 1 }, { 80, 115, 105, 1 }, { 150, 80, 150, 1 },
  { 205, 120, 132, 1 }, { 35, 128, 128, 1 }, { 105, 140, 100, 1 }, { 135, 90, 170, 1 },
  { 120, 128, 128, 1 }, { 85, 115, 145, 1 }, { 175, 105, 120, 1 }, { 60, 160, 110, 1 },
};

static Color
book_color (Dice *dice)
{
  return book_colors[(guint) (dice_roll (dice) * G_N_ELEMENTS (book_colors))];
}

/* A book standing on the shelf at @x, its base at @base; returns its width. */
static double
paint_standing_book (Canvas *canvas,
                     Dice   *dice,
                     double  x,
                     double  base,
                     double  gap,
                     double  end)
{
  double width = dice_range (dice, 0.016, 0.045);
  double height = gap * dice_range (dice, 0.6, 0.93);
  Book book = { { canvas->pixel }, x, base - height, MIN (x + width, end), base,
                book_color (dice), book_color (dice), FALSE, hash32 (dice->index) };

  book.light = book.color.y > 150;
  book.color.y += dice_range (dice, -15, 15);
  paint_rect (canvas, book.x0, book.y0, book.x1, book.y1, shade_book, &book);
  return width;
}

/* A pile of books lying flat at @x, each a slab with a band on its spine;
 * returns its width. */
static double
paint_lying_books (Canvas *canvas,
                   Dice   *dice,
                   double  x,
                   double  base,
                   double  end)
{
  double width = dice_range (dice, 0.13, 0.2), y = base;
  guint count = 2 + (guint) (dice_roll (dice) * 4);

  for (guint i = 0; i < count && x + width < end; i++)
    {
      double thickness = dice_range (dice, 0.018, 0.035);
      double left = x + dice_range (dice, 0, 0.015);
      Color color = book_color (dice), band = book_color (dice);

      paint_rect (canvas, left, y - thickness, left + width - 0.015, y, shade_flat, &color);
      paint_rect (canvas, left, y - thickness * 0.85, left + width - 0.015, y - thickness * 0.7, shade_flat, &band);
      y -= thickness;
    }
  return width;
}

static void
render_background (Scene *scene,
                   double density)
{
  double half_width = (double) scene->width / scene->height / 2 / ZOOM_MIN;
  double margin = 0.02;
  double left = -half_width - PAN_X - margin, right = half_width + PAN_X + margin;
  double top = -0.5 - PAN_Y - margin, bottom = 0.5 + PAN_Y + margin;
  /* the bookshelf, from beyond the left edge to behind the figure */
  double shelf_left = left - 0.1, shelf_right = 0.3, board = 0.03, spacing = 0.27;
  Canvas canvas;
  Fine fine;
  Wood shelf_wood, side_wood;
  Blinds blinds;
  Dice dice = { 1, 0 };
  const Color window_frame = { 210, 126, 130, 1 }, picture_frame = { 30, 128, 128, 1 };
  const Color shelf_back = { 60, 118, 140, 1 };

  canvas_init (&canvas, left, top, right, bottom, density, 255);
  fine = (Fine) { canvas.pixel };
  shelf_wood = (Wood) { fine, FALSE };
  side_wood = (Wood) { fine, TRUE };
  blinds = (Blinds) { fine, 0.72, 1.3 };

  /* the wall where the bookshelf does not hide it, a window with blinds on
   * the right (in wide frames), a painting between */
  paint_rect (&canvas, shelf_right - board, top, right, bottom, shade_wall, &fine);
  paint_rect (&canvas, 0.69, -0.56, 1.33, 0.22, shade_flat, &window_frame);
  paint_rect (&canvas, blinds.x0, -0.53, blinds.x1, 0.19, shade_blinds, &blinds);
  paint_rect (&canvas, 0.37, -0.43, 0.62, -0.16, shade_flat, &picture_frame);
  paint_rect (&canvas, 0.385, -0.415, 0.605, -0.175, shade_painting, &fine);

  /* the bookshelf: its back, then shelf by shelf the books, the shadow of
   * the board above, the board */
  paint_rect (&canvas, shelf_left, top, shelf_right, bottom, shade_flat, &shelf_back);
  for (double shelf = -0.62; shelf < bottom; shelf += spacing)
    {
      double gap_top = shelf + board, gap_bottom = shelf + spacing, end = shelf_right - board;
      Shadow shadow = { gap_top, (gap_bottom - gap_top) * 0.6 };
      double x = shelf_left + board + dice_range (&dice, 0, 0.03);

      while (x < end - 0.02)
        {
          double roll = dice_roll (&dice);

          if (roll < 0.06)
            x += dice_range (&dice, 0.03, 0.08);
          else if (roll < 0.12)
            x += paint_lying_books (&canvas, &dice, x, gap_bottom, end) + 0.005;
          else
            x += paint_standing_book (&canvas, &dice, x, gap_bottom, gap_bottom - gap_top, end) +
                 (dice_roll (&dice) < 0.3 ? 0.003 : 0);
        }
      paint_rect (&canvas, shelf_left, gap_top, shelf_right, gap_bottom, shade_shadow, &shadow);
      paint_rect (&canvas, shelf_left, shelf, shelf_right, gap_top, shade_wood, &shelf_wood);
    }
  paint_rect (&canvas, shelf_right - board, top, shelf_right, bottom, shade_wood, &side_wood);
  layer_from_canvas (&scene->background, &canvas, TRUE);
}

static void
render_torso (Scene *scene,
              double density)
{
  Canvas canvas;
  Fine fine;
  Skin neck;
  Color collar = { 60, 150, 115, 1 };

  canvas_init (&canvas, HEAD_X - 0.47, 0.0, HEAD_X + 0.47, 0.75, density, 0);
  fine = (Fine) { canvas.pixel };
  neck = (Skin) { fine, HEAD_X, 0.1, 0.05, 0.12, 150 };
  paint_rect (&canvas, HEAD_X - 0.045, 0.02, HEAD_X + 0.045, 0.17, shade_skin, &neck);
  paint_ellipse (&canvas, HEAD_X, 0.6, 0.43, 0.44, shade_sweater, &fine);
  paint_ellipse (&canvas, HEAD_X, 0.165, 0.075, 0.03, shade_flat, &collar);
  paint_ellipse (&canvas, HEAD_X, 0.155, 0.06, 0.02, shade_skin, &neck);
  layer_from_canvas (&scene->torso, &canvas, FALSE);
}

static void
render_head (Scene *scene,
             double density)
{
  Canvas canvas;
  Fine fine;
  Skin face, ear, nose;
  Color eye = { 35, 130, 126, 1 }, white = { 200, 128, 128, 1 }, brow = { 55, 124, 134, 1 };

  canvas_init (&canvas, HEAD_X - 0.15, HEAD_Y - 0.2, HEAD_X + 0.15, HEAD_Y + 0.16, density, 0);
  fine = (Fine) { canvas.pixel };
  face = (Skin) { fine, HEAD_X, HEAD_Y + 0.01, HEAD_RX, HEAD_RY, 175 };
  nose = (Skin) { fine, HEAD_X, HEAD_Y + 0.03, 0.014, 0.026, 165 };
  /* hair behind, ears, the face, then hair over the forehead */
  paint_ellipse (&canvas, HEAD_X, HEAD_Y - 0.03, HEAD_RX + 0.02, HEAD_RY + 0.02, shade_hair, &fine);
  for (int side = -1; side <= 1; side += 2)
    {
      ear = (Skin) { fine, HEAD_X + side * HEAD_RX, HEAD_Y + 0.01, 0.02, 0.035, 150 };
      paint_ellipse (&canvas, ear.cx, ear.cy, ear.rx, ear.ry, shade_skin, &ear);
    }
  paint_ellipse (&canvas, face.cx, face.cy, face.rx, face.ry, shade_skin, &face);
  paint_ellipse (&canvas, HEAD_X + 0.01, HEAD_Y - 0.1, HEAD_RX * 0.95, 0.06, shade_hair, &fine);
  paint_ellipse (&canvas, nose.cx, nose.cy, nose.rx, nose.ry, shade_skin, &nose);
  for (int side = -1; side <= 1; side += 2)
    {
      double x = HEAD_X + side * EYE_DX, y = HEAD_Y + EYE_Y;

      paint_ellipse (&canvas, x, y, 0.017, 0.008, shade_flat, &white);
      paint_ellipse (&canvas, x, y, 0.008, 0.008, shade_flat, &eye);
      paint_rect (&canvas, x - 0.02, y - 0.025, x + 0.02, y - 0.018, shade_flat, &brow);
    }
  layer_from_canvas (&scene->head, &canvas, FALSE);
}

static void
render_hand (Scene *scene,
             double density)
{
  Canvas canvas;
  Fine fine;
  Skin palm, finger;

  canvas_init (&canvas, HAND_X - 0.08, HAND_Y - 0.14, HAND_X + 0.08, HAND_Y + 0.07, density, 0);
  fine = (Fine) { canvas.pixel };
  palm = (Skin) { fine, HAND_X, HAND_Y, 0.045, 0.055, 165 };
  for (int i = 0; i < 4; i++)
    {
      double x = HAND_X - 0.03 + i * 0.02;

      finger = (Skin) { fine, x, HAND_Y - 0.07, 0.009, 0.04 - (i == 3 ? 0.01 : 0), 160 };
      paint_ellipse (&canvas, finger.cx, finger.cy - (i == 1 || i == 2 ? 0.008 : 0), finger.rx, finger.ry,
                     shade_skin, &finger);
    }
  finger = (Skin) { fine, HAND_X - 0.05, HAND_Y - 0.005, 0.03, 0.011, 160 };
  paint_ellipse (&canvas, finger.cx, finger.cy, finger.rx, finger.ry, shade_skin, &finger);
  paint_ellipse (&canvas, palm.cx, palm.cy, palm.rx, palm.ry, shade_skin, &palm);
  layer_from_canvas (&scene->hand, &canvas, FALSE);
}

static void
scene_clear (Scene *scene)
{
  layer_clear (&scene->background);
  layer_clear (&scene->torso);
  layer_clear (&scene->head);
  layer_clear (&scene->hand);
  g_clear_pointer (&scene->luma_noise, g_free);
  g_clear_pointer (&scene->chroma_noise, g_free);
  g_clear_pointer (&scene->rows, g_free);
  g_clear_pointer (&scene->alpha_rows, g_free);
  g_clear_pointer (&scene->gains, g_free);
  g_clear_pointer (&scene->columns, g_free);
  g_clear_pointer (&scene->fractions, g_free);
  scene->width = scene->height = 0;
}

static void
scene_free (gpointer data)
{
  Scene *scene = data;

  scene_clear (scene);
  g_free (scene);
}

static gint8 *
noise_table (int      width,
             guint32  seed,
             gboolean luma)
{
  gsize length = NOISE_LENGTH + width;
  gint8 *table = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    {
      guint32 h = hash3 (seed, (guint32) (i % NOISE_LENGTH), 0);

      /* triangular: a few levels of luma (σ ≈ 1.6), a level of chroma */
      if (luma)
        table[i] = (gint8) ((h & 3) + ((h >> 2) & 3) - 3);
      else
        table[i] = (gint8) ((h & 1) + ((h >> 1) & 1) - 1);
    }
  return table;
}

static void
scene_configure (Scene              *scene,
                 const GstVideoInfo *info)
{
  double density;
  int widest;

  scene_clear (scene);
  scene->width = GST_VIDEO_INFO_WIDTH (info);
  scene->height = GST_VIDEO_INFO_HEIGHT (info);
  scene->fps_n = GST_VIDEO_INFO_FPS_N (info);
  scene->fps_d = GST_VIDEO_INFO_FPS_D (info);
  density = scene->height * ZOOM_MAX;
  render_background (scene, density);
  render_torso (scene, density * POSE_SCALE_MAX);
  render_head (scene, density * POSE_SCALE_MAX);
  render_hand (scene, density * POSE_SCALE_MAX);
  scene->luma_noise = noise_table (scene->width, 1, TRUE);
  scene->chroma_noise = noise_table (scene->width, 2, FALSE);
  widest = MAX (MAX (scene->background.y.width, scene->torso.y.width),
                MAX (scene->head.y.width, scene->hand.y.width)) + BLOCK;
  scene->rows = g_new (guint16, widest);
  scene->alpha_rows = g_new (guint16, widest);
  scene->gains = g_new (guint16, scene->width);
  scene->columns = g_new (gint32, scene->width);
  scene->fractions = g_new (guint16, scene->width);
}

/* ------------------------------------------------------------------ */
/* Painting a frame                                                   */

/* A plane of the frame being painted. */
typedef struct {
  guint8 *data;
  int stride, width, height;
  int subsampling;  /* 1 for luma, 2 for chroma */
} Target;

/* Layer pixel sampled for target pixel (x, y): scale · x + offset_x. */
typedef struct {
  double scale, offset_x, offset_y;
} Mapping;

static Mapping
mapping_for (const Scene  *scene,
             const View   *view,
             const Pose   *pose,
             const Layer  *layer,
             const Target *target)
{
  double density = layer->density / target->subsampling;
  double screen = scene->height * view->zoom;  /* screen pixels per world unit */
  /* world position of the frame's top-left corner, then the object's own
   * point there at rest */
  double world_x = view->x - scene->width / (2 * screen);
  double world_y = view->y - scene->height / (2 * screen);
  double rest_x = pose->anchor_x + (world_x - pose->anchor_x - pose->offset_x) / pose->scale;
  double rest_y = pose->anchor_y + (world_y - pose->anchor_y - pose->offset_y) / pose->scale;
  double scale = layer->density / (screen * pose->scale);

  /* pixel centres on both sides */
  return (Mapping) { scale,
                     (rest_x - layer->origin_x) * density + 0.5 * scale - 0.5,
                     (rest_y - layer->origin_y) * density + 0.5 * scale - 0.5 };
}

/* Vertical interpolation between two rows of a layer, in fixed-size blocks:
 * compilers vectorize those even at -O2, where a loop of unknown length
 * would need an epilogue they will not add. Rows and planes are padded for
 * the last block to overrun. */
static void
lerp_rows (guint16       *restrict out,
           const guint8  *restrict row0,
           const guint8  *restrict row1,
           guint                   weight,
           int                     count)
{
  for (int b = 0; b < count; b += BLOCK, out += BLOCK, row0 += BLOCK, row1 += BLOCK)
    for (int k = 0; k < BLOCK; k++)
      out[k] = (guint16) (row0[k] * (256 - weight) + row1[k] * weight);
}

/* Resamples one plane of a layer into @target, bilinearly; over what is
 * already there when @alpha is given (@source is then premultiplied). */
static void
draw_plane (Scene         *scene,
            const Target  *target,
            const Plane   *source,
            const Plane   *alpha,
            const Mapping *mapping)
{
  gint32 *columns = scene->columns;
  guint16 *fractions = scene->fractions;
  guint16 *rows = scene->rows, *alpha_rows = scene->alpha_rows;
  int first = -1, last = -1, c0, count;

  for (int x = 0; x < target->width; x++)
    {
      double p = mapping->scale * x + mapping->offset_x;
      double i = floor (p);

      if (i < 0 || i + 1 >= source->width)
        {
          if (alpha != NULL)
            continue;
          i = CLAMP (i, 0, source->width - 2);  /* the background always covers: only rounding */
        }
      columns[x] = (gint32) i;
      fractions[x] = (guint16) CLAMP ((p - i) * 256 + 0.5, 0, 256);
      if (first < 0)
        first = x;
      last = x;
    }
  if (first < 0)
    return;
  /* the layer's columns in use, from c0; columns become relative to it */
  c0 = columns[first];
  count = columns[last] + 2 - c0;
  for (int x = first; x <= last; x++)
    columns[x] -= c0;

  for (int y = 0; y < target->height; y++)
    {
      double p = mapping->scale * y + mapping->offset_y;
      double j = floor (p);
      guint fy;
      gsize offset;
      guint8 *out = target->data + (gsize) y * target->stride;

      if (j < 0 || j + 1 >= source->height)
        {
          if (alpha != NULL)
            continue;
          j = CLAMP (j, 0, source->height - 2);
        }
      fy = (guint) CLAMP ((p - j) * 256 + 0.5, 0, 256);
      offset = (gsize) j * source->width + c0;
      /* vertically first, over the columns in use, then horizontally */
      lerp_rows (rows, source->data + offset, source->data + offset + source->width, fy, count);
      if (alpha == NULL)
        {
          for (int x = first; x <= last; x++)
            {
              guint f = fractions[x];
              gint32 c = columns[x];

              out[x] = (guint8) ((rows[c] * (256 - f) + rows[c + 1] * f + 32768) >> 16);
            }
          continue;
        }

      lerp_rows (alpha_rows, alpha->data + offset, alpha->data + offset + alpha->width, fy, count);
      for (int x = first; x <= last; x++)
        {
          guint f = fractions[x];
          gint32 c = columns[x];
          guint a = (alpha_rows[c] * (256 - f) + alpha_rows[c + 1] * f + 32768) >> 16;
          guint v, under;

          if (a == 0)
            continue;
          v = (rows[c] * (256 - f) + rows[c + 1] * f + 32768) >> 16;
          under = out[x] * (255 - a) + 128;
          out[x] = (guint8) MIN (255, v + ((under + (under >> 8)) >> 8));  /* v + under / 255 */
        }
    }
}

static void
draw_layer (Scene        *scene,
            Target        targets[3],
            const View   *view,
            const Pose   *pose,
            const Layer  *layer,
            gboolean      opaque)
{
  const Plane *planes[3] = { &layer->y, &layer->u, &layer->v };

  for (int i = 0; i < 3; i++)
    {
      Mapping mapping = mapping_for (scene, view, pose, layer, &targets[i]);

      draw_plane (scene, &targets[i], planes[i], opaque ? NULL : i == 0 ? &layer->alpha : &layer->alpha_half,
                  &mapping);
    }
}

/* A small antialiased ellipse drawn straight into the frame (the mouth, the
 * eyelids): centre and radii in world units at rest, placed by @pose. */
static void
draw_ellipse (const Scene  *scene,
              Target        targets[3],
              const View   *view,
              const Pose   *pose,
              double        cx,
              double        cy,
              double        rx,
              double        ry,
              const guint8  color[3])
{
  double screen = scene->height * view->zoom;
  double wx = pose->anchor_x + pose->offset_x + (cx - pose->anchor_x) * pose->scale;
  double wy = pose->anchor_y + pose->offset_y + (cy - pose->anchor_y) * pose->scale;

  for (int i = 0; i < 3; i++)
    {
      const Target *target = &targets[i];
      double sub = target->subsampling;
      double x0 = (scene->width / 2.0 + (wx - view->x) * screen) / sub;
      double y0 = (scene->height / 2.0 + (wy - view->y) * screen) / sub;
      double px = rx * pose->scale * screen / sub, py = ry * pose->scale * screen / sub;
      int first_x = MAX (0, (int) floor (x0 - px) - 1), last_x = MIN (target->width, (int) ceil (x0 + px) + 1);
      int first_y = MAX (0, (int) floor (y0 - py) - 1), last_y = MIN (target->height, (int) ceil (y0 + py) + 1);

      if (px < 0.05 || py < 0.05)
        continue;
      for (int y = first_y; y < last_y; y++)
        for (int x = first_x; x < last_x; x++)
          {
            double nx = (x + 0.5 - x0) / px, ny = (y + 0.5 - y0) / py;
            double gx = nx / px, gy = ny / py;
            double distance = (nx * nx + ny * ny - 1) / (2 * sqrt (gx * gx + gy * gy) + 1e-9);
            double coverage = CLAMP (0.5 - distance, 0, 1);
            guint8 *out = target->data + (gsize) y * target->stride + x;

            *out = (guint8) lround (*out + (color[i] - *out) * coverage);
          }
    }
}

static void
draw_face (const Scene *scene,
           Target       targets[3],
           const View  *view,
           double       t)
{
  Pose pose = head_pose (t);
  /* talking: syllables in bursts, with pauses */
  double open = MAX (0, wave (t, 0.31, 0)) * MAX (0, wave (t, 2.9, 0.4) + 0.3);
  const guint8 mouth[3] = { 70, 120, 160 }, lid[3] = { 150, 108, 154 };

  draw_ellipse (scene, targets, view, &pose, HEAD_X, HEAD_Y + MOUTH_Y, 0.028, 0.004 + 0.012 * open, mouth);
  if (fmod (t, 3.7) < 0.15)
    for (int side = -1; side <= 1; side += 2)
      draw_ellipse (scene, targets, view, &pose, HEAD_X + side * EYE_DX, HEAD_Y + EYE_Y, 0.019, 0.011, lid);
}

/* Light and sensor noise on one row, vectorized by blocks like lerp_rows,
 * all in 16 bits for twice the pixels per instruction: the gain (8.8 fixed
 * point) applies as the high half of a 16-bit product, the value's low
 * byte set to a half for rounding. */
static inline guint8
lit_luma (guint8  value,
          guint16 gain,
          gint8   noise)
{
  gint16 v = (gint16) (((guint32) (guint16) (value << 8 | 0x80) * gain) >> 16);

  v = (gint16) (v + noise);
  return (guint8) CLAMP (v, 16, 235);
}

static inline guint8
noisy_chroma (guint8 value,
              gint8  noise)
{
  gint16 v = (gint16) (value + noise);

  return (guint8) CLAMP (v, 16, 240);
}

static void
finish_luma_row (guint8        *restrict out,
                 const guint16 *restrict gains,
                 const gint8   *restrict noise,
                 int                     width)
{
  int x = 0;

  for (; x + BLOCK <= width; x += BLOCK)
    for (int k = 0; k < BLOCK; k++)
      out[x + k] = lit_luma (out[x + k], gains[x + k], noise[x + k]);
  for (; x < width; x++)
    out[x] = lit_luma (out[x], gains[x], noise[x]);
}

static void
finish_chroma_row (guint8      *restrict out,
                   const gint8 *restrict noise,
                   int                   width)
{
  int x = 0;

  for (; x + BLOCK <= width; x += BLOCK)
    for (int k = 0; k < BLOCK; k++)
      out[x + k] = noisy_chroma (out[x + k], noise[x + k]);
  for (; x < width; x++)
    out[x] = noisy_chroma (out[x], noise[x]);
}

/* Light drifting across the frame and over time, then sensor noise from
 * a random place in the table on every row. */
static void
finish_planes (Scene   *scene,
               Target   targets[3],
               double   t,
               guint64  frame)
{
  double level = 1 + 0.05 * wave (t, 7.1, 0) + 0.03 * wave (t, 19.3, 1);
  double slope = 0.12 * (1 + 0.5 * wave (t, 11, 2));  /* brighter towards the window */

  for (int x = 0; x < targets[0].width; x++)
    scene->gains[x] = (guint16) (256 * level * (1 + slope * ((x + 0.5) / targets[0].width - 0.6)) + 0.5);

  for (int i = 0; i < 3; i++)
    {
      const Target *target = &targets[i];

      for (int y = 0; y < target->height; y++)
        {
          guint8 *out = target->data + (gsize) y * target->stride;
          guint32 start = hash3 ((guint32) frame, (guint32) (frame >> 32) * 3 + i, (guint32) y) % NOISE_LENGTH;

          if (i == 0)
            finish_luma_row (out, scene->gains, scene->luma_noise + start, target->width);
          else
            finish_chroma_row (out, scene->chroma_noise + start, target->width);
        }
    }
}

static void
scene_paint (Scene         *scene,
             GstVideoFrame *frame,
             guint64        number)
{
  Target targets[3];
  double t = scene->fps_n > 0 ? (double) number * scene->fps_d / scene->fps_n : number / 30.0;
  View view = view_at (t);
  Pose still = { 0, 0, 0, 0, 1 }, torso = torso_pose (t), head = head_pose (t), hand = hand_pose (t);

  for (int i = 0; i < 3; i++)
    targets[i] = (Target) { GST_VIDEO_FRAME_COMP_DATA (frame, i), GST_VIDEO_FRAME_COMP_STRIDE (frame, i),
                            GST_VIDEO_FRAME_COMP_WIDTH (frame, i), GST_VIDEO_FRAME_COMP_HEIGHT (frame, i),
                            i == 0 ? 1 : 2 };
  draw_layer (scene, targets, &view, &still, &scene->background, TRUE);
  draw_layer (scene, targets, &view, &torso, &scene->torso, FALSE);
  draw_layer (scene, targets, &view, &head, &scene->head, FALSE);
  draw_face (scene, targets, &view, t);
  draw_layer (scene, targets, &view, &hand, &scene->hand, FALSE);
  finish_planes (scene, targets, t, number);
}

static GstPadProbeReturn
paint_scene (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  Scene *scene = user_data;
  g_autoptr(GstCaps) caps = NULL;
  GstVideoInfo video_info;
  GstVideoFrame frame;
  GstBuffer *buffer;
  guint64 number;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL || !gst_video_info_from_caps (&video_info, caps) ||
      GST_VIDEO_INFO_FORMAT (&video_info) != GST_VIDEO_FORMAT_I420)
    return GST_PAD_PROBE_OK;
  if (scene->width != GST_VIDEO_INFO_WIDTH (&video_info) || scene->height != GST_VIDEO_INFO_HEIGHT (&video_info) ||
      scene->fps_n != GST_VIDEO_INFO_FPS_N (&video_info) || scene->fps_d != GST_VIDEO_INFO_FPS_D (&video_info))
    scene_configure (scene, &video_info);

  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  /* videotestsrc numbers its frames from 0 */
  number = GST_BUFFER_OFFSET_IS_VALID (buffer) ? GST_BUFFER_OFFSET (buffer) : scene->painted;
  scene->painted = number + 1;
  if (!gst_video_frame_map (&frame, &video_info, buffer, GST_MAP_WRITE))
    return GST_PAD_PROBE_OK;
  scene_paint (scene, &frame, number);
  gst_video_frame_unmap (&frame);
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------------ */
/* The element                                                        */

static GstElement *
make_element (const char *factory,
              const char *name)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    g_critical ("GStreamer element %s is missing", factory);
  return element;
}

GstElement *
lattice_test_source_new (LatticeTestPattern pattern)
{
  GstElement *bin, *generator, *last;
  g_autoptr(GstPad) pad = NULL;

  g_return_val_if_fail (pattern == LATTICE_TEST_PATTERN_CAMERA || pattern == LATTICE_TEST_PATTERN_BALL, NULL);

  bin = gst_bin_new (NULL);
  generator = last = make_element ("videotestsrc", GENERATOR_NAME);
  g_object_set (generator, "is-live", TRUE, NULL);
  gst_bin_add (GST_BIN (bin), generator);
  if (pattern == LATTICE_TEST_PATTERN_BALL)
    {
      gst_util_set_object_arg (G_OBJECT (generator), "pattern", "ball");
    }
  else
    {
      g_autoptr(GstCaps) caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", NULL);
      GstElement *filter = make_element ("capsfilter", NULL);
      GstElement *convert = make_element ("videoconvert", NULL);
      g_autoptr(GstPad) painted = NULL;

      /* a static pattern: videotestsrc copies one cached frame */
      gst_util_set_object_arg (G_OBJECT (generator), "pattern", "black");
      g_object_set (filter, "caps", caps, NULL);
      gst_bin_add_many (GST_BIN (bin), filter, convert, NULL);
      gst_element_link_many (generator, filter, convert, NULL);
      painted = gst_element_get_static_pad (filter, "src");
      gst_pad_add_probe (painted, GST_PAD_PROBE_TYPE_BUFFER, paint_scene, g_new0 (Scene, 1), scene_free);
      last = convert;
    }
  pad = gst_element_get_static_pad (last, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  return bin;
}

void
lattice_test_source_set_live (GstElement *source,
                              gboolean    live)
{
  g_autoptr(GstElement) generator = NULL;

  g_return_if_fail (GST_IS_BIN (source));

  generator = gst_bin_get_by_name (GST_BIN (source), GENERATOR_NAME);
  g_return_if_fail (generator != NULL);
  g_object_set (generator, "is-live", live, NULL);
}
