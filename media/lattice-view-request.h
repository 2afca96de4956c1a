/* lattice-view-request.h: the RTCP APP packet that says how large a video is shown (pure)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * docs/PROTOCOL.md, "View requests": an APP packet, subtype 0, name "LATV",
 * 8 bytes of data: media SSRC (0: the camera video), width, height, in
 * network order. Parsing takes whatever the other end sent.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LATTICE_VIEW_APP_NAME     "LATV"
#define LATTICE_VIEW_APP_SUBTYPE  0
#define LATTICE_VIEW_DATA_BYTES   8
/* Larger sides are nonsense: they count as this. */
#define LATTICE_VIEW_MAX_SIDE     16384

/* Writes the data of a request for @width×@height (clamped; a zero side
 * makes 0×0) into @data. */
void     lattice_view_request_write (guint8      data[LATTICE_VIEW_DATA_BYTES],
                                     guint       width,
                                     guint       height);
/* Reads an APP packet's @subtype, @name and @data (@size bytes, NULL for
 * none). FALSE when it is not a view request for the camera video (another
 * subtype, name or SSRC, too short); else the size, clamped, a zero side
 * making 0×0. */
gboolean lattice_view_request_read  (guint        subtype,
                                     const char  *name,
                                     const guint8 *data,
                                     gsize        size,
                                     guint       *width,
                                     guint       *height);

G_END_DECLS
