/* lattice-log.c: log set-up shared by the programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lattice-log.h"

static GPtrArray *debug_patterns;  /* GPatternSpec, from G_MESSAGES_DEBUG */

static const char *
field_domain (const GLogField *fields,
              gsize            n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      return fields[i].value;
  return NULL;
}

static gboolean
domain_wanted (const char *domain)
{
  for (guint i = 0; domain != NULL && i < debug_patterns->len; i++)
    if (g_pattern_spec_match_string (g_ptr_array_index (debug_patterns, i), domain))
      return TRUE;
  return FALSE;
}

static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  /* Debug and info messages of a domain a pattern names are written as
   * GLib's default writer writes what it does not drop. */
  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0 &&
      domain_wanted (field_domain (fields, n_fields)))
    {
      if (g_log_writer_is_journald (fileno (stderr)) &&
          g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
      return g_log_writer_standard_streams (level, fields, n_fields, user_data);
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
lattice_log_init (void)
{
  const char *setting = g_getenv ("G_MESSAGES_DEBUG");
  g_auto(GStrv) words = NULL;

  g_log_writer_default_set_use_stderr (TRUE);
  if (setting == NULL || debug_patterns != NULL)
    return;
  debug_patterns = g_ptr_array_new_with_free_func ((GDestroyNotify) g_pattern_spec_free);
  words = g_strsplit_set (setting, " ,", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (strpbrk (words[i], "*?") != NULL)
      g_ptr_array_add (debug_patterns, g_pattern_spec_new (words[i]));
  if (debug_patterns->len > 0)
    g_log_set_writer_func (write_log, NULL, NULL);
}
