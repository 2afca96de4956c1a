/* lattice-view-request.c: the RTCP APP packet that says how large a video is shown (pure)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lattice-view-request.h"

static void
normalize (guint *width, guint *height)
{
  *width = MIN (*width, LATTICE_VIEW_MAX_SIDE);
  *height = MIN (*height, LATTICE_VIEW_MAX_SIDE);
  /* one side zero is no picture at all */
  if (*width == 0 || *height == 0)
    *width = *height = 0;
}

static void
put16 (guint8 *p, guint value)
{
  p[0] = value >> 8;
  p[1] = value & 0xff;
}

void
lattice_view_request_write (guint8 data[LATTICE_VIEW_DATA_BYTES],
                            guint  width,
                            guint  height)
{
  normalize (&width, &height);
  memset (data, 0, 4);   /* media SSRC 0: the camera video */
  put16 (data + 4, width);
  put16 (data + 6, height);
}

gboolean
lattice_view_request_read (guint         subtype,
                           const char   *name,
                           const guint8 *data,
                           gsize         size,
                           guint        *width,
                           guint        *height)
{
  if (subtype != LATTICE_VIEW_APP_SUBTYPE || name == NULL ||
      strncmp (name, LATTICE_VIEW_APP_NAME, 4) != 0 || data == NULL ||
      size < LATTICE_VIEW_DATA_BYTES)
    return FALSE;
  /* only the camera video is sent today */
  if (data[0] != 0 || data[1] != 0 || data[2] != 0 || data[3] != 0)
    return FALSE;
  *width = (guint) data[4] << 8 | data[5];
  *height = (guint) data[6] << 8 | data[7];
  normalize (width, height);
  return TRUE;
}
